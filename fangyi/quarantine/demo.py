"""The quarantine part of the demo county (`fangyi seed-demo`, see fangyi/core/demo.py).

青山镇 has been running quarantine for two weeks, and the demo replays those two weeks through
the services, day by day, the way the town did them: each morning the town commander orders the
day's people (`open_orders`: their check slots, tests and a responsible team by the load rule),
the village cadre seals the door, the team records the 08:00 and 16:00 checks at the door, by
phone or through the family's self-report link, the doctor records the nucleic-acid tests, and
the sweep (`sweep_missed_checks`) flags what was left unrecorded past the grace. Who: the people
the ledger demo put in home quarantine or centralized observation (their ledger entries linked;
those a checkpoint sent there linked to that registration too), and a few low-risk returnees
verified at home, under home health monitoring. Today some orders are due for release (one
still has a missed check in the way), one centralized observation was signed off this morning
by the doctor, leaving its room at 青山宾馆 (30 rooms) to be cleaned; a few checks were missed
(two made up late, one explained), two temperatures were fevers and one check reported a cough.

The town's team needs members the demo accounts do not have: a village cadre for each of the
other villages of the small demo, a second doctor and a second police officer (the load rule
spreads the people between them). Everything is drawn from the step's own `random.Random` and
the local date of the run, so two runs on the same day give the same orders and checks.
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.checkpoints import services as checkpoint_services
from fangyi.checkpoints.models import (
    QUARANTINE_RESULTS,
    Checkpoint,
    CheckpointStatus,
    Direction,
    Passenger,
    Registration,
    Result,
)
from fangyi.core.audit import Actor
from fangyi.core.demo import (
    COUNTY_CODE,
    DEMO_PASSWORD,
    MAIN_TOWN_CODE,
    DemoContext,
    DemoStep,
    PlannedTown,
)
from fangyi.core.models import Alert, DiseaseProfile, Jurisdiction, QuarantineKind, User
from fangyi.core.roles import Role
from fangyi.core.services import create_user
from fangyi.ledger.models import LedgerEntry, RiskLevel, Status
from fangyi.quarantine import services
from fangyi.quarantine.models import (
    CheckMethod,
    FollowUp,
    NucleicAcidResult,
    NucleicAcidTest,
    ObservationSite,
    OrderReason,
    QuarantineOrder,
    Room,
    TeamAssignment,
)

SITE_NAME = "青山宾馆"
SITE_ROOMS = "101-115, 201-215"  # 30 single rooms
SITE_DETAILS = {
    "address": "示范县城青山路88号",
    "person_in_charge": "赵国平",
    "phone": "0556-5123456",
}
COMMANDER_USERNAME = "commander"
STAFF_USERNAME = "checkpoint"  # the demo's checkpoint staff (东湾村)
LEAVING_NOTE = "居家隔离期内外出买烟，已劝返并通知村里"
LAB = "示范县疾控中心实验室"

# At most this many orders of each kind per scale (the ledger has fewer at the small scale),
# and how many of each are due for release today. Centralized observation stays within the
# site's rooms, with some left free.
MAX_ORDERS = {
    "small": {
        QuarantineKind.HOME_QUARANTINE: 26,
        QuarantineKind.CENTRALIZED: 10,
        QuarantineKind.HOME_MONITORING: 6,
    },
    "town": {
        QuarantineKind.HOME_QUARANTINE: 120,
        QuarantineKind.CENTRALIZED: 24,
        QuarantineKind.HOME_MONITORING: 20,
    },
}
DUE_TODAY = {
    QuarantineKind.HOME_QUARANTINE: 3,  # one of them has a missed check left: not releasable
    QuarantineKind.CENTRALIZED: 2,  # one of them released this morning
    QuarantineKind.HOME_MONITORING: 1,
}
MISSED = 4  # left missed: the team and the town see them (one on an order due today)
MADE_UP = 2  # missed, then recorded late
EXPLAINED = 1  # missed, then explained (the person was at the health centre)
FEVER_STEPS = (Decimal("0.3"), Decimal("0.8"))  # above the profile's threshold
MARKED_DAYS = 3  # the slots marked above are on the last few days before today
RELEASE_NOTE = "期满，核酸检测均为阴性，体温正常，解除集中医学观察"
EXPLAIN_NOTE = "到镇卫生院复查，当时不在家"

# The team members the demo accounts lack: (username, role, index of the village in 青山镇 or
# None for the town, full name).
EXTRA_STAFF = (
    ("village3", Role.VILLAGE_CADRE, 2, "陈桂芳"),
    ("village4", Role.VILLAGE_CADRE, 3, "周德明"),
    ("village5", Role.VILLAGE_CADRE, 4, "徐春燕"),
    ("village6", Role.VILLAGE_CADRE, 5, "马国栋"),
    ("doctor2", Role.DOCTOR, None, "林志强"),
)

# How each measure's checks are made (method, weight).
_METHODS = {
    QuarantineKind.HOME_QUARANTINE: (
        (CheckMethod.DOOR, 60),
        (CheckMethod.PHONE, 25),
        (CheckMethod.SELF_REPORT, 15),
    ),
    QuarantineKind.CENTRALIZED: ((CheckMethod.DOOR, 100),),
    QuarantineKind.HOME_MONITORING: ((CheckMethod.PHONE, 70), (CheckMethod.SELF_REPORT, 30)),
}
_REPORTERS = ("本人", "本人", "家属", "母亲", "爱人")
_NOTES = ("", "", "", "", "", "精神状态良好", "已提醒勿外出", "生活物资已送达")


@dataclass
class _Plan:
    """One order to open: who, which measure, from which day, and what the demo does to it."""

    entry: LedgerEntry
    kind: str
    start: date
    opened_at: datetime
    reason: str = OrderReason.LEDGER
    registration: Registration | None = None
    room: Room | None = None
    order: QuarantineOrder | None = None
    team: dict[str, User] = field(default_factory=dict)
    marks: dict[tuple[int, int], str] = field(default_factory=dict)  # (day, slot) → what


def seed_quarantine(ctx: DemoContext) -> None:
    rng = ctx.rng("quarantine")
    now = timezone.now()
    today = timezone.localdate(now)
    profile = DiseaseProfile.current()
    town_plan = next(t for t in ctx.towns if t.code == MAIN_TOWN_CODE)
    _add_team_members(town_plan)
    commander = Actor(user=User.objects.get(username=COMMANDER_USERNAME), label="demo")
    town = Jurisdiction.objects.get(code=MAIN_TOWN_CODE)
    site = services.create_site(commander, town, name=SITE_NAME, rooms=SITE_ROOMS, **SITE_DETAILS)
    plans = _plan_orders(rng, ctx.scale, profile, today, now)
    rooms = list(site.rooms.order_by("number"))
    for plan, room in zip(
        (p for p in plans if p.kind == QuarantineKind.CENTRALIZED),
        rng.sample(rooms, len(rooms)),
        strict=False,
    ):
        plan.room = room
    released = _mark_slots(rng, plans, profile, today)

    replay = _Replay(rng, commander, profile, now)
    first_day = min(p.start for p in plans)
    for number, day in enumerate(_days(first_day, today), start=1):
        replay.day(day, [p for p in plans if p.start == day], site)
        ctx.progress(_("quarantine days"), number, (today - first_day).days + 1)

    # This morning: the sweep, the explanation of a missed check, the doctor's sign-off.
    services.sweep_missed_checks(now=now)
    for plan in plans:
        for (day, slot), what in plan.marks.items():
            if what == "explained":
                check = plan.order.checks.get(day=day, slot=slot)
                services.explain_check(_member(plan, Role.VILLAGE_CADRE), check, EXPLAIN_NOTE)
    services.release_order(_member(released, Role.DOCTOR), released.order, note=RELEASE_NOTE)
    _try_to_leave(rng, plans, commander, now)
    ctx.counts["quarantine_orders"] = len(plans)
    ctx.counts["quarantine_checks"] = replay.recorded
    ctx.counts["observation_sites"] = 1


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _add_team_members(town: PlannedTown) -> None:
    for username, role, village_index, full_name in EXTRA_STAFF:
        if village_index is None:
            code = town.code
        elif village_index < len(town.villages):
            code = town.villages[village_index].code
        else:
            continue
        create_user(
            username,
            DEMO_PASSWORD,
            role=role,
            jurisdiction=Jurisdiction.objects.get(code=code),
            full_name=full_name,
        )


# Who is ordered, when ----------------------------------------------------------------------


def _plan_orders(
    rng: random.Random, scale: str, profile: DiseaseProfile, today: date, now: datetime
) -> list[_Plan]:
    """Those a checkpoint sent to quarantine (from the day of their registration), then the
    ledger's people in home quarantine and centralized observation, then low-risk returnees
    verified at home (home health monitoring), each kind up to its maximum."""
    limits = dict(MAX_ORDERS[scale])
    plans: list[_Plan] = []
    people: set[int] = set()

    def take(entry: LedgerEntry, kind: str) -> bool:
        if limits[kind] <= 0 or entry.person_id in people:
            return False
        limits[kind] -= 1
        people.add(entry.person_id)
        return True

    sent = (
        Passenger.objects.filter(
            result__in=QUARANTINE_RESULTS,
            ledger_entry__in=LedgerEntry.objects.within(MAIN_TOWN_CODE),
        )
        .select_related("ledger_entry__person", "registration__checkpoint")
        .order_by("registration__occurred_at", "pk")
    )
    for passenger in sent:
        entry = passenger.ledger_entry
        registered = passenger.registration.occurred_at
        start = timezone.localdate(registered)
        if (today - start).days >= profile.days_for(passenger.result) or not take(
            entry, passenger.result
        ):
            continue
        # Ordered within the hour or so, on the day of the registration.
        opened = min(
            registered + timedelta(minutes=rng.randint(40, 90)), _local(start, time(23, 59))
        )
        opened = min(max(opened, registered), now)
        plans.append(
            _Plan(
                entry,
                passenger.result,
                start,
                opened,
                OrderReason.REGISTRATION,
                passenger.registration,
            )
        )

    kinds = {
        Status.HOME_QUARANTINE: QuarantineKind.HOME_QUARANTINE,
        Status.CENTRALIZED: QuarantineKind.CENTRALIZED,
    }
    ledger = (
        LedgerEntry.objects.within(MAIN_TOWN_CODE)
        .filter(status__in=list(kinds))
        .select_related("person")
        .order_by("pk")
    )
    chosen = [(e, kinds[e.status]) for e in ledger if take(e, kinds[e.status])]
    monitored = list(
        LedgerEntry.objects.within(MAIN_TOWN_CODE)
        .filter(status=Status.VERIFIED_HOME, risk_level=RiskLevel.LOW)
        .select_related("person")
        .order_by("pk")
    )
    for entry in rng.sample(monitored, len(monitored)):
        if take(entry, QuarantineKind.HOME_MONITORING):
            chosen.append((entry, QuarantineKind.HOME_MONITORING))
    # Each kind: the first few began exactly their length ago (due today), the rest on other
    # days of their period; a day's orders are made together in the morning.
    due = dict(DUE_TODAY)
    morning = {}
    for entry, kind in chosen:
        days = profile.days_for(kind)
        if due.get(kind, 0) > 0:
            due[kind] -= 1
            ago = days
        else:
            ago = min(rng.randrange(days), rng.randrange(days))  # more of them lately
        start = today - timedelta(days=ago)
        if start not in morning:
            planned = _local(start, time(7, rng.randrange(60)))
            morning[start] = max(min(planned, now - timedelta(minutes=1)), _local(start, time()))
        plans.append(_Plan(entry, kind, start, morning[start]))
    return plans


def _local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def _mark_slots(
    rng: random.Random, plans: list[_Plan], profile: DiseaseProfile, today: date
) -> _Plan:
    """Choose the slots the team misses, makes up, explains, and the fevers and the cough;
    return the order the doctor releases this morning (centralized, due today, all clean)."""
    ordered = sorted(plans, key=lambda p: (p.start, p.entry.pk))
    days = profile.days_for
    due = [p for p in ordered if (today - p.start).days == days(p.kind)]
    released = next(p for p in due if p.kind == QuarantineKind.CENTRALIZED)
    blocked = next(p for p in due if p.kind == QuarantineKind.HOME_QUARANTINE)
    times = profile.check_times_of_day()

    def recent_slot(plan: _Plan) -> tuple[int, int]:
        """A slot on one of the last days before today, within the plan's period."""
        last = min(today - timedelta(days=1), plan.start + timedelta(days=days(plan.kind) - 1))
        first = max(plan.start + timedelta(days=1), today - timedelta(days=MARKED_DAYS))
        on = first + timedelta(days=rng.randrange((last - first).days + 1))
        return (on - plan.start).days + 1, rng.randrange(len(times)) + 1

    blocked.marks[recent_slot(blocked)] = "missed"
    # Others started at least two days ago and are not due today.
    others = [p for p in ordered if p not in due and (today - p.start).days >= 2]
    picked = rng.sample(others, MISSED - 1 + MADE_UP + EXPLAINED + len(FEVER_STEPS) + 1)
    what = (
        ["missed"] * (MISSED - 1)
        + ["made_up"] * MADE_UP
        + ["explained"] * EXPLAINED
        + [f"fever:{step}" for step in FEVER_STEPS]
        + ["cough"]
    )
    for plan, mark in zip(picked, what, strict=True):
        plan.marks[recent_slot(plan)] = mark
    return released


