from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("commitments.api.urls")),
    path("", include("commitments.urls.pdf")),
    path("", include("commitments.urls.exports")),
    path("", include("commitments.urls.tracking")),
    path("", include("commitments.urls.portal")),
]
