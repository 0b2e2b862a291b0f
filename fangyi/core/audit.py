"""Writing the audit log. Services call `record_audit`; nothing else writes AuditEntry rows."""

import os
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

from fangyi.core.models import AuditAction, AuditEntry, Person, User


def client_ip(request: HttpRequest) -> str | None:
    """The user's address: from the trusted proxy's header when configured, else the socket's."""
    header = settings.CLIENT_IP_HEADER
    forwarded = request.META.get(header, "").split(",")[0].strip() if header else ""
    return forwarded or request.META.get("REMOTE_ADDR")


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where: passed to every service that writes or reveals data."""

    user: User | None
    ip_address: str | None = None
    label: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> "Actor":
        return cls(user=request.user, ip_address=client_ip(request))

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        """For the CLI and scheduled work: recorded under `label` (e.g. the OS user)."""
        return cls(user=None, label=label)

    @classmethod
    def command_line(cls) -> "Actor":
        """For `fangyi` commands: recorded as "cli:<OS user>" (no account is logged in)."""
        os_user = os.environ.get("SUDO_USER") or os.environ.get("USER") or os.environ.get("LOGNAME")
        return cls.system(f"cli:{os_user or 'unknown'}")

    @property
    def username(self) -> str:
        return self.user.get_username() if self.user else self.label

    def has_perm(self, perm: str) -> bool:
        return self.user is None or self.user.has_perm(perm)


def record_audit(
    actor: Actor,
    action: AuditAction,
    *,
    object_type: str,
    object_id: str,
    object_repr: str,
    jurisdiction_code: str,
    changes: dict | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor.user,
        actor_username=actor.username,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        jurisdiction_code=jurisdiction_code,
        changes=changes or {},
        ip_address=actor.ip_address,
    )


def record_person_audit(
    actor: Actor, action: AuditAction, person: Person, changes: dict | None = None
) -> AuditEntry:
    return record_audit(
        actor,
        action,
        object_type="core.person",
        object_id=str(person.external_id),
        object_repr=f"{person.name} {person.id_number_masked}".strip(),
        jurisdiction_code=person.jurisdiction_id,
        changes=changes,
    )
