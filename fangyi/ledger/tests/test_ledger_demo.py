"""`fangyi seed-demo` puts the ledger in every state and one push list half verified, overdue."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from fangyi.core import demo
from fangyi.ledger.demo import LEDGER_STEP, PUSH_LIST_NAME
from fangyi.ledger.models import (
    Category,
    LedgerEntry,
    LedgerEntryEvent,
    PushList,
    Status,
    VerificationTask,
)


@pytest.fixture(autouse=True)
def fast_password_hasher_and_own_uploads(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.UPLOAD_DIR = tmp_path / "uploads"


def seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=StringIO())


def test_it_adds_the_ledger_step_once():
    apps.get_app_config("ledger").ready()

    assert [step.name for step in demo.STEPS].count("ledger") == 1
    # After the core steps (people first); later apps' steps may follow it.
    assert demo.STEPS.index(LEDGER_STEP) > 0


class TestTheSeededDemo:
    """Tests that only read the demo: it is seeded once for them all (`seeded_demo`)."""

    def test_it_puts_every_status_and_category_on_the_ledger(self, seeded_demo):
        entries = LedgerEntry.objects.within(demo.MAIN_TOWN_CODE)
        assert 300 <= entries.count() <= 400
        assert set(entries.values_list("status", flat=True)) == set(Status.values)
        assert set(entries.values_list("category", flat=True)) == set(Category.values)
        pairs = set(entries.values_list("status", "category"))
        assert len(pairs) == len(Status.values) * len(Category.values)
        villages = {code[:12] for code in entries.values_list("jurisdiction_id", flat=True)}
        assert len(villages) == 6
        cadres = set(entries.values_list("responsible_cadre__username", flat=True))
        assert cadres == {"village", "village2", "cadre", None}
        for entry in entries.select_related("responsible_cadre"):
            if entry.responsible_cadre:
                assert entry.jurisdiction_id.startswith(entry.responsible_cadre.jurisdiction_id)
        assert not entries.filter(push_list=None, events=None).exists()
        released = entries.filter(status=Status.RELEASED, push_list=None).first()
        assert len(released.events.filter(kind__in=["verified", "changed"])) == 2
        assert not LedgerEntryEvent.objects.filter(at__gt=timezone.now()).exists()

    def test_it_receives_a_push_list_that_is_half_verified_and_overdue(self, seeded_demo, settings):
        push_list = PushList.objects.get()
        now = timezone.now()
        assert push_list.name == PUSH_LIST_NAME and push_list.status == "done"
        assert push_list.deadline_at - push_list.received_at == timedelta(hours=24)
        assert now - timedelta(hours=31) < push_list.received_at < now - timedelta(hours=29)
        assert (push_list.rows, push_list.errors, push_list.merged) == (60, 3, 1)
        assert push_list.matched == 56 and push_list.imported == 0
        assert Path(push_list.stored_file).is_relative_to(settings.UPLOAD_DIR)
        assert Path(push_list.stored_file).exists()

        tasks = VerificationTask.objects.filter(push_list=push_list)
        verified = tasks.exclude(result="")
        assert tasks.count() == 56 and verified.count() == 28
        assert tasks.overdue().count() == 28
        assert set(verified.values_list("verified_by__username", flat=True)) <= {
            "village",
            "village2",
            "cadre",
        }
        assert not verified.filter(verified_at__gt=push_list.deadline_at).exists()
        assert not verified.filter(entry__status=Status.PENDING).exists()
        # The people already on the ledger were pushed again: the task joins their entry.
        assert tasks.filter(entry__push_list=None).count() == 5


def test_it_reseeds_with_reset_and_leaves_nothing_behind(db, settings):
    seed()
    first = PushList.objects.get()
    entries = LedgerEntry.objects.count()

    seed("--reset")

    second = PushList.objects.get()
    assert second.pk != first.pk and not Path(first.stored_file).exists()
    assert LedgerEntry.objects.count() == entries
    assert VerificationTask.objects.count() == 56
    assert LedgerEntryEvent.objects.exclude(entry__in=LedgerEntry.objects.all()).count() == 0
    assert list((Path(settings.UPLOAD_DIR) / "push-lists").iterdir()) == [Path(second.stored_file)]
    # Nothing stray beside the apps' upload folders (their own demo tests check theirs).
    assert all(p.is_dir() for p in Path(settings.UPLOAD_DIR).iterdir())

    deleted = demo.delete_demo(demo.Actor.system("test"))

    assert deleted["ledger"] > entries
    assert not LedgerEntry.objects.exists() and not LedgerEntryEvent.objects.exists()
    assert not PushList.objects.exists() and not VerificationTask.objects.exists()
    assert not any((Path(settings.UPLOAD_DIR) / "push-lists").iterdir())
