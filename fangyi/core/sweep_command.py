"""The shape of `fangyi quarantine-sweep` and `fangyi roster-sweep`: run a sweep once, or with
--loop SECONDS forever (a locked database one time is no reason to stop for good)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone, translation
from django.utils.translation import gettext as _


class SweepCommand(BaseCommand):
    """Subclasses say what to sweep and how to report it."""

    def sweep(self) -> int:
        raise NotImplementedError

    def report(self, count: int) -> str:
        raise NotImplementedError

    def starting(self, seconds: int) -> str:
        raise NotImplementedError

    def failed(self, error: Exception) -> str:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", type=int, default=None, metavar="SECONDS", help="sweep every SECONDS"
        )

    def handle(self, *args, loop: int | None, **options):
        with translation.override(settings.LANGUAGE_CODE):
            if loop is None:
                self.stdout.write(self.report(self.sweep()))
                return
            if loop < 1:
                raise CommandError(_("--loop takes a number of seconds, at least 1"))
            self._loop(loop)

    def _loop(self, seconds: int) -> None:
        self.stdout.write(self.starting(seconds))
        try:
            while True:
                try:
                    count = self.sweep()
                except Exception as error:
                    self.stderr.write(self.failed(error))
                else:
                    if count:
                        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
                        self.stdout.write(f"{stamp} {self.report(count)}")
                close_old_connections()
                time.sleep(seconds)
        except KeyboardInterrupt:
            return
