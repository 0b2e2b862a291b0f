"""`fangyi briefing --jurisdiction CODE --date YYYY-MM-DD [--pdf OUT.pdf] [--json]`: generate
the day's briefing (or take the published, frozen one) and write it as a PDF and/or print its
content as JSON."""

import json
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangyi.command import services
from fangyi.command.models import Briefing
from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction


class Command(BaseCommand):
    help = "Generate a jurisdiction's daily briefing for a date; write a PDF and/or print JSON."

    def add_arguments(self, parser):
        parser.add_argument("--jurisdiction", required=True, metavar="CODE")
        parser.add_argument("--date", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--pdf", metavar="OUT.pdf")
        parser.add_argument("--json", action="store_true", help="print the content as JSON")

    def handle(self, *args, jurisdiction: str, date: str, pdf: str | None, json: bool, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self._run(jurisdiction, date, pdf, json)

    def _run(self, code: str, day_text: str, pdf: str | None, as_json: bool) -> None:
        if not pdf and not as_json:
            raise CommandError(_("give --pdf OUT.pdf, --json or both"))
        place = Jurisdiction.objects.filter(code=code.strip()).first()
        if place is None:
            raise CommandError(_("no jurisdiction with the code %(code)s") % {"code": code})
        try:
            day = date.fromisoformat(day_text.strip())
        except ValueError as error:
            raise CommandError(
                _("%(date)s is not a date (write YYYY-MM-DD)") % {"date": day_text}
            ) from error
        if day > timezone.localdate():
            raise CommandError(_("no briefing for a day still to come"))
        target = Path(pdf) if pdf else None
        if target is not None and not target.parent.resolve().is_dir():
            raise CommandError(_("cannot write %(path)s: no such folder") % {"path": pdf})
        briefing = Briefing.objects.filter(jurisdiction=place, day=day).first()
        if briefing is None or not briefing.is_published:
            try:
                briefing = services.generate_briefing(Actor.command_line(), place, day)
            except services.BriefingError as error:
                raise CommandError(" ".join(error.messages)) from error
        if target is not None:
            from fangyi.command.documents import briefing_pdf

            try:
                target.write_bytes(briefing_pdf(briefing))
            except OSError as error:
                raise CommandError(
                    _("cannot write %(path)s: %(error)s") % {"path": pdf, "error": error}
                ) from error
        if as_json:
            self.stdout.write(json_dump(briefing.content))


def json_dump(content: dict) -> str:
    return json.dumps(content, ensure_ascii=False, indent=2)
