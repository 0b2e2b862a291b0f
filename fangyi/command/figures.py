"""The catalogue of the command post's figures: one place that names each figure, says what
kind of count it is and which section of the dashboard and the briefing shows it.

Kinds (how a stored day cell is read, see `models.DailyFigure`):
- FLOW: what happened that day (registrations, new cases). Cumulative = sum of the days.
- LEVEL: a running count stored as its daily change (+1 when an order starts, -1 when it
  ends). The count on day D = the sum of the cells up to D; each cell is recomputed from raw
  rows of that day alone, so a correction touches only the days it belongs to.
- SNAPSHOT: a count whose history the raw tables do not keep (the ledger's current status):
  stored as it stands at each pass; a past day keeps the value of its last pass.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core.models import QuarantineKind
from fangyi.ledger.models import Status


class FigureKind(StrEnum):
    FLOW = "flow"
    LEVEL = "level"
    SNAPSHOT = "snapshot"


class Section(StrEnum):
    LEDGER = "ledger"
    QUARANTINE = "quarantine"
    TRACING = "tracing"
    CHECKPOINTS = "checkpoints"
    ALERTS = "alerts"
    ROSTER = "roster"
    SERVICES = "services"
    ENTERPRISES = "enterprises"


SECTION_LABELS: dict[Section, Promise] = {
    Section.LEDGER: _("Screening ledger"),
    Section.QUARANTINE: _("Quarantine"),
    Section.TRACING: _("Cases and contacts"),
    Section.CHECKPOINTS: _("Checkpoints"),
    Section.ALERTS: _("Alerts"),
    Section.ROSTER: _("Duty rosters"),
    Section.SERVICES: _("Household services"),
    Section.ENTERPRISES: _("Enterprise resumption"),
}


@dataclass(frozen=True)
class Figure:
    key: str
    label: Promise
    kind: FigureKind
    section: Section
    # A problem figure: more is worse (shown red on the dashboard, listed in the briefing).
    problem: bool = False


def _ledger_status_figures() -> list[Figure]:
    return [
        Figure(f"ledger.status.{status.value}", status.label, FigureKind.SNAPSHOT, Section.LEDGER)
        for status in Status
    ]


def _quarantine_kind_figures() -> list[Figure]:
    """Named apart from the ledger's statuses of the same words (居家隔离 the status, 在管居家隔离
    the orders in force)."""
    return [
        Figure(
            f"quarantine.active.{kind.value}",
            format_lazy(_("{kind} in force"), kind=kind.label),
            FigureKind.LEVEL,
            Section.QUARANTINE,
        )
        for kind in QuarantineKind
    ]


FIGURES: list[Figure] = [
    Figure("ledger.new", _("new ledger entries"), FigureKind.FLOW, Section.LEDGER),
    *_ledger_status_figures(),
    Figure("push.received", _("pushed people received"), FigureKind.FLOW, Section.LEDGER),
    Figure("push.verified", _("pushed people verified"), FigureKind.FLOW, Section.LEDGER),
    Figure("push.pending", _("verifications pending"), FigureKind.LEVEL, Section.LEDGER),
    Figure(
        "push.overdue", _("verifications overdue"), FigureKind.LEVEL, Section.LEDGER, problem=True
    ),
    *_quarantine_kind_figures(),
    Figure(
        "quarantine.started", _("quarantine orders opened"), FigureKind.FLOW, Section.QUARANTINE
    ),
    Figure(
        "quarantine.released",
        pgettext_lazy("figure", "released"),
        FigureKind.FLOW,
        Section.QUARANTINE,
    ),
    Figure("quarantine.due", _("due for release"), FigureKind.FLOW, Section.QUARANTINE),
    Figure("checks.due", _("checks due"), FigureKind.FLOW, Section.QUARANTINE),
    Figure("checks.missed", _("checks missed"), FigureKind.FLOW, Section.QUARANTINE, problem=True),
    Figure(
        "checks.fever",
        _("fevers at quarantine checks"),
        FigureKind.FLOW,
        Section.QUARANTINE,
        problem=True,
    ),
    Figure("cases.new", _("new cases"), FigureKind.FLOW, Section.TRACING, problem=True),
    Figure("contacts.close", _("close contacts found"), FigureKind.FLOW, Section.TRACING),
    Figure("contacts.secondary", _("secondary contacts found"), FigureKind.FLOW, Section.TRACING),
    Figure(
        "checkpoint.registrations",
        pgettext_lazy("figure", "registrations"),
        FigureKind.FLOW,
        Section.CHECKPOINTS,
    ),
    Figure("checkpoint.vehicles", _("vehicles checked"), FigureKind.FLOW, Section.CHECKPOINTS),
    Figure("checkpoint.people", _("people checked"), FigureKind.FLOW, Section.CHECKPOINTS),
    Figure("checkpoint.persuaded", _("persuaded back"), FigureKind.FLOW, Section.CHECKPOINTS),
    Figure(
        "checkpoint.fevers",
        _("fevers at checkpoints"),
        FigureKind.FLOW,
        Section.CHECKPOINTS,
        problem=True,
    ),
    Figure(
        "checkpoint.quarantined",
        _("sent to quarantine from checkpoints"),
        FigureKind.FLOW,
        Section.CHECKPOINTS,
    ),
    Figure("alerts.raised", _("alerts raised"), FigureKind.FLOW, Section.ALERTS),
    Figure("alerts.open", _("alerts open"), FigureKind.LEVEL, Section.ALERTS, problem=True),
    Figure("shifts.planned", _("shifts planned"), FigureKind.FLOW, Section.ROSTER),
    Figure(
        "shifts.uncovered",
        _("shifts short of staff"),
        FigureKind.FLOW,
        Section.ROSTER,
        problem=True,
    ),
    Figure(
        "shifts.no_show",
        _("shifts nobody checked in to"),
        FigureKind.FLOW,
        Section.ROSTER,
        problem=True,
    ),
    Figure("requests.new", _("service requests raised"), FigureKind.FLOW, Section.SERVICES),
    Figure("requests.open", _("service requests open"), FigureKind.LEVEL, Section.SERVICES),
    Figure(
        "requests.overdue",
        _("service requests overdue"),
        FigureKind.LEVEL,
        Section.SERVICES,
        problem=True,
    ),
    Figure(
        "enterprises.submitted",
        pgettext_lazy("figure", "filings submitted"),
        FigureKind.FLOW,
        Section.ENTERPRISES,
    ),
    Figure(
        "enterprises.approved",
        pgettext_lazy("figure", "enterprises approved to resume"),
        FigureKind.LEVEL,
        Section.ENTERPRISES,
    ),
]

FIGURE_BY_KEY: dict[str, Figure] = {figure.key: figure for figure in FIGURES}


@dataclass(frozen=True)
class TrendChart:
    """One of the outbreak's trend charts, on the dashboard (ECharts, `style` bar or line) and
    in the briefing PDF (SVG lines)."""

    name: str
    title: Promise
    keys: tuple[str, ...]
    style: str


TREND_CHARTS: tuple[TrendChart, ...] = (
    TrendChart(
        "people",
        _("People checked and persuaded back"),
        ("checkpoint.people", "checkpoint.persuaded"),
        "bar",
    ),
    TrendChart(
        "quarantine",
        _("Active quarantine by kind"),
        tuple(f.key for f in FIGURES if f.key.startswith("quarantine.active.")),
        "line",
    ),
    TrendChart("cases", _("New cases and contacts"), ("cases.new", "contacts.close"), "bar"),
    TrendChart(
        "ledger",
        _("Ledger entries and verifications pending"),
        ("ledger.new", "push.pending"),
        "line",
    ),
)
