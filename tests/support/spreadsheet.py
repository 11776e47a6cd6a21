"""The tracking spreadsheet of a territory as the admin exports it, and filled in by a user."""

import tablib


def export(resource_class, territory):
    queryset = resource_class._meta.model.objects.for_territory(territory)
    return resource_class().export(queryset=queryset)


def fill(dataset, changes):
    """A copy of the export where the rows whose id is in `changes` get new cells."""
    filled = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        row = dict(zip(dataset.headers, row, strict=True))
        row.update(changes.get(row["id"], {}))
        filled.append([row[h] for h in dataset.headers])
    return filled
