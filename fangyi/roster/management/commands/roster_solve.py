"""`fangyi roster-solve --town CODE --start YYYY-MM-DD --days N [--time-limit S] [--json]`:
draw a town's roster with the same solver as the page (services.solve_roster).

The roster with that first day and length is solved again (locked assignments kept), or made
first (services.create_roster). A progress line while solving, then the figures and the
explanation of what could not be met; with --json the LAST line is one JSON object:
{"status", "shifts", "assignments", "uncovered", "objective", "bound", "seconds"}.
"""

import json
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, JurisdictionLevel
from fangyi.roster import services
from fangyi.roster.models import MAX_ROSTER_DAYS, Assignment, Roster


def _messages(error: ValidationError) -> str:
    return "; ".join(error.messages)


class Command(BaseCommand):
    help = (
        "Solve a town's duty roster for DAYS days from START (made first if the town has none "
        "for that period), with the same solver as the roster page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--town", required=True, metavar="CODE", help="the town's code")
        parser.add_argument("--start", required=True, metavar="YYYY-MM-DD", help="first day")
        parser.add_argument("--days", required=True, metavar="N", help="days the roster covers")
        parser.add_argument(
            "--time-limit",
            default="10",
            metavar="S",
            help="stop after S seconds with the best roster found (default 10)",
        )
        parser.add_argument(
            "--json", action="store_true", help="end with one line of JSON with the figures"
        )

    def handle(self, *args, town: str, start: str, days: str, time_limit: str, **options):
        with translation.override(settings.LANGUAGE_CODE):
            self._run(town, start, days, time_limit, as_json=options["json"])

    def _run(self, code: str, start: str, days: str, time_limit: str, *, as_json: bool) -> None:
        town = self._town(code)
        starts_on = self._date(start)
        length = self._days(days)
        limit = self._time_limit(time_limit)
        actor = Actor.command_line()
        roster = self._roster(actor, town, starts_on, length)
        shifts = roster.shifts.count()
        self.stdout.write(
            _("solving the roster of %(town)s, %(days)d days from %(start)s: %(shifts)d shifts")
            % {
                "town": town.name,
                "days": length,
                "start": f"{starts_on:%Y-%m-%d}",
                "shifts": shifts,
            }
        )

        def progress(done: int, total: int, seconds: float) -> None:
            line = _("%(done)d of %(total)d checkpoints, %(seconds).0f s") % {
                "done": done,
                "total": total,
                "seconds": seconds,
            }
            self.stderr.write("\r" + line, ending="")
            self.stderr.flush()

        try:
            solution = services.solve_roster(actor, roster, time_limit=limit, progress=progress)
        except ValidationError as error:
            raise CommandError(_messages(error)) from error
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        finally:
            self.stderr.write("")
        roster.refresh_from_db()
        assignments = Assignment.objects.filter(shift__roster=roster).count()
        self.stdout.write(
            _(
                "%(status)s: %(assignments)d assignments, %(uncovered)d person-shifts uncovered, "
                "objective %(objective)s, bound %(bound)s, %(seconds).1f s"
            )
            % {
                "status": solution.status,
                "assignments": assignments,
                "uncovered": roster.uncovered,
                "objective": _number(roster.objective),
                "bound": _number(roster.bound),
                "seconds": solution.seconds,
            }
        )
        for item in roster.explanation:
            self.stdout.write(f"- {item['message']}")
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "status": solution.status,
                        "shifts": shifts,
                        "assignments": assignments,
                        "uncovered": roster.uncovered,
                        "objective": roster.objective,
                        "bound": roster.bound,
                        "seconds": roster.solve_seconds,
                    },
                    ensure_ascii=False,
                )
            )

    @staticmethod
    def _town(code: str) -> Jurisdiction:
        town = Jurisdiction.objects.filter(code=code.strip()).first()
        if town is None:
            raise CommandError(_("no jurisdiction with the code %(code)s") % {"code": code})
        if town.level != JurisdictionLevel.TOWN:
            raise CommandError(
                _("%(code)s (%(name)s) is not a town; a roster belongs to a town")
                % {"code": code, "name": town.name}
            )
        return town

    @staticmethod
    def _date(value: str) -> date:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise CommandError(
                _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2020-02-10")
                % {"value": value}
            ) from None

    @staticmethod
    def _days(value: str) -> int:
        try:
            days = int(value)
        except ValueError:
            days = 0
        if not 1 <= days <= MAX_ROSTER_DAYS:
            raise CommandError(
                _("--days takes a number of days from 1 to %(max)d, not %(value)s")
                % {"max": MAX_ROSTER_DAYS, "value": value}
            )
        return days

    @staticmethod
    def _time_limit(value: str) -> float:
        try:
            seconds = float(value)
        except ValueError:
            seconds = 0.0
        if not 1 <= seconds <= 600:
            raise CommandError(
                _("--time-limit takes a number of seconds from 1 to 600, not %(value)s")
                % {"value": value}
            )
        return seconds

    @staticmethod
    def _roster(actor: Actor, town: Jurisdiction, starts_on: date, days: int) -> Roster:
        roster = Roster.objects.filter(town=town, starts_on=starts_on, days=days).first()
        if roster is not None:
            return roster
        try:
            return services.create_roster(actor, town=town, starts_on=starts_on, days=days)
        except ValidationError as error:
            raise CommandError(_messages(error)) from error


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"
