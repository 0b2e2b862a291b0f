"""Every write the quarantine app does: ordering, teams, checks, tests, release, sites and rooms.
Pages, API, CLI and the demo call these; each owns its transaction and writes the order's
events (OrderEvent), so the order detail's timeline is the record."""

import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core import crypto
from fangyi.core.audit import Actor
from fangyi.core.bulk import DbValues, insert_rows
from fangyi.core.models import (
    AlertKind,
    DiseaseProfile,
    Jurisdiction,
    Person,
    QuarantineKind,
    User,
)
from fangyi.core.roles import Role
from fangyi.core.services import raise_alert
from fangyi.core.temperature import TemperatureError, parse_temperature
from fangyi.quarantine.models import (
    RUNNING,
    SELF_REPORT_CONTEXT,
    CheckMethod,
    CheckStatus,
    FollowUp,
    NucleicAcidResult,
    NucleicAcidTest,
    ObservationSite,
    OrderEvent,
    OrderEventKind,
    OrderReason,
    OrderStatus,
    QuarantineOrder,
    Room,
    RoomStatus,
    TeamAssignment,
)

# A check can be recorded from this long before it is due (a 07:30 visit for the 08:00 check).
CHECK_OPENS_BEFORE = timedelta(hours=2)
MAX_EXTENSION_DAYS = 30
# How far back an order may start (a contact's period counts from the last exposure).
MAX_BACKDATE_DAYS = 21

# The ledger status an order's measure puts the person's entry in.
LEDGER_STATUS_FOR_KIND = {
    QuarantineKind.HOME_QUARANTINE: "home_quarantine",
    QuarantineKind.CENTRALIZED: "centralized",
}


def local_today() -> date:
    return timezone.localdate()


