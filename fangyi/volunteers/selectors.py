"""Reads for the volunteers pages and API, always scoped (visible_to, or a volunteer's own tasks)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from fangyi.core.models import Jurisdiction
from fangyi.volunteers.models import (
    OPEN_REQUEST,
    RequestStatus,
    ServiceKind,
    ServiceRequest,
    Volunteer,
    VolunteerTeam,
)

SERVED = (RequestStatus.DONE, RequestStatus.CONFIRMED)
RECENT_DONE_DAYS = 3


def volunteers_with_hours(user) -> QuerySet[Volunteer]:
    """The volunteers the user may see, each with `hours_served` and `tasks_done`."""
    served = Q(requests__status__in=SERVED)
    return (
        Volunteer.objects.visible_to(user)
        .select_related("jurisdiction", "team", "user")
        .annotate(
            hours_served=Coalesce(
                Sum("requests__hours", filter=served),
                Value(0),
                output_field=DecimalField(max_digits=8, decimal_places=1),
            ),
            tasks_done=Count("requests", filter=served),
        )
    )


def request_rows(qs: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    return qs.select_related("jurisdiction", "volunteer", "team", "order")


def open_requests(user, now: datetime) -> list[ServiceRequest]:
    """The open requests the user may see: overdue first (oldest first), then by needed-by."""
    rows = list(request_rows(ServiceRequest.objects.visible_to(user).open()))
    for row in rows:
        row.overdue = row.needed_by < now
    rows.sort(key=lambda r: (not r.overdue, r.needed_by, r.pk))
    return rows


def tasks_filter(volunteer: Volunteer) -> Q:
    """Open requests a volunteer may take or holds: dispatched to them; to their team with
    nobody named; to nobody in their village (the rule in services.can_accept)."""
    mine = Q(volunteer=volunteer)
    team = Q(volunteer__isnull=True, team_id=volunteer.team_id) if volunteer.team_id else Q(pk=None)
    free = Q(volunteer__isnull=True, team__isnull=True, jurisdiction_id=volunteer.jurisdiction_id)
    return mine | ((team | free) & Q(status=RequestStatus.NEW))


def my_tasks(volunteer: Volunteer, now: datetime) -> dict:
    """A volunteer's phone page: what they hold, what they may take, what they did lately."""
    base = request_rows(ServiceRequest.objects.filter(tasks_filter(volunteer)))
    open_rows = list(base.filter(status__in=OPEN_REQUEST).order_by("needed_by", "pk"))
    for row in open_rows:
        row.overdue = row.needed_by < now
    since = now - timedelta(days=RECENT_DONE_DAYS)
    done = list(
        base.filter(volunteer=volunteer, status__in=SERVED, done_at__gte=since).order_by("-done_at")
    )
    hours = (
        ServiceRequest.objects.filter(volunteer=volunteer, status__in=SERVED).aggregate(
            h=Sum("hours")
        )["h"]
        or 0
    )
    return {
        "accepted": [r for r in open_rows if r.status == RequestStatus.ACCEPTED],
        "offered": [r for r in open_rows if r.status == RequestStatus.NEW],
        "done": done,
        "hours": hours,
    }


@dataclass
class VillageSummary:
    village: Jurisdiction
    open: int = 0
    overdue: int = 0
    done_today: int = 0
    confirmed: int = 0
    volunteers: int = 0
    hours: object = 0
    by_kind: dict = field(default_factory=dict)


def town_summary(user, now: datetime) -> dict:
    """Per village: open, overdue, delivered today, confirmed; requests by kind; volunteers and
    hours served. Four grouped queries whatever the number of villages."""
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    requests = ServiceRequest.objects.visible_to(user)
    counts = requests.values("jurisdiction").annotate(
        open=Count("pk", filter=Q(status__in=OPEN_REQUEST)),
        overdue=Count("pk", filter=Q(status__in=OPEN_REQUEST, needed_by__lt=now)),
        done_today=Count("pk", filter=Q(status__in=SERVED, done_at__gte=today_start)),
        confirmed=Count("pk", filter=Q(status=RequestStatus.CONFIRMED)),
    )
    kinds = requests.values("jurisdiction", "kind").annotate(n=Count("pk"))
    people = (
        Volunteer.objects.visible_to(user)
        .filter(active=True)
        .values("jurisdiction")
        .annotate(n=Count("pk"))
    )
    hours = requests.filter(status__in=SERVED).values("jurisdiction").annotate(h=Sum("hours"))
    rows: dict[str, VillageSummary] = {}
    codes = {c["jurisdiction"] for c in counts} | {p["jurisdiction"] for p in people}
    villages = Jurisdiction.objects.filter(pk__in=codes).order_by("code")
    for village in villages:
        rows[village.pk] = VillageSummary(village=village)
    for c in counts:
        row = rows[c["jurisdiction"]]
        row.open, row.overdue = c["open"], c["overdue"]
        row.done_today, row.confirmed = c["done_today"], c["confirmed"]
    for p in people:
        rows[p["jurisdiction"]].volunteers = p["n"]
    for h in hours:
        rows[h["jurisdiction"]].hours = h["h"] or 0
    kind_totals = dict.fromkeys(ServiceKind.values, 0)
    for k in kinds:
        rows[k["jurisdiction"]].by_kind[k["kind"]] = k["n"]
        kind_totals[k["kind"]] += k["n"]
    ordered = list(rows.values())
    for row in ordered:
        row.kind_cells = [row.by_kind.get(kind, 0) for kind in ServiceKind.values]
    totals = VillageSummary(village=None)
    for row in ordered:
        totals.open += row.open
        totals.overdue += row.overdue
        totals.done_today += row.done_today
        totals.confirmed += row.confirmed
        totals.volunteers += row.volunteers
        totals.hours += row.hours
    totals.kind_cells = [kind_totals[k] for k in ServiceKind.values]
    return {"rows": ordered, "totals": totals, "kinds": ServiceKind.choices}


def dispatch_choices(village_codes: set[str]) -> dict[str, tuple[list, list]]:
    """{village: ([(volunteer pk, name)], [(team pk, name)])} in two queries."""
    out: dict[str, tuple[list, list]] = {code: ([], []) for code in village_codes}
    people = (
        Volunteer.objects.filter(jurisdiction_id__in=village_codes, active=True)
        .order_by("name", "pk")
        .values_list("jurisdiction_id", "pk", "name")
    )
    for code, pk, name in people:
        out[code][0].append((pk, name))
    teams = (
        VolunteerTeam.objects.filter(jurisdiction_id__in=village_codes)
        .order_by("name")
        .values_list("jurisdiction_id", "pk", "name")
    )
    for code, pk, name in teams:
        out[code][1].append((pk, name))
    return out
