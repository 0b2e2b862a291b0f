"""`fangyi roster-sweep [--loop SECONDS]`: raise a no-show alert for each shift of a published
roster with nobody checked in 15 minutes after its start (services.sweep_no_shows), once or
every SECONDS."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangyi.core.sweep_command import SweepCommand
from fangyi.roster import services


class Command(SweepCommand):
    help = (
        "Alert the town for each shift of a published roster with nobody checked in 15 minutes "
        "after its start (once a shift). Once, or with --loop SECONDS forever (the demo runs it "
        "every 60 s)."
    )

    def sweep(self) -> int:
        return services.sweep_no_shows()

    def report(self, count: int) -> str:
        return ngettext("%(n)d no-show alert raised", "%(n)d no-show alerts raised", count) % {
            "n": count
        }

    def starting(self, seconds: int) -> str:
        return _("sweeping for no-shows every %(seconds)s s (Ctrl-C to stop)") % {
            "seconds": seconds
        }

    def failed(self, error: Exception) -> str:
        return _("no-show sweep failed: %(error)s") % {"error": error}
