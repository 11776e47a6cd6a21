"""List filters that follow each model's path up the protocol tree (one query each)."""

from django.contrib import admin

from commitments.models import Thematic
from commitments.permissions import territory_path
from territories.models import Territory


class PathFilter(admin.SimpleListFilter):
    """Filter on an object reached through `path`, set per model by `for_path`."""

    path = ""

    @classmethod
    def for_path(cls, path):
        return type(f"{cls.__name__}_{path}", (cls,), {"path": path})

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{f"{self.path}_id": int(value)})


class TerritoryFilter(PathFilter):
    title = "territoire"
    parameter_name = "territoire"

    def lookups(self, request, model_admin):
        if not self.path:
            self.path = territory_path(model_admin.model)
        return [(str(t.pk), t.name) for t in Territory.objects.in_display_order()]


class ThematicFilter(PathFilter):
    title = "thématique"
    parameter_name = "thematique"

    def lookups(self, request, model_admin):
        return [(str(t.pk), str(t)) for t in Thematic.objects.all()]


def territory_filter(model):
    return TerritoryFilter.for_path(territory_path(model))


def thematic_filter(path):
    return ThematicFilter.for_path(path)
