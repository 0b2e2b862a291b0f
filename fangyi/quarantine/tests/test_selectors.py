"""The quarantine reads: due_now_for, town_board, due_for_release, missed_checks (also the
CLI's), order_timeline and check_grid; scoped to the user, in a fixed number of queries."""

import json
from datetime import date, timedelta

import pytest
from django.utils import translation

from fangyi.core.audit import Actor
from fangyi.core.models import AlertKind, QuarantineKind
from fangyi.core.roles import Role
from fangyi.core.services import acknowledge_alert, raise_alert
from fangyi.quarantine import selectors, services
from fangyi.quarantine.models import (
    CheckMethod,
    NucleicAcidResult,
    TeamAssignment,
)
from fangyi.quarantine.testing import (
    complete_order,
    freeze_clock,
    local_time,
    make_order,
    make_site,
    make_team,
)
from fangyi.testing import make_person

FEB_1 = date(2020, 2, 1)
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def clock(monkeypatch, db):
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def team(town, village_a):
    return make_team(town, village_a)


def record(order, day: int, number: int, temperature: str = "36.5", late_by=timedelta()):
    check = order.checks.get(day=day, slot=number)
    return services.record_check(
        SYSTEM, check, temperature=temperature, method=CheckMethod.DOOR, now=check.due_at + late_by
    )


def on_day(n: int, hour: int, minute: int = 0):
    return local_time(FEB_1 + timedelta(days=n - 1), hour, minute)


# due_now_for ---------------------------------------------------------------------------------


def test_it_gives_a_member_their_open_slots_of_today_and_the_overdue_ones(clock, village_a, team):
    doctor = team[Role.DOCTOR]
    late = make_order(make_person(village_a, "甲"), start_date=FEB_1)
    fine = make_order(make_person(village_a, "乙"), start_date=FEB_1)
    for order in (late, fine):
        record(order, 1, 1, "36.4")
    record(fine, 1, 2, "37.5")
    clock.at = on_day(2, 7, 0)

    cards = selectors.due_now_for(doctor)

    assert [c.name for c in cards] == ["甲", "乙"]
    assert [(s.day, s.slot, s.state) for s in cards[0].slots] == [
        (1, 2, "missed"),
        (2, 1, "due"),
        (2, 2, "later"),
    ]
    assert cards[0].overdue and not cards[1].overdue
    assert str(cards[1].last_temperature) == "37.5" and cards[1].last_fever
    assert str(cards[0].last_temperature) == "36.4" and not cards[0].last_fever
    assert cards[1].day_number == 2


def test_it_keeps_todays_recorded_slots_and_puts_finished_cards_last(clock, village_a, team):
    first = make_order(make_person(village_a, "甲"), start_date=FEB_1)
    second = make_order(make_person(village_a, "乙"), start_date=FEB_1)
    record(first, 1, 1)
    record(first, 1, 2)
    clock.at = on_day(1, 17, 0)

    cards = selectors.due_now_for(team[Role.POLICE])

    assert [c.name for c in cards] == ["乙", "甲"]
    assert cards[1].all_done and [s.state for s in cards[1].slots] == ["done", "done"]
    assert [s.state for s in cards[0].slots] == ["missed", "due"]
    assert second.pk == cards[0].order_id


def test_it_leaves_out_ended_memberships_ended_orders_and_other_villages(
    clock, town, village_a, village_b, team, alice
):
    kept = make_order(make_person(village_a, "甲"), start_date=FEB_1)
    released = make_order(make_person(village_a, "乙"), start_date=FEB_1)
    complete_order(released)
    clock.at = on_day(15, 9)
    services.release_order(Actor(team[Role.DOCTOR]), released)
    elsewhere = make_order(make_person(village_b, "丙"), start_date=FEB_1 + timedelta(days=14))
    # A row the services would never write (alice does not work in 西村): the scope still holds.
    TeamAssignment.objects.create(order=elsewhere, role=Role.VILLAGE_CADRE, member=alice)
    services.reassign_member(SYSTEM, kept, Role.VILLAGE_CADRE, alice)
    vc = team[Role.VILLAGE_CADRE]

    assert [c.name for c in selectors.due_now_for(alice)] == ["甲"]
    assert [c.name for c in selectors.due_now_for(vc)] == []