# The replay -------------------------------------------------------------------------------


def _member(plan: _Plan, *roles: str) -> Actor:
    """The team member who acts, by the first of `roles` the team has (a gap: the commander)."""
    for role in (*roles, Role.TOWN_CADRE, Role.DOCTOR):
        if role in plan.team:
            return Actor(user=plan.team[role], label="demo")
    raise RuntimeError(f"the order of {plan.entry.person} has no team")


class _Replay:
    """Day after day: the morning's orders, then the checks, sweeps and tests in time order."""

    def __init__(
        self, rng: random.Random, commander: Actor, profile: DiseaseProfile, now: datetime
    ):
        self.rng, self.commander, self.profile, self.now = rng, commander, profile, now
        self.grace = timedelta(minutes=profile.missed_check_grace_minutes)
        self.symptom = "干咳" if "干咳" in profile.symptoms else profile.symptoms[0]
        self.running: list[_Plan] = []
        self.recorded = 0

    def day(self, day: date, starting: list[_Plan], site: ObservationSite) -> None:
        for opened_at in sorted({p.opened_at for p in starting}):
            self.open([p for p in starting if p.opened_at == opened_at], opened_at, site)
        self.running = [p for p in self.running if p.order.planned_end_date > day]
        by_order = {p.order.pk: p for p in self.running}
        events: list[tuple[datetime, int, Callable[[], None]]] = []
        start, end = _local(day, time()), _local(day + timedelta(days=1), time())
        checks = FollowUp.objects.filter(
            order_id__in=list(by_order), due_at__gte=start, due_at__lt=end
        ).order_by("due_at", "order_id")
        for check in checks:
            self.plan_check(events, by_order[check.order_id], check)
        for due in sorted({c.due_at for c in checks}):
            sweep_at = due + self.grace + timedelta(minutes=1)
            if sweep_at < self.now:
                events.append((sweep_at, 0, lambda at=sweep_at: services.sweep_missed_checks(at)))
        tests = NucleicAcidTest.objects.filter(order_id__in=list(by_order))
        for test in tests:
            plan = by_order[test.order_id]
            if plan.start + timedelta(days=test.day - 1) == day:
                self.plan_test(events, plan, test, day)
        for _at, _order, action in sorted(events, key=lambda e: (e[0], e[1])):
            action()

    def open(self, plans: list[_Plan], at: datetime, site: ObservationSite) -> None:
        requests = [
            services.OrderRequest(
                person=plan.entry.person,
                kind=plan.kind,
                reason=plan.reason,
                start_date=plan.start,
                reason_note=_reason_note(plan),
                ledger_entry=plan.entry,
                registration=plan.registration,
                site=site if plan.kind == QuarantineKind.CENTRALIZED else None,
                room=plan.room,
            )
            for plan in plans
        ]
        orders = services.open_orders(self.commander, requests, now=at)
        teams = defaultdict(dict)
        current = TeamAssignment.objects.current().filter(order__in=orders).select_related("member")
        for assignment in current:
            teams[assignment.order_id][assignment.role] = assignment.member
        for plan, order in zip(plans, orders, strict=True):
            plan.order = order
            plan.team = teams[order.pk]
            self.running.append(plan)
            if plan.kind == QuarantineKind.HOME_QUARANTINE and self.rng.random() < 0.9:
                sealed_at = min(at + timedelta(minutes=self.rng.randint(30, 150)), self.now)
                services.set_door_seal(
                    _member(plan, Role.VILLAGE_CADRE), order, True, now=sealed_at
                )

    def plan_check(self, events: list, plan: _Plan, check: FollowUp) -> None:
        mark = plan.marks.get((check.day, check.slot), "")
        if mark in ("missed", "explained"):
            return  # left for the sweep
        if mark == "made_up":
            at = check.due_at + self.grace + timedelta(minutes=self.rng.randint(60, 240))
            method = CheckMethod.PHONE
        else:
            at = check.due_at + timedelta(minutes=self.rng.randint(-25, 50))
            method = _choose(self.rng, _METHODS[plan.kind])
        at = max(at, plan.order.created_at + timedelta(minutes=5))
        if mark != "made_up":
            # A slot the order was made just before the end of the grace of is recorded in
            # time (its slot exists because it still could be), never late by accident.
            at = min(at, check.due_at + self.grace)
        if at >= self.now:
            return  # not yet: due now, or later today
        temperature = f"{self.rng.randint(360, 370) / 10:.1f}"
        symptoms = []
        if mark.startswith("fever:"):
            temperature = str(self.profile.fever_threshold + Decimal(mark.split(":")[1]))
        elif mark == "cough":
            temperature, symptoms = "36.9", [self.symptom]
        note = "补测：上午未联系上" if mark == "made_up" else self.rng.choice(_NOTES)

        def record() -> None:
            if method == CheckMethod.SELF_REPORT:
                services.submit_self_report(
                    plan.order.self_report_token,
                    temperature=temperature,
                    symptoms=symptoms,
                    reported_by=self.rng.choice(_REPORTERS),
                    now=at,
                )
            else:
                roles = (Role.DOCTOR,) if method == CheckMethod.PHONE else (Role.VILLAGE_CADRE,)
                if plan.kind == QuarantineKind.CENTRALIZED:
                    roles = (Role.DOCTOR,)  # the site's medical staff
                services.record_check(
                    _member(plan, *roles),
                    check,
                    temperature=temperature,
                    symptoms=symptoms,
                    method=method,
                    note=note,
                    now=at,
                )
            self.recorded += 1

        events.append((at, 1, record))

    def plan_test(self, events: list, plan: _Plan, test: NucleicAcidTest, day: date) -> None:
        sampled = _local(day, time(9, 30)) + timedelta(minutes=self.rng.randrange(90))
        # An order made late in the day is sampled soon after, still on its first day.
        sampled = max(sampled, plan.order.created_at + timedelta(minutes=30))
        sampled = min(sampled, max(_local(day, time(23, 59)), plan.order.created_at))
        result_at = sampled + timedelta(hours=self.rng.randint(4, 8))
        if sampled >= self.now:
            return
        doctor = _member(plan, Role.DOCTOR)

        def record() -> None:
            if result_at < self.now:
                services.record_test(
                    doctor,
                    test,
                    result=NucleicAcidResult.NEGATIVE,
                    sampled_at=sampled,
                    lab=LAB,
                    now=result_at,
                )
            else:
                services.record_test(
                    doctor, test, result=NucleicAcidResult.SAMPLED, sampled_at=sampled, lab=LAB,
                    now=sampled,
                )  # fmt: skip

        events.append((sampled, 2, record))


