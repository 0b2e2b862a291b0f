"""The roster as the table towns print and pin up (值班表): one row per checkpoint and shift time,
one column per day, the names on duty in each cell with their duty role in brackets.

`roster_table` reads it once (two queries, whatever the size); `export_roster_xlsx` writes it
through `fangyi.core.xlsx.write_table` (one big sheet: the town and period above, the
responsible person and the print date below), `export_roster_pdf` through WeasyPrint (A4
landscape, Debian's fonts-noto-cjk; a table per checkpoint and week, each kept on one page).
Staff phones are never part of it. Every download is written to the audit log.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby
from typing import IO

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.checkpoints.models import Checkpoint
from fangyi.checkpoints.posters import FONT_FAMILY
from fangyi.core.audit import Actor, record_audit
from fangyi.core.models import AuditAction
from fangyi.core.xlsx import write_table
from fangyi.roster.models import Assignment, DutyRole, Roster, Shift

# The PDF prints this many days side by side (one A4 landscape table per week).
PDF_DAYS_PER_TABLE = 7
# Column widths in the PDF (mm): checkpoint + shift time, then each day (the template's CSS).
PDF_NAME_COLUMNS_MM, PDF_DAY_MM = 47, 32.5


@dataclass
class TableRow:
    checkpoint: str
    time: str  # "08:00–16:00"
    cells: list[str]  # one per day: "张三（民警）、李四（干部）", "" when there is no shift
    short: list[bool]  # whether that day's shift has fewer people than it needs
    names: list[list[str]]  # one per day: ["张三（民警）", "李四（干部）"]
    missing: list[str]  # one per day: "(1 short)" or ""
    checkpoint_id: int = 0


@dataclass
class RosterTable:
    """The roster's table, already in the current language."""

    title: str
    town: str
    period: str
    days: list[date]
    day_labels: list[str]
    rows: list[TableRow] = field(default_factory=list)
    responsible: str = ""
    printed_on: date | None = None


def _weekday(day: date) -> str:
    names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    return names[day.weekday()]


def day_label(day: date) -> str:
    """ "2/3 Mon": a column's heading."""
    return f"{day:%-m/%-d} {_weekday(day)}"


def responsible_name(actor: Actor) -> str:
    user = actor.user
    return (user.full_name or user.get_username()) if user else ""


def roster_table(
    roster: Roster, *, checkpoint: Checkpoint | None = None, responsible: str = ""
) -> RosterTable:
    """The table of `roster` (of one checkpoint if given). A shift short of people says how
    many are missing."""
    days = [roster.starts_on + timedelta(days=n) for n in range(roster.days)]
    column = {day: n for n, day in enumerate(days)}
    shifts = Shift.objects.filter(roster=roster)
    if checkpoint is not None:
        shifts = shifts.filter(checkpoint=checkpoint)
    shift_rows = list(
        shifts.order_by("checkpoint__name", "checkpoint_id", "starts_at").values_list(
            "pk", "checkpoint_id", "checkpoint__name", "starts_at", "ends_at", "needed"
        )
    )
    roles = dict(DutyRole.choices)
    on_shift: dict[int, list[str]] = defaultdict(list)
    for shift_id, name, role in (
        Assignment.objects.filter(shift__in=[row[0] for row in shift_rows])
        .order_by("shift_id", "staff__role", "staff__name", "staff_id")
        .values_list("shift_id", "staff__name", "staff__role")
    ):
        on_shift[shift_id].append(f"{name}（{roles.get(role, role)}）")
    by_key: dict[tuple[str, int, str], TableRow] = {}
    for pk, checkpoint_id, checkpoint_name, starts_at, ends_at, needed in shift_rows:
        start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
        day = start.date()
        if day not in column:  # a shift from the day before running into the first day
            continue
        time = f"{start:%H:%M}–{end:%H:%M}"
        key = (checkpoint_name, checkpoint_id, f"{start:%H:%M}")
        row = by_key.get(key)
        if row is None:
            width = len(days)
            row = by_key[key] = TableRow(
                checkpoint_name,
                time,
                [""] * width,
                [False] * width,
                [[] for _n in range(width)],
                [""] * width,
                checkpoint_id,
            )
        names = on_shift.get(pk, [])
        missing = _("(%(n)d short)") % {"n": needed - len(names)} if len(names) < needed else ""
        n = column[day]
        row.cells[n] = f"{'、'.join(names)} {missing}".strip()
        row.short[n], row.names[n], row.missing[n] = bool(missing), names, missing
    town = roster.town.name
    period = _("%(from)s to %(to)s") % {
        "from": f"{roster.starts_on:%Y-%m-%d}",
        "to": f"{roster.ends_on:%Y-%m-%d}",
    }
    if checkpoint is not None:
        title = _("%(town)s duty roster: %(checkpoint)s, %(period)s") % {
            "town": town,
            "checkpoint": checkpoint.name,
            "period": period,
        }
    else:
        title = _("%(town)s checkpoint duty roster, %(period)s") % {
            "town": town,
            "period": period,
        }
    return RosterTable(
        title=title,
        town=town,
        period=period,
        days=days,
        day_labels=[day_label(day) for day in days],
        rows=[by_key[key] for key in sorted(by_key)],
        responsible=responsible,
        printed_on=timezone.localdate(),
    )