def test_it_answers_due_now_in_two_queries_whatever_the_number_of_people(
    clock, village_a, team, django_assert_num_queries
):
    for i in range(15):
        make_order(make_person(village_a, f"村民{i}"), start_date=FEB_1)
    clock.at = on_day(3, 9)
    selectors.due_now_for(team[Role.DOCTOR])  # the profile is read once and cached

    with django_assert_num_queries(2):
        cards = selectors.due_now_for(team[Role.DOCTOR])

    assert len(cards) == 15
    assert all(len(c.slots) == 6 for c in cards)  # 4 missed, 1 due, 1 later


# The board ----------------------------------------------------------------------------------


def record_until(order, now) -> None:
    """Every open check of the order due by `now`, at its due time."""
    for check in order.checks.open().filter(due_at__lte=now).order_by("due_at"):
        services.record_check(
            SYSTEM, check, temperature="36.5", method=CheckMethod.DOOR, now=check.due_at
        )


@pytest.fixture
def town_world(clock, town, village_a, village_b, team):
    """东村: 甲 home quarantine due today, 乙 home quarantine never checked, 丙 centralized;
    西村: 丁 home monitoring overdue for release; a fever alert, an acknowledged one and a
    checkpoint's alert (not the board's)."""
    site = make_site(town)
    a1 = make_order(make_person(village_a, "甲"), start_date=FEB_1)
    b1 = make_order(
        make_person(village_b, "丁"),
        QuarantineKind.HOME_MONITORING,
        start_date=FEB_1,
    )
    complete_order(a1)
    complete_order(b1)
    clock.at = on_day(11, 6)
    a2 = make_order(make_person(village_a, "乙"))
    a3 = make_order(make_person(village_a, "丙"), QuarantineKind.CENTRALIZED, site=site)
    clock.at = on_day(15, 9)  # 甲 is due today (14 days), 丁 since day 8 (7 days)
    record_until(a3, clock.at)
    raise_alert(AlertKind.FEVER, jurisdiction=village_a, message="丙 38.5", person=a3.person)
    old = raise_alert(AlertKind.FEVER, jurisdiction=village_b, message="old")
    acknowledge_alert(SYSTEM, old)
    raise_alert(AlertKind.NO_PASS, jurisdiction=village_b, message="not a quarantine alert")
    return {"a1": a1, "a2": a2, "a3": a3, "b1": b1}


def test_it_counts_the_town_by_village_and_measure(town_world, carol):
    board = selectors.town_board(carol)

    rows = {r.name: r for r in board.rows}
    assert list(rows) == ["东村", "西村"]
    kinds = [k for k, _label in board.kinds]
    east = dict(zip(kinds, rows["东村"].by_kind, strict=True))
    assert east == {"home_quarantine": 2, "centralized": 1, "home_monitoring": 0}
    assert rows["西村"].by_kind[kinds.index("home_monitoring")] == 1
    assert (rows["东村"].due_today, rows["东村"].release_overdue) == (1, 0)
    assert (rows["西村"].due_today, rows["西村"].release_overdue) == (0, 1)
    # 乙 (from day 11) was never checked: days 11-14 and day 15 08:00 (not past its grace).
    assert rows["东村"].missed_people == 1 and rows["东村"].missed_checks == 8
    assert rows["西村"].missed_checks == 0
    assert rows["东村"].alerts == 1 and rows["西村"].alerts == 0
    assert board.total.running == 4 and board.total.due_today == 1
    assert [(k, n) for k, _label, n in board.alerts_by_kind] == [
        ("fever", 1),
        ("symptom", 0),
        ("missed_check", 0),
    ]
    assert [r.name for r in board.due] == ["丁", "甲"]
    assert [r.name for r in board.missed] == ["乙"]
    assert [a.message for a in board.alerts] == ["丙 38.5"]


def test_it_gives_a_village_cadre_her_village_only(town_world, alice, bob):
    board = selectors.town_board(alice)

    assert [r.name for r in board.rows] == ["东村"]
    assert board.total.running == 3
    assert [r.name for r in board.due] == ["甲"]
    assert [r.name for r in selectors.town_board(bob).due] == ["丁"]
    assert selectors.town_board(bob).total.missed_people == 0


