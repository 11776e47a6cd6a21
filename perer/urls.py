"""Every address of the portal, top to bottom. The public ones are contracts (shared/DESIGN.md).

Order matters where patterns overlap: the fixed files under /territoires/ (PDFs, exports) come
before /territoires/<slug>/. Public pages are wrapped in the anonymous page cache
(views/page_cache.py); pages that depend on today's date are cached per day.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from commitments.api import viewsets
from commitments.api.docs_page import ApiDocsView
from commitments.enums import CommitmentKind
from commitments.views import (
    answer_sheet,
    campaign_pages,
    commitment_page,
    dashboards,
    data_downloads,
    edition_pages,
    indicator_pages,
    pdf_downloads,
    portal,
    protocol_page,
    search_page,
    thematic_page,
    tracking_space,
)
from commitments.views.feeds import (
    EditionsFeed,
    TerritoryEditionsFeed,
    TerritoryUpdatesFeed,
    UpdatesFeed,
)
from commitments.views.page_cache import cached_public_page as cached
from commitments.views.page_cache import territory_version
from territories import views as account_views
from territories.proconnect import pages as proconnect_pages
from territories.views import two_factor_setup, two_factor_verify

daily = cached(daily=True)

# The API (read-only, versioned by namespace "v1").
router = DefaultRouter()
router.register("territoires", viewsets.TerritoryViewSet, basename="territory")
router.register("thematiques", viewsets.ThematicViewSet, basename="thematic")
router.register("protocoles", viewsets.ProtocolViewSet, basename="protocol")
router.register(
    "objectifs-strategiques", viewsets.StrategicObjectiveViewSet, basename="strategic-objective"
)
router.register(
    "objectifs-operationnels",
    viewsets.OperationalObjectiveViewSet,
    basename="operational-objective",
)
router.register("actions", viewsets.ActionViewSet, basename="action")
router.register("partenaires", viewsets.PartnerViewSet, basename="partner")
router.register("glossaire", viewsets.GlossaryViewSet, basename="glossary-term")
router.register("axes", viewsets.TransversalAxisViewSet, basename="axis")
router.register("indicateurs", viewsets.IndicatorViewSet, basename="indicator")

KINDS = "|".join(CommitmentKind.values)

urlpatterns = [
    # The admin's password change, counting wrong current passwords like the login.
    path(
        "admin/password_change/",
        account_views.admin_password_change,
        name="admin_password_change_counted",
    ),
    path("admin/", admin.site.urls),
    # Accounts: two-factor authentication (territories/views.py); the code page is the second
    # step of every login.
    path("compte/connexion/code/", two_factor_verify, name="two_factor_verify"),
    path("compte/double-authentification/", two_factor_setup, name="two_factor_setup"),
    # Accounts: Django's auth views in the site's design, the account page, invitations
    # (territories/views.py); emails go through the job queue.
    path("compte/", account_views.account, name="account"),
    path("compte/connexion/", account_views.login_page, name="login"),
    path("compte/deconnexion/", account_views.logout_page, name="logout"),
    path("compte/mot-de-passe/", account_views.password_change, name="password_change"),
    path("compte/mot-de-passe-oublie/", account_views.password_reset, name="password_reset"),
    # The same page under the name the admin's login page looks for ("Mot de passe oublié ?").
    path(
        "compte/mot-de-passe-oublie/",
        account_views.password_reset,
        name="admin_password_reset",
    ),
    path(
        "compte/mot-de-passe-oublie/envoye/",
        account_views.password_reset_done,
        name="password_reset_done",
    ),
    path(
        "compte/mot-de-passe-oublie/termine/",
        account_views.password_reset_complete,
        name="password_reset_complete",
    ),
    path(
        "compte/mot-de-passe-oublie/<uidb64>/<token>/",
        account_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "compte/bienvenue/<uidb64>/<token>/",
        account_views.invitation_accept,
        name="invitation_accept",
    ),
    path("compte/invitations/", account_views.invite, name="account_invite"),
    # Sign in with ProConnect (territories/proconnect/): 404 when it is not configured.
    path("compte/proconnect/", proconnect_pages.start, name="proconnect_start"),
    path("compte/proconnect/retour/", proconnect_pages.callback, name="proconnect_callback"),
    path(
        "compte/proconnect/deconnexion/",
        proconnect_pages.logout_return,
        name="proconnect_logout_return",
    ),
    # API, its OpenAPI schema and its documentation (Swagger UI from drf-spectacular-sidecar,
    # no CDN; its script a separate file for the CSP; no ReDoc: it loads Google fonts).
    path("api/", viewsets.IndexView.as_view(), name="api-index"),
    path("api/v1/", include((router.urls, "v1"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    path(
        "api/docs/",
        ApiDocsView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    # Public pages.
    path("", cached(portal.home), name="home"),
    path(
        "territoires/",
        cached(portal.territory_list, version=pdf_downloads.territory_list_version),
        name="territory_list",
    ),
    # PDFs and flat exports: fixed file names, before /territoires/<slug>/.
    path("territoires/protocoles.pdf", pdf_downloads.all_protocols_pdf, name="all_protocols_pdf"),
    path(
        "territoires/<slug:slug>/protocole.pdf", pdf_downloads.territory_pdf, name="territory_pdf"
    ),
    # Both exports share one name: reverse it with {"format"} for every territory, or with
    # {"slug", "format"} for one territory.
    re_path(
        r"^donnees/engagements\.(?P<format>csv|json)$",
        data_downloads.export_commitments,
        name="export_commitments",
    ),
    re_path(
        r"^donnees/indicateurs\.(?P<format>csv|json)$",
        data_downloads.export_indicators,
        name="export_indicators",
    ),
    re_path(
        r"^territoires/(?P<slug>[-a-z0-9]+)/engagements\.(?P<format>csv|json)$",
        data_downloads.export_commitments,
        name="export_commitments",
    ),
    # Editions of a protocol (views/edition_pages.py): immutable texts, cached until the next
    # publication; the comparison with « courant » also until the next edit.
    path(
        "territoires/<slug:slug>/editions/",
        cached(edition_pages.edition_list, version=edition_pages.list_version),
        name="edition_list",
    ),
    re_path(
        r"^territoires/(?P<slug>[-a-zA-Z0-9_]+)/editions/(?P<number>[0-9]{1,9})/$",
        cached(edition_pages.edition_detail, version=edition_pages.edition_version),
        name="edition_detail",
    ),
    re_path(
        r"^territoires/(?P<slug>[-a-zA-Z0-9_]+)/editions/(?P<number>[0-9]{1,9})/protocole\.pdf$",
        edition_pages.edition_pdf,
        name="edition_pdf",
    ),
    path(
        "territoires/<slug:slug>/modifications/",
        cached(edition_pages.edition_changes, version=edition_pages.comparison_version),
        name="edition_changes",
    ),
    path(
        "territoires/<slug:slug>/indicateurs/",
        cached(indicator_pages.territory_indicators, version=territory_version),
        name="territory_indicators",
    ),
    path(
        "territoires/<slug:slug>/",
        cached(protocol_page.territory_detail, version=protocol_page.page_version),
        name="territory_detail",
    ),
    path("thematiques/", cached(portal.thematic_list), name="thematic_list"),
    path("thematiques/<slug:slug>/", cached(thematic_page.thematic_detail), name="thematic_detail"),
    path("engagements/", cached(search_page.commitment_search), name="commitment_search"),
    # At most 18 digits: any such number fits a 64-bit key, a longer one is a 404, never a 500.
    re_path(
        rf"^engagements/(?P<kind>{KINDS})/(?P<pk>[0-9]{{1,18}})/$",
        commitment_page.commitment_detail,
        name="commitment_detail",
    ),
    # Indicators (views/indicator_pages.py): « comparer » before the numbers.
    path("indicateurs/", cached(indicator_pages.indicator_list), name="indicator_list"),
    path(
        "indicateurs/comparer/",
        cached(indicator_pages.indicator_compare),
        name="indicator_compare",
    ),
    re_path(
        r"^indicateurs/(?P<pk>[0-9]{1,18})/$",
        cached(indicator_pages.indicator_detail),
        name="indicator_detail",
    ),
    path("glossaire/", cached(portal.glossary), name="glossary"),
    path("accessibilite/", portal.accessibility, name="accessibility"),
    # Tracking dashboards ("no update for 12 months" depends on today) and their feeds.
    path("tableau-de-bord/", daily(dashboards.dashboard), name="dashboard"),
    path(
        "tableau-de-bord/<slug:slug>/",
        daily(dashboards.territory_dashboard),
        name="territory_dashboard",
    ),
    path("flux/mises-a-jour.atom", UpdatesFeed(), name="updates_feed"),
    path(
        "flux/<slug:slug>/mises-a-jour.atom",
        TerritoryUpdatesFeed(),
        name="territory_updates_feed",
    ),
    path("flux/editions.atom", EditionsFeed(), name="editions_feed"),
    path("flux/<slug:slug>/editions.atom", TerritoryEditionsFeed(), name="territory_editions_feed"),
    # The tracking space of city project leads and staff (login required, never cached).
    path("suivi/", tracking_space.space, name="tracking_space"),
    re_path(
        rf"^suivi/engagements/(?P<kind>{KINDS})/(?P<pk>[0-9]{{1,18}})/$",
        tracking_space.commitment,
        name="tracking_commitment",
    ),
    re_path(
        r"^suivi/objectifs-strategiques/(?P<pk>[0-9]{1,18})/$",
        tracking_space.objective_review,
        name="tracking_objective_review",
    ),
    # Campaigns (views/campaign_pages.py): staff and the leads of the territories concerned.
    path("suivi/campagnes/", campaign_pages.campaign_list, name="campaign_list"),
    re_path(
        r"^suivi/campagnes/(?P<pk>[0-9]{1,18})/$",
        campaign_pages.campaign_detail,
        name="campaign_detail",
    ),
    # A lead's answer sheet (views/answer_sheet.py): one row's answer, « rien de nouveau »
    # for the ticked rows.
    re_path(
        rf"^suivi/campagnes/(?P<pk>[0-9]{{1,18}})/engagements/(?P<kind>{KINDS})/"
        r"(?P<commitment_pk>[0-9]{1,18})/$",
        answer_sheet.answer_row,
        name="answer_sheet_row",
    ),
    re_path(
        r"^suivi/campagnes/(?P<pk>[0-9]{1,18})/rien-de-nouveau/$",
        answer_sheet.answer_bulk,
        name="answer_sheet_bulk",
    ),
    re_path(
        r"^suivi/campagnes/(?P<pk>[0-9]{1,18})/cloturer/$",
        campaign_pages.campaign_close,
        name="campaign_close",
    ),
    re_path(
        r"^suivi/campagnes/(?P<pk>[0-9]{1,18})/relancer/$",
        campaign_pages.campaign_remind,
        name="campaign_remind",
    ),
    re_path(
        r"^suivi/campagnes/(?P<pk>[0-9]{1,18})/(?P<slug>[-a-z0-9]+)/manquants/$",
        campaign_pages.campaign_missing,
        name="campaign_missing",
    ),
    re_path(
        r"^suivi/campagnes/(?P<pk>[0-9]{1,18})/reponses\.(?P<format>csv|xlsx)$",
        campaign_pages.campaign_export,
        name="campaign_export",
    ),
    re_path(
        r"^suivi/campagnes/(?P<pk>[0-9]{1,18})/bilan\.pdf$",
        campaign_pages.campaign_pdf,
        name="campaign_pdf",
    ),
    re_path(
        r"^suivi/campagnes/(?P<pk>[0-9]{1,18})/(?P<slug>[-a-z0-9]+)/bilan\.pdf$",
        campaign_pages.campaign_pdf,
        name="campaign_territory_pdf",
    ),
]
