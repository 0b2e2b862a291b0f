"""The JSON API (django-ninja) at /api/v1/: one NinjaAPI, each app adds its router here."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from fangyi.checkpoints.api import router as checkpoints_router
from fangyi.core.api import router as core_router
from fangyi.core.api_auth import api_auth
from fangyi.ledger.api import router as ledger_router
from fangyi.tracing.api import router as tracing_router

api = NinjaAPI(title="Fangyi API", version="1", auth=api_auth, urls_namespace="api")
api.add_router("/", core_router)
api.add_router("/", ledger_router)
api.add_router("/", checkpoints_router)
api.add_router("/", tracing_router)
api.add_router("/", "fangyi.quarantine.api.router")
api.add_router("/", "fangyi.roster.api.router")
api.add_router("/", "fangyi.supplies.api.router")
api.add_router("/", "fangyi.volunteers.api.router")
api.add_router("/", "fangyi.enterprises.api.router")
api.add_router("/", "fangyi.command.api.router")


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or _("not allowed")}, status=403)
