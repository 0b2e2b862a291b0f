"""Admin for enterprise resumption: read-only. Enterprises and filings change only through the
pages, the API and the CLI (the services check the credit codes, screen the rosters and write
each filing's events). Employees' ID numbers and phones, and the contacts' phones, are never
decrypted here: the lists show names and flags only."""

from django.contrib import admin

from fangyi.core.admin import ReadOnlyAdmin
from fangyi.enterprises.models import (
    Employee,
    Enterprise,
    Filing,
    FilingEvent,
    Inspection,
    TemperatureSummary,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "credit_code",
        "jurisdiction",
        "industry",
        "size",
        "staff_count",
        "contact_name",
    )
    list_filter = ("industry", "size")
    search_fields = ("name", "credit_code")
    list_select_related = ("jurisdiction",)
    exclude = ("contact_phone_cipher",)


class InspectionInline(ReadOnlyInline):
    model = Inspection
    fields = ("inspected_on", "inspectors", "findings", "passed")


class FilingEventInline(ReadOnlyInline):
    model = FilingEvent
    fields = ("at", "actor_username", "status", "message")


@admin.register(Filing)
class FilingAdmin(ReadOnlyAdmin):
    list_display = (
        "enterprise",
        "status",
        "submitted_at",
        "decided_at",
        "reopened_on",
        "employee_count",
        "flagged_count",
    )
    list_filter = ("status", "enterprise__industry", "enterprise__size")
    search_fields = ("enterprise__name", "enterprise__credit_code")
    list_select_related = ("enterprise",)
    date_hierarchy = "submitted_at"
    exclude = ("submitted_by", "decided_by", "plan_file")
    inlines = [InspectionInline, FilingEventInline]


class _OfVisibleFilings(ReadOnlyAdmin):
    """Rows of the filings the user may see (these models have no scope of their own)."""

    def get_queryset(self, request):
        filings = Filing.objects.visible_to(request.user)
        return self.model.objects.filter(filing__in=filings)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("enterprises.view_enterprise")


@admin.register(Employee)
class EmployeeAdmin(_OfVisibleFilings):
    list_display = ("name", "filing", "source_row", "flagged", "flags")
    list_filter = ("flagged",)
    search_fields = ("name",)
    list_select_related = ("filing__enterprise",)
    exclude = ("id_number_cipher", "id_number_index", "phone_cipher", "person")


@admin.register(TemperatureSummary)
class TemperatureSummaryAdmin(ReadOnlyAdmin):
    list_display = ("day", "enterprise", "checked", "fever", "absent", "note")
    list_filter = ("fever",)
    list_select_related = ("enterprise",)
    date_hierarchy = "day"
    exclude = ("reported_by",)

    def get_queryset(self, request):
        enterprises = Enterprise.objects.visible_to(request.user)
        return TemperatureSummary.objects.filter(enterprise__in=enterprises)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("enterprises.view_enterprise")
