"""Reading a registration as the phone (or the API, or the staff form) sends it.

The payload is JSON-like: {"id": UUID, "checkpoint": code, "occurred_at": ISO time,
"direction": "in"|"out", "plate": "皖R12345"|"", "from_place", "to_place", "reason", "result",
"notes", "passengers": [{"name", "id_number", "phone", "person_id", "self_code", "pass_code",
"temperature", "result"}]}. `parse_registration` checks everything at once and returns the
problems keyed by field path ("passengers.1.temperature"), in the user's language.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from fangyi.checkpoints.models import (
    Checkpoint,
    Direction,
    Result,
    SelfRegistration,
)
from fangyi.checkpoints.plates import PlateError, normalize_plate
from fangyi.core.identity import IdentityError, clean_text, normalize_phone, parse_id_number
from fangyi.core.models import Person
from fangyi.core.temperature import TemperatureError, parse_temperature

MAX_PASSENGERS = 60  # a full coach
# A phone's clock may run a little fast; more than this ahead is a wrong clock, not a registration.
CLOCK_SKEW = timedelta(minutes=10)
TEXT_LIMITS = {"from_place": 100, "to_place": 100, "reason": 200, "notes": 300}


@dataclass
class PassengerDraft:
    name: str
    id_number: str = ""
    phone: str = ""
    person: Person | None = None
    self_registration: SelfRegistration | None = None
    pass_code: str = ""
    temperature: Decimal | None = None
    result: str = ""  # empty: the registration's result


@dataclass
class RegistrationDraft:
    external_id: uuid.UUID
    checkpoint: Checkpoint
    occurred_at: datetime
    direction: str
    plate: str
    result: str
    from_place: str = ""
    to_place: str = ""
    reason: str = ""
    notes: str = ""
    passengers: list[PassengerDraft] = field(default_factory=list)


@dataclass
class Problem:
    field: str
    message: str
    suggestion: str = ""  # e.g. "37.3" for a temperature typed as 373


class Lookups:
    """Finds checkpoints, known people and self-registrations for one actor (a view, the API,
    a batch): only what the actor may use, each looked up once per batch."""

    def __init__(self, checkpoints):
        self._checkpoints = checkpoints  # a queryset already scoped to the actor
        self._by_code: dict[str, Checkpoint | None] = {}

    def checkpoint(self, code: str) -> Checkpoint | None:
        if code not in self._by_code:
            self._by_code[code] = self._checkpoints.filter(code=code).first()
        return self._by_code[code]

    @staticmethod
    def person(external_id: str, checkpoint: Checkpoint) -> Person | None:
        """A person living in the checkpoint's town (the staff page suggests only those)."""
        try:
            key = uuid.UUID(str(external_id))
        except ValueError:
            return None
        town = checkpoint.jurisdiction_id[:9]
        return Person.objects.within(town).filter(external_id=key).first()

    @staticmethod
    def self_registration(code: str, checkpoint: Checkpoint) -> SelfRegistration | None:
        """A traveller's code, for a checkpoint of the same town."""
        found = (
            SelfRegistration.objects.select_related("checkpoint")
            .filter(code=code.strip().upper())
            .first()
        )
        if found and found.checkpoint.jurisdiction_id[:9] == checkpoint.jurisdiction_id[:9]:
            return found
        return None


def _text(data: dict, key: str) -> str:
    return clean_text(data.get(key) or "")


