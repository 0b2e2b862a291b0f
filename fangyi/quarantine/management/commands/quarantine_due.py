"""`fangyi quarantine-due --town CODE [--date YYYY-MM-DD] [--json]`: the morning list of a town
(or any jurisdiction): orders due for release on the day (and overdue ones) and people with
missed checks. The same selectors as the town board; ID numbers masked."""

import json
import unicodedata
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fangyi.core.models import Jurisdiction
from fangyi.quarantine import selectors
from fangyi.quarantine.models import QuarantineOrder


class Command(BaseCommand):
    help = (
        "List the orders of a town due for release on a day (and those overdue) and the people "
        "with missed checks. Missed checks are counted as of now, or as of the end of the day "
        "for a past --date. With --json: one JSON object (ID numbers masked)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--town", required=True, help="the town's (or any) division code")
        parser.add_argument("--date", default="", help="the local day, YYYY-MM-DD (default today)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, town: str, date: str, **options):
        # Messages in the deployment's language (Chinese by default), whatever the shell's locale.
        with translation.override(settings.LANGUAGE_CODE):
            self._list(town.strip(), date.strip(), as_json=options["json"])

    def _list(self, code: str, day_text: str, *, as_json: bool) -> None:
        place = Jurisdiction.objects.filter(code=code).first() if code else None
        if place is None:
            raise CommandError(_("no jurisdiction with the code %(code)s") % {"code": code})
        day = _parse_day(day_text) if day_text else timezone.localdate()
        now = timezone.now()
        end_of_day = timezone.make_aware(
            datetime.combine(day + timedelta(days=1), datetime.min.time())
        )
        due = selectors.due_for_release(None, day, within=place.code)
        missed = selectors.missed_checks(None, min(now, end_of_day), within=place.code)
        ids = _masked_ids([row.external_id for row in (*due, *missed)])
        due_rows = [row.as_json() | {"id_number": ids.get(row.external_id, "")} for row in due]
        missed_rows = [
            row.as_json() | {"id_number": ids.get(row.external_id, "")} for row in missed
        ]
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "town": place.code,
                        "date": day.isoformat(),
                        "due_for_release": due_rows,
                        "missed_checks": missed_rows,
                    },
                    ensure_ascii=False,
                )
            )
            return
        self.stdout.write(
            _("%(place)s, %(day)s: %(due)s due for release, %(missed)s with missed checks")
            % {"place": place.name, "day": day.isoformat(), "due": len(due), "missed": len(missed)}
        )
        self.stdout.write("")
        self.stdout.write(_("Due for release"))
        self._table(
            [
                pgettext("person", "name"),
                _("ID number"),
                _("village"),
                _("measure"),
                _("due date"),
                _("checks not recorded"),
                _("tests waiting"),
            ],
            [
                [
                    row["name"],
                    row["id_number"],
                    row["village"],
                    row["kind_label"],
                    _due_label(row),
                    str(row["open_checks"]),
                    str(row["tests_waiting"])
                    + (" " + pgettext("test", "positive") if row["positive"] else ""),
                ]
                for row in due_rows
            ],
        )
        self.stdout.write("")
        self.stdout.write(_("Missed checks"))
        self._table(
            [
                pgettext("person", "name"),
                _("ID number"),
                _("village"),
                _("measure"),
                pgettext("check", "missed"),
                _("team"),
            ],
            [
                [
                    row["name"],
                    row["id_number"],
                    row["village"],
                    row["kind_label"],
                    "、".join(row["slots"]),
                    "、".join(row["team"]),
                ]
                for row in missed_rows
            ],
        )

    def _table(self, header: list[str], rows: list[list[str]]) -> None:
        if not rows:
            self.stdout.write("  " + _("(none)"))
            return
        widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            cells = [_pad(cell, widths[i]) for i, cell in enumerate(row)]
            self.stdout.write("  " + "  ".join(cells).rstrip())


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2020-02-10")
            % {"value": text}
        ) from None


def _masked_ids(external_ids: list) -> dict:
    """The masked ID number of each order's person (one query; the rows carry only names)."""
    if not external_ids:
        return {}
    orders = QuarantineOrder.objects.filter(external_id__in=external_ids).select_related("person")
    return {o.external_id: o.person.id_number_masked for o in orders.only("external_id", "person")}


def _due_label(row: dict) -> str:
    if row["days_overdue"] > 0:
        return _("%(day)s (%(n)s days overdue)") % {
            "day": row["planned_end_date"],
            "n": row["days_overdue"],
        }
    return row["planned_end_date"]


def _width(text: str) -> int:
    """Columns on a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
