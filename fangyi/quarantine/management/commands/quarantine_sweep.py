"""`fangyi quarantine-sweep [--loop SECONDS]`: mark check slots left unrecorded past the grace
as missed and alert the town (services.sweep_missed_checks), once or every SECONDS."""

from django.utils.translation import gettext as _

from fangyi.core.sweep_command import SweepCommand
from fangyi.quarantine import services


class Command(SweepCommand):
    help = (
        "Mark the check slots of running orders not recorded in time as missed, with one alert "
        "per person. Once, or with --loop SECONDS forever (the demo runs it every 300 s)."
    )

    def sweep(self) -> int:
        return services.sweep_missed_checks()

    def report(self, count: int) -> str:
        return _("%(n)s check slots marked missed") % {"n": count}

    def starting(self, seconds: int) -> str:
        return _("sweeping missed checks every %(seconds)s s (Ctrl-C to stop)") % {
            "seconds": seconds
        }

    def failed(self, error: Exception) -> str:
        return _("sweep failed: %(error)s") % {"error": error}
