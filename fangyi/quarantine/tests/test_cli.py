"""`fangyi quarantine-due` (the town's morning list, as a table or JSON, IDs masked) and
`fangyi quarantine-sweep` (missed checks marked, once or in a loop)."""

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
from fangyi.quarantine.management.commands import quarantine_due, quarantine_sweep
from fangyi.quarantine.models import CheckStatus, FollowUp
from fangyi.quarantine.testing import make_order, make_team
from fangyi.testing import make_person


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def due_on(order, day) -> None:
    """Given: the order's period ends on `day` (made earlier, not released yet)."""
    order.planned_end_date = day
    order.save(update_fields=["planned_end_date"])


def miss_first_slot(order, hours_ago: int = 3) -> FollowUp:
    """Given: the order's first slot was due hours ago (past the 2-hour grace), not recorded."""
    first = order.checks.order_by("due_at").first()
    first.due_at = timezone.now() - timedelta(hours=hours_ago)
    first.save(update_fields=["due_at"])
    return first


@pytest.fixture
def world(town, village_a, village_b, other_town_village, other_town):
    """In 青山镇: one due today, one 2 days overdue, one due tomorrow, one with a missed check;
    in 白水镇: one due today (never listed for 青山镇)."""
    make_team(town, village_a)
    today = timezone.localdate()
    people = {
        "today": make_person(village_a, "王金水"),
        "overdue": make_person(village_b, "张伟"),
        "tomorrow": make_person(village_a, "李娜"),
        "missed": make_person(village_b, "赵四"),
        "elsewhere": make_person(other_town_village, "刘洋"),
    }
    orders = {key: make_order(person) for key, person in people.items()}
    due_on(orders["today"], today)
    due_on(orders["overdue"], today - timedelta(days=2))
    due_on(orders["tomorrow"], today + timedelta(days=1))
    due_on(orders["elsewhere"], today)
    miss_first_slot(orders["missed"])
    return orders


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"


def test_it_prints_one_json_object_with_ids_masked(world, town):
    today = timezone.localdate()

    stdout = run("quarantine_due", "--town", town.code, "--date", today.isoformat(), "--json")

    result = json.loads(stdout)
    assert set(result) == {"town", "date", "due_for_release", "missed_checks"}
    assert (result["town"], result["date"]) == (town.code, today.isoformat())
    due = result["due_for_release"]
    assert [row["name"] for row in due] == ["张伟", "王金水"]  # the longest overdue first
    assert [row["days_overdue"] for row in due] == [2, 0]
    first = due[0]
    assert first["village"] == "西村" and first["kind"] == "home_quarantine"
    assert first["planned_end_date"] == (today - timedelta(days=2)).isoformat()
    assert first["open_checks"] > 0 and first["ready"] is False
    assert first["id_number"] == world["overdue"].person.id_number_masked
    [missed] = result["missed_checks"]
    assert (missed["name"], missed["missed"]) == ("赵四", 1)
    assert len(missed["slots"]) == 1 and missed["team"]
    for order in world.values():
        assert order.person.id_number not in stdout
        assert order.person.phone not in stdout
    assert "刘洋" not in stdout


def test_it_lists_tomorrows_releases_for_another_date(world, town):
    tomorrow = timezone.localdate() + timedelta(days=1)

    result = json.loads(
        run("quarantine_due", "--town", town.code, "--date", tomorrow.isoformat(), "--json")
    )

    assert [row["name"] for row in result["due_for_release"]] == ["张伟", "王金水", "李娜"]


def test_it_narrows_to_a_village(world, village_a):
    result = json.loads(run("quarantine_due", "--town", village_a.code, "--json"))

    assert [row["name"] for row in result["due_for_release"]] == ["王金水"]
    assert result["missed_checks"] == []


