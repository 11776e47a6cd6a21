"""/api/docs/: Swagger UI over the OpenAPI schema (drf-spectacular, served by the app itself,
no CDN), in the site's own template (templates/api/swagger_ui.html).

OPTIONS is answered as any Django view does (200, the allowed methods in `Allow`, no body):
DRF's default answer renders metadata through the page's HTML template renderer, which has no
template for it (a 500 before).
"""

from django.views import View
from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    def options(self, request, *args, **kwargs):
        return View.options(self, request, *args, **kwargs)
