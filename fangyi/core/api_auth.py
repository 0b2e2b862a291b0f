"""API authentication: a browser session (with CSRF) or a bearer token from `fangyi create-api-token`."""

import copy
import hashlib
import time

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from fangyi.core.models import ApiToken

# A token seen in the last few seconds is not looked up again (decision 22): a revoked token or a
# deactivated account is refused within TOKEN_CACHE_SECONDS.
TOKEN_CACHE_SECONDS = 5.0
_tokens: dict[str, tuple[float, object]] = {}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        digest = token_digest(token)
        now = time.monotonic()
        hit = _tokens.get(digest)
        if hit is not None and now - hit[0] < TOKEN_CACHE_SECONDS:
            user = copy.copy(hit[1])  # each request its own object (permission cache...)
            request.user = user
            return user
        found = ApiToken.objects.select_related("user").filter(digest=digest).first()
        if found is None or not found.user.is_active:
            _tokens.pop(digest, None)
            return None
        if (
            found.last_used_at is None
            or (timezone.now() - found.last_used_at).total_seconds() > 300
        ):
            found.last_used_at = timezone.now()
            found.save(update_fields=["last_used_at"])
        _tokens[digest] = (now, copy.copy(found.user))  # a clean copy: no permission cache
        request.user = found.user
        return found.user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None


api_auth = [BearerToken(), ActiveSessionAuth()]
