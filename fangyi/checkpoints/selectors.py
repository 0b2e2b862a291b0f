"""Reads of the checkpoints app: the registration list's filters, a registration's page, the
statistics (one GROUP BY, never a query per row), a lockdown's refused attempts.

Callers pass the user; every read goes through `visible_to(user)`.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_date

from fangyi.checkpoints.models import (
    Checkpoint,
    Direction,
    Lockdown,
    Pass,
    Passenger,
    Registration,
    Result,
)
from fangyi.core.models import Alert, Jurisdiction, JurisdictionLevel, User
from fangyi.ledger.models import RiskLevel

# The query-string keys `filter_registrations` reads (the list page and its pager).
FILTER_KEYS = ("checkpoint", "day", "direction", "result", "fever", "conflict", "plate")
_TRUE = ("1", "on", "true")
_PLATE_NOISE = re.compile(r"[\s·•.\-_]")


def _date(value: str | None) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def plate_query(raw: str) -> str:
    """What staff type to find a plate ("皖r·123" → "皖R123"), compared with `contains`."""
    return _PLATE_NOISE.sub("", raw or "").upper()[:8]


def filter_registrations(
    registrations: QuerySet[Registration], params: Mapping[str, str]
) -> QuerySet[Registration]:
    """Narrow already-scoped `registrations` by the list's filters, read from a query string.

    Keys: checkpoint (its code), day (YYYY-MM-DD, local day), direction, result, fever ("on":
    someone had a fever), conflict ("on": kept despite a conflict), plate (part of a plate).
    Malformed values are ignored here; the form shows them.
    """
    if code := (params.get("checkpoint") or "").strip().upper():
        registrations = registrations.filter(checkpoint__code=code)
    if day := _date(params.get("day")):
        registrations = registrations.filter(local_date=day)
    if (direction := params.get("direction")) in Direction.values:
        registrations = registrations.filter(direction=direction)
    if (result := params.get("result")) in Result.values:
        registrations = registrations.filter(result=result)
    if params.get("fever") in _TRUE:
        registrations = registrations.filter(fever_count__gt=0)
    if params.get("conflict") in _TRUE:
        registrations = registrations.exclude(conflict="")
    if plate := plate_query(params.get("plate") or ""):
        registrations = registrations.filter(plate__contains=plate)
    return registrations


def registration_rows(user: User, params: Mapping[str, str]) -> QuerySet[Registration]:
    """The list page's registrations, newest first, with what a row shows (no query per row)."""
    registrations = Registration.objects.visible_to(user)
    return (
        filter_registrations(registrations, params)
        .select_related("checkpoint")
        .prefetch_related("passengers")
        .order_by("-occurred_at", "-id")
    )


def visible_checkpoints(user: User) -> QuerySet[Checkpoint]:
    return Checkpoint.objects.visible_to(user).select_related("jurisdiction")


def checkpoint_choices(user: User) -> list[Checkpoint]:
    """The checkpoints a filter offers: code and name, in the usual order."""
    return list(Checkpoint.objects.visible_to(user).only("code", "name", "jurisdiction_id"))


def registration_for_page(user: User, external_id) -> Registration | None:
    return (
        Registration.objects.visible_to(user)
        .select_related("checkpoint__jurisdiction", "recorded_by")
        .filter(external_id=external_id)
        .first()
    )


def registration_passengers(registration: Registration) -> list[Passenger]:
    """Its passengers in order, each with `risk_label` ("high risk"...) for the page."""
    passengers = list(
        registration.passengers.select_related("person", "travel_pass", "ledger_entry").order_by(
            "position"
        )
    )
    labels = dict(RiskLevel.choices)
    for passenger in passengers:
        passenger.risk_label = labels.get(passenger.risk_level, passenger.risk_level)
    return passengers


def registration_alerts(user: User, link: str) -> QuerySet[Alert]:
    """The alerts a registration raised (each links to it), as the user may see them."""
    return Alert.objects.visible_to(user).filter(link=link).select_related("acknowledged_by")


