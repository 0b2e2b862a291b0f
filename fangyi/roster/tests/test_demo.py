"""`fangyi seed-demo` gives every demo checkpoint its demand, each town a staff pool that covers
a week starting on any day, and 青山镇 this week's roster: solved, published, checked in, with a
no-show and a swap waiting for the town."""

import time
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fangyi.checkpoints.models import Checkpoint, CheckpointKind
from fangyi.core import demo
from fangyi.core.models import Alert, AlertKind, Jurisdiction, User
from fangyi.roster import demo as roster_demo
from fangyi.roster import services
from fangyi.roster.models import (
    Assignment,
    CheckpointDemand,
    DutyRole,
    Roster,
    RosterStatus,
    Shift,
    StaffGroup,
    StaffMember,
    SwapRequest,
    SwapStatus,
    Unavailability,
)
from fangyi.roster.testing import SYSTEM

DEMO_USERNAMES = [username for username, _role in roster_demo.DEMO_STAFF]


@pytest.fixture(autouse=True)
def fast_password_hasher_and_own_uploads(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def roster_step():
    """The step as RosterConfig.ready() registers it (idempotent)."""
    apps.get_app_config("roster").ready()


def seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=StringIO())


def this_monday():
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


# Without the database: the plan --------------------------------------------------------------


def _checkpoint(pk: int, kind: str, place: str) -> Checkpoint:
    return Checkpoint(pk=pk, kind=kind, jurisdiction_id=place, name=f"卡点{pk}")


def test_it_adds_the_step_once_after_the_checkpoints():
    apps.get_app_config("roster").ready()
    apps.get_app_config("roster").ready()

    names = [step.name for step in demo.STEPS]
    assert names.count("roster") == 1 and roster_demo.ROSTER_STEP in demo.STEPS
    assert names.index("checkpoints") < names.index("roster")


def test_it_sizes_the_pool_from_the_demand_with_room_to_spare():
    town, village = "999901100", "999901100201"
    checkpoints = [
        _checkpoint(1, CheckpointKind.VILLAGE_ENTRANCE, village),
        _checkpoint(2, CheckpointKind.VILLAGE_ENTRANCE, village),
        _checkpoint(3, CheckpointKind.TOWN_ENTRANCE, town),
        _checkpoint(4, CheckpointKind.TOWN_ENTRANCE, town),
        _checkpoint(5, CheckpointKind.TOWN_ENTRANCE, town),
        _checkpoint(6, CheckpointKind.HIGHWAY_EXIT, town),
        _checkpoint(7, CheckpointKind.PERSUASION_POINT, town),
        _checkpoint(8, CheckpointKind.PERSUASION_POINT, town),
        _checkpoint(9, CheckpointKind.COMPOUND_GATE, town),
    ]
    demand = roster_demo.patterns(checkpoints)

    assert demand[1] == roster_demo.Pattern(3, 2, {DutyRole.VILLAGE_CADRE: 1}, {})
    # The main roads take three people, the others two; always police and a cadre.
    assert [demand[pk].people for pk in (3, 4, 5)] == [3, 3, 2]
    assert demand[5].minimums == {DutyRole.POLICE: 1, DutyRole.CADRE: 1}
    assert demand[6].people == 3 and demand[6].night == {DutyRole.DOCTOR: 1}
    # The last persuasion point works three 8-hour shifts; a compound gate takes anyone.
    assert (demand[7].shift_hours, demand[8].shift_hours, demand[8].first_shift_hour) == (3, 8, 8)
    assert demand[9].minimums == {}

    plan = roster_demo.pool_plan(checkpoints, demand)
    hours = {
        place: sum(demand[c.pk].people * 24 * 7 for c in checkpoints if c.jurisdiction_id == place)
        for place in (town, village)
    }
    for place, needed in hours.items():
        people = sum(plan[place].values())
        offered = people * roster_demo.HOURS_A_WEEK
        assert 1.5 <= offered / needed <= 1.8, (place, offered / needed)
    # Enough of each minimum role at each checkpoint, whatever the rest rules take.
    per_entrance = plan[village][DutyRole.VILLAGE_CADRE] / 2
    assert per_entrance >= 7 and plan[village][DutyRole.VOLUNTEER] > 0
    assert plan[town][DutyRole.POLICE] >= 4 * 5  # 4 checkpoints with police, 5 heads each
    assert plan[town][DutyRole.DOCTOR] >= 4  # three night shifts in a row, and a day off
    assert DutyRole.VILLAGE_CADRE not in plan[town]


