"""Admin for duty rosters: read-only. The staff pool, demand, rosters and swaps change only
through the pages, the API and the CLI (the services check the rules, encrypt the phones and
keep each roster's history). Staff are listed without their phone; rosters with the figures of
their last solve."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fangyi.core.admin import ReadOnlyAdmin
from fangyi.roster.models import CheckpointDemand, Roster, StaffGroup, StaffMember, SwapRequest


@admin.register(StaffMember)
class StaffMemberAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "role",
        "jurisdiction",
        "user",
        "group",
        "post",
        "max_hours_per_week",
        "max_shifts_per_day",
        "active",
    )
    list_filter = ("role", "active")
    search_fields = ("name", "user__username")
    list_select_related = ("jurisdiction", "user", "group", "post")
    exclude = ("phone_cipher",)


@admin.register(StaffGroup)
class StaffGroupAdmin(ReadOnlyAdmin):
    list_display = ("name", "town")
    search_fields = ("name",)
    list_select_related = ("town",)


@admin.register(CheckpointDemand)
class CheckpointDemandAdmin(ReadOnlyAdmin):
    list_display = (
        "checkpoint",
        "shift_hours",
        "first_shift_hour",
        "people_per_shift",
        "role_minimums",
        "night_role_minimums",
        "active",
    )
    list_filter = ("shift_hours", "active", "checkpoint__kind")
    search_fields = ("checkpoint__name", "checkpoint__code")
    list_select_related = ("checkpoint",)


@admin.register(Roster)
class RosterAdmin(ReadOnlyAdmin):
    list_display = (
        "starts_on",
        "days",
        "town",
        "status",
        "solve_state",
        "result",
        "uncovered",
        "objective",
        "bound",
        "gap_display",
        "solve_seconds",
    )
    list_filter = ("status", "result", "solve_state")
    list_select_related = ("town",)
    date_hierarchy = "starts_on"
    exclude = ("created_by",)
    readonly_fields = (
        "solve_state",
        "solve_progress",
        "solve_started_at",
        "solve_finished_at",
        "time_limit_seconds",
        "gap_display",
    )

    @admin.display(description=_("gap"))
    def gap_display(self, roster: Roster) -> str:
        gap = roster.gap
        return "—" if gap is None else f"{gap:.1%}"


@admin.register(SwapRequest)
class SwapRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "roster", "assignment", "with_staff", "status", "decided_at")
    list_filter = ("status",)
    list_select_related = ("roster", "with_staff")
    exclude = ("requested_by", "decided_by")