def _footer(table: RosterTable) -> list[str]:
    return [
        _("Responsible: %(name)s") % {"name": table.responsible or "________"},
        "",
        _("Printed on %(day)s") % {"day": f"{table.printed_on:%Y-%m-%d}"},
    ]


def _audit(actor: Actor, roster: Roster, table: RosterTable, document: str, checkpoint) -> None:
    record_audit(
        actor,
        AuditAction.EXPORT,
        object_type="roster.roster",
        object_id=str(roster.pk),
        object_repr=table.title,
        jurisdiction_code=roster.town_id,
        changes={
            "document": document,
            "rows": len(table.rows),
            "checkpoint": checkpoint.pk if checkpoint is not None else None,
        },
    )


def export_roster_xlsx(
    actor: Actor,
    roster: Roster,
    target: str | IO[bytes],
    *,
    checkpoint: Checkpoint | None = None,
) -> RosterTable:
    """Write the roster's table to an .xlsx at `target`: the title (town, period) on row 1,
    the headings on row 2, a row per checkpoint and shift time, then the footer."""
    table = roster_table(roster, checkpoint=checkpoint, responsible=responsible_name(actor))
    headers = [_("checkpoint"), _("shift"), *table.day_labels]
    rows: list[list[object]] = [[row.checkpoint, row.time, *row.cells] for row in table.rows]
    rows += [[], _footer(table)]
    write_table(
        target,
        headers,
        rows,
        sheet_name=_("duty roster"),
        title=table.title,
        column_widths=(18, 13, *([26] * len(table.days))),
    )
    _audit(actor, roster, table, "xlsx", checkpoint)
    return table


def roster_pdf(table: RosterTable) -> bytes:
    """The table as an A4 landscape PDF, a week per table."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # A checkpoint's name once, spanning its shift rows, as on the hand-drawn tables; its rows
    # kept on one page (a row group the template does not break).
    checkpoints = [list(rows) for _id, rows in groupby(table.rows, key=lambda r: r.checkpoint_id)]
    weeks = []
    for first in range(0, len(table.days), PDF_DAYS_PER_TABLE):
        last = first + PDF_DAYS_PER_TABLE
        labels = table.day_labels[first:last]
        weeks.append(
            {
                "labels": labels,
                # A fixed table layout (cells laid out once: fast) needs the table's width.
                "width_mm": PDF_NAME_COLUMNS_MM + PDF_DAY_MM * len(labels),
                "checkpoints": [
                    {
                        "name": rows[0].checkpoint,
                        "span": len(rows),
                        "rows": [
                            {
                                "time": row.time,
                                "cells": [
                                    {"names": names, "missing": missing}
                                    for names, missing in zip(
                                        row.names[first:last], row.missing[first:last], strict=True
                                    )
                                ],
                            }
                            for row in rows
                        ],
                    }
                    for rows in checkpoints
                ],
            }
        )
    html = render_to_string(
        "roster/export_roster.html",
        {"table": table, "weeks": weeks, "footer": _footer(table), "font_family": FONT_FAMILY},
    )
    # Nothing is fetched from anywhere: refuse every URL but an inline data: one.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def export_roster_pdf(
    actor: Actor, roster: Roster, *, checkpoint: Checkpoint | None = None
) -> bytes:
    table = roster_table(roster, checkpoint=checkpoint, responsible=responsible_name(actor))
    content = roster_pdf(table)
    _audit(actor, roster, table, "pdf", checkpoint)
    return content
