"""Permission checks without two queries on every request.

Django's ModelBackend loads a user's permissions (two joined queries) once per user object, and
every API request has a new one. Checkpoint phones register several times a minute each, so the
sets are kept per process for a few seconds (decision 22)."""

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

PERMISSION_CACHE_SECONDS = 5.0
_permissions: dict[tuple, tuple[float, set[str]]] = {}


class CachedPermissionsBackend(ModelBackend):
    """ModelBackend whose permission sets are kept per process for a few seconds, keyed by
    user and role (a role change is seen at once; a group edited in the admin within seconds)."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            key = (user_obj.pk, getattr(user_obj, "role", ""), user_obj.is_superuser)
            now = time.monotonic()
            hit = _permissions.get(key)
            if hit is not None and now - hit[0] < PERMISSION_CACHE_SECONDS:
                user_obj._perm_cache = hit[1]
            else:
                perms = super().get_all_permissions(user_obj, obj)
                _permissions[key] = (now, perms)
        return user_obj._perm_cache

    def get_user(self, user_id):
        """The session's user with their duty-list record (the nav's "my shifts" asks on every
        page; a reverse one-to-one would cost a query each time)."""
        user_model = get_user_model()
        try:
            user = user_model._default_manager.select_related("staff_member", "volunteer").get(
                pk=user_id
            )
        except user_model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def clear_permission_cache() -> None:
    _permissions.clear()


def _permissions_changed(sender, **kwargs) -> None:
    clear_permission_cache()  # this process at once; the others within the cache's seconds


def _connect() -> None:
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed

    from fangyi.core.models import User

    for through in (User.user_permissions.through, User.groups.through, Group.permissions.through):
        m2m_changed.connect(
            _permissions_changed, sender=through, dispatch_uid=f"perm-cache-{through}"
        )


_connect()