# Statistics ----------------------------------------------------------------------------------


@dataclass
class Figures:
    """A checkpoint's (or the town's) tallies, as the daily reports give them."""

    vehicles: int = 0  # vehicles checked (registrations with a plate)
    people: int = 0  # people checked
    vehicles_persuaded: int = 0  # vehicles persuaded back (劝返车辆)
    people_persuaded: int = 0  # people persuaded back (劝返人员)
    fevers: int = 0  # fevers found
    quarantined: int = 0  # sent to home quarantine or centralized observation
    refused: int = 0  # refused attempts at sealed exits (no valid pass)

    def add(self, other: "Figures") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def is_empty(self) -> bool:
        return not any(self.as_dict().values())


FIGURE_NAMES = tuple(f.name for f in fields(Figures))


def _aggregates(where: Q | None = None, prefix: str = "") -> dict:
    """The figures as aggregates of registrations (counted only where `where` holds)."""
    where = where or Q()
    vehicle = where & ~Q(plate="")

    def total(field: str) -> Coalesce:
        return Coalesce(Sum(field, filter=where or None), 0)

    return {
        f"{prefix}vehicles": Count("pk", filter=vehicle),
        f"{prefix}people": total("people_count"),
        f"{prefix}vehicles_persuaded": Count(
            "pk", filter=vehicle & Q(result=Result.PERSUADED_BACK)
        ),
        f"{prefix}people_persuaded": total("persuaded_count"),
        f"{prefix}fevers": total("fever_count"),
        f"{prefix}quarantined": total("quarantined_count"),
        f"{prefix}refused": Count("pk", filter=where & Q(result=Result.REFUSED)),
    }


_AGGREGATES = _aggregates()


def _figures(row: Mapping, prefix: str = "") -> Figures:
    return Figures(**{name: row[prefix + name] or 0 for name in FIGURE_NAMES})


@dataclass
class CheckpointFigures:
    checkpoint: Checkpoint
    days: list[Figures]  # one per day of `Statistics.days`
    total: Figures


@dataclass
class Statistics:
    start: date
    end: date
    days: list[date]  # newest first
    checkpoints: list[CheckpointFigures]
    day_totals: list[Figures]  # the whole jurisdiction, one per day of `days`
    total: Figures  # the whole jurisdiction over start..end
    cumulative: Figures  # since the first registration, up to `end`
    first_day: date | None  # of the first registration (None: none yet)
    today: date = field(default_factory=timezone.localdate)


def default_range(today: date | None = None) -> tuple[date, date]:
    """Today and the 7 days before it."""
    today = today or timezone.localdate()
    return today - timedelta(days=7), today


def checkpoint_statistics(
    user: User, start: date, end: date, *, checkpoint: Checkpoint | None = None
) -> Statistics:
    """Per checkpoint and per day figures between `start` and `end` (local days, inclusive),
    the jurisdiction's totals, and the cumulative totals since the first registration.

    Three queries whatever the number of checkpoints and days: the GROUP BY (checkpoint, day),
    the cumulative aggregate, and the checkpoints themselves.
    """
    registrations = Registration.objects.visible_to(user)
    checkpoints = visible_checkpoints(user)
    if checkpoint is not None:
        registrations = registrations.filter(checkpoint=checkpoint)
        checkpoints = checkpoints.filter(pk=checkpoint.pk)
    grouped = (
        registrations.filter(local_date__gte=start, local_date__lte=end)
        .values("checkpoint_id", "local_date")
        .annotate(**_AGGREGATES)
        .order_by()
    )
    by_key = {(row["checkpoint_id"], row["local_date"]): _figures(row) for row in grouped}
    cumulative_row = registrations.filter(local_date__lte=end).aggregate(
        first_day=Min("local_date"), **_AGGREGATES
    )
    days = [end - timedelta(days=n) for n in range((end - start).days + 1)]
    # A checkpoint moved to another village keeps its registrations' old jurisdiction: its rows
    # are shown all the same.
    counted = {pk for pk, _day in by_key}
    known = list((checkpoints | Checkpoint.objects.filter(pk__in=counted)).distinct())
    known.sort(key=lambda c: (c.jurisdiction_id, c.name, c.pk))
    rows, day_totals, total = [], [Figures() for _day in days], Figures()
    for found in known:
        per_day = [by_key.get((found.pk, day), Figures()) for day in days]
        checkpoint_total = Figures()
        for index, figures in enumerate(per_day):
            checkpoint_total.add(figures)
            day_totals[index].add(figures)
        total.add(checkpoint_total)
        rows.append(CheckpointFigures(found, per_day, checkpoint_total))
    return Statistics(
        start=start,
        end=end,
        days=days,
        checkpoints=rows,
        day_totals=day_totals,
        total=total,
        cumulative=_figures(cumulative_row),
        first_day=cumulative_row["first_day"],
    )


