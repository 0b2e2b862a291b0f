"""`fangyi roster-solve` (the page's solver from the command line, its last line JSON with
--json) and `fangyi roster-sweep` (no-show alerts, once or in a loop)."""

import io
import json
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fangyi import cli
from fangyi.core import sweep_command
from fangyi.core.models import Alert, AlertKind
from fangyi.roster import services
from fangyi.roster.management.commands import roster_solve
from fangyi.roster.models import Assignment, Roster, RosterEvent, RosterEventKind, SolveState
from fangyi.roster.testing import SYSTEM, make_small_town


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def small(town, village_a):
    return make_small_town(town, village_a)


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


# roster-solve -------------------------------------------------------------------------------


def test_it_creates_and_solves_a_roster_and_ends_with_its_figures(small, town, english):
    stdout = run(
        "roster_solve", "--town", town.code, "--start", tomorrow(), "--days", "3",
        "--time-limit", "1", "--json",
    )  # fmt: skip

    result = json.loads(stdout.strip().splitlines()[-1])
    assert list(result) == [
        "status", "shifts", "assignments", "uncovered", "objective", "bound", "seconds",
    ]  # fmt: skip
    roster = Roster.objects.get(town=town)
    assert (roster.starts_on.isoformat(), roster.days) == (tomorrow(), 3)
    assert result["status"] in ("OPTIMAL", "FEASIBLE") and result["status"] == roster.result
    assert result["shifts"] == roster.shifts.count() == 2 * 3 * 3
    assert result["assignments"] == Assignment.objects.filter(shift__roster=roster).count() > 0
    assert result["uncovered"] == roster.uncovered == 0
    assert result["objective"] == roster.objective and result["bound"] == roster.bound
    assert result["seconds"] == roster.solve_seconds
    assert roster.solve_state == SolveState.DONE
    assert RosterEvent.objects.get(
        roster=roster, kind=RosterEventKind.CREATED
    ).actor_username.startswith("cli:")
    assert "solving the roster of 青山镇, 3 days from" in stdout


def test_it_solves_the_existing_roster_again_keeping_locked_assignments(small, town, english):
    roster = small.roster(timezone.localdate() + timedelta(days=1), days=3)
    shift = roster.shifts.filter(checkpoint=small.entrance).order_by("starts_at").first()
    police = next(p for p in small.staff if p.role == "police")
    locked = services.assign_staff(SYSTEM, shift, police)

    stdout = run(
        "roster_solve", "--town", town.code, "--start", tomorrow(), "--days", "3",
        "--time-limit", "1", "--json",
    )  # fmt: skip

    assert Roster.objects.filter(town=town).count() == 1
    assert Assignment.objects.filter(pk=locked.pk, staff=police, locked=True).exists()
    assert json.loads(stdout.splitlines()[-1])["shifts"] == roster.shifts.count()


def test_it_prints_the_explanation_when_demand_cannot_be_met(town, village_a, english):
    from fangyi.checkpoints.testing import make_checkpoint
    from fangyi.roster.testing import make_demand, make_staff_member

    gate = make_checkpoint(village_a, "东村村口")
    make_demand(gate, people_per_shift=2, role_minimums={"doctor": 1})
    make_staff_member(village_a, "王五", "volunteer")

    stdout = run(
        "roster_solve", "--town", town.code, "--start", tomorrow(), "--days", "1",
        "--time-limit", "1", "--json",
    )  # fmt: skip

    lines = stdout.strip().splitlines()
    result = json.loads(lines[-1])
    roster = Roster.objects.get(town=town)
    assert result["uncovered"] == roster.uncovered > 0 or result["status"] == "INFEASIBLE"
    assert roster.explanation
    for item in roster.explanation:
        assert f"- {item['message']}" in lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--town", "999901199"), "no jurisdiction with the code 999901199"),
        (("--town", "999901100201"), "is not a town"),
        (("--start", "2020-02-30"), "is not a date: write it as YYYY-MM-DD"),
        (("--start", "明天"), "is not a date: write it as YYYY-MM-DD"),
        (("--days", "0"), "from 1 to 28, not 0"),
        (("--days", "29"), "from 1 to 28, not 29"),
        (("--days", "seven"), "from 1 to 28, not seven"),
        (("--time-limit", "0"), "from 1 to 600"),
    ],
)
def test_it_refuses_bad_input_with_a_reason(small, town, english, args, message):
    values = {"--town": town.code, "--start": tomorrow(), "--days": "2", "--time-limit": "1"}
    values.update(dict(zip(args[::2], args[1::2], strict=True)))

    with pytest.raises(CommandError, match=message):
        run("roster_solve", *[part for pair in values.items() for part in pair])

    assert not Roster.objects.exists()


