"""`fangyi supplies-sweep [--loop SECONDS]`: raise the stock alerts nobody's write raised: a
store under an item's warning threshold, a batch expiring within 30 days or expired
(services.sweep_supplies; one open alert per store and item or batch), once or every SECONDS."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangyi.core.sweep_command import SweepCommand
from fangyi.supplies import services


class Command(SweepCommand):
    help = (
        "Alert each store under an item's warning threshold and each batch near or past its "
        "expiry (once an alert stays open). Once, or with --loop SECONDS forever."
    )

    def sweep(self) -> int:
        return services.sweep_supplies()

    def report(self, count: int) -> str:
        return ngettext("%(n)d stock alert raised", "%(n)d stock alerts raised", count) % {
            "n": count
        }

    def starting(self, seconds: int) -> str:
        return _("sweeping the stores every %(seconds)s s (Ctrl-C to stop)") % {"seconds": seconds}

    def failed(self, error: Exception) -> str:
        return _("supplies sweep failed: %(error)s") % {"error": error}
