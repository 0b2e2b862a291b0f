"""Rate limits for public (no login) endpoints, counted in the database so that every app
server process sees the same attempts. Count every attempt, valid or not."""

from datetime import timedelta

from django.utils import timezone

from fangyi.core.crypto import blind_index
from fangyi.core.models import RateLimitHit


def address_key(scope: str, ip_address: str | None) -> str:
    """A key for `scope` and a client address; the address is stored only as a keyed hash."""
    return f"{scope}:{blind_index(ip_address or 'unknown', 'ratelimit')}"


def allow(key: str, *, limit: int, window: timedelta) -> bool:
    """Record an attempt under `key`; False when more than `limit` were made within `window`."""
    now = timezone.now()
    recent = RateLimitHit.objects.filter(key=key, at__gte=now - window).count()
    if recent >= limit:
        return False
    RateLimitHit.objects.create(key=key, at=now)
    # Old hits are useless; prune a key's hits older than a day whenever it is hit.
    RateLimitHit.objects.filter(key=key, at__lt=now - timedelta(days=1)).delete()
    return True
