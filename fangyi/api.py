"""The JSON API (django-ninja): one NinjaAPI, each app adds its router here."""

from ninja import NinjaAPI

from fangyi.core.api import router as core_router
from fangyi.core.api_auth import api_auth

api = NinjaAPI(title="Fangyi API", version="1", auth=api_auth, urls_namespace="api")
api.add_router("/", core_router)
