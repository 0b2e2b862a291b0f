"""`fangyi seed-demo` gives the demo town its checkpoints, a week of registrations with the
rules' ledger entries and alerts, one sealed village with passes, and the `checkpoint` account
its checkpoint; the demo accounts can open every page."""

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone

from fangyi.checkpoints import selectors
from fangyi.checkpoints.demo import CHECKPOINTS_STEP, DAYS
from fangyi.checkpoints.models import (
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Lockdown,
    Passenger,
    Registration,
    Result,
)
from fangyi.checkpoints.plates import normalize_plate
from fangyi.core import demo
from fangyi.core.models import Alert, AlertKind, User
from fangyi.ledger.models import Category, LedgerEntry
from fangyi.quarantine.testing import freeze_clock, local_time


@pytest.fixture(autouse=True)
def fast_password_hasher_and_own_uploads(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.UPLOAD_DIR = tmp_path / "uploads"


def seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=StringIO())


def test_it_adds_the_checkpoints_step_once_after_the_ledger():
    apps.get_app_config("checkpoints").ready()

    names = [step.name for step in demo.STEPS]
    assert names.count("checkpoints") == 1
    assert names.index("checkpoints") > names.index("ledger")
    assert CHECKPOINTS_STEP in demo.STEPS


class TestTheSeededDemo:
    """Tests that only read the demo: it is seeded once for them all (`seeded_demo`)."""

    def test_it_sets_up_the_towns_checkpoints(self, seeded_demo):
        town = Checkpoint.objects.within(demo.MAIN_TOWN_CODE)
        kinds = dict(town.values_list("kind").annotate(n=Count("pk")))
        assert kinds == {
            CheckpointKind.VILLAGE_ENTRANCE: 12,  # 2 for each of the 6 villages
            CheckpointKind.TOWN_ENTRANCE: 4,
            CheckpointKind.HIGHWAY_EXIT: 1,
            CheckpointKind.PERSUASION_POINT: 2,
        }
        assert Checkpoint.objects.within("999901101").count() == 2
        assert town.filter(status=CheckpointStatus.CLOSED).count() == 1
        staff = User.objects.get(username="checkpoint")
        own = Checkpoint.objects.visible_to(staff)
        assert own.count() == 2 and own.filter(name="东湾村东口").exists()
        assert len(set(Checkpoint.objects.values_list("code", flat=True))) == 21

    def test_it_registers_a_week_of_traffic_with_consistent_figures(self, seeded_demo):
        registrations = Registration.objects.within(demo.MAIN_TOWN_CODE)
        today = timezone.localdate()
        days = set(registrations.values_list("local_date", flat=True))
        assert days == {today - timedelta(days=n) for n in range(DAYS)}
        assert 1500 < registrations.count() < 3500
        assert not registrations.filter(occurred_at__gt=timezone.now()).exists()
        # Each registration's counters match its passengers, as the service would have set them.
        counted = registrations.annotate(n=Count("passengers")).values_list("people_count", "n")
        assert all(people == n for people, n in counted)
        assert (
            Passenger.objects.filter(fever=True).count()
            == registrations.aggregate(n=Sum("fever_count"))["n"]
        )
        plates = set(registrations.exclude(plate="").values_list("plate", flat=True))
        assert all(normalize_plate(plate) == plate for plate in plates)
        assert any(plate.startswith("皖R") for plate in plates)
        assert any(len(plate) == 8 for plate in plates)  # new-energy cars
        assert any(plate[0] in "浙苏沪赣" for plate in plates)
        results = set(registrations.values_list("result", flat=True))
        assert results == set(Result.values)
        assert registrations.exclude(conflict="").exists()
        assert registrations.filter(recorded_by__username="checkpoint").exists()

    def test_it_puts_what_the_rules_found_on_the_ledger_and_the_command_page(self, seeded_demo):
        fevers = Passenger.objects.filter(fever=True)
        assert 6 <= fevers.count() <= 8 and not fevers.filter(ledger_entry=None).exists()
        assert LedgerEntry.objects.filter(
            category=Category.FEVER, pk__in=fevers.values("ledger_entry")
        ).exists()
        # The checkpoints' own alerts (the quarantine step adds a person under quarantine leaving).
        at_checkpoints = Alert.objects.filter(link__startswith="/checkpoints/")
        kinds = set(at_checkpoints.values_list("kind", flat=True))
        assert kinds == {AlertKind.FEVER, AlertKind.QUARANTINE_LEAVING, AlertKind.NO_PASS}
        assert at_checkpoints.open().exists()
        assert at_checkpoints.exclude(acknowledged_at=None).exists()
        # Backdated to the registration; the leaving alert is the quarantine step's, raised now.
        for alert in at_checkpoints.exclude(kind=AlertKind.QUARANTINE_LEAVING):
            registration = Registration.objects.get(external_id=alert.link.split("/")[-2])
            assert alert.raised_at == registration.occurred_at
        # Nobody was created: every passenger a rule acted on is a resident.
        assert Passenger.objects.exclude(ledger_entry=None).filter(person=None).count() == 0

    def test_it_seals_a_village_with_passes_and_refused_attempts(self, seeded_demo):
        lockdown = Lockdown.objects.get()
        assert lockdown.village.name == "西岭村" and lockdown.lifted_at is None
        assert lockdown.is_active_at(timezone.now())
        exits = list(lockdown.exits.all())
        assert len(exits) == 2 and all(e.status == CheckpointStatus.SEALED_EXIT for e in exits)
        passes = list(lockdown.passes.all())
        assert len(passes) == 6 and sum(p.revoked_at is not None for p in passes) == 1
        assert all(p.person.jurisdiction_id.startswith(lockdown.village_id) for p in passes)
        attempts = selectors.refused_attempts(lockdown)
        assert len(attempts) == 4
        used = Passenger.objects.exclude(travel_pass=None)
        assert used.exists() and not used.filter(result=Result.REFUSED).exists()
        # Since the lockdown began, nobody went through its exits without the pass check.
        since = Registration.objects.filter(
            checkpoint__in=exits, occurred_at__gte=lockdown.starts_at
        )
        assert set(since.values_list("result", flat=True)) == {Result.PASSED, Result.REFUSED}
        assert not since.filter(result=Result.PASSED, passengers__travel_pass=None).exists()

    def test_it_gives_the_commander_non_zero_figures(self, seeded_demo):
        commander = User.objects.get(username="commander")
        today = timezone.localdate()
        stats = selectors.checkpoint_statistics(commander, today - timedelta(days=7), today)
        figures = stats.cumulative
        assert figures.vehicles > 1000 and figures.people > figures.vehicles
        assert figures.vehicles_persuaded and figures.people_persuaded and figures.fevers
        assert figures.quarantined and figures.refused == 4
        assert all(not day.is_empty for day in stats.day_totals[:DAYS])

    def test_the_demo_accounts_open_the_pages(self, seeded_demo, client):
        lockdown = Lockdown.objects.get()
        travel_pass = lockdown.passes.first()
        registration = Registration.objects.filter(fever_count__gt=0).first()
        urls = {
            "registrations": reverse("checkpoints:registrations"),
            "statistics": reverse("checkpoints:statistics"),
            "lockdowns": reverse("checkpoints:lockdowns"),
            "lockdown": reverse("checkpoints:lockdown", args=[lockdown.pk]),
            "lockdown_seal": reverse("checkpoints:lockdown_seal"),
            "pass_issue": reverse("checkpoints:pass_issue", args=[lockdown.pk]),
            "pass": reverse("checkpoints:pass", args=[travel_pass.code]),
            "alerts": reverse("alert_list"),
            "home": reverse("home"),
        }
        for username, pages in DEMO_PAGES.items():
            client.force_login(User.objects.get(username=username))
            for name in pages:
                response = client.get(urls[name])
                assert response.status_code == 200, (username, name, response.status_code)
        client.force_login(User.objects.get(username="commander"))
        detail = client.get(reverse("checkpoints:registration", args=[registration.external_id]))
        assert detail.status_code == 200
        # 西岭村's lockdown is not the 东湾村 cadre's.
        client.force_login(User.objects.get(username="village"))
        assert client.get(urls["lockdown"]).status_code == 404


