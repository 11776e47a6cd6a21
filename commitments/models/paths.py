"""The path from each model of a protocol up the tree, declared once per model.

    Territory ─ Protocol ─ ThematicSection ─ StrategicObjective ─ OperationalObjective ─ Action

Each model of the tree carries `tree = TreePath(...)` giving its query lookups to the section,
the protocol, the territory and the thematic, and the positions that sort it in document order.
Querysets, permissions, roll-ups and signals read these instead of spelling the lookups.
"""

from dataclasses import dataclass


def _join(*parts):
    return "__".join(part for part in parts if part)


@dataclass(frozen=True)
class TreePath:
    """`to_section` is the lookup from the model to its thematic section: "" on a section
    itself, None above sections (a protocol)."""

    to_section: str | None

    @property
    def section(self):
        return self.to_section

    @property
    def protocol(self):
        return "" if self.to_section is None else _join(self.to_section, "protocol")

    @property
    def territory(self):
        return _join(self.protocol, "territory")

    @property
    def thematic(self):
        return _join(self.to_section, "thematic")

    def lookup(self, *parts):
        """A lookup below the model's own fields, e.g. lookup("territory", "in")."""
        paths = {"section": self.section, "protocol": self.protocol, "territory": self.territory}
        head, *rest = parts
        return _join(paths.get(head, head), *rest)

    @property
    def ancestors(self):
        """Lookups of the nodes between the section and the model, top first:
        ("operational_objective__strategic_objective", "operational_objective") for an action."""
        if not self.to_section:
            return ()
        steps = self.to_section.split("__")[:-1]
        return tuple(_join(*steps[:depth]) for depth in range(len(steps), 0, -1))

    @property
    def document_order(self):
        """order_by() arguments that sort rows as the documents read: agglomeration and
        communes by their display position, then each level's position."""
        return (
            _join(self.territory, "position"),
            _join(self.protocol, "id"),
            *([_join(self.section, "position")] if self.section else []),
            *(_join(ancestor, "position") for ancestor in self.ancestors),
            *(["position"] if self.section is not None else []),
        )
