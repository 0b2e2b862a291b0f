"""Test-data builders for volunteers (shared by the volunteers tests and the demo's tests)."""

from datetime import datetime, timedelta

from django.utils import timezone

from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, User
from fangyi.testing import unique_phone
from fangyi.volunteers import services
from fangyi.volunteers.models import RequesterKind, ServiceKind, ServiceRequest, Volunteer

SYSTEM = Actor.system("test")


def make_volunteer(
    village: Jurisdiction, name: str = "志愿者", *, user: User | None = None, **values
) -> Volunteer:
    values.setdefault("phone", unique_phone())
    return services.register_volunteer(SYSTEM, name=name, jurisdiction=village, user=user, **values)


def in_hours(hours: float) -> datetime:
    return timezone.now() + timedelta(hours=hours)


def make_request(
    village: Jurisdiction, *, order=None, kind: str = ServiceKind.GROCERIES, **values
) -> ServiceRequest:
    """A request entered by staff: for `order` (a quarantined household), else for an elderly
    resident 王奶奶 of `village`."""
    values.setdefault("details", "大米5斤、青菜")
    values.setdefault("needed_by", in_hours(3))
    if order is None:
        values.setdefault("requester_kind", RequesterKind.ELDERLY)
        values.setdefault("household_name", "王奶奶")
        values.setdefault("address", "东村5组3号")
    return services.create_request(SYSTEM, jurisdiction=village, kind=kind, order=order, **values)
