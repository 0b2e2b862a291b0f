"""Quarantine over the API: record a check from a team member's phone (idempotent by the UUID
the phone gave it) and read what the user's team must do today.

The same scoping (`visible_to`) and services as the pages: an order outside the user's
jurisdiction is a 404, a role that may not record checks a 403, and a check the service
refuses a 422 naming each field, in the request's language (Accept-Language; zh-Hans else).
"""

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from fangyi.core.audit import Actor
from fangyi.core.models import DiseaseProfile
from fangyi.core.temperature import TemperatureError, parse_temperature
from fangyi.quarantine import selectors, services
from fangyi.quarantine.models import CheckMethod, FollowUp, QuarantineOrder

router = Router(tags=["quarantine"])

# How a team member records a check here; the self-report link is the family's own way in.
API_METHODS = (CheckMethod.DOOR, CheckMethod.PHONE)
MAX_DUE_DAYS_AWAY = 31


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


# Schemas -------------------------------------------------------------------------------------


class CheckIn(Schema):
    # Strings rather than UUIDs so a malformed one is answered like any other problem.
    client_id: str
    order: str
    day: int
    slot: int
    # int before float: 373 (a missed decimal point) must reach the service as 373, not 373.0.
    temperature: str | int | float | None = None
    symptoms: list[str] = []
    method: str
    note: str = ""


class ProblemOut(Schema):
    field: str
    message: str
    suggestion: str = ""  # e.g. "37.3" for a temperature typed as 373


class CheckOut(Schema):
    client_id: uuid.UUID | None
    order: uuid.UUID
    day: int
    slot: int
    label: str
    due_at: datetime
    status: str
    temperature: Decimal | None
    fever: bool
    symptoms: list[str]
    method: str
    checked_at: datetime | None
    checked_by: str
    late: bool
    note: str

    @staticmethod
    def from_check(check: FollowUp, order: QuarantineOrder) -> dict:
        member = check.checked_by
        return {
            "client_id": check.client_id,
            "order": order.external_id,
            "day": check.day,
            "slot": check.slot,
            "label": services.slot_label(check),
            "due_at": check.due_at,
            "status": check.status,
            "temperature": check.temperature,
            "fever": DiseaseProfile.current().is_fever(check.temperature),
            "symptoms": list(check.symptoms or []),
            "method": check.method,
            "checked_at": check.checked_at,
            "checked_by": (member.full_name or member.username) if member else check.reported_by,
            "late": check.late,
            "note": check.note,
        }


class CheckResultOut(Schema):
    status: str  # created | duplicate
    check: CheckOut


class RejectedOut(Schema):
    status: str  # rejected
    problems: list[ProblemOut]


class Message(Schema):
    detail: str


class SlotOut(Schema):
    day: int
    slot: int
    label: str
    due_at: datetime
    state: str  # done, explained, missed, due (may be recorded now), later
    temperature: Decimal | None
    fever: bool
    symptoms: list[str]
    late: bool
    method: str
    checked_by: str


class DueOut(Schema):
    order: uuid.UUID
    name: str
    phone: str  # masked
    place: str
    kind: str
    kind_label: str
    day_number: int
    days: int
    due_for_release: bool
    overdue: bool
    last_temperature: Decimal | None
    last_fever: bool
    slots: list[SlotOut]


# Checks --------------------------------------------------------------------------------------


def _rejected(problems: list[dict]) -> Status:
    return Status(422, {"status": "rejected", "problems": problems})


def _problem(field: str, message: str, suggestion: str = "") -> dict:
    return {"field": field, "message": message, "suggestion": suggestion}


def _problems_of(error: ValidationError, temperature: object) -> list[dict]:
    if not hasattr(error, "error_dict"):
        return [_problem("__all__", message) for message in error.messages]
    problems = []
    for field, messages in error.message_dict.items():
        suggestion = ""
        if field == "temperature":
            try:
                parse_temperature(temperature)
            except TemperatureError as refused:
                suggestion = str(refused.suggestion or "")
        problems.extend(_problem(field, message, suggestion) for message in messages)
    return problems


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        return None


