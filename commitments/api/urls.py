"""/api/: the versioned API (NamespaceVersioning, namespace "v1"), its schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from commitments.api import views

router = DefaultRouter()
router.register("territoires", views.TerritoryViewSet, basename="territory")
router.register("thematiques", views.ThematicViewSet, basename="thematic")
router.register("protocoles", views.ProtocolViewSet, basename="protocol")
router.register(
    "objectifs-strategiques", views.StrategicObjectiveViewSet, basename="strategic-objective"
)
router.register(
    "objectifs-operationnels", views.OperationalObjectiveViewSet, basename="operational-objective"
)
router.register("actions", views.ActionViewSet, basename="action")
router.register("partenaires", views.PartnerViewSet, basename="partner")
router.register("glossaire", views.GlossaryViewSet, basename="glossary-term")
router.register("axes", views.TransversalAxisViewSet, basename="axis")

urlpatterns = [
    path("", views.IndexView.as_view(), name="api-index"),
    path("v1/", include((router.urls, "v1"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    # Swagger UI from drf-spectacular-sidecar (no CDN), its script a separate file (CSP).
    # No ReDoc: its page loads fonts from Google.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
]
