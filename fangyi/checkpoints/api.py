"""Checkpoints over the API: registrations (one, or an offline phone's batch), their list, the
checkpoints a user may register at, and the lookup of a traveller's self-registration code.

The same scoping (`visible_to`) and services as the pages. A registration is idempotent by the
UUID its phone gave it: sending it again changes nothing and answers "duplicate".
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from fangyi.checkpoints import selectors, services
from fangyi.checkpoints.models import Checkpoint, Passenger, Registration, SelfRegistration
from fangyi.core.api_pages import pages_of
from fangyi.core.audit import Actor

router = Router(tags=["checkpoints"])


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


# Schemas -------------------------------------------------------------------------------------


class PassengerIn(Schema):
    name: str = ""
    id_number: str = ""
    phone: str = ""
    person_id: str = ""
    self_code: str = ""
    pass_code: str = ""
    temperature: str | float | None = None
    result: str = ""


class RegistrationIn(Schema):
    id: str
    checkpoint: str
    occurred_at: str = ""
    direction: str
    plate: str = ""
    from_place: str = ""
    to_place: str = ""
    reason: str = ""
    result: str
    notes: str = ""
    passengers: list[PassengerIn]


class BatchIn(Schema):
    # Items are checked one by one (not by the schema), so one malformed item cannot make the
    # whole batch fail: it comes back "rejected" with its reasons.
    registrations: list[dict[str, Any]]


class ProblemOut(Schema):
    field: str
    message: str
    suggestion: str


class OutcomeOut(Schema):
    id: str
    status: str  # created | duplicate | refused | rejected
    problems: list[ProblemOut]
    notices: list[str]
    conflict: str
    result: str


class BatchOut(Schema):
    results: list[OutcomeOut]


class Message(Schema):
    detail: str


class CheckpointOut(Schema):
    code: str
    name: str
    kind: str
    status: str
    jurisdiction_code: str
    jurisdiction_name: str
    location: str
    round_the_clock: bool

    @staticmethod
    def from_checkpoint(checkpoint: Checkpoint) -> dict:
        return {
            "code": checkpoint.code,
            "name": checkpoint.name,
            "kind": checkpoint.kind,
            "status": checkpoint.status,
            "jurisdiction_code": checkpoint.jurisdiction_id,
            "jurisdiction_name": checkpoint.jurisdiction.name,
            "location": checkpoint.location,
            "round_the_clock": checkpoint.is_round_the_clock,
        }


class PassengerOut(Schema):
    name: str
    id_number: str
    phone: str
    temperature: Decimal | None
    result: str
    fever: bool
    risk_level: str
    leaving_quarantine: bool

    @staticmethod
    def from_passenger(passenger: Passenger) -> dict:
        """ID numbers and phones are always masked here."""
        return {
            "name": passenger.name,
            "id_number": passenger.id_number_masked,
            "phone": passenger.phone_masked,
            "temperature": passenger.temperature,
            "result": passenger.result,
            "fever": passenger.fever,
            "risk_level": passenger.risk_level,
            "leaving_quarantine": passenger.leaving_quarantine,
        }


class RegistrationOut(Schema):
    id: UUID
    checkpoint_code: str
    checkpoint_name: str
    occurred_at: datetime
    received_at: datetime
    direction: str
    plate: str
    from_place: str
    to_place: str
    reason: str
    result: str
    people_count: int
    fever_count: int
    conflict: str
    passengers: list[PassengerOut]

    @staticmethod
    def from_registration(registration: Registration) -> dict:
        return {
            "id": registration.external_id,
            "checkpoint_code": registration.checkpoint.code,
            "checkpoint_name": registration.checkpoint.name,
            "occurred_at": registration.occurred_at,
            "received_at": registration.received_at,
            "direction": registration.direction,
            "plate": registration.plate_display,
            "from_place": registration.from_place,
            "to_place": registration.to_place,
            "reason": registration.reason,
            "result": registration.result,
            "people_count": registration.people_count,
            "fever_count": registration.fever_count,
            "conflict": registration.conflict,
            "passengers": [PassengerOut.from_passenger(p) for p in registration.passengers.all()],
        }


class SelfRegistrationOut(Schema):
    code: str
    name: str
    id_number: str
    phone: str
    is_local: bool
    from_place: str
    to_place: str
    transport: str
    trip_number: str
    return_date: date | None
    reason: str
    submitted_at: datetime
    usable: bool
    used: bool


# Registrations -------------------------------------------------------------------------------


@router.post(
    "/checkpoints/registrations",
    response={200: OutcomeOut, 201: OutcomeOut, 422: OutcomeOut},
)
def create_registration(request, payload: RegistrationIn):
    """Register one check. 201: stored (status "created", or "refused" for an attempt at a
    sealed exit without a valid pass, stored all the same); 200: this UUID was stored before,
    nothing changed; 422: not stored, `problems` names each field to correct."""
    outcome = services.record_registration(Actor.from_request(request), payload.dict())
    code = {
        services.OutcomeStatus.DUPLICATE: 200,
        services.OutcomeStatus.REJECTED: 422,
    }.get(outcome.status, 201)
    return Status(code, outcome.as_json())


@router.post("/checkpoints/registrations/batch", response={200: BatchOut, 422: Message})
def create_registrations(request, payload: BatchIn):
    """What an offline phone kept, sent at once: each registration is stored or rejected on its
    own, in order; `results` answers each by its id (created, duplicate, refused, rejected)."""
    try:
        outcomes = services.record_registrations(Actor.from_request(request), payload.registrations)
    except ValidationError as error:
        return Status(422, {"detail": " ".join(error.messages)})
    return Status(200, {"results": [outcome.as_json() for outcome in outcomes]})


@router.get("/checkpoints/registrations", response=list[RegistrationOut])
@paginate(pages_of(RegistrationOut.from_registration), page_size=50)
def list_registrations(request, checkpoint: str = "", day: date | None = None):
    """Registrations in your jurisdiction, newest first; filter by checkpoint code and local
    day. ID numbers and phones are masked."""
    _require(request, "checkpoints.view_registration")
    registrations = (
        Registration.objects.visible_to(request.user)
        .select_related("checkpoint")
        .prefetch_related("passengers")
    )
    if checkpoint:
        registrations = registrations.filter(checkpoint__code=checkpoint.strip().upper())
    if day:
        registrations = registrations.filter(local_date=day)
    return registrations.order_by("-occurred_at", "-id")


# Checkpoints ---------------------------------------------------------------------------------


@router.get("/checkpoints", response=list[CheckpointOut])
def list_checkpoints(request):
    """The checkpoints in your jurisdiction (where you may register)."""
    _require(request, "checkpoints.view_checkpoint")
    checkpoints = Checkpoint.objects.visible_to(request.user).select_related("jurisdiction")
    return [CheckpointOut.from_checkpoint(c) for c in checkpoints]


@router.get(
    "/checkpoints/self-registrations/{code}", response={200: SelfRegistrationOut, 404: Message}
)
def get_self_registration(request, code: str):
    """A traveller's self-registration by the code they show, for staff of the same town
    (ID number and phone masked). Expired or used codes are shown as not usable."""
    _require(request, "checkpoints.add_registration")
    user = request.user
    found = get_object_or_404(
        SelfRegistration.objects.select_related("checkpoint"), code=code.strip().upper()
    )
    town = found.checkpoint.jurisdiction_id[:9]
    if not (user.is_superuser and user.jurisdiction_id is None) and not (
        user.jurisdiction_id and town.startswith(user.jurisdiction_id[:9])
    ):
        return Status(404, {"detail": "Not Found"})
    return Status(
        200,
        {
            "code": found.code,
            "name": found.name,
            "id_number": found.id_number_masked,
            "phone": found.phone_masked,
            "is_local": found.is_local,
            "from_place": found.from_place,
            "to_place": found.to_place,
            "transport": found.transport,
            "trip_number": found.trip_number,
            "return_date": found.return_date,
            "reason": found.reason,
            "submitted_at": found.submitted_at,
            "usable": found.is_usable(timezone.now()),
            "used": found.registration_id is not None,
        },
    )


# Statistics ----------------------------------------------------------------------------------


class FiguresOut(Schema):
    vehicles: int
    people: int
    vehicles_persuaded: int
    people_persuaded: int
    fevers: int
    quarantined: int
    refused: int


class DayFiguresOut(FiguresOut):
    date: date


class CheckpointFiguresOut(Schema):
    code: str
    name: str
    kind: str
    jurisdiction_code: str
    days: list[DayFiguresOut]
    total: FiguresOut


class StatisticsOut(Schema):
    start: date
    end: date
    first_day: date | None
    days: list[DayFiguresOut]
    checkpoints: list[CheckpointFiguresOut]
    total: FiguresOut
    cumulative: FiguresOut


MAX_STATISTICS_DAYS = 92


@router.get("/checkpoints/statistics", response={200: StatisticsOut, 422: Message})
def checkpoint_statistics(
    request, start: date | None = None, end: date | None = None, checkpoint: str = ""
):
    """Per checkpoint and per day figures (vehicles and people checked, persuaded back, fevers
    found, sent to quarantine, refused at sealed exits) for your jurisdiction, from `start` to
    `end` (local days, inclusive; default today and the 7 days before, at most 92 days), the
    totals per day, over the range, and cumulative since the first registration up to `end`.
    Days are oldest first."""
    _require(request, "checkpoints.view_registration")
    default_start, default_end = selectors.default_range()
    start, end = start or default_start, end or default_end
    if end < start:
        return Status(422, {"detail": "end is before start"})
    if (end - start).days >= MAX_STATISTICS_DAYS:
        return Status(422, {"detail": f"at most {MAX_STATISTICS_DAYS} days at a time"})
    chosen = None
    if checkpoint:
        chosen = (
            Checkpoint.objects.visible_to(request.user)
            .filter(code=checkpoint.strip().upper())
            .first()
        )
        if chosen is None:
            return Status(422, {"detail": f"no checkpoint with code {checkpoint!r}"})
    stats = selectors.checkpoint_statistics(request.user, start, end, checkpoint=chosen)

    def days(figures: list[selectors.Figures]) -> list[dict]:
        pairs = zip(stats.days, figures, strict=True)
        return [{"date": day, **f.as_dict()} for day, f in reversed(list(pairs))]

    return Status(
        200,
        {
            "start": stats.start,
            "end": stats.end,
            "first_day": stats.first_day,
            "days": days(stats.day_totals),
            "checkpoints": [
                {
                    "code": row.checkpoint.code,
                    "name": row.checkpoint.name,
                    "kind": row.checkpoint.kind,
                    "jurisdiction_code": row.checkpoint.jurisdiction_id,
                    "days": days(row.days),
                    "total": row.total.as_dict(),
                }
                for row in stats.checkpoints
            ],
            "total": stats.total.as_dict(),
            "cumulative": stats.cumulative.as_dict(),
        },
    )
