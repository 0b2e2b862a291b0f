"""`fangyi command-sweep [--loop SECONDS]`: refresh the figures of today and yesterday each
pass; once a day, at or after settings.BRIEFING_TIME, refresh every day and generate the
morning briefings (services.generate_morning_briefings)."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.command import services
from fangyi.command.models import Briefing
from fangyi.command.rollups import local_day, refresh_rollups
from fangyi.core.sweep_command import SweepCommand


def briefing_time() -> time:
    return time.fromisoformat(settings.BRIEFING_TIME)


def morning_due(now: datetime, last_morning: date | None) -> bool:
    """At or after the briefing time, and today's morning run not done: neither by this
    process nor by an earlier one (run from a timer, or restarted), whose briefings are there.
    A briefing a commander generated on demand does not count: the others are still due."""
    if timezone.localtime(now).time() < briefing_time() or last_morning == local_day(now):
        return False
    yesterday = local_day(now) - timedelta(days=1)
    return not Briefing.objects.filter(day=yesterday, generated_by=services.MORNING_ACTOR).exists()


class Command(SweepCommand):
    help = (
        "Refresh the command post's figures (today and yesterday); once a day at "
        "FANGYI_BRIEFING_TIME, refresh every day and generate yesterday's briefings. Once, or "
        "with --loop SECONDS forever."
    )
    last_morning: date | None = None

    def sweep(self) -> int:
        now = timezone.now()
        if morning_due(now, self.last_morning):
            count = services.generate_morning_briefings(now=now)  # does the full refresh
            self.last_morning = local_day(now)
            return count
        refresh_rollups(now=now)
        return 0

    def report(self, count: int) -> str:
        return _("figures refreshed; %(n)d briefings generated") % {"n": count}

    def starting(self, seconds: int) -> str:
        return _("refreshing the figures every %(seconds)s s (Ctrl-C to stop)") % {
            "seconds": seconds
        }

    def failed(self, error: Exception) -> str:
        return _("command sweep failed: %(error)s") % {"error": error}
