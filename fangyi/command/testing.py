"""Builders for the command post's tests: a small known dataset in the fixtures' county."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fangyi.checkpoints.models import Direction, Registration, Result
from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.models import Alert, AlertKind, Jurisdiction
from fangyi.ledger.models import PushList, VerificationTask
from fangyi.ledger.testing import make_entry
from fangyi.testing import make_person

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The known dataset's two local days.
D1 = date(2026, 11, 30)
D2 = date(2026, 12, 1)


def at(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """An aware moment at the county's wall-clock time."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def entry_at(village: Jurisdiction, moment: datetime, name: str = "王金水"):
    entry = make_entry(make_person(village, name))
    type(entry).objects.filter(pk=entry.pk).update(created_at=moment)
    entry.refresh_from_db()
    return entry


def push_list(town: Jurisdiction, received: datetime, deadline: datetime, name: str) -> PushList:
    return PushList.objects.create(
        name=name,
        town=town,
        received_at=received,
        deadline_at=deadline,
        original_filename="list.xlsx",
        file_sha256=name.encode().hex()[:64],
        status="done",
    )


def task(push: PushList, entry, verified_at: datetime | None = None, row: int = 2):
    return VerificationTask.objects.create(
        push_list=push,
        entry=entry,
        source_row=row,
        result="already_screened" if verified_at else "",
        verified_at=verified_at,
    )


def registration(checkpoint, moment: datetime, *, received: datetime | None = None, **values):
    values.setdefault("direction", Direction.IN)
    values.setdefault("result", Result.PASSED)
    return Registration.objects.create(
        checkpoint=checkpoint,
        jurisdiction=checkpoint.jurisdiction,
        occurred_at=moment,
        local_date=moment.astimezone(SHANGHAI).date(),
        received_at=received or moment,
        **values,
    )


def alert(village: Jurisdiction, raised: datetime, acknowledged: datetime | None = None) -> Alert:
    return Alert.objects.create(
        kind=AlertKind.FEVER,
        jurisdiction=village,
        message="体温37.8",
        raised_at=raised,
        acknowledged_at=acknowledged,
    )


def checkpoint(jurisdiction: Jurisdiction, name: str):
    return make_checkpoint(jurisdiction, name=name)


__all__ = [
    "alert",
    "at",
    "checkpoint",
    "entry_at",
    "push_list",
    "registration",
    "task",
    "timedelta",
]


def order(
    village: Jurisdiction,
    kind: str,
    start: date,
    planned_end: date,
    *,
    created: datetime,
    status: str = "active",
    ended: datetime | None = None,
    name: str = "李华",
    site=None,
):
    """An order opened through the service, its own check slots removed, then moved to the
    given dates and state."""
    from fangyi.quarantine.models import FollowUp, QuarantineOrder
    from fangyi.quarantine.testing import make_order

    made = make_order(make_person(village, name), kind, start_date=start, site=site)
    FollowUp.objects.filter(order=made).delete()
    QuarantineOrder.objects.filter(pk=made.pk).update(
        planned_end_date=planned_end, created_at=created, status=status, ended_at=ended
    )
    made.refresh_from_db()
    return made


def check(
    made_order, due: datetime, *, slot: int, status: str = "pending", checked=None, temp=None
):
    from fangyi.quarantine.models import FollowUp

    return FollowUp.objects.create(
        order=made_order,
        day=slot,
        slot=1,
        due_at=due,
        status=status,
        checked_at=checked,
        temperature=temp,
    )


def service_request(
    village: Jurisdiction,
    created: datetime,
    needed_by: datetime,
    *,
    closed: datetime | None = None,
    closing: str = "done",
    household: str = "王奶奶",
):
    """A request raised at `created`, needed by `needed_by`, closed (`closing`) at `closed`."""
    from fangyi.volunteers.models import RequestEvent, ServiceRequest
    from fangyi.volunteers.testing import make_request

    made = make_request(village, household_name=household)
    RequestEvent.objects.filter(request=made).update(at=created)
    values = {"created_at": created, "needed_by": needed_by}
    if closed:
        RequestEvent.objects.create(request=made, at=closed, actor_username="test", status=closing)
        values["status"] = closing
    ServiceRequest.objects.filter(pk=made.pk).update(**values)
    made.refresh_from_db()
    return made


def filing(village: Jurisdiction, name: str, history: list[tuple[str, datetime]]):
    """A filing of a new enterprise whose events are `history` (status, moment); the filing's
    status and decision time follow its last event."""
    from fangyi.enterprises.models import Filing, FilingEvent
    from fangyi.enterprises.testing import make_enterprise

    enterprise = make_enterprise(village, name)
    made = Filing.objects.create(enterprise=enterprise, status=history[-1][0])
    for status, moment in history:
        FilingEvent.objects.create(
            filing=made, at=moment, actor_username="test", status=status, message=status
        )
    decided = [moment for status, moment in history if status in ("approved", "rejected")]
    Filing.objects.filter(pk=made.pk).update(decided_at=decided[-1] if decided else None)
    return made


def case_with_contacts(
    village: Jurisdiction, report: date, found: datetime, *, close: int, secondary: int
):
    """A confirmed case in `village` reported on `report`, with contacts recorded at `found`."""
    from fangyi.tracing.models import Case, Contact
    from fangyi.tracing.tests.builders import make_case

    patient = make_person(village, "确诊甲")
    case = make_case(patient, report_date=report)
    Case.objects.filter(pk=case.pk).update(created_at=found)
    Contact.objects.filter(case=case).delete()
    for number in range(close + secondary):
        Contact.objects.create(
            case=case,
            person=make_person(village, f"接触{number}"),
            source=patient,
            degree="close" if number < close else "secondary",
            relation="household",
            recorded_at=found,
        )
    return case


