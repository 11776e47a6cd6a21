from django.urls import path

from commitments.views import pdf

# Listed before the portal's /territoires/<slug>/ in perer/urls.py.
urlpatterns = [
    path("territoires/protocoles.pdf", pdf.all_protocols_pdf, name="all_protocols_pdf"),
    path("territoires/<slug:slug>/protocole.pdf", pdf.territory_pdf, name="territory_pdf"),
]
