"""Admin for quarantine: read-only. Orders, checks, tests, sites and rooms change only through
the pages, the API and the CLI (the services keep the rooms' occupancy, write the orders'
events and raise the alerts). Lists show no name or ID number: orders are listed by id."""

from django.contrib import admin

from fangyi.core.admin import ReadOnlyAdmin
from fangyi.quarantine.models import (
    FollowUp,
    NucleicAcidTest,
    ObservationSite,
    OrderEvent,
    QuarantineOrder,
    Room,
    TeamAssignment,
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


class RoomInline(ReadOnlyInline):
    model = Room
    fields = ("number", "capacity", "status", "occupants")


@admin.register(ObservationSite)
class ObservationSiteAdmin(ReadOnlyAdmin):
    list_display = ("name", "town", "person_in_charge", "phone")
    search_fields = ("name",)
    list_select_related = ("town",)
    inlines = [RoomInline]


@admin.register(Room)
class RoomAdmin(ReadOnlyAdmin):
    list_display = ("number", "site", "capacity", "occupants", "status")
    list_filter = ("status",)
    search_fields = ("number", "site__name")
    list_select_related = ("site",)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("quarantine.view_observationsite")  # rooms come with sites


class TeamInline(ReadOnlyInline):
    model = TeamAssignment
    fk_name = "order"
    fields = ("role", "member", "assigned_at", "ended_at")


class EventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("at", "actor_username", "kind", "details")


@admin.register(QuarantineOrder)
class QuarantineOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "external_id",
        "kind",
        "status",
        "jurisdiction",
        "start_date",
        "planned_end_date",
    )
    list_filter = ("kind", "status")
    search_fields = ("=external_id",)
    list_select_related = ("jurisdiction",)
    date_hierarchy = "start_date"
    # The person is shown on the order's page, masked; never decrypted here.
    exclude = ("person", "ledger_entry", "registration", "previous", "door_sealed_by")
    inlines = [TeamInline, EventInline]


class _OfVisibleOrders(ReadOnlyAdmin):
    """Rows of the orders the user may see (these models have no scope of their own)."""

    def get_queryset(self, request):
        orders = QuarantineOrder.objects.visible_to(request.user)
        return self.model.objects.filter(order__in=orders)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("quarantine.view_quarantineorder")  # they come with orders


@admin.register(FollowUp)
class FollowUpAdmin(_OfVisibleOrders):
    list_display = ("order_id", "day", "slot", "due_at", "status", "temperature", "method", "late")
    list_filter = ("status", "method", "late")
    exclude = ("order", "checked_by")


@admin.register(NucleicAcidTest)
class NucleicAcidTestAdmin(_OfVisibleOrders):
    list_display = ("order_id", "day", "result", "sampled_at", "lab")
    list_filter = ("result",)
    exclude = ("order", "recorded_by")