def test_it_refuses_a_period_another_roster_of_the_town_covers(small, town, english):
    small.roster(timezone.localdate() + timedelta(days=1), days=7)

    with pytest.raises(CommandError, match="covers some of these days"):
        run("roster_solve", "--town", town.code, "--start", tomorrow(), "--days", "3")

    assert Roster.objects.count() == 1


def test_it_refuses_a_town_without_demand(town, english):
    with pytest.raises(CommandError, match="has its staffing set"):
        run("roster_solve", "--town", town.code, "--start", tomorrow(), "--days", "3")


def test_it_exits_non_zero_with_a_chinese_message(town, capsys):
    command = roster_solve.Command()

    with pytest.raises(SystemExit) as exit_:
        command.run_from_argv(
            ["fangyi", "roster_solve", "--town", "999901199", "--start", tomorrow(), "--days", "3"]
        )

    assert exit_.value.code != 0
    assert "没有代码为 999901199 的辖区" in capsys.readouterr().err


def test_it_is_reached_with_dashes_from_the_fangyi_command(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["fangyi", "roster-solve", "--help"])

    with pytest.raises(SystemExit) as exit_:
        cli.main()

    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--town" in out and "--time-limit" in out and "--json" in out


# roster-sweep -------------------------------------------------------------------------------


@pytest.fixture
def started_unattended(small):
    """Given: a published roster whose first shift started 20 minutes ago, nobody checked in."""
    roster = small.roster(timezone.localdate() + timedelta(days=1), days=3)
    services.solve_roster(SYSTEM, roster, time_limit=1)
    services.publish_roster(SYSTEM, roster)
    shift = roster.shifts.filter(checkpoint=small.gate).order_by("starts_at").first()
    length = shift.ends_at - shift.starts_at
    shift.starts_at = timezone.now() - timedelta(minutes=20)
    shift.ends_at = shift.starts_at + length
    shift.save(update_fields=["starts_at", "ends_at"])
    roster.shifts.exclude(pk=shift.pk).update(no_show_alerted_at=timezone.now())
    return shift


def test_it_raises_a_no_show_alert_once(started_unattended, english):
    first = run("roster_sweep")
    again = run("roster_sweep")

    assert "1 no-show alert raised" in first
    assert "0 no-show alerts raised" in again
    alerts = Alert.objects.filter(kind=AlertKind.NO_SHOW)
    assert alerts.count() == 1
    assert started_unattended.checkpoint.name in alerts.get().message
    started_unattended.refresh_from_db()
    assert started_unattended.no_show_alerted_at is not None


def test_it_raises_none_when_someone_checked_in(started_unattended, english):
    someone = started_unattended.assignments.first()
    services.check_in(SYSTEM, someone)

    assert "0 no-show alerts raised" in run("roster_sweep")
    assert not Alert.objects.filter(kind=AlertKind.NO_SHOW).exists()


def test_it_sweeps_in_a_loop_until_stopped(started_unattended, monkeypatch, english):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) > 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(sweep_command.time, "sleep", sleep)
    monkeypatch.setattr(sweep_command, "close_old_connections", lambda: None)

    stdout = run("roster_sweep", "--loop", "60")

    assert sleeps == [60, 60]
    assert "every 60 s" in stdout and stdout.count("1 no-show alert raised") == 1
    assert Alert.objects.filter(kind=AlertKind.NO_SHOW).count() == 1


def test_it_refuses_a_loop_under_a_second(english):
    with pytest.raises(CommandError, match="at least 1"):
        run("roster_sweep", "--loop", "0")
