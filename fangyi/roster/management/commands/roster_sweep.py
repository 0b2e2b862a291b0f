"""`fangyi roster-sweep [--loop SECONDS]`: raise a no-show alert for each shift of a published
roster with nobody checked in 15 minutes after its start (services.sweep_no_shows), once or
every SECONDS."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangyi.roster import services


class Command(BaseCommand):
    help = (
        "Alert the town for each shift of a published roster with nobody checked in 15 minutes "
        "after its start (once a shift). Once, or with --loop SECONDS forever (the demo runs it "
        "every 60 s)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", type=int, default=None, metavar="SECONDS", help="sweep every SECONDS"
        )

    def handle(self, *args, loop: int | None, **options):
        with translation.override(settings.LANGUAGE_CODE):
            if loop is None:
                self.stdout.write(self._message(services.sweep_no_shows()))
                return
            if loop < 1:
                raise CommandError(_("--loop takes a number of seconds, at least 1"))
            self._loop(loop)

    def _loop(self, seconds: int) -> None:
        self.stdout.write(
            _("sweeping for no-shows every %(seconds)s s (Ctrl-C to stop)") % {"seconds": seconds}
        )
        try:
            while True:
                try:
                    raised = services.sweep_no_shows()
                except Exception as error:  # a locked database now is no reason to stop for good
                    self.stderr.write(_("no-show sweep failed: %(error)s") % {"error": error})
                else:
                    if raised:
                        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
                        self.stdout.write(f"{stamp} {self._message(raised)}")
                close_old_connections()
                time.sleep(seconds)
        except KeyboardInterrupt:
            return

    @staticmethod
    def _message(raised: int) -> str:
        return ngettext("%(n)d no-show alert raised", "%(n)d no-show alerts raised", raised) % {
            "n": raised
        }
