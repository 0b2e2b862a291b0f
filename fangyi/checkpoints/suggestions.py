"""What the staff registration screen suggests as the staff type: the plates seen lately at
their checkpoint (with who was in the car) and the local residents who pass it.

Reads only, scoped: the checkpoint comes from `Checkpoint.objects.visible_to(user)`, its plates
from `Registration.objects.visible_to(user)`, and people only from the checkpoint's town (the
registration accepts a `person_id` only for those, see registering.Lookups.person). ID numbers
and phones leave here masked, whatever the role: the phone at the checkpoint never holds them.
"""

import re
import unicodedata
from datetime import timedelta

from django.db.models import Count, Max
from django.utils import timezone

from fangyi.checkpoints.models import Checkpoint, Passenger, Registration
from fangyi.core.models import Person
from fangyi.core.selectors import person_match

RECENT_DAYS = 30  # how far back "recent" plates and "frequent" residents go
RECENT_PLATES = 30  # kept on the phone for offline use
FREQUENT_PEOPLE = 40
MATCHES = 8  # shown while typing
_PLATE_NOISE = re.compile(r"[\s·•.\-_]")


def town_of(checkpoint: Checkpoint) -> str:
    return checkpoint.jurisdiction_id[:9]


def _plate_query(query: str) -> str:
    return _PLATE_NOISE.sub("", unicodedata.normalize("NFKC", query)).upper()


def recent_plates(
    user, checkpoint: Checkpoint, query: str = "", limit: int = RECENT_PLATES
) -> list[dict]:
    """The plates registered lately at `checkpoint`, newest first, each with the people of its
    last registration (their `person_id` when they live in the checkpoint's town, so choosing
    the plate registers them again without typing)."""
    since = timezone.localdate() - timedelta(days=RECENT_DAYS)
    registrations = (
        Registration.objects.visible_to(user)
        .filter(checkpoint=checkpoint, local_date__gte=since)
        .exclude(plate="")
    )
    if plate := _plate_query(query):
        registrations = registrations.filter(plate__contains=plate)
    latest = list(
        registrations.values("plate")
        .annotate(last=Max("occurred_at"), times=Count("pk"))
        .order_by("-last")[:limit]
    )
    if not latest:
        return []
    last_of = {row["plate"]: row for row in latest}
    newest = {}  # plate → id of its newest registration
    for pk, plate, occurred_at in registrations.filter(plate__in=last_of).values_list(
        "pk", "plate", "occurred_at"
    ):
        if occurred_at == last_of[plate]["last"] and plate not in newest:
            newest[plate] = pk
    passengers: dict[int, list[dict]] = {}
    for passenger in (
        Passenger.objects.filter(registration_id__in=newest.values())
        .select_related("person")
        .order_by("registration_id", "position")
    ):
        passengers.setdefault(passenger.registration_id, []).append(
            _passenger_json(passenger, town_of(checkpoint))
        )
    return [
        {
            "plate": row["plate"],
            "display": Registration(plate=row["plate"]).plate_display,
            "last": timezone.localtime(row["last"]).isoformat(),
            "times": row["times"],
            "passengers": passengers.get(newest.get(row["plate"]), []),
        }
        for row in latest
    ]


def _passenger_json(passenger: Passenger, town: str) -> dict:
    person = passenger.person
    local = person is not None and person.jurisdiction_id.startswith(town)
    return {
        "name": passenger.name,
        "person_id": str(person.external_id) if local else "",
        "id_masked": passenger.id_number_masked,
        "phone_masked": passenger.phone_masked,
    }


def local_residents(
    user, checkpoint: Checkpoint, query: str = "", limit: int = MATCHES
) -> list[dict]:
    """People of the checkpoint's town. With a query: those matching it (name, pinyin, phone
    tail, a full ID or phone; see core.selectors.person_match). Without: the ones who passed
    this checkpoint most often lately."""
    town = town_of(checkpoint)
    people = Person.objects.within(town).select_related("jurisdiction")
    if query.strip():
        match = person_match(query)
        found = list(people.filter(match).order_by("name_pinyin", "pk")[:limit])
        return [_person_json(person) for person in found]
    since = timezone.localdate() - timedelta(days=RECENT_DAYS)
    registrations = Registration.objects.visible_to(user).filter(
        checkpoint=checkpoint, local_date__gte=since
    )
    frequent = list(
        Passenger.objects.filter(registration__in=registrations, person__isnull=False)
        .values("person_id")
        .annotate(times=Count("pk"))
        .order_by("-times", "person_id")[: limit * 2]
    )
    by_pk = people.in_bulk([row["person_id"] for row in frequent])
    chosen = [
        (by_pk[row["person_id"]], row["times"]) for row in frequent if row["person_id"] in by_pk
    ]
    return [_person_json(person, times) for person, times in chosen[:limit]]


def _person_json(person: Person, times: int = 0) -> dict:
    return {
        "person_id": str(person.external_id),
        "name": person.name,
        "pinyin": person.name_pinyin,
        "initials": person.name_initials,
        "id_masked": person.id_number_masked,
        "phone_masked": person.phone_masked,
        "place": person.jurisdiction.name,
        "times": times,
    }


def suggestions_for(user, checkpoint: Checkpoint, query: str = "") -> dict:
    """The JSON the screen asks for: without a query, what it keeps for offline use."""
    if query.strip():
        return {
            "checkpoint": checkpoint.code,
            "query": query,
            "plates": recent_plates(user, checkpoint, query, MATCHES),
            "people": local_residents(user, checkpoint, query, MATCHES),
        }
    return {
        "checkpoint": checkpoint.code,
        "query": "",
        "plates": recent_plates(user, checkpoint),
        "people": local_residents(user, checkpoint, limit=FREQUENT_PEOPLE),
        "generated_at": timezone.localtime().isoformat(),
    }
