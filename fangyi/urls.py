from django.contrib import admin
from django.urls import include, path

from fangyi.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("fangyi.core.urls")),
]

handler403 = "fangyi.core.views.permission_denied"
