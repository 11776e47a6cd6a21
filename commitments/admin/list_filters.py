"""List filters on the territory and the thematic of any protocol element (one query each).

They call the querysets' own `for_territory` / `for_thematic`, which follow the model's path up
the tree. A value that is not a valid id (letters, a number past 64 bits) matches nothing.
"""

from django.contrib import admin

from commitments.models import Thematic
from territories.models import Territory

MAX_ID = 2**63 - 1


def _valid_id(value):
    return value.isdigit() and int(value) <= MAX_ID


class TerritoryFilter(admin.SimpleListFilter):
    title = "territoire"
    parameter_name = "territoire"

    def lookups(self, request, model_admin):
        return [(str(t.pk), t.name) for t in Territory.objects.in_display_order()]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.for_territory(int(value)) if _valid_id(value) else queryset.none()


class ThematicFilter(admin.SimpleListFilter):
    title = "thématique"
    parameter_name = "thematique"

    def lookups(self, request, model_admin):
        return [(str(t.pk), str(t)) for t in Thematic.objects.all()]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.for_thematic(int(value)) if _valid_id(value) else queryset.none()
