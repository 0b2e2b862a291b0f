"""The command dashboard: a jurisdiction's key figures, trends, table by sub-jurisdiction and
what needs action now. Reads only through `fangyi.command.selectors`; the live partial is
polled by htmx every 30 s."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from fangyi.command import selectors
from fangyi.command.figures import (
    FIGURE_BY_KEY,
    FIGURES,
    SECTION_LABELS,
    TREND_CHARTS,
    FigureKind,
)
from fangyi.core.models import PARENT_CODE_LENGTH, Jurisdiction

VIEW = "command.view_dashboard"
# On the wall, the table by sub-jurisdiction shows the problems and these, not all 44 figures:
# its headings must be read across the room.
WALL_TABLE_KEYS = frozenset(
    {
        "push.pending",
        *(key for chart in TREND_CHARTS if chart.name == "quarantine" for key in chart.keys),
        "checkpoint.people",
        "checkpoint.persuaded",
    }
)
PHONE_ALERTS = 3  # alerts listed on a phone, above the figures; the rest behind a link
# Problem figure -> (URL name of the page where it is handled)
PROBLEM_PAGES: dict[str, str] = {
    "push.overdue": "ledger:tasks",
    "checks.missed": "quarantine:board",
    "shifts.uncovered": "roster:rosters",
    "shifts.no_show": "roster:rosters",
    "requests.overdue": "volunteers:requests",
}


@dataclass
class Action:
    label: str | Promise
    count: int
    link: str


def _jurisdiction(request: HttpRequest) -> Jurisdiction:
    jurisdiction = selectors.dashboard_jurisdiction(request.user, request.GET.get("j") or None)
    if jurisdiction is None:
        raise Http404(_("No such jurisdiction within your reach."))
    return jurisdiction


def _breadcrumb(user, jurisdiction: Jurisdiction) -> list[Jurisdiction]:
    """From the user's own jurisdiction (the top one for a superuser) down to this one, in one
    query: a jurisdiction's ancestors are its code's prefixes."""
    codes = [jurisdiction.code]
    while len(codes[-1]) in PARENT_CODE_LENGTH and codes[-1] != user.jurisdiction_id:
        codes.append(codes[-1][: PARENT_CODE_LENGTH[len(codes[-1])]])
    found = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)}
    return [found[code] for code in reversed(codes) if code in found]


def dashboard_context(request: HttpRequest, jurisdiction: Jurisdiction) -> dict[str, Any]:
    day = selectors.today()
    wall = request.GET.get("wall") == "1"
    figures = selectors.figures_for(jurisdiction, day)
    sections = []
    for section, label in SECTION_LABELS.items():
        values = [v for v in figures.values.values() if v.figure.section == section]
        if values:
            sections.append({"label": label, "values": values})
    checkpoints = selectors.checkpoints_open(jurisdiction)
    stock = selectors.key_stock(jurisdiction, day)

    # ?sort=-key: largest first (what a header's first click gives, here and in dashboard.js),
    # ?sort=key: smallest first. Rows with equal figures keep the order by code.
    sort = request.GET.get("sort", "")
    descending = sort.startswith("-")
    sort_key = sort.removeprefix("-")
    if sort_key not in FIGURE_BY_KEY:
        sort, sort_key = "", ""
    rows = selectors.children_table(jurisdiction, day)
    order = list(range(len(rows)))  # by code; dashboard.js breaks ties on it too
    if sort_key:
        order.sort(key=lambda index: rows[index].values.get(sort_key, 0), reverse=descending)
    columns = [
        {
            "key": f.key,
            "label": f.label,
            "problem": f.problem,
            "order": ("descending" if descending else "ascending") if f.key == sort_key else "",
            "next_sort": f.key if f.key == sort_key and descending else f"-{f.key}",
        }
        for f in FIGURES
        if f.problem
        or (f.key in WALL_TABLE_KEYS if wall else any(row.values.get(f.key) for row in rows))
    ]
    table = [
        {
            "jurisdiction": rows[index].jurisdiction,
            "position": index,
            "cells": [rows[index].values.get(c["key"], 0) for c in columns],
        }
        for index in order
    ]

    query = f"?j={jurisdiction.code}" + ("&wall=1" if wall else "")  # the live refresh's too
    actions = []
    for key, url_name in PROBLEM_PAGES.items():
        value = figures.value(key)
        if value > 0:
            actions.append(Action(FIGURE_BY_KEY[key].label, value, reverse(url_name)))
    low = [line for line in stock if line.low or line.understocked]
    if low:
        actions.append(Action(_("items low in stock"), len(low), reverse("supplies:stock")))

    charts = {
        chart.name: {
            "days": [d.isoformat() for d in figures.days],
            "series": [
                {"name": str(FIGURE_BY_KEY[key].label), "data": figures.series[key]}
                for key in chart.keys
            ],
        }
        for chart in TREND_CHARTS
    }
    run = selectors.last_refreshed()
    return {
        "jurisdiction": jurisdiction,
        "breadcrumb": _breadcrumb(request.user, jurisdiction),
        "day": day,
        "sections": sections,
        "flow": FigureKind.FLOW,
        "checkpoints": checkpoints,
        "stock": stock,
        "columns": columns,
        "table": table,
        "sort": sort,
        "alerts": selectors.latest_open_alerts(jurisdiction, request.user),
        "alerts_open": selectors.open_alert_count(jurisdiction, request.user),
        "phone_alerts": PHONE_ALERTS,
        "actions": actions,
        "charts": charts,
        "trend_charts": TREND_CHARTS,
        "as_of": run.finished_at if run else None,
        "query": query,
        "wall": wall,
    }


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    return render(request, "command/dashboard.html", dashboard_context(request, jurisdiction))


@login_required
@permission_required(VIEW, raise_exception=True)
def dashboard_live(request: HttpRequest) -> HttpResponse:
    jurisdiction = _jurisdiction(request)
    return render(request, "command/_dashboard_live.html", dashboard_context(request, jurisdiction))
