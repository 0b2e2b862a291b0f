"""Admin: jurisdictions and accounts are edited here; people are edited only through the pages
(so every change goes through the services and the audit log); the audit log is read-only."""

import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from fangyi.core.audit import Actor
from fangyi.core.models import Alert, ApiToken, AuditEntry, DiseaseProfile, Jurisdiction, User
from fangyi.core.services import import_jurisdictions_file, set_user_role
from fangyi.core.tabular import TableError


class ScopedAdmin(admin.ModelAdmin):
    """Staff see the rows of their jurisdiction (superusers without one: everything)."""

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class JurisdictionFileForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx, .xls or .csv) with 代码 and 名称 columns"))


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    ordering = ("code",)
    change_list_template = "admin/core/jurisdiction/change_list.html"

    def get_urls(self):
        upload = path(
            "import/", self.admin_site.admin_view(self.import_file), name="core_jurisdiction_import"
        )
        return [upload, *super().get_urls()]

    def import_file(self, request):
        """Upload a division-code spreadsheet: the same service as `fangyi import-jurisdictions`."""
        if not request.user.has_perm("core.add_jurisdiction"):
            raise PermissionDenied
        form = JurisdictionFileForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = Path(upload.name).suffix.lower()
            with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
                for chunk in upload.chunks():
                    copy.write(chunk)
                copy.flush()
                try:
                    result = import_jurisdictions_file(Actor.from_request(request), copy.name)
                except TableError as error:
                    form.add_error("file", str(error))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "result": result,
            "title": _("Import jurisdictions"),
        }
        return TemplateResponse(request, "admin/core/jurisdiction/import.html", context)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "role", "jurisdiction", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "full_name", "jurisdiction__name", "jurisdiction__code")
    raw_id_fields = ("jurisdiction",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Fangyi"), {"fields": ("full_name", "role", "jurisdiction")}),
        (
            _("Status"),
            {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")},
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "password1",
                    "password2",
                    "full_name",
                    "role",
                    "jurisdiction",
                ),
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.role:
            set_user_role(obj, obj.role)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = (
        "at",
        "actor_username",
        "action",
        "object_repr",
        "jurisdiction_code",
        "ip_address",
    )
    list_filter = ("action",)
    search_fields = ("actor_username", "object_id", "object_repr")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created_at", "last_used_at")
    readonly_fields = ("user", "name", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # tokens are issued by `fangyi create-api-token`, which shows the secret once


@admin.register(DiseaseProfile)
class DiseaseProfileAdmin(admin.ModelAdmin):
    """The one profile of this deployment (quarantine lengths, fever threshold, risk areas):
    edited here by the county, read by every app through DiseaseProfile.current()."""

    fieldsets = (
        (None, {"fields": ("name", "fever_threshold", "symptoms", "risk_areas")}),
        (
            _("Quarantine"),
            {
                "fields": (
                    "home_quarantine_days",
                    "centralized_days",
                    "home_monitoring_days",
                    "after_centralized_kind",
                    "after_centralized_days",
                    "test_days",
                    "checks_per_day",
                    "check_times",
                    "missed_check_grace_minutes",
                )
            },
        ),
        (_("Tracing and lockdowns"), {"fields": ("infectious_days_before_onset", "lockdown_days")}),
    )

    def has_add_permission(self, request):
        return not DiseaseProfile.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    """Alerts are raised by the apps and acknowledged on the pages."""

    list_display = ("raised_at", "kind", "jurisdiction", "message", "acknowledged_at")
    list_filter = ("kind",)
    list_select_related = ("jurisdiction",)
