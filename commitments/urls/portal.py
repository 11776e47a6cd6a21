from django.urls import path

from commitments.views import portal, protocol_page, search_page, thematic_page

urlpatterns = [
    path("", portal.home, name="home"),
    path("territoires/", portal.territory_list, name="territory_list"),
    path("territoires/<slug:slug>/", protocol_page.territory_detail, name="territory_detail"),
    path("thematiques/<slug:slug>/", thematic_page.thematic_detail, name="thematic_detail"),
    path("engagements/", search_page.commitment_search, name="commitment_search"),
    path("glossaire/", portal.glossary, name="glossary"),
    path("accessibilite/", portal.accessibility, name="accessibility"),
]
