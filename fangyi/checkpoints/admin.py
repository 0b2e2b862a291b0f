"""Admin for checkpoints: read-only. Checkpoints, registrations, lockdowns and passes change only
through the pages and the API (the services apply the rules and raise the alerts). Lists never
decrypt anything."""

from django.contrib import admin

from fangyi.checkpoints.models import Checkpoint, Lockdown, Pass, Registration
from fangyi.core.admin import ReadOnlyAdmin


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "jurisdiction", "status")
    list_filter = ("kind", "status")
    search_fields = ("code", "name")
    list_select_related = ("jurisdiction",)


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "checkpoint", "direction", "plate", "people_count", "result")
    list_filter = ("result", "direction")
    search_fields = ("plate",)
    list_select_related = ("checkpoint",)
    date_hierarchy = "local_date"
    exclude = ("recorded_by",)


@admin.register(Lockdown)
class LockdownAdmin(ReadOnlyAdmin):
    list_display = ("village", "starts_at", "planned_end_at", "lifted_at")
    list_select_related = ("village",)


@admin.register(Pass)
class PassAdmin(ReadOnlyAdmin):
    list_display = ("code", "lockdown", "reason", "valid_from", "valid_until", "revoked_at")
    exclude = ("person",)

    def get_queryset(self, request):
        lockdowns = Lockdown.objects.visible_to(request.user)
        return Pass.objects.filter(lockdown__in=lockdowns)