def figures_of_day(user: User, day: date) -> tuple[Figures, Figures]:
    """The jurisdiction's figures of one day and the cumulative figures up to it, in one
    aggregate: the home page's panel."""
    row = (
        Registration.objects.visible_to(user)
        .filter(local_date__lte=day)
        .aggregate(**_AGGREGATES, **_aggregates(Q(local_date=day), prefix="day_"))
    )
    return _figures(row, prefix="day_"), _figures(row)


# Lockdowns -----------------------------------------------------------------------------------


def lockdowns_for_list(user: User) -> QuerySet[Lockdown]:
    return (
        Lockdown.objects.visible_to(user)
        .select_related("village", "sealed_by", "lifted_by")
        .annotate(
            exit_count=Count("exits", distinct=True), pass_count=Count("passes", distinct=True)
        )
        .order_by(F("lifted_at").asc(nulls_first=True), "-starts_at", "-pk")  # active first
    )


def lockdown_for_page(user: User, pk: int) -> Lockdown | None:
    return (
        Lockdown.objects.visible_to(user)
        .select_related("village", "sealed_by", "lifted_by")
        .filter(pk=pk)
        .first()
    )


def lockdown_passes(lockdown: Lockdown) -> list[Pass]:
    return list(
        lockdown.passes.select_related("person", "issued_by").order_by("revoked_at", "-valid_from")
    )


def refused_attempts(lockdown: Lockdown, limit: int = 100) -> list[Registration]:
    """Registrations refused at the lockdown's exits since it started, newest first."""
    attempts = Registration.objects.filter(
        checkpoint__in=lockdown.exits.all(),
        result=Result.REFUSED,
        occurred_at__gte=lockdown.starts_at,
    )
    if lockdown.lifted_at is not None:
        attempts = attempts.filter(occurred_at__lt=lockdown.lifted_at)
    return list(
        attempts.select_related("checkpoint")
        .prefetch_related("passengers")
        .order_by("-occurred_at", "-id")[:limit]
    )


def sealable_villages(user: User) -> QuerySet[Jurisdiction]:
    """The villages of the user's jurisdiction (a town commander's: the town's villages)."""
    villages = Jurisdiction.objects.filter(level=JurisdictionLevel.VILLAGE).order_by("code")
    if user.jurisdiction_id:
        return villages.within(user.jurisdiction_id)
    return villages if user.is_superuser else villages.none()


def village_checkpoints(user: User, village: Jurisdiction | None) -> QuerySet[Checkpoint]:
    """The checkpoints of a village (and its groups) that the user may see."""
    if village is None:
        return Checkpoint.objects.none()
    return visible_checkpoints(user).within(village.code).order_by("name", "pk")


def pass_for_page(user: User, code: str) -> Pass | None:
    """A pass, if the user may see its lockdown."""
    return (
        Pass.objects.filter(
            lockdown__in=Lockdown.objects.visible_to(user), code=(code or "").strip().upper()
        )
        .select_related("lockdown__village", "person__jurisdiction", "issued_by")
        .first()
    )