def test_it_builds_the_board_in_a_fixed_number_of_queries(
    town_world, carol, village_a, django_assert_num_queries
):
    selectors.town_board(carol)
    for i in range(10):
        make_order(make_person(village_a, f"村民{i}"))

    with django_assert_num_queries(10):
        board = selectors.town_board(carol)

    assert board.total.running == 14


def test_it_lists_due_for_release_with_what_still_blocks_each(town_world, carol, frank):
    a1 = town_world["a1"]
    a1.tests.filter(day=14).update(result=NucleicAcidResult.SAMPLED)

    rows = {r.name: r for r in selectors.due_for_release(carol, on_day(15, 0).date())}

    assert set(rows) == {"甲", "丁"}
    assert rows["丁"].ready and rows["丁"].days_overdue == 7
    assert not rows["甲"].ready and rows["甲"].tests_waiting == 1 and rows["甲"].open_checks == 0
    assert rows["甲"].link == f"/quarantine/orders/{a1.external_id}/"
    assert selectors.due_for_release(frank, on_day(15, 0).date()) == []


def test_it_answers_the_cli_without_an_account_as_plain_json(town_world, village_b):
    day = on_day(15, 0).date()

    due = selectors.due_for_release(None, day, within=village_b.code)
    missed = selectors.missed_checks(None, on_day(15, 9), within="999901100")

    assert [r.name for r in due] == ["丁"]
    assert json.loads(json.dumps([r.as_json() for r in due]))[0]["planned_end_date"] == "2020-02-08"
    (row,) = missed
    payload = json.loads(json.dumps(row.as_json()))
    assert payload["name"] == "乙" and payload["missed"] == 8
    assert payload["slots"][0] == "day 1, check 1 (08:00)"
    assert any(member.endswith("王村干") for member in payload["team"])
    assert selectors.missed_checks(None, on_day(15, 9), within="999901101") == []


def test_it_limits_the_missed_list_longest_waiting_first(clock, village_a, team, carol):
    first = make_order(make_person(village_a, "甲"), start_date=FEB_1)
    clock.at = on_day(2, 6)
    make_order(make_person(village_a, "乙"), start_date=FEB_1 + timedelta(days=1))
    clock.at = on_day(3, 9)

    rows = selectors.missed_checks(carol, limit=1)

    assert [r.name for r in rows] == ["甲"] and rows[0].missed == 4
    assert rows[0].external_id == first.external_id
    assert [r.name for r in selectors.missed_checks(carol)] == ["甲", "乙"]


# One order ----------------------------------------------------------------------------------


def test_it_merges_events_checks_and_tests_into_one_timeline(clock, village_a, team):
    order = make_order(make_person(village_a, "甲"), start_date=FEB_1)
    record(order, 1, 1, "36.4")
    record(order, 1, 2, "38.0", late_by=timedelta(hours=3))
    clock.at = on_day(2, 9)
    test = order.tests.get(day=1)
    services.record_test(SYSTEM, test, result=NucleicAcidResult.NEGATIVE, lab="县疾控")
    services.extend_order(SYSTEM, order, days=2, reason="密接复核")
    clock.at = on_day(3, 9)

    items = selectors.order_timeline(order)

    assert [i.title for i in items if i.kind == "missed"] == [
        "day 2, check 2 (16:00)",
        "day 2, check 1 (08:00)",
    ]
    titles = [i.title for i in items]
    assert "extended" in titles and "ordered" in titles and "test recorded" in titles
    fever = next(i for i in items if i.kind == "fever")
    assert "38.0 °C" in fever.detail and "made up late" in fever.detail
    extended = next(i for i in items if i.title == "extended")
    assert extended.detail == "by 2 days, until 2020-02-17: 密接复核"
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)


def test_it_draws_the_check_grid_days_by_slots(clock, village_a, team):
    clock.at = on_day(1, 12)  # the 08:00 check of day 1 is not generated (past its grace)
    order = make_order(make_person(village_a, "甲"), start_date=FEB_1)
    record(order, 1, 2, "37.6")
    clock.at = on_day(2, 15)

    grid = selectors.check_grid(order, selectors.order_checks(order))

    assert len(grid) == 14
    assert grid[0].cells[0] is None
    assert grid[0].cells[1].state == "done" and grid[0].cells[1].fever
    assert [c.state for c in grid[1].cells] == ["missed", "due"]
    assert grid[1].is_today and grid[2].cells[0].state == "later"
