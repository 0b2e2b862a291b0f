"""Builders for the tracing tests: checkpoint registrations of cars with several people, and
cases reported through the service."""

import uuid
from datetime import date, datetime

from django.utils import timezone

from fangyi.checkpoints import services as checkpoint_services
from fangyi.checkpoints.models import Checkpoint, Registration
from fangyi.core.audit import Actor
from fangyi.core.models import Person
from fangyi.tracing import services
from fangyi.tracing.models import Case

SYSTEM = Actor.system("test")


def register_car(
    checkpoint: Checkpoint,
    people: list[Person | dict],
    *,
    plate: str = "皖R12345",
    at: datetime | None = None,
    direction: str = "in",
) -> Registration:
    """A car through `checkpoint` with these people (a Person, or a passenger dict for someone
    not known as a person), recorded by the checkpoints service."""
    passengers = [
        {"name": p.name, "id_number": p.id_number} if isinstance(p, Person) else p for p in people
    ]
    outcome = checkpoint_services.record_registration(
        SYSTEM,
        {
            "id": str(uuid.uuid4()),
            "checkpoint": checkpoint.code,
            "direction": direction,
            "plate": plate,
            "result": "passed",
            "occurred_at": (at or timezone.now()).isoformat(),
            "from_place": "合肥市",
            "passengers": passengers,
        },
    )
    assert outcome.registration is not None, outcome.problems
    return outcome.registration


def make_case(
    person: Person,
    classification: str = "confirmed",
    *,
    onset_date: date | None = None,
    report_date: date | None = None,
    actor: Actor = SYSTEM,
) -> Case:
    return services.report_case(
        actor,
        person,
        classification=classification,
        onset_date=onset_date,
        report_date=report_date,
    )
