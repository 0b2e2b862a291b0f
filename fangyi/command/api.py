"""The command post over the API (mounted at /api/v1/ by fangyi/api.py): a jurisdiction's
figures on a day, its table by sub-jurisdiction, checkpoints open and stock; and the daily
briefings, as stored (a published one never changes).

Scoped like the pages (`selectors.dashboard_jurisdiction`, `Briefing.objects.visible_to`): a
jurisdiction or briefing outside the user's reach is a 404 (the same as an unknown one), a role
without `command.view_dashboard` / `command.view_briefing` a 403; a malformed day, or for the
dashboard one after today, is a 422."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from fangyi.command import selectors
from fangyi.command.models import Briefing

router = Router(tags=["command"])
VIEW = "command.view_dashboard"
VIEW_BRIEFING = "command.view_briefing"
BRIEFINGS_MAX = 200


class Message(Schema):
    detail: str


class FigureOut(Schema):
    key: str
    section: str
    kind: str
    label: str
    problem: bool
    value: int
    previous: int
    change: int
    total: int | None


class ChildOut(Schema):
    code: str | None
    name: str
    values: dict[str, int]


class StockOut(Schema):
    item: str
    unit: str
    on_hand: str
    per_day: str
    days_of_cover: str | None
    low: bool


class DashboardOut(Schema):
    jurisdiction_code: str
    jurisdiction_name: str
    day: date
    figures: list[FigureOut]
    children: list[ChildOut]
    checkpoints_open: dict[str, int]
    stock: list[StockOut]
    as_of: datetime | None


class BriefingSummaryOut(Schema):
    id: int
    jurisdiction_code: str
    jurisdiction_name: str
    day: date
    status: str
    generated_at: datetime
    published_at: datetime | None


class BriefingOut(BriefingSummaryOut):
    commander_notes: str
    content: dict


def _parse_day(day: str) -> date | None:
    try:
        return date.fromisoformat(day)
    except ValueError:
        return None


@router.get(
    "/command/dashboard",
    response={200: DashboardOut, 403: Message, 404: Message, 422: Message},
)
def dashboard(request, jurisdiction: str = "", day: str = ""):
    """Every figure of `jurisdiction` (default: yours) on `day` (default: today) with the
    change against the day before and a flow's cumulative total; the sub-jurisdictions'
    figures; checkpoints by status and the stock of key items now."""
    if not request.user.has_perm(VIEW):
        raise PermissionDenied
    place = selectors.dashboard_jurisdiction(request.user, jurisdiction or None)
    if place is None:
        return Status(404, {"detail": _("No such jurisdiction within your reach.")})
    if day:
        on = _parse_day(day)
        if on is None:
            return Status(422, {"detail": _("The day must be a date as YYYY-MM-DD.")})
        if on > selectors.today():
            return Status(422, {"detail": _("the day cannot be in the future")})
    else:
        on = selectors.today()
    figures = selectors.figures_for(place, on)
    run = selectors.last_refreshed()
    return {
        "jurisdiction_code": place.code,
        "jurisdiction_name": place.name,
        "day": on,
        "figures": [
            {
                "key": v.key,
                "section": v.figure.section.value,
                "kind": v.figure.kind.value,
                "label": str(v.figure.label),
                "problem": v.figure.problem,
                "value": v.value,
                "previous": v.previous,
                "change": v.change,
                "total": v.total,
            }
            for v in figures.values.values()
        ],
        "children": [
            {
                "code": row.jurisdiction.code if row.jurisdiction else None,
                "name": row.jurisdiction.name if row.jurisdiction else place.name,
                "values": row.values,
            }
            for row in selectors.children_table(place, on)
        ],
        "checkpoints_open": selectors.checkpoints_open(place),
        "stock": [
            {
                "item": line.item.name,
                "unit": line.item.unit,
                "on_hand": str(line.on_hand),
                "per_day": str(line.used_per_day),
                "days_of_cover": str(line.days_of_cover)
                if line.days_of_cover is not None
                else None,
                "low": line.low or line.understocked,
            }
            for line in selectors.key_stock(place, on)
        ],
        "as_of": run.finished_at if run else None,
    }


def _summary(briefing: Briefing) -> dict:
    return {
        "id": briefing.pk,
        "jurisdiction_code": briefing.jurisdiction_id,
        "jurisdiction_name": briefing.jurisdiction.name,
        "day": briefing.day,
        "status": briefing.status,
        "generated_at": briefing.generated_at,
        "published_at": briefing.published_at,
    }


@router.get(
    "/command/briefings",
    response={200: list[BriefingSummaryOut], 403: Message, 422: Message},
)
def briefings(request, jurisdiction: str = "", day: str = "", limit: int = 50):
    """The briefings within your reach, newest day first (at most `limit`, up to 200): of one
    jurisdiction (its code) and/or one day, if given. The content is in each one's own URL."""
    if not request.user.has_perm(VIEW_BRIEFING):
        raise PermissionDenied
    found = (
        Briefing.objects.visible_to(request.user)
        .select_related("jurisdiction")
        .defer("content")
        .order_by("-day", "jurisdiction_id")
    )
    if jurisdiction:
        found = found.filter(jurisdiction_id=jurisdiction)
    if day:
        on = _parse_day(day)
        if on is None:
            return Status(422, {"detail": _("The day must be a date as YYYY-MM-DD.")})
        found = found.filter(day=on)
    return [_summary(b) for b in found[: max(1, min(limit, BRIEFINGS_MAX))]]


@router.get(
    "/command/briefings/{int:briefing_id}",
    response={200: BriefingOut, 403: Message, 404: Message},
)
def briefing(request, briefing_id: int):
    """One briefing as stored: its figures, problems, releases due and corrections (the
    schema of `fangyi.command.briefings.build_content`) and the commander's notes."""
    if not request.user.has_perm(VIEW_BRIEFING):
        raise PermissionDenied
    found = (
        Briefing.objects.visible_to(request.user)
        .select_related("jurisdiction")
        .filter(pk=briefing_id)
        .first()
    )
    if found is None:
        return Status(404, {"detail": _("No such briefing within your reach.")})
    return {
        **_summary(found),
        "commander_notes": found.commander_notes,
        "content": found.content,
    }
