"""`fangyi volunteers-sweep [--loop SECONDS]`: raise one alert for each open household service
request past its needed-by time (services.sweep_overdue_requests), once or every SECONDS."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangyi.core.sweep_command import SweepCommand
from fangyi.volunteers import services


class Command(SweepCommand):
    help = (
        "Alert the village for each open household service request past its needed-by time "
        "(once a request). Once, or with --loop SECONDS forever."
    )

    def sweep(self) -> int:
        return services.sweep_overdue_requests()

    def report(self, count: int) -> str:
        return ngettext(
            "%(n)d overdue request alert raised", "%(n)d overdue request alerts raised", count
        ) % {"n": count}

    def starting(self, seconds: int) -> str:
        return _("sweeping for overdue household requests every %(seconds)s s (Ctrl-C to stop)") % {
            "seconds": seconds
        }

    def failed(self, error: Exception) -> str:
        return _("overdue request sweep failed: %(error)s") % {"error": error}
