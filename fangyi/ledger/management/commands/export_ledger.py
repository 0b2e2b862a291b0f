"""`fangyi export-ledger --town CODE OUT.xlsx`: a jurisdiction's whole ledger to Excel (audited)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction
from fangyi.ledger.exports import export_ledger
from fangyi.ledger.models import LedgerEntry


class Command(BaseCommand):
    help = (
        "Export the screening ledger of a town (or any jurisdiction) to .xlsx. ID numbers and "
        "phones are masked unless --full-identity is given; the export is written to the audit "
        "log as cli:<OS user>."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", metavar="OUT.xlsx")
        parser.add_argument("--town", required=True, help="the jurisdiction's division code")
        parser.add_argument(
            "--full-identity", action="store_true", help="full ID numbers and phones (audited)"
        )

    def handle(self, *args, out: str, town: str, full_identity: bool, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self._export(out, town, full_identity)

    def _export(self, out: str, code: str, full_identity: bool) -> None:
        place = Jurisdiction.objects.filter(code=code).first()
        if place is None:
            raise CommandError(_("no jurisdiction with the code %(code)s") % {"code": code})
        if not out.lower().endswith(".xlsx"):
            raise CommandError(_("the output file must end in .xlsx"))
        started = time.perf_counter()
        try:
            count = export_ledger(
                Actor.command_line(),
                LedgerEntry.objects.within(place.code),
                out,
                description=_("command line export of %(place)s") % {"place": place.name},
                scope_code=place.code,
                full_identity=full_identity,
            )
        except OSError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("%(count)s ledger rows of %(place)s written to %(file)s in %(seconds).1f s")
            % {
                "count": f"{count:,}",
                "place": place.name,
                "file": out,
                "seconds": time.perf_counter() - started,
            }
        )
