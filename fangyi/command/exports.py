"""The daily briefing's downloads, read only from `Briefing.content` (a published briefing
downloads the same whatever was corrected since): the PDF (`documents.briefing_pdf`) and the
workbook in the format reported upward (数据汇总: a row per sub-jurisdiction and a total row,
each figure's day value and, for figures counted by day, the cumulative; 问题清单; 明日解除).
Every download is written to the audit log."""

from datetime import date
from typing import IO

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fangyi.command.documents import briefing_pdf, problem_kind_label
from fangyi.command.figures import FIGURES, Figure, FigureKind
from fangyi.command.models import Briefing
from fangyi.core.audit import Actor, record_audit
from fangyi.core.models import AuditAction, QuarantineKind
from fangyi.core.xlsx import Sheet, write_workbook


def quarantine_kind_label(kind: str) -> str:
    return str(dict(QuarantineKind.choices).get(kind, kind))


def has_cumulative(figure: Figure) -> bool:
    """Only a figure counted by day has a cumulative; the others are counts as they stood."""
    return figure.kind == FigureKind.FLOW


def briefing_title(briefing: Briefing) -> str:
    content = briefing.content
    title = _("%(name)s epidemic prevention and control daily briefing (%(day)s)") % {
        "name": content["jurisdiction"]["name"],
        "day": date_format(briefing.day),
    }
    if not briefing.is_published:
        title = f"{title} {_('Draft, not published')}"
    return title


def briefing_filename(briefing: Briefing, suffix: str) -> str:
    """青山镇疫情防控日报20261201.xlsx, in the deployment's language (Django sends it as
    filename*=utf-8'')."""
    with translation.override(settings.LANGUAGE_CODE):
        label = _("daily briefing")
    name = briefing.content["jurisdiction"]["name"]
    return f"{name}{label}{briefing.day:%Y%m%d}{suffix}"


def children_name(row: dict) -> str:
    """A sub-jurisdiction's name; the row held at the jurisdiction itself says so."""
    return row["name"] if row.get("code") else _("held at this level itself")


def _figure_sheet(briefing: Briefing, title: str) -> Sheet:
    content = briefing.content
    figures = [f for f in FIGURES if any(row["key"] == f.key for row in content["figures"])]
    headers = [_("jurisdiction")]
    for figure in figures:
        headers.append(_("%(figure)s (that day)") % {"figure": figure.label})
        if has_cumulative(figure):
            headers.append(_("%(figure)s (cumulative)") % {"figure": figure.label})
    by_key = {row["key"]: row for row in content["figures"]}
    # A ledger status no rollup pass counted for the day is left empty, not written as 0.
    unmeasured = {key for key, row in by_key.items() if not row.get("measured", True)}
    rows: list[list[object]] = []
    for child in content["children"]:
        row: list[object] = [children_name(child)]
        for figure in figures:
            row.append(None if figure.key in unmeasured else child["values"].get(figure.key, 0))
            if has_cumulative(figure):
                # Content stored before the children kept their cumulatives has none to write.
                row.append(child.get("totals", {}).get(figure.key))
        rows.append(row)
    total: list[object] = [_("Total")]
    for figure in figures:
        total.append(None if figure.key in unmeasured else by_key[figure.key]["value"])
        if has_cumulative(figure):
            total.append(by_key[figure.key]["total"])
    rows.append(total)
    return Sheet(
        _("summary of figures"),
        headers,
        rows,
        title=title,
        column_widths=(16, *([12] * (len(headers) - 1))),
    )


def _problem_sheet(content: dict, title: str) -> Sheet:
    return Sheet(
        _("problem list"),
        [_("kind"), _("Where"), _("Responsible"), _("What"), pgettext("problems", "number")],
        [
            [problem_kind_label(p["kind"]), p["where"], p["who"], p["what"], p["count"]]
            for p in content["problems"]
        ],
        title=title,
        column_widths=(16, 16, 20, 60, 8),
    )


def _release_sheet(content: dict, title: str) -> Sheet:
    return Sheet(
        _("releases tomorrow"),
        [_("Name"), _("Where"), _("kind"), _("Since"), _("Due")],
        [
            [
                r["name"],
                r["where"],
                quarantine_kind_label(r["kind"]),
                date.fromisoformat(r["start_date"]),
                date.fromisoformat(r["due"]),
            ]
            for r in content["releases_tomorrow"]
        ],
        title=title,
        column_widths=(12, 16, 14, 12, 12),
    )


def _audit(actor: Actor, briefing: Briefing, document: str) -> None:
    record_audit(
        actor,
        AuditAction.EXPORT,
        object_type="command.briefing",
        object_id=str(briefing.pk),
        object_repr=f"{briefing.jurisdiction_id} {briefing.day}",
        jurisdiction_code=briefing.jurisdiction_id,
        changes={"document": document, "status": briefing.status},
    )


def export_briefing_xlsx(actor: Actor, briefing: Briefing, target: str | IO[bytes]) -> None:
    """In the deployment's language, as the PDF: the workbook goes upward as it is."""
    content = briefing.content
    with translation.override(settings.LANGUAGE_CODE):
        title = briefing_title(briefing)
        write_workbook(
            target,
            [
                _figure_sheet(briefing, title),
                _problem_sheet(content, title),
                _release_sheet(content, title),
            ],
        )
    _audit(actor, briefing, "xlsx")


def export_briefing_pdf(actor: Actor, briefing: Briefing) -> bytes:
    content = briefing_pdf(briefing)
    _audit(actor, briefing, "pdf")
    return content
