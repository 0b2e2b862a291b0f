"""Admin: jurisdictions and accounts are edited here; people are edited only through the pages
(so every change goes through the services and the audit log); the audit log is read-only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from fangyi.core.models import ApiToken, AuditEntry, Jurisdiction, User
from fangyi.core.services import set_user_role


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)
    ordering = ("code",)


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