def test_it_plans_nothing_for_a_county_without_checkpoints():
    assert roster_demo.pool_plan([], {}) == {}


# Seeded ---------------------------------------------------------------------------------------


def test_it_staffs_every_checkpoint_and_publishes_this_weeks_roster_covered(
    db, client_for, django_assert_max_num_queries
):
    seeded_at, started = timezone.now(), time.perf_counter()
    seed()
    seconds = time.perf_counter() - started

    checkpoints = Checkpoint.objects.within(demo.COUNTY_CODE)
    assert checkpoints.count() >= 19
    assert (
        CheckpointDemand.objects.filter(checkpoint__in=checkpoints).count() == checkpoints.count()
    )
    highway = CheckpointDemand.objects.get(checkpoint__kind=CheckpointKind.HIGHWAY_EXIT)
    assert highway.people_per_shift == 3 and highway.night_role_minimums == {"doctor": 1}
    for entrance in CheckpointDemand.objects.filter(
        checkpoint__kind=CheckpointKind.VILLAGE_ENTRANCE
    ):
        assert entrance.people_per_shift == 2 and entrance.role_minimums == {"village_cadre": 1}

    # Both towns have a pool with every duty role it needs; village staff keep to their village.
    for town in ("999901100", "999901101"):
        roles = set(StaffMember.objects.within(town).values_list("role", flat=True))
        assert {DutyRole.POLICE, DutyRole.CADRE, DutyRole.VILLAGE_CADRE} <= roles, town
    assert StaffMember.objects.within("999901100").count() > 200
    for person in StaffMember.objects.exclude(post=None).select_related("post"):
        assert person.post.jurisdiction_id == person.jurisdiction_id
    assert StaffMember.objects.filter(phone_cipher=None).count() == 0
    assert (
        len(set(StaffMember.objects.values_list("name", flat=True))) == StaffMember.objects.count()
    )
    hours = set(StaffMember.objects.values_list("max_hours_per_week", flat=True))
    assert min(hours) == 42 and max(hours) == 56
    away = Unavailability.objects.count() / StaffMember.objects.count()
    assert 0.03 <= away <= 0.07
    groups = StaffGroup.objects.filter(town_id=demo.MAIN_TOWN_CODE)
    assert groups.count() == 3
    for group in groups:
        assert sorted(group.members.values_list("role", flat=True)) == [
            DutyRole.VILLAGE_CADRE,
            DutyRole.VOLUNTEER,
        ]

    # This week's roster: covered, published, and the demo accounts have shifts in it.
    roster = Roster.objects.get(town_id=demo.MAIN_TOWN_CODE)
    assert (roster.starts_on, roster.days) == (this_monday(), 7)
    assert roster.status == RosterStatus.PUBLISHED and roster.result in ("OPTIMAL", "FEASIBLE")
    assert roster.uncovered == 0 and roster.explanation == []
    assert roster.solve_seconds <= roster_demo.SOLVE_SECONDS["small"] + 2
    staffed = CheckpointDemand.objects.within(demo.MAIN_TOWN_CODE).exclude(
        checkpoint__status="closed"
    )
    assert roster.shifts.count() == sum(7 * 24 // d.shift_hours for d in staffed) > 900
    on = Assignment.objects.filter(shift__roster=roster)
    needed = sum(roster.shifts.values_list("needed", flat=True))
    assert on.count() == needed
    for username in DEMO_USERNAMES:
        staff = StaffMember.objects.get(user__username=username)
        assert on.filter(staff=staff).exists(), username
    assert StaffMember.objects.get(user__username="checkpoint").post.name == "东湾村东口"
    # The town's work is recorded under the demo's accounts, never as the command line's user.
    by = set(roster.events.values_list("actor_username", flat=True))
    assert "commander" in by and by <= {"commander", *DEMO_USERNAMES}, by
    assert roster.events.exclude(actor=None).count() == roster.events.count()

    # Checked in lately, and the demo accounts' shifts all week; nothing checked in to come.
    now = timezone.now()
    assert on.exclude(checked_in_at=None).exists()
    assert not on.filter(shift__starts_at__gt=now).exclude(checked_in_at=None).exists()
    for username in DEMO_USERNAMES:
        past = on.filter(staff__user__username=username, shift__ends_at__lte=seeded_at)
        assert not past.filter(checked_in_at=None).exists(), username
        assert not past.filter(checked_out_at=None).exists(), username
    # One village-entrance shift nobody came to: the sweep raised its alert.
    alerts = Alert.objects.filter(kind=AlertKind.NO_SHOW)
    if seeded_at >= services.local_midnight(roster.starts_on) + timedelta(hours=6):
        alert = alerts.get()
        shift = Shift.objects.get(no_show_alerted_at__isnull=False)
        assert shift.checkpoint.kind == CheckpointKind.VILLAGE_ENTRANCE
        assert not shift.assignments.exclude(checked_in_at=None).exists()
        assert shift.checkpoint.name in alert.message and alert.raised_at < now
    else:  # early on Monday morning perhaps no shift has ended yet
        assert alerts.count() <= 1
    # The sweep now finds nobody missing.
    assert services.sweep_no_shows(now=now) == 0

    # A swap waits for the town: the demo volunteer's, when they have a shift to come.
    swaps = SwapRequest.objects.filter(status=SwapStatus.REQUESTED)
    if on.filter(shift__starts_at__gt=now).exists():
        swap = swaps.select_related("assignment__staff", "with_staff").get()
        assert swap.assignment.shift.starts_at > now
        assert swap.with_staff.post_id == swap.assignment.shift.checkpoint_id
        assert not services.assignment_problems(
            swap.assignment.shift, swap.with_staff, ignoring=[swap.assignment_id]
        )
        if on.filter(staff__user__username="volunteer", shift__starts_at__gt=now).exists():
            assert swap.assignment.staff.user.username == "volunteer"
    assert seconds < 120

    # The admin lists them, never with a phone.
    admin = User.objects.get(username="admin")
    client = client_for(admin)
    for model in ("staffmember", "staffgroup", "checkpointdemand", "roster", "swaprequest"):
        with django_assert_max_num_queries(12):
            page = client.get(reverse(f"admin:roster_{model}_changelist"))
        assert page.status_code == 200, model
    person = StaffMember.objects.get(user__username="police")
    page = client.get(reverse("admin:roster_staffmember_change", args=[person.pk]))
    assert page.status_code == 200
    assert person.phone and person.phone not in page.content.decode()
    assert "phone_cipher" not in page.content.decode()
    page = client.get(reverse("admin:roster_staffmember_changelist"))
    assert person.phone not in page.content.decode() and "吴刚" in page.content.decode()
    page = client.get(reverse("admin:roster_roster_change", args=[roster.pk]))
    assert page.status_code == 200 and "FEASIBLE" in page.content.decode()
    assert client.post(reverse("admin:roster_staffmember_add"), {}).status_code == 403


def test_it_solves_a_week_starting_another_day_and_resets_to_the_same_pool(db, monkeypatch):
    monkeypatch.setattr(roster_demo, "SOLVE_SECONDS", {"small": 1, "town": 1})
    seed()
    town = Jurisdiction.objects.get(code=demo.MAIN_TOWN_CODE)

    # Ten days from now: another weekday than Monday, partly next week's, partly the one after.
    starts_on = timezone.localdate() + timedelta(days=10)
    roster = services.create_roster(SYSTEM, town=town, starts_on=starts_on, days=7)
    started = time.perf_counter()
    solution = services.solve_roster(SYSTEM, roster, time_limit=10)
    assert time.perf_counter() - started < 15
    assert solution.status in ("OPTIMAL", "FEASIBLE")
    assert solution.uncovered == 0 and solution.seconds <= 10.5
    roster.refresh_from_db()
    assert roster.uncovered == 0 and roster.explanation == []

    def pool():
        return sorted(
            StaffMember.objects.within(demo.COUNTY_CODE).values_list(
                "name", "role", "jurisdiction_id", "max_hours_per_week", "user__username"
            )
        )

    first = pool()
    phones = sorted(p.phone for p in StaffMember.objects.all())
    seed("--reset")
    assert pool() == first
    assert sorted(p.phone for p in StaffMember.objects.all()) == phones
    assert Roster.objects.count() == 1  # the fresh one went with the old demo

    deleted = roster_demo.reset_roster()
    assert deleted > len(first)
    assert not StaffMember.objects.exists() and not StaffGroup.objects.exists()
    assert not CheckpointDemand.objects.exists() and not Roster.objects.exists()
    assert not Shift.objects.exists() and not Assignment.objects.exists()
    assert not SwapRequest.objects.exists() and not Unavailability.objects.exists()
    assert roster_demo.reset_roster() == 0
