"""Admin for volunteers: read-only. Volunteers, teams and service requests change only through
the pages, the API and the CLI (the services encrypt the phones, check who may take a request
and write its events). Phones are never decrypted here."""

from django.contrib import admin

from fangyi.core.admin import ReadOnlyAdmin
from fangyi.volunteers.models import RequestEvent, ServiceRequest, Volunteer, VolunteerTeam


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


@admin.register(VolunteerTeam)
class VolunteerTeamAdmin(ReadOnlyAdmin):
    list_display = ("name", "jurisdiction", "leader")
    search_fields = ("name",)
    list_select_related = ("jurisdiction", "leader")


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "jurisdiction",
        "team",
        "availability",
        "party_member",
        "user",
        "active",
    )
    list_filter = ("availability", "party_member", "active")
    search_fields = ("name", "user__username")
    list_select_related = ("jurisdiction", "team", "user")
    exclude = ("phone_cipher", "phone_index")


class EventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ("at", "actor_username", "status", "note")


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "jurisdiction",
        "requester_kind",
        "household_name",
        "kind",
        "needed_by",
        "status",
        "channel",
        "team",
        "volunteer",
    )
    list_filter = ("status", "kind", "requester_kind", "channel")
    search_fields = ("household_name", "=external_id")
    list_select_related = ("jurisdiction", "team", "volunteer")
    date_hierarchy = "needed_by"
    # The order (and through it the person) is shown on the request's page; the phone stays
    # encrypted.
    exclude = ("phone_cipher", "order", "created_by")
    inlines = [EventInline]
