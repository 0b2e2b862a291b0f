"""The daily briefing as a printable A4 PDF, rendered only from `Briefing.content` (so a
published briefing prints the same whatever was corrected since), in the deployment's language
with Debian's fonts-noto-cjk; WeasyPrint fetches nothing and runs no JavaScript, so the charts
are SVG drawn here (`charts.py`)."""

from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from fangyi.checkpoints.posters import FONT_FAMILY
from fangyi.command import charts
from fangyi.command.figures import FIGURE_BY_KEY, SECTION_LABELS, TREND_CHARTS
from fangyi.command.models import Briefing

QUARANTINE_KEYS = next(chart.keys for chart in TREND_CHARTS if chart.name == "quarantine")
MAX_BARS = 30  # sub-jurisdictions in the bar chart; a county's towns or a town's villages fit


# A problem's kind (briefings._problems) -> the figure that counts it.
PROBLEM_FIGURES = {
    "overdue_verification": "push.overdue",
    "missed_check": "checks.missed",
    "uncovered_shift": "shifts.uncovered",
    "no_show": "shifts.no_show",
    "overdue_request": "requests.overdue",
}


def problem_kind_label(kind: str) -> str:
    """The heading of a kind of problem: its figure's label, but for the two the figures do
    not count as listed (missed checks are listed while not made up, whatever their day)."""
    if kind == "low_stock":
        return _("items low in stock")
    if kind == "missed_check":
        return _("missed checks not made up")
    figure = FIGURE_BY_KEY.get(PROBLEM_FIGURES.get(kind, ""))
    return str(figure.label) if figure else kind


PROBLEMS_SHOWN_PER_KIND = 15  # the rest are summed up in one line; the .xlsx lists them all


def problem_groups(content: dict, shown: int = PROBLEMS_SHOWN_PER_KIND) -> list[dict]:
    """The problems by kind (in the content's order), each kind's `shown` biggest rows and the
    places and count of the rest: a county's briefing can list thousands of places."""
    by_kind: dict[str, list[dict]] = {}
    for problem in content.get("problems", []):
        by_kind.setdefault(problem["kind"], []).append(problem)
    groups = []
    for kind, rows in by_kind.items():
        ordered = sorted(rows, key=lambda row: -row["count"])  # stable: ties keep their order
        biggest, left_out = ordered[:shown], ordered[shown:]
        groups.append(
            {
                "kind": kind,
                "label": problem_kind_label(kind),
                "rows": biggest,
                "places": len(rows),
                "count": sum(row["count"] for row in rows),
                "more_places": len(left_out),
                "more_count": sum(row["count"] for row in left_out),
            }
        )
    return groups


RELEASES_SHOWN = 30  # a county has hundreds due a day: the .xlsx lists them all


def releases_shown(content: dict, shown: int = RELEASES_SHOWN) -> dict:
    """The releases due tomorrow the PDF and the page list (the first `shown`, by place as
    stored), their total and how many are left to the .xlsx."""
    rows = content.get("releases_tomorrow", [])
    return {"rows": rows[:shown], "total": len(rows), "more": max(0, len(rows) - shown)}


def figure_sections(content: dict) -> list[dict]:
    """The day's figures grouped by section, each with its label (figures the catalogue no
    longer knows are left out). A snapshot no rollup pass measured for the day has value and
    change None (shown "—"), not 0."""
    sections: dict[str, dict] = {}
    for row in content.get("figures", []):
        figure = FIGURE_BY_KEY.get(row["key"])
        if figure is None:
            continue
        section = sections.setdefault(
            figure.section, {"label": SECTION_LABELS[figure.section], "rows": []}
        )
        measured = row.get("measured", True)
        compared = measured and row.get("previous_measured", True)
        section["rows"].append(
            {
                "label": figure.label,
                "value": row["value"] if measured else None,
                "change": row["value"] - row["previous"] if compared else None,
                "total": row["total"],
                "problem": measured and figure.problem and row["value"] > 0,
            }
        )
    return list(sections.values())


def trend_charts(content: dict) -> list[dict[str, str | SafeString]]:
    """The dashboard's four trend charts as SVG, from the stored series (a series the content
    does not hold, in a briefing stored before it was added, is left out)."""
    trend = content.get("trend") or {}
    days = [date.fromisoformat(day) for day in trend.get("days", [])]
    stored = trend.get("series", {})
    drawn = []
    for chart in TREND_CHARTS:
        title = chart.title
        series = [
            charts.Series(str(FIGURE_BY_KEY[key].label), stored[key])
            for key in chart.keys
            if key in stored and key in FIGURE_BY_KEY
        ]
        if series and days:
            svg = mark_safe(charts.line_chart(str(title), days, series))
            drawn.append({"title": str(title), "svg": svg})
    return drawn


def quarantine_by_child(content: dict) -> dict | None:
    """People under quarantine or observation (all kinds) in each sub-jurisdiction, most first,
    as a bar chart; None when the jurisdiction has no sub-jurisdictions."""
    rows = [
        (
            row["name"] if row.get("code") else _("held at this level itself"),
            sum(row["values"].get(key, 0) for key in QUARANTINE_KEYS),
        )
        for row in content.get("children", [])
    ]
    if not rows:
        return None
    rows.sort(key=lambda row: -row[1])
    title = _("Under quarantine or observation, by sub-jurisdiction")
    return {
        "title": title,
        "svg": mark_safe(charts.bar_chart(title, rows[:MAX_BARS])),
        "left_out": max(0, len(rows) - MAX_BARS),
    }


def _snapshot_note(content: dict) -> str:
    """Which pass the ledger's status counts come from, when it is not the briefing's day."""
    measured_on = content.get("snapshot_day")
    if measured_on and measured_on != content.get("day"):
        return _("Ledger statuses as counted by the last rollup pass, on %(day)s.") % {
            "day": measured_on
        }
    if "snapshot_day" in content and measured_on is None:
        return _("No rollup pass counted the ledger's statuses by that day (shown as —).")
    return ""


def briefing_pdf(briefing: Briefing) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    return HTML(
        string=briefing_html(briefing), url_fetcher=URLFetcher(allowed_protocols={"data"})
    ).write_pdf()


def briefing_html(briefing: Briefing) -> str:
    """The HTML the PDF is printed from."""
    content = briefing.content
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "command/briefing_pdf.html",
            {
                "briefing": briefing,
                "content": content,
                "sections": figure_sections(content),
                "problem_groups": problem_groups(content),
                "releases": releases_shown(content),
                "snapshot_note": _snapshot_note(content),
                "trend_charts": trend_charts(content),
                "child_chart": quarantine_by_child(content),
                "corrections": [
                    {**row, "label": FIGURE_BY_KEY[row["key"]].label}
                    for row in content.get("corrections", [])
                    if row["key"] in FIGURE_BY_KEY
                ],
                "font_family": FONT_FAMILY,
            },
        )