def before_today_away_from_the_exits():
    """Registrations the seeding time cannot move: not today's, not at the sealed exits."""
    exits = Lockdown.objects.get().exits.all()
    return set(
        Registration.objects.filter(local_date__lt=timezone.localdate())
        .exclude(checkpoint__in=exits)
        .values_list("external_id", "checkpoint__code", "occurred_at", "plate", "people_count")
    )


def test_it_resets_and_seeds_the_same_registrations_again(db, monkeypatch):
    # At noon, a minute apart: the quarantine demo registers a resident persuaded back 30
    # minutes before the seeding time, which in the first half hour after midnight is one of
    # yesterday's registrations, and it moves with the seeding time.
    clock = freeze_clock(monkeypatch, local_time(timezone.localdate(), 12))
    seed()
    first = before_today_away_from_the_exits()
    names = set(Passenger.objects.values_list("name", flat=True))

    clock.advance(minutes=1)
    seed("--reset")

    assert before_today_away_from_the_exits() == first and len(first) > 1000
    assert set(Passenger.objects.values_list("name", flat=True)) == names
    assert Lockdown.objects.count() == 1 and Checkpoint.objects.count() == 21


DEMO_PAGES = {
    "commander": ["registrations", "statistics", "lockdowns", "lockdown", "lockdown_seal",
                  "pass_issue", "pass", "alerts", "home"],
    "cadre": ["registrations", "statistics", "lockdowns", "lockdown", "pass_issue", "alerts"],
    "village2": ["registrations", "statistics", "lockdowns", "lockdown", "pass", "alerts", "home"],
    "village": ["registrations", "statistics", "lockdowns", "alerts", "home"],
    "checkpoint": ["registrations", "statistics", "lockdowns", "home"],
    "auditor": ["registrations", "statistics", "lockdowns", "lockdown", "alerts", "home"],
    "county": ["registrations", "statistics", "lockdowns", "lockdown", "alerts", "home"],
}  # fmt: skip
