"""The command dashboard over the API (mounted at /api/v1/ by fangyi/api.py): a
jurisdiction's figures on a day, its table by sub-jurisdiction, checkpoints open and stock.

Scoped like the page (`selectors.dashboard_jurisdiction`): a jurisdiction outside the user's
reach is a 404 (the same as an unknown code), a role without `command.view_dashboard` a 403; a
malformed day or one after today is a 422."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from fangyi.command import selectors

router = Router(tags=["command"])
VIEW = "command.view_dashboard"


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
        try:
            on = date.fromisoformat(day)
        except ValueError:
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
