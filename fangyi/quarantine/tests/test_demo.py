"""`fangyi seed-demo` gives 青山镇 two weeks of quarantine: orders of each kind with their teams,
checks recorded day by day (some missed and flagged, two made up, one explained), negative tests,
orders due for release today, one released by the doctor, and 青山宾馆 with its rooms."""

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone, translation

from fangyi.core import demo
from fangyi.core.models import Alert, AlertKind, DiseaseProfile, QuarantineKind, User
from fangyi.core.roles import Role
from fangyi.ledger.models import Status
from fangyi.quarantine import services
from fangyi.quarantine.demo import (
    DUE_TODAY,
    EXPLAINED,
    MADE_UP,
    MISSED,
    QUARANTINE_STEP,
    SITE_NAME,
    register_demo_step,
)
from fangyi.quarantine.models import (
    RUNNING,
    CheckMethod,
    CheckStatus,
    FollowUp,
    NucleicAcidResult,
    NucleicAcidTest,
    ObservationSite,
    OrderEvent,
    OrderReason,
    OrderStatus,
    QuarantineOrder,
    RoomStatus,
    TeamAssignment,
)


@pytest.fixture(autouse=True)
def fast_password_hasher_and_own_uploads(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def quarantine_step():
    """The step as QuarantineConfig.ready() registers it (idempotent)."""
    register_demo_step()


def seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=StringIO())


def town_orders():
    """The quarantine demo's orders (the tracing demo adds its contacts' orders)."""
    return QuarantineOrder.objects.within(demo.MAIN_TOWN_CODE).exclude(reason=OrderReason.CONTACT)


def test_it_adds_the_step_once_after_the_checkpoints_and_before_tracing():
    register_demo_step()
    apps.get_app_config("quarantine").ready()
    apps.get_app_config("tracing").ready()

    names = [step.name for step in demo.STEPS]
    assert names.count("quarantine") == 1 and QUARANTINE_STEP in demo.STEPS
    assert names.index("checkpoints") < names.index("quarantine") < names.index("tracing")


