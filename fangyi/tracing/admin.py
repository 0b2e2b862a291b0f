"""Admin for tracing: read-only. Cases, trajectories and contacts change only through the pages
and the services (which keep the ledger and the quarantine orders in step). Lists show the case
by its classification and dates, never an ID number."""

from django.contrib import admin

from fangyi.core.admin import ReadOnlyAdmin
from fangyi.tracing.models import Case, Contact, TrajectoryEntry


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


class TrajectoryInline(ReadOnlyInline):
    model = TrajectoryEntry
    fields = ("kind", "place", "starts_at", "ends_at", "notes")


class ContactInline(ReadOnlyInline):
    model = Contact
    fk_name = "case"
    fields = ("degree", "relation", "last_exposure_date")


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("pk", "classification", "jurisdiction", "report_date", "onset_date")
    list_filter = ("classification",)
    list_select_related = ("jurisdiction",)
    date_hierarchy = "report_date"
    exclude = ("person", "source_test", "created_by")
    inlines = [TrajectoryInline, ContactInline]
