"""`fangyi quarantine-sweep [--loop SECONDS]`: mark check slots left unrecorded past the grace
as missed and alert the town (services.sweep_missed_checks), once or every SECONDS."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangyi.quarantine import services


class Command(BaseCommand):
    help = (
        "Mark the check slots of running orders not recorded in time as missed, with one alert "
        "per person. Once, or with --loop SECONDS forever (the demo runs it every 300 s)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", type=int, default=None, metavar="SECONDS", help="sweep every SECONDS"
        )

    def handle(self, *args, loop: int | None, **options):
        with translation.override(settings.LANGUAGE_CODE):
            if loop is None:
                self.stdout.write(self._message(services.sweep_missed_checks()))
                return
            if loop < 1:
                raise CommandError(_("--loop takes a number of seconds, at least 1"))
            self._loop(loop)

    def _loop(self, seconds: int) -> None:
        self.stdout.write(
            _("sweeping missed checks every %(seconds)s s (Ctrl-C to stop)") % {"seconds": seconds}
        )
        try:
            while True:
                try:
                    marked = services.sweep_missed_checks()
                except Exception as error:  # a locked database now is no reason to stop for good
                    self.stderr.write(_("sweep failed: %(error)s") % {"error": error})
                else:
                    if marked:
                        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
                        self.stdout.write(f"{stamp} {self._message(marked)}")
                close_old_connections()
                time.sleep(seconds)
        except KeyboardInterrupt:
            return

    @staticmethod
    def _message(marked: int) -> str:
        return _("%(n)s check slots marked missed") % {"n": marked}