class TestTheSeededDemo:
    """Tests that only read the demo: it is seeded once for them all (`seeded_demo`)."""

    def test_it_orders_each_kind_for_the_ledgers_people_with_balanced_teams(self, seeded_demo):
        running = town_orders().filter(status__in=RUNNING)
        kinds = dict(running.values_list("kind").annotate(n=Count("pk")))
        assert set(kinds) == set(QuarantineKind.values)
        assert kinds[QuarantineKind.HOME_QUARANTINE] >= 10
        assert kinds[QuarantineKind.CENTRALIZED] >= 5 and kinds[QuarantineKind.HOME_MONITORING] >= 3
        today = timezone.localdate()
        starts = set(running.values_list("start_date", flat=True))
        assert len(starts) >= 8 and max(starts) <= today
        # Each order comes from the ledger (or a checkpoint's result), and the ledger agrees.
        assert not town_orders().filter(ledger_entry=None).exists()
        for order in running.exclude(kind=QuarantineKind.HOME_MONITORING).select_related(
            "ledger_entry"
        ):
            assert order.ledger_entry.status == order.kind  # home_quarantine / centralized
            assert order.ledger_entry.person_id == order.person_id
        from_checkpoints = town_orders().filter(reason=OrderReason.REGISTRATION)
        assert from_checkpoints.exists() and not from_checkpoints.filter(registration=None).exists()
        monitored = running.filter(kind=QuarantineKind.HOME_MONITORING).select_related(
            "ledger_entry"
        )
        assert {o.ledger_entry.status for o in monitored} == {Status.VERIFIED_HOME}
        sealed = running.filter(kind=QuarantineKind.HOME_QUARANTINE, door_sealed=True)
        assert sealed.exists() and not sealed.filter(door_sealed_at__gt=timezone.now()).exists()

        # Every order has its full team (四对一), spread by the load rule.
        roles = DiseaseProfile.current().team_roles
        team = TeamAssignment.objects.current().filter(
            order__in=town_orders().filter(status__in=RUNNING)
        )
        per_order = team.values("order").annotate(n=Count("pk")).values_list("n", flat=True)
        assert set(per_order) == {len(roles)}
        for assignment in team.select_related("member", "order"):
            assert assignment.member.role == assignment.role
            assert assignment.order.jurisdiction_id.startswith(assignment.member.jurisdiction_id)
        doctors = dict(
            team.filter(role=Role.DOCTOR).values_list("member__username").annotate(n=Count("pk"))
        )
        assert set(doctors) == {"doctor", "doctor2"}
        assert abs(doctors["doctor"] - doctors["doctor2"]) <= 1
        assert (
            User.objects.filter(
                username__in=["village3", "village6"], role=Role.VILLAGE_CADRE
            ).count()
            == 2
        )

    def test_it_records_checks_and_tests_day_by_day_with_missed_checks_flagged(self, seeded_demo):
        now = timezone.now()
        checks = FollowUp.objects.filter(order__in=town_orders())
        grace = DiseaseProfile.current().missed_check_grace_minutes
        # Everything due before the grace is recorded, missed, or explained: nothing left pending.
        assert not checks.filter(
            status=CheckStatus.PENDING, due_at__lt=now - timedelta(minutes=grace)
        ).exists()
        done = checks.filter(status=CheckStatus.DONE)
        assert done.count() > 200
        assert not done.filter(checked_at__gt=now).exists()
        assert not done.filter(temperature=None).exists()
        assert set(done.values_list("method", flat=True)) == set(CheckMethod.values)
        assert done.filter(method=CheckMethod.SELF_REPORT, checked_by=None).exists()
        assert checks.filter(status=CheckStatus.MISSED).count() == MISSED
        assert checks.filter(status=CheckStatus.EXPLAINED).count() == EXPLAINED
        assert done.filter(late=True).count() == MADE_UP
        profile = DiseaseProfile.current()
        fevers = [c for c in done if profile.is_fever(c.temperature)]
        assert len(fevers) == 2
        assert done.exclude(symptoms=[]).count() == 1
        normal = done.exclude(pk__in=[c.pk for c in fevers]).values_list("temperature", flat=True)
        assert float(min(normal)) >= 36.0 and float(max(normal)) <= 37.0
        # The sweep told the town: one missed-check alert for each order that missed one.
        kinds = dict(
            Alert.objects.within(demo.MAIN_TOWN_CODE)
            .filter(link__startswith="/quarantine/")
            .values_list("kind")
            .annotate(n=Count("pk"))
        )
        assert kinds == {
            AlertKind.MISSED_CHECK: MISSED + MADE_UP + EXPLAINED,
            AlertKind.FEVER: 2,
            AlertKind.SYMPTOM: 1,
        }
        # Someone under home quarantine tried to leave through a checkpoint this morning.
        leaving = Alert.objects.get(kind=AlertKind.QUARANTINE_LEAVING)
        assert (
            town_orders()
            .filter(person=leaving.person, kind=QuarantineKind.HOME_QUARANTINE, status__in=RUNNING)
            .exists()
        )
        # The slots still to come are due (the teams' "my people today" shows them as they open).
        assert checks.filter(status=CheckStatus.PENDING, due_at__gte=now).exists()

        # Tests: negative on the past test days, planned on the days to come.
        today = timezone.localdate()
        tests = NucleicAcidTest.objects.filter(order__in=town_orders()).select_related("order")
        assert tests.filter(result=NucleicAcidResult.NEGATIVE).count() > 30
        assert not tests.filter(result=NucleicAcidResult.POSITIVE).exists()
        for test in tests:
            test_day = test.order.start_date + timedelta(days=test.day - 1)
            if test_day < today:
                # (yesterday's late sample may still await its result)
                done = test.result == NucleicAcidResult.NEGATIVE
                assert done or test_day == today - timedelta(days=1), (test.order, test.day)
                assert timezone.localdate(test.sampled_at) == test_day
                assert test.lab and test.recorded_by.role == Role.DOCTOR
            elif test_day > today:
                assert test.result == NucleicAcidResult.PLANNED

    def test_it_has_orders_due_today_one_released_and_the_sites_rooms(self, seeded_demo):
        today = timezone.localdate()
        due = town_orders().due_for_release_on(today)
        kinds = dict(due.values_list("kind").annotate(n=Count("pk")))
        assert kinds == {
            QuarantineKind.HOME_QUARANTINE: DUE_TODAY[QuarantineKind.HOME_QUARANTINE],
            QuarantineKind.CENTRALIZED: DUE_TODAY[QuarantineKind.CENTRALIZED] - 1,
            QuarantineKind.HOME_MONITORING: DUE_TODAY[QuarantineKind.HOME_MONITORING],
        }
        assert set(due.values_list("planned_end_date", flat=True)) == {today}
        blocked = [o for o in due if services.release_problems(o, today)]
        assert len(blocked) == 1 and blocked[0].kind == QuarantineKind.HOME_QUARANTINE
        with translation.override("en"):
            assert "checks not recorded" in " ".join(services.release_problems(blocked[0], today))

        released = town_orders().get(status=OrderStatus.RELEASED)
        assert released.kind == QuarantineKind.CENTRALIZED and released.planned_end_date == today
        assert released.ended_by.username in ("doctor", "doctor2")
        assert released.ledger_entry.status == Status.RELEASED
        assert released.room.status == RoomStatus.CLEANING
        assert OrderEvent.objects.filter(order=released, kind="released").exists()

        site = ObservationSite.objects.get(town_id=demo.MAIN_TOWN_CODE)
        assert site.name == SITE_NAME and site.rooms.count() == 30
        rooms = dict(site.rooms.values_list("status").annotate(n=Count("pk")))
        centralized = QuarantineOrder.objects.filter(
            status__in=RUNNING, kind=QuarantineKind.CENTRALIZED
        )
        assert rooms[RoomStatus.CLEANING] == 1
        assert rooms[RoomStatus.OCCUPIED] == centralized.count() and rooms[RoomStatus.FREE] >= 10
        assert not centralized.filter(room=None).exists()
        assert centralized.values("room").distinct().count() == centralized.count()


def snapshot() -> list[tuple]:
    """What the demo decides, by person: the same after a reset on the same day."""
    orders = town_orders().select_related("person").order_by("person__external_id", "start_date")
    return [
        (
            o.person.external_id,
            o.kind,
            o.status,
            o.start_date,
            o.room.number if o.room else "",
            tuple(o.checks.order_by("day", "slot").values_list("day", "slot", "status")),
        )
        for o in orders
    ]


def test_it_resets_and_seeds_the_same_orders_again(db):
    seed()
    first = snapshot()
    assert first

    seed("--reset")

    assert snapshot() == first
    assert ObservationSite.objects.count() == 1
    assert User.objects.filter(username="doctor2").count() == 1