@router.post(
    "/quarantine/checks",
    response={
        200: CheckResultOut,
        201: CheckResultOut,
        403: Message,
        404: Message,
        422: RejectedOut,
    },
)
def record_check(request, payload: CheckIn):
    """Record one check slot (`day`, `slot` of the order) taken at the door or by phone.
    201: stored ("created"); 200: this `client_id` was stored before, nothing changed
    ("duplicate"); 422: not stored, `problems` names each field to correct; 404: no such order
    in your jurisdiction; 403: your role may not record checks. A fever or a symptom alerts
    the town at once."""
    _require(request, "quarantine.add_followup")
    client_id = _uuid(payload.client_id)
    if client_id is None:
        return _rejected([_problem("client_id", _("not a valid id"))])
    external_id = _uuid(payload.order)
    order = (
        QuarantineOrder.objects.visible_to(request.user).filter(external_id=external_id).first()
        if external_id
        else None
    )
    if order is None:
        return Status(404, {"detail": _("no such quarantine order in your jurisdiction")})
    if payload.method not in API_METHODS:
        return _rejected(
            [_problem("method", _("choose how the check was made: “door” or “phone”"))]
        )
    check = order.checks.filter(day=payload.day, slot=payload.slot).first()
    if check is None:
        return _rejected(
            [
                _problem(
                    "slot",
                    _("this order has no check %(slot)s on day %(day)s")
                    % {"slot": payload.slot, "day": payload.day},
                )
            ]
        )
    try:
        outcome = services.record_check(
            Actor.from_request(request),
            check,
            temperature=payload.temperature,
            symptoms=payload.symptoms,
            method=payload.method,
            client_id=client_id,
            note=payload.note,
        )
    except ValidationError as error:
        return _rejected(_problems_of(error, payload.temperature))
    if outcome.duplicate and outcome.check.order_id != order.pk:
        # An id this phone used for another order's check: say so, show nothing of that one.
        return _rejected([_problem("client_id", _("this id was already used for another check"))])
    body = {"status": "duplicate" if outcome.duplicate else "created"}
    body["check"] = CheckOut.from_check(outcome.check, order)
    return Status(200 if outcome.duplicate else 201, body)


# Due now -------------------------------------------------------------------------------------


@router.get("/quarantine/due", response={200: list[DueOut], 403: Message, 422: Message})
def due_now(request, date: date | None = None):
    """What your team must do: each running order you are on the team of, with its check
    slots due that day or overdue (and the day's recorded ones), overdue people first. `date`
    (local, default today) reads the list as of this time of day on that date."""
    _require(request, "quarantine.view_quarantineorder")
    now = timezone.now()
    if date is not None:
        shift = (date - timezone.localdate(now)).days
        if abs(shift) > MAX_DUE_DAYS_AWAY:
            return Status(
                422, {"detail": _("choose a date within %(n)s days") % {"n": MAX_DUE_DAYS_AWAY}}
            )
        now += timedelta(days=shift)
    cards = selectors.due_now_for(request.user, now)
    return Status(
        200,
        [
            {
                "order": card.external_id,
                "name": card.name,
                "phone": card.phone_masked,
                "place": card.place,
                "kind": card.kind,
                "kind_label": card.kind_label,
                "day_number": card.day_number,
                "days": card.days,
                "due_for_release": card.due_for_release,
                "overdue": card.overdue,
                "last_temperature": card.last_temperature,
                "last_fever": card.last_fever,
                "slots": [
                    {
                        "day": s.day,
                        "slot": s.slot,
                        "label": s.label,
                        "due_at": s.due_at,
                        "state": s.state,
                        "temperature": s.temperature,
                        "fever": s.fever,
                        "symptoms": list(s.symptoms),
                        "late": s.late,
                        "method": s.method,
                        "checked_by": s.checked_by,
                    }
                    for s in card.slots
                ],
            }
            for card in cards
        ],
    )