def published_shifts(town: Jurisdiction, checkpoint_, first_day: date, shifts: list[tuple]):
    """A published roster of `town` with `shifts`: (starts, ends, needed, assigned, checked in),
    its staff made in the checkpoint's jurisdiction, assigned (and checked in) at the start."""
    from fangyi.roster.models import Assignment, Roster, Shift
    from fangyi.roster.testing import make_staff_member

    roster = Roster.objects.create(
        town=town, starts_on=first_day, days=3, status="published", published_at=shifts[0][0]
    )
    made = []
    number = 0
    for starts, ends, needed, assigned, checked_in in shifts:
        shift = Shift.objects.create(
            roster=roster, checkpoint=checkpoint_, starts_at=starts, ends_at=ends, needed=needed
        )
        for index in range(assigned):
            number += 1
            staff = make_staff_member(checkpoint_.jurisdiction, f"值班{number}")
            Assignment.objects.create(
                shift=shift,
                staff=staff,
                assigned_at=starts - timedelta(days=1),
                checked_in_at=starts + timedelta(minutes=5) if index < checked_in else None,
            )
        made.append(shift)
    return made


def _make_site(town):
    from fangyi.quarantine.testing import make_site

    return make_site(town)


def known_dataset(county, town, village_a, village_b) -> dict[str, Jurisdiction]:
    """The dataset of test_rollup_figures (its EXPECTED figures describe it), on the local days
    D1 and D2."""
    # Ledger entries (one just after local midnight: still day 1 although 16:10 UTC of the 29th).
    a1 = entry_at(village_a, at(D1, 0, 10), "甲一")
    a2 = entry_at(village_a, at(D1, 23, 50), "甲二")
    b1 = entry_at(village_b, at(D2, 9, 0), "乙一")
    # A push list: on time, late, open.
    push = push_list(town, at(D1, 8), at(D1, 18), "县推送11-30")
    task(push, a1, at(D1, 10), row=2)
    task(push, a2, at(D2, 9), row=3)
    task(push, b1, None, row=4)
    # Registrations: a vehicle with a fever, a walker persuaded back at 23:30, one sent late,
    # and one at the town's own checkpoint.
    village_gate = checkpoint(village_a, "东村村口")
    town_gate = checkpoint(town, "青山镇卡口")
    registration(village_gate, at(D1, 7), plate="湘A12345", people_count=3, fever_count=1)
    registration(
        village_gate,
        at(D1, 23, 30),
        people_count=1,
        persuaded_count=1,
        result="persuaded_back",
    )
    registration(village_gate, at(D1, 12), received=at(D2, 8), people_count=4)
    registration(
        town_gate,
        at(D2, 10),
        plate="湘B54321",
        people_count=2,
        quarantined_count=1,
        result="home_quarantine",
    )
    # A published roster of the village gate.
    published_shifts(
        town,
        village_gate,
        D1,
        [
            (at(D1, 8), at(D1, 16), 2, 2, 1),
            (at(D1, 16), at(D2, 0), 2, 1, 0),
            (at(D2, 22), at(D2 + timedelta(days=1), 6), 1, 0, 0),
        ],
    )
    # Alerts.
    alert(village_a, at(D1, 9), at(D1, 10))
    alert(village_b, at(D1, 23, 59))
    alert(village_a, at(D2, 1), at(D2, 2))
    # Quarantine orders and their checks.
    running = order(village_a, "home_quarantine", D1, D1 + timedelta(days=14), created=at(D1, 7))
    order(village_a, "home_quarantine", D1, D2, created=at(D1, 7), name="李二")
    order(
        village_a,
        "home_monitoring",
        D2,
        D2 + timedelta(days=14),
        created=at(D2, 8),
        status="hospital",
        ended=at(D2, 19),
        name="李三",
    )
    order(
        village_b,
        "centralized",
        D1,
        D2,
        created=at(D1, 7),
        status="released",
        ended=at(D2, 0, 5),
        name="赵四",
        site=_make_site(town),
    )
    check(running, at(D1, 8), slot=1, status="done", checked=at(D1, 8, 30), temp="36.5")
    check(running, at(D1, 20), slot=2)
    check(running, at(D2, 8), slot=3, status="done", checked=at(D2, 8, 10), temp="38.0")
    check(running, at(D2, 19, 30), slot=4)
    check(running, at(D2, 23), slot=5)
    # A case and its contacts.
    case_with_contacts(village_a, D2, at(D2, 9), close=2, secondary=1)
    # Service requests.
    service_request(village_a, at(D1, 9), at(D1, 12), household="甲户")
    service_request(village_a, at(D1, 10), at(D1, 18), closed=at(D2, 9), household="乙户")
    service_request(
        village_a,
        at(D2, 8),
        at(D2, 12),
        closed=at(D2, 9),
        closing="cancelled",
        household="丙户",
    )
    service_request(village_a, at(D2, 10), at(D2, 22), household="丁户")
    # Enterprise filings.
    filing(village_b, "甲厂", [("submitted", at(D1, 9)), ("approved", at(D1, 15))])
    filing(
        village_b,
        "乙厂",
        [
            ("submitted", at(D1, 10)),
            ("approved", at(D1, 16)),
            ("reopened", at(D2, 9)),
        ],
    )
    filing(village_b, "丙厂", [("submitted", at(D2, 11))])
    return {"a": village_a, "b": village_b, "town": town, "county": county}