def _try_to_leave(rng: random.Random, plans: list[_Plan], commander: Actor, now: datetime) -> None:
    """Half an hour ago someone under home quarantine tried to go out through their village's
    checkpoint: persuaded back, and the checkpoint's rule alerted the town."""
    staff = User.objects.filter(username=STAFF_USERNAME).first()
    home = [
        p
        for p in plans
        if p.kind == QuarantineKind.HOME_QUARANTINE
        and not p.marks
        and p.order.planned_end_date > timezone.localdate(now)
    ]
    local = [p for p in home if staff and p.order.jurisdiction_id.startswith(staff.jurisdiction_id)]
    plan = rng.choice(local or home)
    open_points = Checkpoint.objects.filter(status=CheckpointStatus.OPEN).order_by("code")
    checkpoint = (
        open_points.filter(jurisdiction_id=plan.order.jurisdiction_id[:12]).first()
        or open_points.filter(jurisdiction_id=MAIN_TOWN_CODE).first()
    )
    if checkpoint is None:
        return
    is_staffs = staff is not None and checkpoint.jurisdiction_id == staff.jurisdiction_id
    outcome = checkpoint_services.record_registration(
        Actor(user=staff, label="demo") if is_staffs else commander,
        {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "checkpoint": checkpoint.code,
            "occurred_at": (now - timedelta(minutes=30)).replace(microsecond=0).isoformat(),
            "direction": Direction.OUT,
            "result": Result.PERSUADED_BACK,
            "to_place": "青山镇",
            "reason": "买东西",
            "notes": LEAVING_NOTE,
            "passengers": [
                {"person_id": str(plan.entry.person.external_id), "temperature": "36.6"}
            ],
        },
    )
    if not outcome.stored:
        raise RuntimeError(f"demo registration rejected: {outcome.as_json()}")