def test_it_prints_a_table_for_people(world, town, english):
    stdout = run("quarantine_due", "--town", town.code)

    lines = stdout.splitlines()
    assert "青山镇" in lines[0] and "2 due for release, 1 with missed checks" in lines[0]
    assert "Due for release" in stdout and "Missed checks" in stdout
    overdue = next(line for line in lines if "张伟" in line)
    masked = world["overdue"].person.id_number_masked
    assert masked in overdue and "西村" in overdue and "2 days overdue" in overdue
    assert "home quarantine" in overdue
    missed = next(line for line in lines if "赵四" in line)
    assert "day " in missed  # the slot's label
    assert world["overdue"].person.id_number not in stdout
    assert "{" not in stdout


def test_it_says_none_when_nothing_is_due(town, english):
    stdout = run("quarantine_due", "--town", town.code)

    assert stdout.count("(none)") == 2


def test_it_refuses_an_unknown_town_and_a_bad_date(town):
    with pytest.raises(CommandError, match="999901199"):
        run("quarantine_due", "--town", "999901199")
    for bad in ("2020-02-30", "明天", "10/02/2020"):
        with pytest.raises(CommandError, match="YYYY-MM-DD"):
            run("quarantine_due", "--town", town.code, "--date", bad)


def test_it_exits_non_zero_with_a_chinese_message(town, capsys):
    command = quarantine_due.Command()

    with pytest.raises(SystemExit) as exit_:
        command.run_from_argv(["fangyi", "quarantine_due", "--town", "999901199"])

    assert exit_.value.code != 0
    assert "没有代码为 999901199 的辖区" in capsys.readouterr().err


def test_it_is_reached_with_dashes_from_the_fangyi_command(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["fangyi", "quarantine-due", "--help"])

    with pytest.raises(SystemExit) as exit_:
        cli.main()

    assert exit_.value.code == 0
    assert "--town" in capsys.readouterr().out


def test_it_reads_the_lists_in_a_fixed_number_of_queries(
    world, town, village_a, django_assert_max_num_queries
):
    for name in ("甲一", "乙二", "丙三"):
        miss_first_slot(make_order(make_person(village_a, name)))

    with django_assert_max_num_queries(9):
        result = json.loads(run("quarantine_due", "--town", town.code, "--json"))

    assert len(result["missed_checks"]) == 4


# quarantine-sweep ---------------------------------------------------------------------------


def test_it_sweeps_once_and_says_how_many(world, english):
    slot = world["missed"].checks.order_by("due_at").first()

    first = run("quarantine_sweep")
    again = run("quarantine_sweep")

    assert "1 check slots marked missed" in first
    assert "0 check slots marked missed" in again
    slot.refresh_from_db()
    assert slot.status == CheckStatus.MISSED
    assert Alert.objects.filter(kind=AlertKind.MISSED_CHECK).count() == 1


def test_it_sweeps_in_a_loop_until_stopped(world, monkeypatch, english):
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 1:
            miss_first_slot(world["today"])  # a slot goes past its grace between two sweeps
            return
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_command.time, "sleep", sleep)
    # The test's transaction is the connection's: do not let the loop close it.
    monkeypatch.setattr(sweep_command, "close_old_connections", lambda: None)

    stdout = run("quarantine_sweep", "--loop", "300")

    assert sleeps == [300, 300]
    assert "every 300 s" in stdout
    assert stdout.count("1 check slots marked missed") == 2
    assert FollowUp.objects.filter(status=CheckStatus.MISSED).count() == 2


def test_it_keeps_looping_after_a_failed_sweep(world, monkeypatch, english):
    calls = []

    def flaky(now=None):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return 0

    def sleep(seconds):
        if len(calls) >= 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(quarantine_sweep.services, "sweep_missed_checks", flaky)
    monkeypatch.setattr(sweep_command.time, "sleep", sleep)
    monkeypatch.setattr(sweep_command, "close_old_connections", lambda: None)
    err = io.StringIO()

    call_command("quarantine_sweep", "--loop", "5", stdout=io.StringIO(), stderr=err)

    assert len(calls) == 2
    assert "database is locked" in err.getvalue()


def test_it_refuses_a_loop_of_no_seconds(db):
    with pytest.raises(CommandError):
        run("quarantine_sweep", "--loop", "0")
