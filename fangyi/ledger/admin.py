"""Admin for the ledger: read-mostly. Entries, push lists and tasks change only through the pages,
API and CLI (the services keep the history and the audit log); saved column mappings are edited
here. Lists never decrypt anything: an entry's masked ID number shows on its own page only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fangyi.core.admin import ReadOnlyAdmin, ScopedAdmin
from fangyi.ledger.models import (
    ImportMapping,
    LedgerEntry,
    LedgerEntryEvent,
    PushList,
    VerificationTask,
)


@admin.register(PushList)
class PushListAdmin(ReadOnlyAdmin):
    """Uploads happen in the app (the pages or `fangyi import-pushlist`), never here."""

    list_display = (
        "name",
        "town",
        "received_at",
        "deadline_at",
        "status",
        "rows",
        "imported",
        "matched",
        "merged",
        "errors",
    )
    list_filter = ("status", "source")
    list_select_related = ("town",)
    search_fields = ("name", "original_filename")
    date_hierarchy = "received_at"
    fields = (
        "name",
        "source",
        "town",
        "category",
        "received_at",
        "deadline_at",
        "original_filename",
        "created_by",
        "status",
        "failure_reason",
        "rows",
        "imported",
        "matched",
        "merged",
        "errors",
        "started_at",
        "finished_at",
    )


class EventInline(admin.TabularInline):
    model = LedgerEntryEvent
    fields = ("at", "actor_username", "kind", "changes")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "person_name",
        "category",
        "status",
        "jurisdiction",
        "responsible_cadre",
        "arrival_date",
        "updated_at",
    )
    list_filter = ("status", "category")
    list_select_related = ("person", "jurisdiction", "responsible_cadre")
    search_fields = ("person__name", "person__name_pinyin", "person__name_initials")
    fields = (
        "person_name",
        "id_number_masked",
        "jurisdiction",
        "category",
        "status",
        "status_changed_at",
        "source_area",
        "risk_level",
        "arrival_date",
        "transport",
        "trip_number",
        "symptoms",
        "local_address",
        "local_contact",
        "responsible_cadre",
        "notes",
        "push_list",
    )
    inlines = (EventInline,)

    @admin.display(description=_("name"), ordering="person__name")
    def person_name(self, entry: LedgerEntry) -> str:
        return entry.person.name

    @admin.display(description=_("ID number"))
    def id_number_masked(self, entry: LedgerEntry) -> str:
        return entry.person.id_number_masked


@admin.register(ImportMapping)
class ImportMappingAdmin(ScopedAdmin):
    list_display = ("name", "jurisdiction", "created_by", "updated_at")
    list_select_related = ("jurisdiction", "created_by")
    search_fields = ("name", "jurisdiction__name")
    raw_id_fields = ("jurisdiction", "created_by")
    fields = ("name", "jurisdiction", "columns", "created_by")


@admin.register(VerificationTask)
class VerificationTaskAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "push_list",
        "person_name",
        "source_row",
        "result",
        "verified_by",
        "verified_at",
    )
    list_filter = ("result",)
    list_select_related = ("push_list", "entry__person", "verified_by")
    search_fields = ("entry__person__name", "push_list__name")
    fields = ("push_list", "entry", "source_row", "result", "verified_by", "verified_at", "note")

    @admin.display(description=_("name"), ordering="entry__person__name")
    def person_name(self, task: VerificationTask) -> str:
        return task.entry.person.name