def _choose(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _reason_note(plan: _Plan) -> str:
    entry = plan.entry
    if plan.registration is not None:
        return f"{plan.registration.checkpoint.name}登记：{entry.source_area or '外地'}返回"
    if plan.kind == QuarantineKind.CENTRALIZED:
        return f"{entry.source_area or '外地'}返回，无独立居住条件"
    if plan.kind == QuarantineKind.HOME_MONITORING:
        return f"{entry.source_area or '外地'}返回，低风险，居家健康监测"
    return f"{entry.source_area or '外地'}返回，居家隔离"


# Reset ---------------------------------------------------------------------------------------


def reset_quarantine() -> int:
    """The demo county's orders (with their checks, tests, teams and history), the alerts
    they raised, and its observation sites with their rooms."""
    orders = QuarantineOrder.objects.within(COUNTY_CODE)
    links = [services.order_link(o) for o in orders.only("external_id")]
    deleted = Alert.objects.within(COUNTY_CODE).filter(link__in=links).delete()[0]
    deleted += orders.delete()[0]
    deleted += ObservationSite.objects.within(COUNTY_CODE).delete()[0]
    return deleted


QUARANTINE_STEP = DemoStep("quarantine", seed_quarantine, reset_quarantine)


def register_demo_step() -> None:
    """Called from QuarantineConfig.ready(): seeded after the checkpoints (whose quarantine
    results it orders) and before tracing (whose contacts go to its site); reset in reverse."""
    from fangyi.core import demo

    names = [step.name for step in demo.STEPS]
    if QUARANTINE_STEP.name not in names:
        before = names.index("tracing") if "tracing" in names else len(names)
        demo.STEPS.insert(before, QUARANTINE_STEP)
