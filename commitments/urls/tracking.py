from django.urls import path, re_path

from commitments.feeds import TerritoryUpdatesFeed, UpdatesFeed
from commitments.page_cache import cached_public_page
from commitments.views import tracking

daily_cache = cached_public_page(daily=True)

urlpatterns = [
    # At most 18 digits: any such number fits a 64-bit key, a longer one is a 404, never a 500.
    re_path(
        r"^engagements/(?P<level>objectif|action)/(?P<pk>[0-9]{1,18})/$",
        tracking.commitment_detail,
        name="commitment_detail",
    ),
    # Dashboards depend on today's date too ("no update for 12 months").
    path("tableau-de-bord/", daily_cache(tracking.dashboard), name="dashboard"),
    path(
        "tableau-de-bord/<slug:slug>/",
        daily_cache(tracking.territory_dashboard),
        name="territory_dashboard",
    ),
    path("flux/mises-a-jour.atom", UpdatesFeed(), name="updates_feed"),
    path(
        "flux/<slug:slug>/mises-a-jour.atom",
        TerritoryUpdatesFeed(),
        name="territory_updates_feed",
    ),
]
