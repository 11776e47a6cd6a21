"""List filters on the territory and the thematic of any protocol element (one query each).

They call the querysets' own `for_territory` / `for_thematic`, which follow the model's path up
the tree. A value that is not a valid id (letters, a number past 64 bits) matches nothing.
"""

from django.contrib import admin

from commitments.models import Thematic
from territories.models import Territory
from territories.roles import city_lead_territory_ids, is_agglomeration

# The value that selects the territories the user leads (a city lead's lists open on it).
MINE = "mes-territoires"

MAX_ID = 2**63 - 1


def _valid_id(value):
    return value.isdigit() and int(value) <= MAX_ID


class TerritoryFilter(admin.SimpleListFilter):
    title = "territoire"
    parameter_name = "territoire"

    def lookups(self, request, model_admin):
        mine = [] if is_agglomeration(request.user) else [(MINE, "Mes territoires")]
        return mine + [(str(t.pk), t.name) for t in Territory.objects.in_display_order()]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == MINE:
            return queryset.for_territories(city_lead_territory_ids(request.user))
        return queryset.for_territory(int(value)) if _valid_id(value) else queryset.none()


def opens_on_own_territories(request):
    """A city lead's list without a territory filter: where to redirect it (None otherwise)."""
    if is_agglomeration(request.user) or not city_lead_territory_ids(request.user):
        return None
    if TerritoryFilter.parameter_name in request.GET or request.method != "GET":
        return None
    query = request.GET.copy()
    query[TerritoryFilter.parameter_name] = MINE
    return f"{request.path}?{query.urlencode()}"


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
