"""`fangyi import-pushlist FILE --town CODE`: the page's push-list import, from a shell."""

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction
from fangyi.core.tabular import TableError
from fangyi.ledger import services
from fangyi.ledger.importing import DuplicateFile
from fangyi.ledger.models import Category, ImportMapping, PushList, PushListSource

EXIT_UNUSABLE_FILE = 2


def _local_time(text: str) -> datetime:
    """'2020-01-28 22:30' (or an ISO date-time) in the town's time zone."""
    found = parse_datetime(text.replace("T", " ").strip())
    if found is None:
        raise argparse.ArgumentTypeError(f"not a date and time: {text!r} (use 2020-01-28 22:30)")
    return found if timezone.is_aware(found) else timezone.make_aware(found)


class Command(BaseCommand):
    help = (
        "Import a push list (.xlsx, .xls or .csv) for a town, as the upload page does. "
        "With --json the last line of output is one JSON object with the counts and each error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--town", required=True, help="the town's 9-digit division code")
        parser.add_argument("--name", default="", help="the list's name (default: the file name)")
        parser.add_argument(
            "--deadline-hours",
            type=int,
            default=None,
            help=f"hours to verify everyone (default {settings.PUSH_LIST_DEADLINE_HOURS})",
        )
        parser.add_argument(
            "--received",
            type=_local_time,
            default=None,
            help="when the list was received, e.g. '2020-01-28 22:30' (default: now); "
            "the deadline counts from it and arrival dates are checked against it",
        )
        parser.add_argument("--source", choices=PushListSource.values, default="county")
        parser.add_argument("--category", choices=Category.values, default=Category.RETURNEE)
        parser.add_argument("--mapping", default="", help="a column mapping saved by this name")
        parser.add_argument("--json", action="store_true", help="print a JSON summary last")

    def handle(self, *args, file: str, town: str, **options):
        # Messages in the deployment's language (Chinese by default), whatever the shell's locale.
        with translation.override(settings.LANGUAGE_CODE):
            self._import(file, town, as_json=options.pop("json"), **options)

    def _import(self, file: str, town_code: str, *, as_json: bool, **options) -> None:
        town = Jurisdiction.objects.filter(code=town_code).first()
        if town is None or len(town.code) != 9:
            raise CommandError(_("no town with the code %(code)s") % {"code": town_code})
        if options["deadline_hours"] is not None and options["deadline_hours"] <= 0:
            raise CommandError(_("the deadline must be at least one hour"))
        saved = None
        if options["mapping"]:
            saved = ImportMapping.objects.filter(jurisdiction=town, name=options["mapping"]).first()
            if saved is None:
                raise CommandError(
                    _("no saved column mapping named “%(name)s” for %(town)s")
                    % {"name": options["mapping"], "town": town.name}
                )
        path = Path(file)
        if not path.is_file():
            self._unusable(_("no such file: %(file)s") % {"file": file}, as_json)
        actor = Actor.command_line()
        try:
            push_list = services.create_push_list(
                actor,
                town=town,
                upload=path,
                original_filename=path.name,
                name=options["name"],
                source=options["source"],
                category=options["category"],
                received_at=options["received"],
                deadline_hours=options["deadline_hours"],
            )
            if saved is not None:
                mapping = services.mapping_from_saved(saved, push_list.header_cells)
                services.set_mapping(actor, push_list, mapping)
            outcome = services.run_import(actor, push_list, self._progress)
        except DuplicateFile as duplicate:
            self._end_progress()
            self._already_imported(duplicate.earlier, as_json)
            return
        except (TableError, ValidationError) as error:
            self._end_progress()
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else error
            self._unusable(str(message), as_json)
        self._end_progress()
        summary = outcome.as_json()
        self.stdout.write(
            _(
                "%(name)s: %(rows)d rows: %(imported)d new people, %(matched)d matched existing, "
                "%(merged)d merged duplicates, %(errors)d rows with errors"
            )
            % {"name": push_list.name, **summary}
        )
        for problem in summary["error_rows"] if not as_json else ():
            self.stdout.write(_("row %(row)d, column %(column)s: %(reason)s") % problem)
        if as_json:
            self.stdout.write(_dumps(summary))

    def _already_imported(self, earlier: PushList, as_json: bool) -> None:
        self.stdout.write(
            _("this file was already imported as “%(name)s”; nothing was changed")
            % {"name": earlier.name}
        )
        if as_json:
            counts = {
                "rows": earlier.rows,
                "imported": earlier.imported,
                "matched": earlier.matched,
                "merged": earlier.merged,
                "errors": earlier.errors,
                "error_rows": earlier.error_rows,
                "already_imported": True,
            }
            self.stdout.write(_dumps(counts))

    def _unusable(self, message: str, as_json: bool):
        self.stderr.write(message)
        if as_json:
            self.stdout.write(_dumps({"error": message}))
        sys.exit(EXIT_UNUSABLE_FILE)

    # Progress on stderr: a bar redrawn in place on a terminal, one line per stage otherwise.

    _stage = ""
    _bar_open = False

    def _progress(self, stage: str, done: int, total: int) -> None:
        interactive = self.stderr.isatty()
        if not interactive:
            if stage != self._stage:
                self.stderr.write(str(stage))
            self._stage = stage
            return
        width = 30
        filled = width * done // total if total else (width if done else 0)
        counts = f" {done:,}/{total:,}" if total else ""
        self.stderr.write(
            f"\r[{'#' * filled}{'-' * (width - filled)}] {stage}{counts}\x1b[K",
            style_func=str,  # not in the error colour
            ending="",
        )
        self.stderr.flush()
        self._stage, self._bar_open = stage, True

    def _end_progress(self) -> None:
        if self._bar_open:
            self.stderr.write("")
            self._bar_open = False


def _dumps(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False)
