from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from fangyi.api import api

admin.site.site_header = _("Fangyi administration")
admin.site.site_title = _("Fangyi administration")
admin.site.index_title = _("Jurisdictions, accounts and the audit log")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ledger/", include("fangyi.ledger.urls")),
    path("checkpoints/", include("fangyi.checkpoints.urls")),
    path("quarantine/", include("fangyi.quarantine.urls")),
    path("tracing/", include("fangyi.tracing.urls")),
    path("roster/", include("fangyi.roster.urls")),
    path("supplies/", include("fangyi.supplies.urls")),
    path("volunteers/", include("fangyi.volunteers.urls")),
    path("enterprises/", include("fangyi.enterprises.urls")),
    path("command/", include("fangyi.command.urls")),
    path("", include("fangyi.core.urls")),
]

handler403 = "fangyi.core.views.permission_denied"
