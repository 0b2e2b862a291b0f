"""API authentication: a browser session (with CSRF) or a bearer token from `fangyi create-api-token`."""

import hashlib

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from fangyi.core.models import ApiToken


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        found = ApiToken.objects.select_related("user").filter(digest=token_digest(token)).first()
        if found is None or not found.user.is_active:
            return None
        if (
            found.last_used_at is None
            or (timezone.now() - found.last_used_at).total_seconds() > 300
        ):
            found.last_used_at = timezone.now()
            found.save(update_fields=["last_used_at"])
        request.user = found.user
        return found.user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api_auth = [BearerToken(), ActiveSessionAuth()]
