"""`fangyi enterprise-roster-import --filing ID FILE`: the filing page's roster import, from a
shell (the town's IT helping a company whose clerk mailed the .xlsx)."""

import json
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.enterprises import services
from fangyi.enterprises.models import Filing

EXIT_UNUSABLE_FILE = 2


def find_filing(reference: str) -> Filing | None:
    """A filing by its external id (UUID) or its number."""
    reference = reference.strip()
    try:
        external_id = uuid.UUID(reference)
    except ValueError:
        external_id = None
    if external_id is not None:
        return Filing.objects.select_related("enterprise").filter(external_id=external_id).first()
    if reference.isdigit():
        return Filing.objects.select_related("enterprise").filter(pk=int(reference)).first()
    return None


class Command(BaseCommand):
    help = (
        "Import an employee roster (.xlsx, .xls or .csv: 姓名, 身份证号, 手机号码, 家庭住址, "
        "14天内行程, 健康状况) into a draft filing and screen the employees, as the filing page "
        "does. With --json the last line of output is one JSON object with the counts and errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--filing", required=True, help="the filing's id (UUID) or number")
        parser.add_argument("--json", action="store_true", help="print a JSON summary last")

    def handle(self, *args, file: str, filing: str, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self._import(file, filing, as_json=options["json"])

    def _import(self, file: str, reference: str, *, as_json: bool) -> None:
        filing = find_filing(reference)
        if filing is None:
            raise CommandError(_("no filing %(id)s") % {"id": reference})
        path = Path(file)
        if not path.is_file():
            self._unusable(_("no such file: %(file)s") % {"file": file}, as_json)
        try:
            outcome = services.import_employee_roster(Actor.command_line(), filing, path, path.name)
        except (ValidationError, PermissionDenied) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            self._unusable("; ".join(messages), as_json)
        summary = outcome.as_json()
        self.stdout.write(
            _(
                "%(enterprise)s: %(rows)d rows: %(imported)d employees imported, %(flagged)d "
                "flagged, %(merged)d merged duplicates, %(errors)d rows with errors"
            )
            % {"enterprise": filing.enterprise.name, **summary}
        )
        if not outcome.replaced:
            self.stdout.write(_("no row could be imported: the previous roster was kept"))
        if not as_json:
            for problem in summary["error_rows"]:
                self.stdout.write(_("row %(row)d, column %(column)s: %(reason)s") % problem)
            for employee in filing.employees.filter(flagged=True).order_by("source_row"):
                self.stdout.write(
                    _("flagged: row %(row)d %(name)s: %(flags)s")
                    % {
                        "row": employee.source_row,
                        "name": employee.name,
                        "flags": "; ".join(f["message"] for f in employee.flags),
                    }
                )
        else:
            summary["flagged_rows"] = [
                {"row": e.source_row, "name": e.name, "flags": e.flags}
                for e in filing.employees.filter(flagged=True).order_by("source_row")
            ]
            self.stdout.write(json.dumps(summary, ensure_ascii=False))

    def _unusable(self, message: str, as_json: bool):
        self.stderr.write(message)
        if as_json:
            self.stdout.write(json.dumps({"error": message}, ensure_ascii=False))
        sys.exit(EXIT_UNUSABLE_FILE)