def parse_registration(
    data: object, lookups: Lookups, *, now: datetime | None = None
) -> tuple[RegistrationDraft | None, list[Problem]]:
    now = now or timezone.now()
    if not isinstance(data, dict):
        return None, [Problem("", _("a registration must be an object"))]
    problems: list[Problem] = []

    def problem(path: str, message: str, suggestion: str = "") -> None:
        problems.append(Problem(path, message, suggestion))

    try:
        external_id = uuid.UUID(str(data.get("id") or ""))
    except ValueError:
        external_id = None
        problem("id", _("each registration needs the UUID the phone gave it"))

    code = _text(data, "checkpoint").upper()
    checkpoint = lookups.checkpoint(code) if code else None
    if checkpoint is None:
        problem("checkpoint", _("there is no checkpoint with code “%(code)s”") % {"code": code})

    occurred_at = None
    raw_time = data.get("occurred_at")
    if raw_time in (None, ""):
        occurred_at = now
    else:
        try:
            occurred_at = parse_datetime(str(raw_time))
        except ValueError:
            occurred_at = None
        if occurred_at is not None and timezone.is_naive(occurred_at):
            occurred_at = timezone.make_aware(occurred_at)
        if occurred_at is None:
            problem("occurred_at", _("“%(value)s” is not a time") % {"value": raw_time})
        elif occurred_at > now + CLOCK_SKEW:
            problem("occurred_at", _("the time is in the future: check the phone's clock"))

    direction = _text(data, "direction")
    if direction not in Direction.values:
        problem("direction", _("choose in or out"))

    plate = _text(data, "plate")
    if plate:
        try:
            plate = normalize_plate(plate)
        except PlateError as error:
            problem("plate", str(error))

    result = _text(data, "result")
    if result not in Result.values or result == Result.REFUSED:
        problem("result", _("choose the result of the check"))

    texts = {}
    for key, limit in TEXT_LIMITS.items():
        texts[key] = _text(data, key)
        if len(texts[key]) > limit:
            problem(key, _("at most %(limit)d characters") % {"limit": limit})

    passengers: list[PassengerDraft] = []
    raw_passengers = data.get("passengers")
    if not isinstance(raw_passengers, list) or not raw_passengers:
        problem("passengers", _("register at least one person"))
        raw_passengers = []
    elif len(raw_passengers) > MAX_PASSENGERS:
        problem("passengers", _("at most %(limit)d people") % {"limit": MAX_PASSENGERS})
        raw_passengers = []
    for index, raw in enumerate(raw_passengers):
        draft = _parse_passenger(raw, f"passengers.{index}", checkpoint, lookups, problem)
        if draft is not None:
            passengers.append(draft)

    if problems:
        return None, problems
    return (
        RegistrationDraft(
            external_id=external_id,
            checkpoint=checkpoint,
            occurred_at=occurred_at,
            direction=direction,
            plate=plate,
            result=result,
            passengers=passengers,
            **texts,
        ),
        [],
    )


def _parse_passenger(raw, path, checkpoint, lookups, problem) -> PassengerDraft | None:
    if not isinstance(raw, dict):
        problem(path, _("a person must be an object"))
        return None
    draft = PassengerDraft(name=_text(raw, "name"))
    ok = True
    self_code = _text(raw, "self_code")
    if self_code and checkpoint is not None:
        found = lookups.self_registration(self_code, checkpoint)
        if found is None:
            problem(
                f"{path}.self_code",
                _("no self-registration has the code “%(code)s”") % {"code": self_code},
            )
            ok = False
        else:
            draft.self_registration = found
            draft.name = draft.name or found.name
            draft.id_number = found.id_number
            draft.phone = found.phone
    person_id = _text(raw, "person_id")
    if person_id and checkpoint is not None:
        draft.person = lookups.person(person_id, checkpoint)
        if draft.person is None:
            problem(f"{path}.person_id", _("that resident is not known in this town"))
            ok = False
        else:
            draft.name = draft.name or draft.person.name
    if not draft.name:
        problem(f"{path}.name", _("the name is required"))
        ok = False
    elif len(draft.name) > 50:
        problem(f"{path}.name", _("at most %(limit)d characters") % {"limit": 50})
        ok = False
    if raw_id := _text(raw, "id_number"):
        try:
            draft.id_number = parse_id_number(raw_id).number
        except IdentityError as error:
            problem(f"{path}.id_number", str(error))
            ok = False
    if raw_phone := _text(raw, "phone"):
        try:
            draft.phone = normalize_phone(raw_phone)
        except IdentityError as error:
            problem(f"{path}.phone", str(error))
            ok = False
    if ok and not (draft.id_number or draft.phone or draft.person):
        problem(f"{path}.id_number", _("enter the ID number or the phone number"))
        ok = False
    try:
        draft.temperature = parse_temperature(raw.get("temperature"))
    except TemperatureError as error:
        problem(f"{path}.temperature", str(error), str(error.suggestion or ""))
        ok = False
    draft.result = _text(raw, "result")
    if draft.result and (draft.result not in Result.values or draft.result == Result.REFUSED):
        problem(f"{path}.result", _("choose the result of the check"))
        ok = False
    draft.pass_code = _text(raw, "pass_code").upper()
    return draft if ok else None
