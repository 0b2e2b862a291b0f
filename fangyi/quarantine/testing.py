"""Test-data builders for quarantine (shared by the quarantine and tracing tests)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone as django_timezone

from fangyi.core.audit import Actor
from fangyi.core.models import DiseaseProfile, Jurisdiction, Person, QuarantineKind, User
from fangyi.core.roles import Role
from fangyi.quarantine import services
from fangyi.quarantine.models import (
    CheckMethod,
    NucleicAcidResult,
    ObservationSite,
    OrderReason,
    QuarantineOrder,
)
from fangyi.testing import make_user


def make_team(town: Jurisdiction, village: Jurisdiction) -> dict[str, User]:
    """One member of each default team role (四对一): village cadre, police, doctor, town cadre."""
    return {
        Role.VILLAGE_CADRE: make_user(f"vc{village.code}", Role.VILLAGE_CADRE, village, "王村干"),
        Role.POLICE: make_user(f"police{town.code}", Role.POLICE, town, "吴警官"),
        Role.DOCTOR: make_user(f"doctor{town.code}", Role.DOCTOR, town, "孙医生"),
        Role.TOWN_CADRE: make_user(f"tc{town.code}", Role.TOWN_CADRE, town, "刘镇干"),
    }


def make_order(
    person: Person,
    kind: str = QuarantineKind.HOME_QUARANTINE,
    *,
    start_date: date | None = None,
    actor: Actor | None = None,
    site: ObservationSite | None = None,
    **values,
) -> QuarantineOrder:
    values.setdefault("address", "东村3组12号")
    return services.open_order(
        actor or Actor.system("test"),
        services.OrderRequest(
            person=person,
            kind=kind,
            reason=values.pop("reason", OrderReason.OTHER),
            start_date=start_date,
            site=site,
            **values,
        ),
    )


def make_site(town: Jurisdiction, rooms: str = "101-104", capacity: int = 1) -> ObservationSite:
    return services.create_site(
        Actor.system("test"), town, name="青山宾馆", rooms=rooms, capacity=capacity
    )


# Added for the service tests: the profile, the clock, and an order made ready for release. -----

SHANGHAI = ZoneInfo("Asia/Shanghai")


def set_profile(**values) -> DiseaseProfile:
    """Edit the deployment's profile (pk 1) as the admin would, refusing values it would refuse."""
    profile, _created = DiseaseProfile.objects.get_or_create(pk=1)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.clean()
    profile.save()
    return profile


def local_time(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime at a town's wall-clock time (Asia/Shanghai)."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


class Clock:
    """A settable `timezone.now` (see freeze_clock): `clock.at = ...`, `clock.advance(hours=3)`."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def freeze_clock(monkeypatch, at: datetime) -> Clock:
    """Make django.utils.timezone.now (and so localdate, the services' "today") return `at`
    until the test ends (time-machine / freezegun are not dependencies of the project)."""
    clock = Clock(at)
    monkeypatch.setattr(django_timezone, "now", clock)
    return clock


def complete_order(order: QuarantineOrder, actor: Actor | None = None) -> QuarantineOrder:
    """Record every open check at its due time (36.6 °C, at the door) and every test negative:
    the order can be released once its period is over."""
    actor = actor or Actor.system("test")
    for check in order.checks.open().order_by("due_at"):
        services.record_check(
            actor,
            check,
            temperature="36.6",
            method=CheckMethod.DOOR,
            now=check.due_at,
        )
    for test in order.tests.exclude(
        result__in=[NucleicAcidResult.NEGATIVE, NucleicAcidResult.POSITIVE]
    ):
        services.record_test(actor, test, result=NucleicAcidResult.NEGATIVE, lab="县疾控")
    return order
