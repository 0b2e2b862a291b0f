"""Every write the checkpoints app does. Pages, API, CLI and the offline sync call these.

A registration is accepted once per phone-made UUID; the rules of the disease profile run on it
(fever → alert and ledger entry; arrival from a risk area → ledger entry proposing quarantine;
a person under quarantine leaving → alert; a sealed exit without a valid pass → refused, still
recorded). Nothing the staff typed is dropped: a registration is either stored whole, or sent
back with every problem named so the phone can keep it for correction.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fangyi.checkpoints.models import (
    QUARANTINE_RESULTS,
    Checkpoint,
    CheckpointStatus,
    Direction,
    Lockdown,
    Pass,
    Passenger,
    Registration,
    Result,
    SelfRegistration,
    new_code,
)
from fangyi.checkpoints.registering import (
    Lookups,
    PassengerDraft,
    Problem,
    RegistrationDraft,
    parse_registration,
)
from fangyi.core import crypto
from fangyi.core.audit import Actor, record_audit
from fangyi.core.identity import IdentityError, clean_text, normalize_phone, parse_id_number
from fangyi.core.models import (
    AlertKind,
    AuditAction,
    DiseaseProfile,
    Jurisdiction,
    Person,
    QuarantineKind,
)
from fangyi.core.services import create_person, raise_alert
from fangyi.ledger.models import Category, RiskLevel, Transport
from fangyi.ledger.services import check_in_jurisdiction, record_from_rule

MAX_BATCH = 200  # an offline phone sends what it kept in batches of at most this many


class OutcomeStatus(StrEnum):
    CREATED = "created"  # stored
    DUPLICATE = "duplicate"  # this UUID was stored before: nothing changed
    REFUSED = "refused"  # stored as an attempt: a sealed exit and no valid pass
    REJECTED = "rejected"  # not stored: `problems` says what to correct


@dataclass
class RegistrationOutcome:
    external_id: str
    status: OutcomeStatus
    registration: Registration | None = None
    problems: list[Problem] = field(default_factory=list)
    # What the staff must know now ("fever: the town command has been alerted").
    notices: list[str] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return self.status != OutcomeStatus.REJECTED

    def as_json(self) -> dict:
        registration = self.registration
        return {
            "id": self.external_id,
            "status": str(self.status),
            "problems": [
                {"field": p.field, "message": p.message, "suggestion": p.suggestion}
                for p in self.problems
            ],
            "notices": self.notices,
            "conflict": registration.conflict if registration else "",
            "result": registration.result if registration else "",
        }


def _require(actor: Actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("your role may not do this"))


def lookups_for(actor: Actor) -> Lookups:
    """The checkpoints an actor may register at (their jurisdiction's)."""
    checkpoints = Checkpoint.objects.all()
    if actor.user is not None:
        checkpoints = checkpoints.visible_to(actor.user)
    return Lookups(checkpoints.select_related("jurisdiction"))


def record_registration(
    actor: Actor, data: object, *, lookups: Lookups | None = None, now: datetime | None = None
) -> RegistrationOutcome:
    """Store one registration as the phone, the page or the API sent it (see registering.py)."""
    _require(actor, "checkpoints.add_registration")
    lookups = lookups or lookups_for(actor)
    raw_id = str(data.get("id") or "") if isinstance(data, dict) else ""
    draft, problems = parse_registration(data, lookups, now=now)
    if draft is not None:
        problems = _check_self_registrations(draft)
    if problems:
        if _already_stored(raw_id):
            return RegistrationOutcome(raw_id, OutcomeStatus.DUPLICATE)
        return RegistrationOutcome(raw_id, OutcomeStatus.REJECTED, problems=problems)
    try:
        with transaction.atomic():
            return _store(actor, draft)
    except IntegrityError:
        if _already_stored(raw_id):
            return RegistrationOutcome(raw_id, OutcomeStatus.DUPLICATE)
        raise


def record_registrations(actor: Actor, items: object) -> list[RegistrationOutcome]:
    """An offline phone's batch: each registration on its own, so the good ones land and each
    bad one comes back with its reasons."""
    _require(actor, "checkpoints.add_registration")
    if not isinstance(items, list):
        raise ValidationError(_("send a list of registrations"))
    if len(items) > MAX_BATCH:
        raise ValidationError(
            _("send at most %(limit)d registrations at a time") % {"limit": MAX_BATCH}
        )
    lookups = lookups_for(actor)
    return [record_registration(actor, item, lookups=lookups) for item in items]


def _already_stored(raw_id: str) -> bool:
    try:
        key = uuid.UUID(raw_id)
    except ValueError:
        return False
    return Registration.objects.filter(external_id=key).exists()


def _check_self_registrations(draft: RegistrationDraft) -> list[Problem]:
    problems = []
    for index, passenger in enumerate(draft.passengers):
        found = passenger.self_registration
        if found is not None and not found.is_usable(draft.occurred_at):
            message = (
                _("code %(code)s was already used") % {"code": found.code}
                if found.registration_id
                else _("code %(code)s has expired: fill in the form again") % {"code": found.code}
            )
            problems.append(Problem(f"passengers.{index}.self_code", message))
    return problems


@dataclass
class _Rules:
    """What the disease profile says about one registration, worked out before storing it."""

    profile: DiseaseProfile
    lockdown: Lockdown | None
    notices: list[str] = field(default_factory=list)
    refused: bool = False


def _store(actor: Actor, draft: RegistrationDraft) -> RegistrationOutcome:
    checkpoint = draft.checkpoint
    rules = _Rules(profile=DiseaseProfile.current(), lockdown=_active_lockdown(draft))
    registration = Registration(
        external_id=draft.external_id,
        checkpoint=checkpoint,
        jurisdiction_id=checkpoint.jurisdiction_id,
        occurred_at=draft.occurred_at,
        local_date=timezone.localdate(draft.occurred_at),
        direction=draft.direction,
        plate=draft.plate,
        from_place=draft.from_place,
        to_place=draft.to_place,
        reason=draft.reason,
        result=draft.result,
        people_count=len(draft.passengers),
        recorded_by=actor.user,
        conflict=_conflict(checkpoint, draft.occurred_at),
        notes=draft.notes,
    )
    passengers = _passengers(draft, rules)
    if rules.refused:
        registration.result = Result.REFUSED
    registration.fever_count = sum(p.fever for p in passengers)
    registration.persuaded_count = sum(p.result == Result.PERSUADED_BACK for p in passengers)
    registration.quarantined_count = sum(p.result in QUARANTINE_RESULTS for p in passengers)
    registration.save(force_insert=True)  # a repeated UUID fails here, before anything else
    for passenger in passengers:
        passenger.registration = registration
    Passenger.objects.bulk_create(passengers)
    for passenger, source in zip(passengers, draft.passengers, strict=True):
        if source.self_registration is not None:
            source.self_registration.registration = registration
            source.self_registration.save(update_fields=["registration"])
        _apply_rules(actor, registration, passenger, source, rules)
    if rules.refused:
        raise_alert(
            AlertKind.NO_PASS,
            jurisdiction=checkpoint.jurisdiction,
            person=passengers[0].person,
            message=_("%(checkpoint)s: refused at a sealed exit without a valid pass (%(names)s)")
            % {
                "checkpoint": checkpoint.name,
                "names": "、".join(p.name for p in passengers if p.result == Result.REFUSED),
            },
            link=registration_link(registration),
        )
    status = OutcomeStatus.REFUSED if rules.refused else OutcomeStatus.CREATED
    if registration.conflict:
        rules.notices.append(registration.conflict)
    return RegistrationOutcome(
        str(registration.external_id), status, registration=registration, notices=rules.notices
    )


def registration_link(registration: Registration) -> str:
    return reverse("checkpoints:registration", args=[registration.external_id])


def _conflict(checkpoint: Checkpoint, moment: datetime) -> str:
    """Why a registration contradicts what the server knows; it is kept all the same."""
    if checkpoint.status == CheckpointStatus.CLOSED:
        return _("%(checkpoint)s is closed: check that this registration belongs here") % {
            "checkpoint": checkpoint.name
        }
    if not checkpoint.is_open_at(moment):
        return _("registered outside %(checkpoint)s's opening hours") % {
            "checkpoint": checkpoint.name
        }
    return ""


def _active_lockdown(draft: RegistrationDraft) -> Lockdown | None:
    """The lockdown whose exit this checkpoint is, at the time of the registration. Only a
    checkpoint marked as a sealed exit can be one, which spares every other registration the
    query."""
    if draft.checkpoint.status != CheckpointStatus.SEALED_EXIT:
        return None
    return (
        Lockdown.objects.filter(exits=draft.checkpoint)
        .active_at(draft.occurred_at)
        .select_related("village")
        .first()
    )


def _encrypted_passenger(
    draft: RegistrationDraft, source: PassengerDraft, position: int
) -> Passenger:
    passenger = Passenger(
        position=position,
        person=source.person,
        name=source.name,
        temperature=source.temperature,
        result=source.result or draft.result,
    )
    id_number = source.id_number or (source.person.id_number if source.person else "")
    if id_number:
        passenger.id_number_cipher = crypto.encrypt(id_number, "id_number")
        passenger.id_number_index = crypto.blind_index(id_number, "id_number")
    if source.phone:
        passenger.phone_cipher = crypto.encrypt(source.phone, "phone")
        passenger.phone_index = crypto.blind_index(source.phone, "phone")
    return passenger


def _match_people(passengers: list[Passenger], checkpoint: Checkpoint) -> None:
    """Link each passenger not chosen from the suggestions to a known person: by ID number
    anywhere, else by phone among the checkpoint's town. One query each, for all passengers."""
    unknown = [p for p in passengers if p.person is None]
    by_id = {p.id_number_index for p in unknown if p.id_number_index}
    by_phone = {p.phone_index for p in unknown if p.phone_index and not p.id_number_index}
    people_by_id = (
        {p.id_number_index: p for p in Person.objects.filter(id_number_index__in=by_id)}
        if by_id
        else {}
    )
    people_by_phone = (
        {
            p.phone_index: p
            for p in Person.objects.within(checkpoint.jurisdiction_id[:9]).filter(
                phone_index__in=by_phone
            )
        }
        if by_phone
        else {}
    )
    for passenger in unknown:
        if passenger.id_number_index:
            passenger.person = people_by_id.get(passenger.id_number_index)
        elif passenger.phone_index:
            passenger.person = people_by_phone.get(passenger.phone_index)


def _passengers(draft: RegistrationDraft, rules: _Rules) -> list[Passenger]:
    passengers = [
        _encrypted_passenger(draft, source, position)
        for position, source in enumerate(draft.passengers)
    ]
    _match_people(passengers, draft.checkpoint)
    for passenger, source in zip(passengers, draft.passengers, strict=True):
        _check_passenger(draft, source, passenger, rules)
    return passengers


def _check_passenger(
    draft: RegistrationDraft, source: PassengerDraft, passenger: Passenger, rules: _Rules
) -> None:
    """The profile's checks on one passenger: fever, risk area, leaving quarantine, pass."""
    person = passenger.person
    passenger.fever = rules.profile.is_fever(source.temperature)
    if draft.direction == Direction.IN:
        origin = source.self_registration.from_place if source.self_registration else ""
        passenger.risk_level = rules.profile.risk_level_of(origin or draft.from_place)
    if draft.direction == Direction.OUT and person is not None:
        passenger.leaving_quarantine = is_under_quarantine(person)
    if rules.lockdown is not None:
        problem = _pass_problem(rules.lockdown, source, person, draft.occurred_at, passenger)
        if problem:
            passenger.result = Result.REFUSED
            rules.refused = True
            rules.notices.append(problem)


def _pass_problem(
    lockdown: Lockdown,
    source: PassengerDraft,
    person: Person | None,
    moment: datetime,
    passenger: Passenger,
) -> str:
    """Why this person may not go through the sealed exit ("" when their pass is valid)."""
    village = lockdown.village.name
    if not source.pass_code:
        return _(
            "%(name)s has no pass: %(village)s is sealed, only pass holders may go through"
        ) % {
            "name": source.name,
            "village": village,
        }
    found = (
        Pass.objects.select_related("person", "lockdown")
        .filter(code=source.pass_code, lockdown=lockdown)
        .first()
    )
    if found is None:
        return _("pass %(code)s is not a pass of %(village)s") % {
            "code": source.pass_code,
            "village": village,
        }
    if found.revoked_at is not None:
        return _("pass %(code)s has been revoked") % {"code": found.code}
    if not found.valid_from <= moment < found.valid_until:
        return _("pass %(code)s is valid from %(start)s to %(end)s") % {
            "code": found.code,
            "start": date_format(timezone.localtime(found.valid_from), "SHORT_DATETIME_FORMAT"),
            "end": date_format(timezone.localtime(found.valid_until), "SHORT_DATETIME_FORMAT"),
        }
    if person is None or person.pk != found.person_id:
        return _("pass %(code)s belongs to %(holder)s, not to %(name)s") % {
            "code": found.code,
            "holder": found.person.name,
            "name": source.name,
        }
    passenger.travel_pass = found
    return ""


def is_under_quarantine(person: Person) -> bool:
    """Whether the person is under a running quarantine order now (decision 19)."""
    from fangyi.quarantine.models import RUNNING, QuarantineOrder

    return QuarantineOrder.objects.filter(person=person, status__in=RUNNING).exists()


def _apply_rules(
    actor: Actor,
    registration: Registration,
    passenger: Passenger,
    source: PassengerDraft,
    rules: _Rules,
) -> None:
    checkpoint = registration.checkpoint
    when = date_format(timezone.localtime(registration.occurred_at), "SHORT_DATETIME_FORMAT")
    origin = (
        source.self_registration.from_place if source.self_registration else ""
    ) or registration.from_place
    if passenger.fever:
        entry = _put_on_ledger(
            actor,
            registration,
            passenger,
            source,
            Category.FEVER,
            source_area=origin if registration.direction == Direction.IN else "",
            risk_level=passenger.risk_level or "",
            symptoms=_("fever %(temperature)s °C") % {"temperature": passenger.temperature},
            notes=_("%(checkpoint)s %(time)s: temperature %(temperature)s °C")
            % {"checkpoint": checkpoint.name, "time": when, "temperature": passenger.temperature},
        )
        raise_alert(
            AlertKind.FEVER,
            jurisdiction=checkpoint.jurisdiction,
            person=entry.person,
            message=_("%(checkpoint)s: %(name)s has a temperature of %(temperature)s °C")
            % {
                "checkpoint": checkpoint.name,
                "name": passenger.name,
                "temperature": passenger.temperature,
            },
            link=registration_link(registration),
        )
        rules.notices.append(
            _("%(name)s: fever (%(temperature)s °C), the town command has been alerted")
            % {"name": passenger.name, "temperature": passenger.temperature}
        )
    measure = _proposed_measure(passenger, source, checkpoint)
    if measure:
        _put_on_ledger(
            actor,
            registration,
            passenger,
            source,
            Category.RETURNEE,
            proposed_measure=measure,
            source_area=origin,
            risk_level=passenger.risk_level or "",
            arrival_date=registration.local_date,
            transport=Transport.SELF_DRIVE if registration.plate else "",
            trip_number=registration.plate_display if registration.plate else "",
            notes=_("%(checkpoint)s %(time)s: arrived, proposed %(measure)s")
            % {
                "checkpoint": checkpoint.name,
                "time": when,
                "measure": QuarantineKind(measure).label,
            },
        )
        rules.notices.append(
            _("%(name)s is on the ledger: %(measure)s proposed")
            % {"name": passenger.name, "measure": QuarantineKind(measure).label}
        )
    if passenger.leaving_quarantine:
        raise_alert(
            AlertKind.QUARANTINE_LEAVING,
            jurisdiction=checkpoint.jurisdiction,
            person=passenger.person,
            message=_("%(checkpoint)s: %(name)s is under quarantine and tried to leave")
            % {"checkpoint": checkpoint.name, "name": passenger.name},
            link=registration_link(registration),
        )
        rules.notices.append(
            _("%(name)s is under quarantine and may not leave: the town command has been alerted")
            % {"name": passenger.name}
        )


def _proposed_measure(passenger: Passenger, source: PassengerDraft, checkpoint: Checkpoint) -> str:
    """Home quarantine or centralized observation, when the staff chose it or the person
    arrived from a risk area; "" otherwise. From a risk area: home quarantine with a local
    home, centralized observation without one."""
    if passenger.result == Result.HOME_QUARANTINE:
        return QuarantineKind.HOME_QUARANTINE
    if passenger.result == Result.CENTRALIZED:
        return QuarantineKind.CENTRALIZED
    if passenger.risk_level not in (RiskLevel.HIGH, RiskLevel.MEDIUM):
        return ""
    if passenger.result in (Result.PERSUADED_BACK, Result.REFUSED):
        return ""  # turned back: they are not staying
    if passenger.fever or passenger.result == Result.FEVER_CLINIC:
        return ""  # the fever clinic decides; their fever entry says where they came from
    return (
        QuarantineKind.HOME_QUARANTINE
        if _has_local_home(passenger, source, checkpoint)
        else QuarantineKind.CENTRALIZED
    )


def _has_local_home(passenger: Passenger, source: PassengerDraft, checkpoint: Checkpoint) -> bool:
    if source.self_registration is not None and source.self_registration.is_local:
        return True
    person = passenger.person
    return person is not None and person.jurisdiction_id.startswith(checkpoint.jurisdiction_id[:9])


def _put_on_ledger(
    actor: Actor,
    registration: Registration,
    passenger: Passenger,
    source: PassengerDraft,
    category: str,
    **values,
):
    """The passenger's ledger entry of `category` (a person is created for a stranger, in the
    checkpoint's village or town)."""
    checkpoint = registration.checkpoint
    person = passenger.person
    if person is None:
        person = create_person(
            actor,
            name=passenger.name,
            id_number=source.id_number,
            phone=source.phone,
            jurisdiction=checkpoint.jurisdiction,
        )
        passenger.person = person
        passenger.save(update_fields=["person"])
    in_town = person.jurisdiction_id.startswith(checkpoint.jurisdiction_id[:9])
    jurisdiction = person.jurisdiction if in_town else checkpoint.jurisdiction
    entry = record_from_rule(actor, person, category, jurisdiction, **values)
    passenger.ledger_entry = entry
    passenger.save(update_fields=["ledger_entry"])
    return entry


# Checkpoints --------------------------------------------------------------------------------

CHECKPOINT_FIELDS = (
    "name",
    "kind",
    "location",
    "latitude",
    "longitude",
    "jurisdiction",
    "responsible_unit",
    "responsible_person",
    "responsible_phone",
    "opens_at",
    "closes_at",
    "status",
)


def _check_checkpoint_values(values: dict) -> None:
    errors = {}
    jurisdiction = values.get("jurisdiction")
    if jurisdiction is not None and len(jurisdiction.code) not in (9, 12):
        errors["jurisdiction"] = _("a checkpoint belongs to a town or a village")
    if values.get("responsible_phone"):
        try:
            values["responsible_phone"] = normalize_phone(values["responsible_phone"])
        except IdentityError as error:
            errors["responsible_phone"] = str(error)
    if (values.get("opens_at") is None) != (values.get("closes_at") is None):
        errors["closes_at"] = _("give both hours, or neither for round the clock")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_checkpoint(actor: Actor, **values) -> Checkpoint:
    _require(actor, "checkpoints.add_checkpoint")
    unknown = set(values) - set(CHECKPOINT_FIELDS)
    if unknown:
        raise TypeError(f"unknown checkpoint fields {sorted(unknown)}")
    _check_checkpoint_values(values)
    check_in_jurisdiction(actor, values["jurisdiction"])
    checkpoint = Checkpoint(**values)
    checkpoint.full_clean()
    checkpoint.save()
    return checkpoint


@transaction.atomic
def update_checkpoint(actor: Actor, checkpoint: Checkpoint, **values) -> Checkpoint:
    _require(actor, "checkpoints.change_checkpoint")
    check_in_jurisdiction(actor, checkpoint.jurisdiction)
    merged = {name: getattr(checkpoint, name) for name in CHECKPOINT_FIELDS} | values
    _check_checkpoint_values(merged)
    check_in_jurisdiction(actor, merged["jurisdiction"])
    for name in values:
        setattr(checkpoint, name, merged[name])
    checkpoint.full_clean()
    checkpoint.save(update_fields=[*values, "updated_at"])
    return checkpoint


# Self-registration ---------------------------------------------------------------------------

SELF_FIELDS = (
    "name",
    "id_number",
    "phone",
    "is_local",
    "from_place",
    "to_place",
    "transport",
    "trip_number",
    "return_date",
    "local_contact",
    "local_contact_phone",
    "reason",
)


def submit_self_registration(checkpoint: Checkpoint, values: dict) -> SelfRegistration:
    """A traveller's own registration from the public form. Strict: every field is checked
    and every problem named at once (ValidationError keyed by field)."""
    errors: dict[str, str] = {}
    text = {name: clean_text(values.get(name) or "") for name in SELF_FIELDS if name != "is_local"}
    if checkpoint.status == CheckpointStatus.CLOSED:
        raise ValidationError(_("this checkpoint is closed"))
    if not text["name"]:
        errors["name"] = _("the name is required")
    elif len(text["name"]) > 50:
        errors["name"] = _("at most %(limit)d characters") % {"limit": 50}
    id_number = phone = contact_phone = ""
    try:
        id_number = parse_id_number(text["id_number"]).number
    except IdentityError as error:
        errors["id_number"] = str(error)
    try:
        phone = normalize_phone(text["phone"])
    except IdentityError as error:
        errors["phone"] = str(error)
    if text["local_contact_phone"]:
        try:
            contact_phone = normalize_phone(text["local_contact_phone"])
        except IdentityError as error:
            errors["local_contact_phone"] = str(error)
    if not text["from_place"]:
        errors["from_place"] = _("say where you are coming from")
    if text["transport"] not in Transport.values:
        errors["transport"] = _("choose how you travelled")
    limits = {
        "from_place": 100,
        "to_place": 100,
        "trip_number": 20,
        "local_contact": 50,
        "reason": 200,
    }
    for name, limit in limits.items():
        if len(text[name]) > limit:
            errors[name] = _("at most %(limit)d characters") % {"limit": limit}
    return_date = values.get("return_date") or None
    if isinstance(return_date, str):
        errors["return_date"] = _("enter a date")
    elif return_date is not None and abs(return_date - timezone.localdate()) > timedelta(days=60):
        errors["return_date"] = _("the return date must be within 60 days of today")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for _attempt in range(5):
            code = new_code(6)
            if not SelfRegistration.objects.filter(code=code).exists():
                break
        return SelfRegistration.objects.create(
            code=code,
            checkpoint=checkpoint,
            name=text["name"],
            id_number_cipher=crypto.encrypt(id_number, "id_number"),
            id_number_index=crypto.blind_index(id_number, "id_number"),
            phone_cipher=crypto.encrypt(phone, "phone"),
            is_local=bool(values.get("is_local")),
            from_place=text["from_place"],
            to_place=text["to_place"],
            transport=text["transport"],
            trip_number=text["trip_number"].upper(),
            return_date=return_date,
            local_contact=text["local_contact"],
            local_contact_phone_cipher=(
                crypto.encrypt(contact_phone, "phone") if contact_phone else None
            ),
            reason=text["reason"],
        )


# Village lockdowns and passes -------------------------------------------------------------------


@transaction.atomic
def seal_village(
    actor: Actor,
    village: Jurisdiction,
    *,
    reason: str,
    exits: list[Checkpoint],
    starts_at: datetime | None = None,
    planned_end_at: datetime | None = None,
) -> Lockdown:
    """Seal a village (整村封闭): its `exits` become sealed exits where only pass holders go
    through; the planned end defaults to the disease profile's lockdown length."""
    _require(actor, "checkpoints.add_lockdown")
    check_in_jurisdiction(actor, village)
    starts_at = starts_at or timezone.now()
    if planned_end_at is None:
        planned_end_at = starts_at + timedelta(days=DiseaseProfile.current().lockdown_days)
    errors = {}
    if len(village.code) != 12:
        errors["village"] = _("only a village can be sealed")
    if not reason.strip():
        errors["reason"] = _("give the reason for the lockdown")
    if planned_end_at <= starts_at:
        errors["planned_end_at"] = _("the planned end must be after the start")
    if not exits:
        errors["exits"] = _("choose at least one exit to keep manned")
    outside = [c.name for c in exits if not c.jurisdiction_id.startswith(village.code)]
    if outside:
        errors["exits"] = _("not checkpoints of %(village)s: %(names)s") % {
            "village": village.name,
            "names": "、".join(outside),
        }
    if Lockdown.objects.filter(village=village, lifted_at__isnull=True).exists():
        errors["village"] = _("%(village)s is already sealed") % {"village": village.name}
    if errors:
        raise ValidationError(errors)
    lockdown = Lockdown.objects.create(
        village=village,
        reason=reason.strip(),
        starts_at=starts_at,
        planned_end_at=planned_end_at,
        sealed_by=actor.user,
    )
    lockdown.exits.set(exits)
    Checkpoint.objects.filter(pk__in=[c.pk for c in exits]).update(
        status=CheckpointStatus.SEALED_EXIT, updated_at=timezone.now()
    )
    return lockdown


@transaction.atomic
def lift_lockdown(actor: Actor, lockdown: Lockdown, *, note: str = "") -> Lockdown:
    """Lift a lockdown (recorded, not deleted): its exits are open checkpoints again."""
    _require(actor, "checkpoints.change_lockdown")
    check_in_jurisdiction(actor, lockdown.village)
    lockdown = Lockdown.objects.select_for_update().get(pk=lockdown.pk)
    if lockdown.lifted_at is not None:
        raise ValidationError(_("this lockdown was already lifted"))
    lockdown.lifted_at = timezone.now()
    lockdown.lifted_by = actor.user
    lockdown.lift_note = note.strip()[:300]
    lockdown.save(update_fields=["lifted_at", "lifted_by", "lift_note", "updated_at"])
    lockdown.exits.filter(status=CheckpointStatus.SEALED_EXIT).update(
        status=CheckpointStatus.OPEN, updated_at=timezone.now()
    )
    return lockdown


@transaction.atomic
def issue_pass(
    actor: Actor,
    lockdown: Lockdown,
    person: Person,
    *,
    reason: str,
    valid_from: datetime,
    valid_until: datetime,
) -> Pass:
    """A pass through the sealed village's exits for a named person and reason."""
    _require(actor, "checkpoints.add_pass")
    check_in_jurisdiction(actor, lockdown.village)
    errors = {}
    if lockdown.lifted_at is not None:
        errors["lockdown"] = _("this lockdown was lifted: passes are no longer needed")
    if not reason.strip():
        errors["reason"] = _("give the reason for the pass")
    if valid_until <= valid_from:
        errors["valid_until"] = _("the pass must end after it starts")
    elif valid_until > lockdown.planned_end_at + timedelta(days=1):
        errors["valid_until"] = _("a pass cannot outlast the lockdown's planned end")
    if errors:
        raise ValidationError(errors)
    return Pass.objects.create(
        lockdown=lockdown,
        person=person,
        reason=reason.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        issued_by=actor.user,
    )


@transaction.atomic
def revoke_pass(actor: Actor, travel_pass: Pass) -> Pass:
    _require(actor, "checkpoints.change_pass")
    check_in_jurisdiction(actor, travel_pass.lockdown.village)
    if travel_pass.revoked_at is None:
        travel_pass.revoked_at = timezone.now()
        travel_pass.save(update_fields=["revoked_at", "updated_at"])
    return travel_pass


# Revealing a passenger's identity --------------------------------------------------------------

REVEALABLE_PASSENGER_FIELDS = ("id_number", "phone")


def reveal_passenger_field(actor: Actor, passenger: Passenger, field_name: str) -> str:
    """A passenger's clear ID number or phone, for a role that may see it; always audited
    (as services.reveal_person_field does for a person)."""
    if field_name not in REVEALABLE_PASSENGER_FIELDS:
        raise ValueError(field_name)
    if not actor.has_perm("core.reveal_identity"):
        raise PermissionDenied(_("your role may not view full ID numbers or phones"))
    registration = passenger.registration
    check_in_jurisdiction(actor, registration.jurisdiction)
    record_audit(
        actor,
        AuditAction.REVEAL,
        object_type="checkpoints.passenger",
        object_id=str(registration.external_id),
        object_repr=f"{passenger.name} {passenger.id_number_masked}".strip(),
        jurisdiction_code=registration.jurisdiction_id,
        changes={"field": field_name, "position": passenger.position},
    )
    return getattr(passenger, field_name)