def _require(actor: Actor, perm: str, message: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(message)


def _check_in_scope(actor: Actor, jurisdiction_code: str) -> None:
    user = actor.user
    if user is None or (user.is_superuser and user.jurisdiction_id is None):
        return
    if not user.jurisdiction_id or not jurisdiction_code.startswith(user.jurisdiction_id):
        raise PermissionDenied(_("this is outside your jurisdiction"))


def _event(
    actor: Actor, order: QuarantineOrder, kind: str, /, *, at: datetime | None = None, **details
) -> OrderEvent:
    return OrderEvent.objects.create(
        order=order,
        actor=actor.user,
        actor_username=actor.username,
        kind=kind,
        at=at or timezone.now(),
        details=details,
    )


def _locked_running(actor: Actor, order: QuarantineOrder) -> QuarantineOrder:
    """The order re-read under a row lock (the caller's instance may be stale), in the actor's
    jurisdiction and still running."""
    order = QuarantineOrder.objects.select_for_update().select_related("person").get(pk=order.pk)
    _check_in_scope(actor, order.jurisdiction_id)
    if not order.is_running:
        raise ValidationError(
            {"order": _("this order is %(status)s") % {"status": order.get_status_display()}}
        )
    return order


def order_link(order: QuarantineOrder) -> str:
    return reverse("quarantine:order", kwargs={"external_id": order.external_id})


def slot_label(check: FollowUp) -> str:
    """ "day 3, check 2 (16:00)" in the active language."""
    return _("day %(day)s, check %(slot)s (%(time)s)") % {
        "day": check.day,
        "slot": check.slot,
        "time": timezone.localtime(check.due_at).strftime("%H:%M"),
    }


# Ordering ------------------------------------------------------------------------------------


@dataclass
class OrderRequest:
    """What it takes to put one person under one measure (see open_orders)."""

    person: Person
    kind: str
    reason: str
    start_date: date | None = None
    reason_note: str = ""
    ledger_entry: object | None = None  # ledger.LedgerEntry
    registration: object | None = None  # checkpoints.Registration
    address: str = ""
    site: ObservationSite | None = None
    room: Room | None = None
    jurisdiction: Jurisdiction | None = None
    team: dict[str, User] | None = None  # role -> member; missing roles: the load rule
    previous: QuarantineOrder | None = None
    door_sealed: bool = False  # a door seal / magnet fitted when the order is made
    days: int | None = None  # default: the profile's length for the kind
    problems: dict[str, str] = field(default_factory=dict, repr=False)


def _validate_request(
    request: OrderRequest, profile: DiseaseProfile, today: date, running: dict[int, QuarantineOrder]
) -> None:
    problems = request.problems
    if request.kind not in QuarantineKind.values:
        problems["kind"] = _("choose a measure")
        return
    if request.reason not in OrderReason.values:
        problems["reason"] = _("choose why the person is put under quarantine")
    existing = running.get(request.person.pk)
    if existing is not None and existing != request.previous:
        problems["person"] = _(
            "%(name)s is already under %(kind)s until %(end)s: extend or change that order"
        ) % {
            "name": request.person.name,
            "kind": existing.get_kind_display(),
            "end": existing.planned_end_date.isoformat(),
        }
    start = request.start_date or today
    if start > today:
        problems["start_date"] = _("an order cannot start in the future")
    elif (today - start).days > MAX_BACKDATE_DAYS:
        problems["start_date"] = _("an order can start at most %(days)s days ago") % {
            "days": MAX_BACKDATE_DAYS
        }
    days = request.days or profile.days_for(request.kind)
    if start + timedelta(days=days) <= today and "start_date" not in problems:
        problems["start_date"] = _("that period is already over")
    if request.kind == QuarantineKind.CENTRALIZED:
        if request.site is None:
            problems["site"] = _("choose the observation site")
        elif request.room is not None and request.room.site_id != request.site.pk:
            problems["room"] = _("room %(room)s is not at %(site)s") % {
                "room": request.room.number,
                "site": request.site.name,
            }
    else:
        if request.room is not None:
            problems["room"] = _("only centralized observation takes a room")
        if not (
            request.address or request.person.current_address or request.person.household_address
        ):
            problems["address"] = _("give the address where the person stays")


def _check_hand_picked(request: OrderRequest, profile: DiseaseProfile) -> None:
    """A member chosen by hand must hold that role and work in or above the order's village."""
    jurisdiction = request.jurisdiction
    for role, member in (request.team or {}).items():
        problem = _member_problem(member, role, jurisdiction.code if jurisdiction else "")
        if problem:
            request.problems[f"team.{role}"] = problem


def _member_problem(member: User, role: str, jurisdiction_code: str) -> str:
    name = member.full_name or member.username
    if role not in Role.values or member.role != role:
        return _("%(name)s is not a %(role)s") % {
            "name": name,
            "role": Role(role).label if role in Role.values else role,
        }
    if not member.is_active or not _covers(member, jurisdiction_code):
        return _("%(name)s does not work in this village") % {"name": name}
    return ""


@transaction.atomic
def open_orders(
    actor: Actor,
    requests: list[OrderRequest],
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> list[QuarantineOrder]:
    """Put people under quarantine: one order each, with its check slots, its planned tests and
    its responsible team, and the ledger entry's status. All or nothing: any problem raises one
    ValidationError whose keys are "<index>.<field>" when there are several requests, the
    field alone for one. `now` (default: the clock) is when the order is made."""
    _require(actor, "quarantine.add_quarantineorder", _("your role may not order quarantine"))
    now = now or timezone.now()
    return _create_orders(actor, requests, today or timezone.localdate(now), now)


def _create_orders(
    actor: Actor, requests: list[OrderRequest], today: date, now: datetime
) -> list[QuarantineOrder]:
    profile = DiseaseProfile.current()
    people = [r.person.pk for r in requests]
    if len(set(people)) != len(people):
        raise ValidationError({"person": _("the same person is listed twice")})
    running = {
        o.person_id: o
        for o in QuarantineOrder.objects.select_for_update().filter(
            person_id__in=people, status__in=RUNNING
        )
    }
    for request in requests:
        request.problems = {}
        _validate_request(request, profile, today, running)
        jurisdiction = request.jurisdiction or request.person.jurisdiction
        request.jurisdiction = jurisdiction
        if jurisdiction is None:
            request.problems["jurisdiction"] = _("the person has no village: choose one")
        else:
            try:
                _check_in_scope(actor, jurisdiction.code)
            except PermissionDenied as denied:
                request.problems["jurisdiction"] = str(denied)
        if request.site is not None:
            try:
                _check_in_scope(actor, request.site.town_id)
            except PermissionDenied as denied:
                request.problems["site"] = str(denied)
        _check_hand_picked(request, profile)
    _raise_problems(requests)
    orders = []
    for request in requests:
        start = request.start_date or today
        days = request.days or profile.days_for(request.kind)
        orders.append(
            QuarantineOrder(
                person=request.person,
                jurisdiction=request.jurisdiction,
                kind=request.kind,
                reason=request.reason,
                reason_note=request.reason_note[:300],
                ledger_entry=request.ledger_entry,
                registration=request.registration,
                previous=request.previous,
                start_date=start,
                planned_end_date=start + timedelta(days=days),
                address=(
                    request.address
                    or (
                        ""
                        if request.kind == QuarantineKind.CENTRALIZED
                        else request.person.current_address or request.person.household_address
                    )
                )[:200],
                site=request.site,
                door_sealed=request.door_sealed,
                door_sealed_by=actor.user if request.door_sealed else None,
                door_sealed_at=now if request.door_sealed else None,
                created_by=actor.user,
                created_at=now,
                **_new_link_fields(),
            )
        )
    try:
        with transaction.atomic():
            QuarantineOrder.objects.bulk_create(orders)
    except IntegrityError:
        # Another cadre ordered one of these people a moment ago.
        raise ValidationError(
            {"person": _("one of these people was put under quarantine meanwhile: reload")}
        ) from None
    if not all(o.pk for o in orders):  # SQLite before 3.35 returns no ids
        by_link = {
            o.self_report_index: o.pk
            for o in QuarantineOrder.objects.filter(
                self_report_index__in=[o.self_report_index for o in orders]
            ).only("pk", "self_report_index")
        }
        for order in orders:
            order.pk = by_link[order.self_report_index]
    # ~28 slots an order: written as plain rows (COPY on PostgreSQL), not model instances,
    # so a batch of 1,000 orders stays quick (decision 25; bench/quarantine_scale.py).
    db = DbValues()
    no_symptoms = db.json([])
    insert_rows(
        FollowUp,
        FOLLOW_UP_COLUMNS,
        (
            (
                order.pk,
                day,
                slot,
                db.datetime(due),
                CheckStatus.PENDING,
                no_symptoms,
                "",
                "",
                False,
                "",
            )
            for order in orders
            for day, slot, due in _slot_times(order, profile, 1, order.days, now)
        ),
    )
    insert_rows(
        NucleicAcidTest,
        ("order_id", "day", "result", "lab"),
        (
            (test.order.pk, test.day, NucleicAcidResult.PLANNED, "")
            for order in orders
            for test in _tests(order, profile, 1, order.days, today)
        ),
    )
    for index, (order, request) in enumerate(zip(orders, requests, strict=True)):
        if request.room is not None:
            try:
                _occupy(order, request.room)
            except ValidationError as error:
                if len(requests) == 1:
                    raise
                raise ValidationError(
                    {f"{index}.{key}": messages for key, messages in error.message_dict.items()}
                ) from None
    _assign_teams(actor, orders, [r.team or {} for r in requests], profile, now)
    insert_rows(
        OrderEvent,
        ("order_id", "at", "actor_id", "actor_username", "kind", "details"),
        (
            (
                order.pk,
                db.datetime(now),
                actor.user.pk if actor.user else None,
                actor.username,
                OrderEventKind.CREATED,
                db.json(
                    {
                        "kind": order.kind,
                        "start": order.start_date.isoformat(),
                        "end": order.planned_end_date.isoformat(),
                        "reason": order.reason,
                        "note": order.reason_note,
                    }
                ),
            )
            for order in orders
        ),
    )
    _update_ledger(actor, orders)
    return orders


def open_order(
    actor: Actor,
    request: OrderRequest,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> QuarantineOrder:
    return open_orders(actor, [request], today=today, now=now)[0]


def _raise_problems(requests: list[OrderRequest]) -> None:
    if len(requests) == 1:
        if requests[0].problems:
            raise ValidationError(requests[0].problems)
        return
    problems = {
        f"{i}.{key}": message
        for i, request in enumerate(requests)
        for key, message in request.problems.items()
    }
    if problems:
        raise ValidationError(problems)


def _new_link_fields() -> dict:
    token = secrets.token_urlsafe(18)  # 144 bits: not guessable
    return {
        "self_report_cipher": crypto.encrypt(token, SELF_REPORT_CONTEXT),
        "self_report_index": crypto.blind_index(token, SELF_REPORT_CONTEXT),
    }


# The columns of a new, unrecorded check slot (nullable ones left out are NULL).
FOLLOW_UP_COLUMNS = (
    "order_id",
    "day",
    "slot",
    "due_at",
    "status",
    "symptoms",
    "method",
    "reported_by",
    "late",
    "note",
)


def _slot_times(
    order: QuarantineOrder, profile: DiseaseProfile, first_day: int, last_day: int, now: datetime
) -> Iterator[tuple[int, int, datetime]]:
    """(day, slot, due) of the check slots for days first_day..last_day at the profile's
    times. Slots already past their grace when the order is made are not generated: nobody
    could have made them."""
    grace = timedelta(minutes=profile.missed_check_grace_minutes)
    tz = timezone.get_current_timezone()
    times = profile.check_times_of_day()
    for day in range(first_day, last_day + 1):
        on = order.start_date + timedelta(days=day - 1)
        for slot, at in enumerate(times, start=1):
            due = datetime.combine(on, at, tzinfo=tz)
            if due + grace >= now:
                yield day, slot, due


def _tests(
    order: QuarantineOrder, profile: DiseaseProfile, first_day: int, last_day: int, today: date
) -> list[NucleicAcidTest]:
    """The profile's test days within first_day..last_day, except days already past (a
    backdated order cannot be sampled yesterday)."""
    first_day = max(first_day, order.day_number(today))
    return [
        NucleicAcidTest(order=order, day=day)
        for day in sorted(set(profile.test_days))
        if first_day <= day <= last_day
    ]


def _update_ledger(actor: Actor, orders: Iterable[QuarantineOrder]) -> None:
    from fangyi.ledger import services as ledger_services

    for order in orders:
        status = LEDGER_STATUS_FOR_KIND.get(order.kind)
        if order.ledger_entry is not None and status and order.ledger_entry.status != status:
            ledger_services.record_from_rule(
                actor,
                order.person,
                order.ledger_entry.category,
                order.ledger_entry.jurisdiction,
                status=status,
                proposed_measure=order.kind,
            )


# Teams ---------------------------------------------------------------------------------------


def _covers(user: User, jurisdiction_code: str) -> bool:
    return bool(user.jurisdiction_id) and jurisdiction_code.startswith(user.jurisdiction_id)


def _assign_teams(
    actor: Actor,
    orders: list[QuarantineOrder],
    chosen: list[dict[str, User]],
    profile: DiseaseProfile,
    now: datetime,
) -> None:
    """The team rule (四对一): for each of the profile's roles not chosen by hand, among the
    members of that role working closest to the order's village (the village itself before the
    town), the one with the fewest current assignments on running orders (ties: the earliest
    account), counting this batch as it goes, so a batch is spread evenly (decision 26)."""
    roles = list(profile.team_roles)
    prefixes = {code[:n] for o in orders for code in [o.jurisdiction_id] for n in (6, 9, 12, 15)}
    candidates = list(
        User.objects.filter(role__in=roles, is_active=True, jurisdiction_id__in=prefixes).order_by(
            "pk"
        )
    )
    load = defaultdict(int)
    for row in (
        TeamAssignment.objects.current()
        .filter(member__in=candidates, order__status__in=RUNNING)
        .values("member_id")
        .annotate(n=Count("id"))
    ):
        load[row["member_id"]] = row["n"]
    # Members by (role, the jurisdiction they work in): an order's pool is looked up per level.
    by_place = defaultdict(list)
    for user in candidates:
        by_place[user.role, user.jurisdiction_id].append(user)
    rows = []
    at = DbValues().datetime(now)
    assigned_by = actor.user.pk if actor.user else None
    for order, hand_picked in zip(orders, chosen, strict=True):
        # A member picked by hand in a role outside the profile's (a volunteer) is kept too.
        for role in roles + [r for r in hand_picked if r not in roles]:
            member = hand_picked.get(role)
            if member is None:
                # The most local level that has anyone (a village cadre of this village
                # before a town's), then the least loaded there.
                code = order.jurisdiction_id
                pool = next(
                    (
                        by_place[role, code[:n]]
                        for n in (15, 12, 9, 6)
                        if n <= len(code) and by_place[role, code[:n]]
                    ),
                    None,
                )
                if not pool:
                    continue  # shown on the order as a gap to fill by hand
                member = min(pool, key=lambda u: (load[u.pk], u.pk))
            load[member.pk] += 1
            rows.append((order.pk, role, member.pk, at, assigned_by))
    insert_rows(
        TeamAssignment, ("order_id", "role", "member_id", "assigned_at", "assigned_by_id"), rows
    )


@transaction.atomic
def reassign_member(
    actor: Actor, order: QuarantineOrder, role: str, member: User
) -> TeamAssignment:
    """Put `member` on the order's team in `role` (ending whoever held it)."""
    _require(actor, "quarantine.change_quarantineorder", _("your role may not change teams"))
    order = _locked_running(actor, order)
    problem = _member_problem(member, role, order.jurisdiction_id)
    if problem:
        raise ValidationError({"member": problem})
    current = TeamAssignment.objects.current().filter(order=order, role=role).first()
    if current is not None and current.member_id == member.pk:
        return current
    before = ""
    if current is not None:
        before = current.member.full_name or current.member.username
        current.ended_at = timezone.now()
        current.save(update_fields=["ended_at"])
    assignment = TeamAssignment.objects.create(
        order=order, role=role, member=member, assigned_by=actor.user
    )
    _event(
        actor,
        order,
        OrderEventKind.TEAM,
        role=role,
        before=before,
        after=member.full_name or member.username,
    )
    return assignment


# Checks --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    check: FollowUp
    duplicate: bool = False


def _check_symptoms(symptoms: object, profile: DiseaseProfile) -> list[str]:
    if symptoms in (None, ""):
        return []
    if isinstance(symptoms, str):
        symptoms = [s for s in symptoms.replace("，", ",").split(",") if s.strip()]
    if not isinstance(symptoms, list):
        raise ValidationError({"symptoms": _("symptoms are a list")})
    names = [str(s).strip() for s in symptoms]
    unknown = [s for s in names if s not in profile.symptoms]
    if unknown:
        raise ValidationError(
            {
                "symptoms": _("unknown symptom %(names)s: choose from %(known)s")
                % {
                    "names": "、".join(unknown),
                    "known": "、".join(profile.symptoms),
                }
            }
        )
    return list(dict.fromkeys(names))


def _refuse_unrecordable(check: FollowUp, order: QuarantineOrder, now: datetime) -> None:
    if not order.is_running:
        raise ValidationError(
            {
                "order": _("this order ended on %(day)s (%(status)s): no more checks are recorded")
                % {
                    "day": timezone.localtime(order.ended_at).date().isoformat()
                    if order.ended_at
                    else "",
                    "status": order.get_status_display(),
                }
            }
        )
    if check.due_at - CHECK_OPENS_BEFORE > now:
        raise ValidationError(
            {
                "check": _("%(slot)s is not due yet: it can be recorded from %(from)s")
                % {
                    "slot": slot_label(check),
                    "from": timezone.localtime(check.due_at - CHECK_OPENS_BEFORE).strftime(
                        "%m-%d %H:%M"
                    ),
                }
            }
        )
    if check.status not in (CheckStatus.PENDING, CheckStatus.MISSED):
        raise ValidationError(
            {
                "check": _("%(slot)s is already %(status)s")
                % {"slot": slot_label(check), "status": check.get_status_display()}
            }
        )


@transaction.atomic
def record_check(
    actor: Actor,
    check: FollowUp,
    *,
    temperature: object,
    symptoms: object = None,
    method: str,
    client_id: uuid.UUID | str | None = None,
    note: str = "",
    reported_by: str = "",
    now: datetime | None = None,
) -> CheckOutcome:
    """Record one check slot for the team (at the door or by phone). A retry with the same
    `client_id` is answered as a duplicate and changes nothing. A fever or a symptom raises an
    alert to the town at once."""
    _require(actor, "quarantine.add_followup", _("your role may not record checks"))
    if method not in (CheckMethod.DOOR, CheckMethod.PHONE):
        raise ValidationError({"method": _("choose how the check was made")})
    return _record_check(
        actor,
        check,
        temperature=temperature,
        symptoms=symptoms,
        method=method,
        client_id=client_id,
        note=note,
        reported_by=reported_by,
        now=now,
        in_scope=True,
    )


def _duplicate(
    check: FollowUp, client_id: uuid.UUID | str | None
) -> tuple[uuid.UUID | None, FollowUp | None]:
    """The parsed client id, and the check it already recorded (a retry), if any."""
    if not client_id:
        return None, None
    try:
        client_id = uuid.UUID(str(client_id))
    except ValueError:
        raise ValidationError({"client_id": _("not a valid id")}) from None
    done = FollowUp.objects.filter(client_id=client_id).first()
    if done is not None and done.order_id != check.order_id:
        raise ValidationError({"client_id": _("this id was used for another check")})
    return client_id, done


@transaction.atomic
def _record_check(
    actor: Actor,
    check: FollowUp,
    *,
    temperature: object,
    symptoms: object,
    method: str,
    client_id: uuid.UUID | str | None,
    note: str,
    reported_by: str,
    now: datetime | None,
    in_scope: bool,
) -> CheckOutcome:
    client_id, done = _duplicate(check, client_id)
    if done is not None:
        return CheckOutcome(done, duplicate=True)
    now = now or timezone.now()
    check = FollowUp.objects.select_for_update().select_related("order__person").get(pk=check.pk)
    if client_id is not None and check.client_id == client_id:
        return CheckOutcome(check, duplicate=True)  # the first attempt won the lock
    order = check.order
    if in_scope:
        _check_in_scope(actor, order.jurisdiction_id)
    _refuse_unrecordable(check, order, now)
    profile = DiseaseProfile.current()
    try:
        value = parse_temperature(temperature)
    except TemperatureError as error:
        raise ValidationError({"temperature": str(error)}) from None
    if value is None:
        raise ValidationError({"temperature": _("enter the temperature")})
    names = _check_symptoms(symptoms, profile)
    grace = timedelta(minutes=profile.missed_check_grace_minutes)
    check.temperature = value
    check.symptoms = names
    check.method = method
    check.checked_at = now
    check.checked_by = actor.user
    check.reported_by = reported_by[:50]
    check.note = note[:200]
    check.late = now > check.due_at + grace
    check.client_id = client_id or None
    check.status = CheckStatus.DONE
    check.save(
        update_fields=[
            "temperature",
            "symptoms",
            "method",
            "checked_at",
            "checked_by",
            "reported_by",
            "note",
            "late",
            "client_id",
            "status",
        ]
    )
    person = order.person
    if profile.is_fever(value):
        raise_alert(
            AlertKind.FEVER,
            jurisdiction=order.jurisdiction,
            person=person,
            message=_("%(name)s under %(kind)s has a fever: %(t)s °C (%(slot)s)")
            % {
                "name": person.name,
                "kind": order.get_kind_display(),
                "t": value,
                "slot": slot_label(check),
            },
            link=order_link(order),
            raised_at=now,
        )
    if names:
        raise_alert(
            AlertKind.SYMPTOM,
            jurisdiction=order.jurisdiction,
            person=person,
            message=_("%(name)s under %(kind)s reports %(symptoms)s (%(slot)s)")
            % {
                "name": person.name,
                "kind": order.get_kind_display(),
                "symptoms": "、".join(names),
                "slot": slot_label(check),
            },
            link=order_link(order),
            raised_at=now,
        )
    return CheckOutcome(check)


@transaction.atomic
def explain_check(actor: Actor, check: FollowUp, note: str) -> FollowUp:
    """Close a slot that cannot be made up (e.g. the person was at hospital for a test), with
    the reason: a release needs every slot recorded or explained."""
    _require(actor, "quarantine.add_followup", _("your role may not record checks"))
    check = FollowUp.objects.select_for_update().select_related("order").get(pk=check.pk)
    _check_in_scope(actor, check.order.jurisdiction_id)
    if not note.strip():
        raise ValidationError({"note": _("say why this check was not made")})
    _refuse_unrecordable(check, check.order, timezone.now())
    check.status = CheckStatus.EXPLAINED
    check.note = note.strip()[:200]
    check.checked_by = actor.user
    check.checked_at = timezone.now()
    check.save(update_fields=["status", "note", "checked_by", "checked_at"])
    return check


@transaction.atomic
def sweep_missed_checks(now: datetime | None = None) -> int:
    """Mark the slots of running orders left unrecorded past the grace as missed, and raise one
    missed-check alert per order. Run every few minutes (`fangyi quarantine-sweep`); the pages
    count such slots as missed even before the sweep marks them."""
    now = now or timezone.now()
    profile = DiseaseProfile.current()
    overdue = list(
        FollowUp.objects.filter(
            status=CheckStatus.PENDING,
            due_at__lt=now - timedelta(minutes=profile.missed_check_grace_minutes),
            order__status__in=RUNNING,
        )
        .select_related("order__person", "order__jurisdiction")
        .select_for_update(of=("self",))
        .order_by("order_id", "due_at")
    )
    if not overdue:
        return 0
    FollowUp.objects.filter(pk__in=[c.pk for c in overdue]).update(status=CheckStatus.MISSED)
    by_order = defaultdict(list)
    for check in overdue:
        by_order[check.order].append(check)
    for order, checks in by_order.items():
        raise_alert(
            AlertKind.MISSED_CHECK,
            jurisdiction=order.jurisdiction,
            person=order.person,
            message=_("%(name)s: %(slots)s not recorded; make it up")
            % {"name": order.person.name, "slots": "、".join(slot_label(c) for c in checks)},
            link=order_link(order),
            raised_at=now,
        )
    return len(overdue)


# Self-report link ---------------------------------------------------------------------------


def find_order_by_token(token: str) -> QuarantineOrder | None:
    """The order behind a self-report link, or None for a wrong token. (Whether it may still
    be used is `self_report_problem`'s question.)"""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    return (
        QuarantineOrder.objects.select_related("person")
        .filter(self_report_index=crypto.blind_index(token, SELF_REPORT_CONTEXT))
        .first()
    )


def self_report_problem(order: QuarantineOrder, now: datetime | None = None) -> str:
    """Why the link cannot be used now ("" when it can)."""
    now = now or timezone.now()
    if not order.is_running:
        return _("this quarantine has ended: the link no longer works")
    if now >= order.self_report_expires_at():
        return _("this link has expired")
    return ""


def current_self_report_slot(
    order: QuarantineOrder, now: datetime | None = None
) -> FollowUp | None:
    """The slot a family's report fills now: the latest open slot that is already open and
    due today (or within its grace, just after midnight). An older, missed slot is the team's
    to make up: today's temperature must not be filed under yesterday's check."""
    now = now or timezone.now()
    grace = timedelta(minutes=DiseaseProfile.current().missed_check_grace_minutes)
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        order.checks.open()
        .filter(due_at__lte=now + CHECK_OPENS_BEFORE, due_at__gte=min(now - grace, midnight))
        .order_by("-due_at")
        .first()
    )


def submit_self_report(
    token: str,
    *,
    temperature: object,
    symptoms: object = None,
    reported_by: str = "",
    client_id: uuid.UUID | str | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """A temperature sent from the self-report link (no account)."""
    now = now or timezone.now()
    order = find_order_by_token(token)
    if order is None:
        raise ValidationError({"token": _("this link is not valid")})
    problem = self_report_problem(order, now)
    if problem:
        raise ValidationError({"token": problem})
    if client_id:  # a double tap: the first one filled the slot
        _client_id, done = _duplicate(FollowUp(order=order), client_id)
        if done is not None:
            return done
    check = current_self_report_slot(order, now)
    if check is None:
        upcoming = order.checks.open().order_by("due_at").first()
        if upcoming is None:
            raise ValidationError({"token": _("no more checks are due")})
        raise ValidationError(
            {
                "token": _("no check is due now: the next one is at %(at)s")
                % {"at": timezone.localtime(upcoming.due_at).strftime("%m-%d %H:%M")}
            }
        )
    return _record_check(
        Actor.system("self-report"),
        check,
        temperature=temperature,
        symptoms=symptoms,
        method=CheckMethod.SELF_REPORT,
        client_id=client_id,
        note="",
        reported_by=reported_by,
        now=now,
        in_scope=False,
    ).check


@transaction.atomic
def renew_self_report_link(actor: Actor, order: QuarantineOrder) -> QuarantineOrder:
    """A new link (the old one stops working), e.g. when a printed card was lost."""
    _require(actor, "quarantine.change_quarantineorder", _("your role may not change orders"))
    order = _locked_running(actor, order)
    for name, value in _new_link_fields().items():
        setattr(order, name, value)
    order.save(update_fields=["self_report_cipher", "self_report_index", "updated_at"])
    _event(actor, order, OrderEventKind.LINK)
    return order


# Tests ---------------------------------------------------------------------------------------


@transaction.atomic
def record_test(
    actor: Actor,
    test: NucleicAcidTest,
    *,
    result: str,
    sampled_at: datetime | None = None,
    lab: str = "",
    now: datetime | None = None,
) -> NucleicAcidTest:
    """Record a sample or its result (at `now`, default the clock). A positive result makes
    the person a case (tracing)."""
    _require(actor, "quarantine.add_nucleicacidtest", _("your role may not record tests"))
    test = (
        NucleicAcidTest.objects.select_for_update().select_related("order__person").get(pk=test.pk)
    )
    order = test.order
    _check_in_scope(actor, order.jurisdiction_id)
    if result not in (
        NucleicAcidResult.SAMPLED,
        NucleicAcidResult.NEGATIVE,
        NucleicAcidResult.POSITIVE,
    ):
        raise ValidationError({"result": _("choose the result")})
    if test.result in (NucleicAcidResult.NEGATIVE, NucleicAcidResult.POSITIVE):
        raise ValidationError({"result": _("this test already has its result")})
    now = now or timezone.now()
    test.sampled_at = sampled_at or test.sampled_at or now
    if test.sampled_at > now + timedelta(minutes=5):
        raise ValidationError({"sampled_at": _("the sample cannot be taken in the future")})
    test.lab = lab.strip()[:100] or test.lab
    test.result = result
    test.recorded_by = actor.user
    if result != NucleicAcidResult.SAMPLED:
        test.result_at = now
    test.save(update_fields=["sampled_at", "lab", "result", "recorded_by", "result_at"])
    _event(actor, order, OrderEventKind.TEST, at=now, day=test.day, result=result, lab=test.lab)
    if result == NucleicAcidResult.POSITIVE:
        from fangyi.tracing.services import report_case_from_test

        report_case_from_test(actor, test)
    return test


# Release -------------------------------------------------------------------------------------


def release_problems(order: QuarantineOrder, today: date | None = None) -> list[str]:
    """Everything that stands between this order and its release, in words for the doctor."""
    today = today or local_today()
    problems = []
    if not order.is_running:
        return [_("this order is %(status)s") % {"status": order.get_status_display()}]
    if today < order.planned_end_date:
        problems.append(
            _("the period ends on %(day)s") % {"day": order.planned_end_date.isoformat()}
        )
    unrecorded = list(order.checks.open().order_by("due_at"))
    if unrecorded:
        problems.append(
            _("checks not recorded: %(slots)s (make them up or explain why)")
            % {
                "slots": "、".join(slot_label(c) for c in unrecorded[:6])
                + ("…" if len(unrecorded) > 6 else "")
            }
        )
    tests = list(order.tests.all())
    if any(t.result == NucleicAcidResult.POSITIVE for t in tests):
        problems.append(_("a nucleic-acid test is positive: the person is a case, not released"))
    waiting = [
        t for t in tests if t.result in (NucleicAcidResult.PLANNED, NucleicAcidResult.SAMPLED)
    ]
    if waiting:
        problems.append(
            _("tests without a negative result: day %(days)s")
            % {"days": "、".join(str(t.day) for t in waiting)}
        )
    return problems


@transaction.atomic
def release_order(
    actor: Actor,
    order: QuarantineOrder,
    *,
    note: str = "",
    address: str = "",
    today: date | None = None,
) -> QuarantineOrder | None:
    """The doctor's sign-off. Refused while anything in release_problems remains. The room is
    left for cleaning, the ledger entry is marked released, and when the profile chains a
    measure after centralized observation (7 + 3), that order is opened (at `address`, default
    the person's) and returned."""
    _require(actor, "quarantine.release_quarantineorder", _("only a doctor signs a release off"))
    order = QuarantineOrder.objects.select_for_update().select_related("person").get(pk=order.pk)
    _check_in_scope(actor, order.jurisdiction_id)
    today = today or local_today()
    problems = release_problems(order, today)
    if problems:
        raise ValidationError({"order": problems})
    profile = DiseaseProfile.current()
    follows = (
        order.kind == QuarantineKind.CENTRALIZED
        and profile.after_centralized_kind
        and profile.after_centralized_days
    )
    _end(actor, order, OrderStatus.MOVED if follows else OrderStatus.RELEASED, note)
    _event(actor, order, OrderEventKind.RELEASED, note=note)
    if not follows:
        _release_ledger(actor, order)
        return None
    team = {a.role: a.member for a in order.team.current().select_related("member")}
    # The doctor's sign-off opens the chained order (a doctor may not order quarantine else).
    return _create_orders(
        actor,
        [
            OrderRequest(
                person=order.person,
                kind=profile.after_centralized_kind,
                reason=OrderReason.PREVIOUS,
                start_date=today,
                days=profile.after_centralized_days,
                ledger_entry=order.ledger_entry,
                address=address,
                jurisdiction=order.jurisdiction,
                team=team,
                previous=order,
            )
        ],
        today,
        timezone.now(),
    )[0]


def _end(actor: Actor, order: QuarantineOrder, status: str, note: str, hospital: str = "") -> None:
    order.status = status
    order.ended_at = timezone.now()
    order.ended_by = actor.user
    order.end_note = note[:300]
    order.hospital = hospital[:100] or order.hospital
    order.save(
        update_fields=["status", "ended_at", "ended_by", "end_note", "hospital", "updated_at"]
    )
    order.checks.filter(
        status__in=[CheckStatus.PENDING, CheckStatus.MISSED], due_at__gt=order.ended_at
    ).update(status=CheckStatus.CANCELLED)
    if order.room_id:
        _vacate(order.room_id)


def _release_ledger(actor: Actor, order: QuarantineOrder) -> None:
    from fangyi.ledger import services as ledger_services

    entry = order.ledger_entry
    if entry is not None and entry.status in LEDGER_STATUS_FOR_KIND.values():
        ledger_services.record_from_rule(
            actor, order.person, entry.category, entry.jurisdiction, status="released"
        )


@transaction.atomic
def extend_order(
    actor: Actor, order: QuarantineOrder, *, days: int, reason: str
) -> QuarantineOrder:
    """Lengthen a running order by `days`: new slots and tests follow."""
    _require(actor, "quarantine.change_quarantineorder", _("your role may not change orders"))
    order = _locked_running(actor, order)
    if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise ValidationError(
            {"days": _("extend by 1 to %(max)s days") % {"max": MAX_EXTENSION_DAYS}}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("say why the order is extended")})
    old_days, old_end = order.days, order.planned_end_date
    order.planned_end_date = old_end + timedelta(days=days)
    order.status = OrderStatus.EXTENDED
    order.save(update_fields=["planned_end_date", "status", "updated_at"])
    profile = DiseaseProfile.current()
    FollowUp.objects.bulk_create(
        FollowUp(order=order, day=day, slot=slot, due_at=due)
        for day, slot, due in _slot_times(order, profile, old_days + 1, order.days, timezone.now())
    )
    tests = _tests(order, profile, old_days + 1, order.days, local_today())
    if not tests:  # no test day falls in the extension: test on its last day
        tests = [NucleicAcidTest(order=order, day=order.days)]
    NucleicAcidTest.objects.bulk_create(tests)
    _event(
        actor,
        order,
        OrderEventKind.EXTENDED,
        days=days,
        before=old_end.isoformat(),
        after=order.planned_end_date.isoformat(),
        reason=reason.strip(),
    )
    return order


@transaction.atomic
def transfer_to_hospital(
    actor: Actor, order: QuarantineOrder, *, hospital: str, note: str = ""
) -> QuarantineOrder:
    _require(actor, "quarantine.change_quarantineorder", _("your role may not change orders"))
    order = _locked_running(actor, order)
    if not hospital.strip():
        raise ValidationError({"hospital": _("name the hospital")})
    _end(actor, order, OrderStatus.HOSPITAL, note, hospital=hospital.strip())
    _event(actor, order, OrderEventKind.HOSPITAL, hospital=hospital.strip(), note=note)
    return order


@transaction.atomic
def change_measure(
    actor: Actor,
    order: QuarantineOrder,
    *,
    kind: str,
    site: ObservationSite | None = None,
    room: Room | None = None,
    address: str = "",
    note: str = "",
) -> QuarantineOrder:
    """End this order as moved and start the new measure today, for its full length, with the
    same team and reason."""
    _require(actor, "quarantine.change_quarantineorder", _("your role may not change orders"))
    order = _locked_running(actor, order)
    if kind == order.kind:
        raise ValidationError({"kind": _("the person is already under this measure")})
    team = {a.role: a.member for a in order.team.current().select_related("member")}
    _end(actor, order, OrderStatus.MOVED, note)
    _event(actor, order, OrderEventKind.MOVED, kind=kind, note=note)
    return open_order(
        actor,
        OrderRequest(
            person=order.person,
            kind=kind,
            reason=order.reason,
            reason_note=order.reason_note,
            ledger_entry=order.ledger_entry,
            registration=order.registration,
            address=address,
            site=site,
            room=room,
            jurisdiction=order.jurisdiction,
            team=team,
            previous=order,
        ),
    )


@transaction.atomic
def set_door_seal(
    actor: Actor, order: QuarantineOrder, sealed: bool, *, now: datetime | None = None
) -> QuarantineOrder:
    _require(actor, "quarantine.add_followup", _("your role may not record checks"))
    order = _locked_running(actor, order)
    order.door_sealed = sealed
    order.door_sealed_by = actor.user
    order.door_sealed_at = now or timezone.now()
    order.save(update_fields=["door_sealed", "door_sealed_by", "door_sealed_at", "updated_at"])
    _event(actor, order, OrderEventKind.DOOR, at=order.door_sealed_at, sealed=sealed)
    return order


# Sites and rooms -----------------------------------------------------------------------------


def parse_room_numbers(spec: str) -> list[str]:
    """ "101-105, 201, 203" → ["101", ..., "105", "201", "203"]."""
    numbers = []
    spec = (spec or "").replace("，", ",").replace("、", ",")
    for dash in ("－", "～", "~", "—", "–", "至"):  # dashes of Chinese keyboards
        spec = spec.replace(dash, "-")
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part:
            low, _sep, high = part.partition("-")
            if not (low.strip().isdigit() and high.strip().isdigit()) or int(low) > int(high):
                raise ValidationError(
                    {"rooms": _("“%(part)s” is not a range like 101-120") % {"part": part}}
                )
            if int(high) - int(low) > 500:
                raise ValidationError({"rooms": _("at most 500 rooms at a time")})
            width = len(low.strip())  # "0801-0803" keeps its zeros
            numbers.extend(str(n).zfill(width) for n in range(int(low), int(high) + 1))
        else:
            numbers.append(part[:20])
    if len(set(numbers)) != len(numbers):
        raise ValidationError({"rooms": _("a room number is listed twice")})
    return numbers


@transaction.atomic
def create_site(
    actor: Actor,
    town: Jurisdiction,
    *,
    name: str,
    address: str = "",
    person_in_charge: str = "",
    phone: str = "",
    rooms: str = "",
    capacity: int = 1,
) -> ObservationSite:
    _require(actor, "quarantine.add_observationsite", _("your role may not set up sites"))
    _check_in_scope(actor, town.code)
    if not name.strip():
        raise ValidationError({"name": _("name the site")})
    site = ObservationSite.objects.create(
        town=town,
        name=name.strip()[:100],
        address=address[:200],
        person_in_charge=person_in_charge[:50],
        phone=phone[:20],
    )
    add_rooms(actor, site, rooms=rooms, capacity=capacity)
    return site


@transaction.atomic
def add_rooms(actor: Actor, site: ObservationSite, *, rooms: str, capacity: int = 1) -> list[Room]:
    _require(actor, "quarantine.change_observationsite", _("your role may not set up sites"))
    _check_in_scope(actor, site.town_id)
    if not isinstance(capacity, int) or not 1 <= capacity <= 10:
        raise ValidationError({"capacity": _("a room holds 1 to 10 people")})
    numbers = parse_room_numbers(rooms)
    taken = set(site.rooms.filter(number__in=numbers).values_list("number", flat=True))
    if taken:
        raise ValidationError(
            {
                "rooms": _("rooms already at this site: %(rooms)s")
                % {"rooms": "、".join(sorted(taken))}
            }
        )
    return Room.objects.bulk_create([Room(site=site, number=n, capacity=capacity) for n in numbers])


def _occupy(order: QuarantineOrder, room: Room) -> None:
    """Put the order's person in the room, refusing a full room or one being cleaned."""
    room = Room.objects.select_for_update().get(pk=room.pk)
    if room.status == RoomStatus.CLEANING:
        raise ValidationError({"room": _("room %(room)s is being cleaned") % {"room": room.number}})
    if room.occupants >= room.capacity:
        raise ValidationError({"room": _("room %(room)s is full") % {"room": room.number}})
    room.occupants += 1  # the row is locked: no one else changes it meanwhile
    room.status = RoomStatus.OCCUPIED
    room.save(update_fields=["occupants", "status"])
    order.room = room
    order.site_id = room.site_id
    order.save(update_fields=["room", "site", "updated_at"])


def _vacate(room_id: int) -> None:
    room = Room.objects.select_for_update().get(pk=room_id)
    room.occupants = max(room.occupants - 1, 0)
    room.status = RoomStatus.OCCUPIED if room.occupants else RoomStatus.CLEANING
    room.save(update_fields=["occupants", "status"])


@transaction.atomic
def assign_room(actor: Actor, order: QuarantineOrder, room: Room) -> QuarantineOrder:
    """Put a person under centralized observation into a room (moving them out of another)."""
    _require(actor, "quarantine.change_observationsite", _("your role may not assign rooms"))
    order = QuarantineOrder.objects.select_for_update().get(pk=order.pk)
    _check_in_scope(actor, order.jurisdiction_id)
    if not order.is_running or order.kind != QuarantineKind.CENTRALIZED:
        raise ValidationError({"room": _("only a running centralized observation gets a room")})
    if order.room_id == room.pk:
        return order
    _check_in_scope(actor, room.site.town_id)
    before = str(order.room) if order.room_id else ""
    if order.room_id:
        _vacate(order.room_id)
    _occupy(order, room)
    _event(actor, order, OrderEventKind.ROOM, before=before, after=str(room))
    return order


@transaction.atomic
def set_site_staff(actor: Actor, site: ObservationSite, *, staff: list[User]) -> ObservationSite:
    """Who works on site (active accounts of the site's town)."""
    _require(actor, "quarantine.change_observationsite", _("your role may not run sites"))
    _check_in_scope(actor, site.town_id)
    outside = [
        u.full_name or u.username
        for u in staff
        if not u.is_active
        or not u.jurisdiction_id
        or not u.jurisdiction_id.startswith(site.town_id)
    ]
    if outside:
        raise ValidationError(
            {"staff": _("not working in this town: %(names)s") % {"names": "、".join(outside)}}
        )
    site.staff.set(staff)
    return site


@transaction.atomic
def mark_room_cleaned(actor: Actor, room: Room) -> Room:
    _require(actor, "quarantine.change_observationsite", _("your role may not run sites"))
    room = Room.objects.select_for_update().select_related("site").get(pk=room.pk)
    _check_in_scope(actor, room.site.town_id)
    if room.status != RoomStatus.CLEANING:
        raise ValidationError(
            {"room": _("room %(room)s is not waiting for cleaning") % {"room": room.number}}
        )
    room.status = RoomStatus.FREE
    room.save(update_fields=["status"])
    return room
