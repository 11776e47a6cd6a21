from django.urls import path

from commitments.page_cache import cached_public_page as cached
from commitments.page_cache import territory_version
from commitments.views import portal, protocol_page, search_page, thematic_page

urlpatterns = [
    path("", cached(portal.home), name="home"),
    path("territoires/", cached(portal.territory_list), name="territory_list"),
    path(
        "territoires/<slug:slug>/",
        cached(protocol_page.territory_detail, version=territory_version),
        name="territory_detail",
    ),
    path("thematiques/<slug:slug>/", cached(thematic_page.thematic_detail), name="thematic_detail"),
    path("engagements/", cached(search_page.commitment_search), name="commitment_search"),
    path("glossaire/", cached(portal.glossary), name="glossary"),
    path("accessibilite/", portal.accessibility, name="accessibility"),
]
