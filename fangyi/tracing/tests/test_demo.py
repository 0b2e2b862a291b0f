"""`fangyi seed-demo` gives 青山镇 a confirmed case with its trajectory (home, the market, a car
through a checkpoint), four close contacts under quarantine, a second case among them and
three secondary contacts: a chain of two levels."""

from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fangyi.core import demo
from fangyi.core.models import DiseaseProfile, Person, User
from fangyi.quarantine.demo import register_demo_step
from fangyi.quarantine.models import RUNNING, NucleicAcidResult, OrderReason, QuarantineOrder
from fangyi.tracing.demo import ONSET_DAYS_AGO, TRACING_STEP
from fangyi.tracing.models import Case, Classification, Contact, Degree, PlaceKind, Relation
from fangyi.tracing.selectors import expand_chain


@pytest.fixture(autouse=True)
def fast_password_hasher_and_own_uploads(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.UPLOAD_DIR = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def demo_steps():
    """Both steps, as the apps' ready() register them (tracing needs the quarantine demo)."""
    register_demo_step()
    apps.get_app_config("tracing").ready()


def seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=StringIO())


def the_case() -> Case:
    return Case.objects.get(classification=Classification.CONFIRMED)


def test_it_adds_the_step_once_after_quarantine():
    apps.get_app_config("tracing").ready()

    names = [step.name for step in demo.STEPS]
    assert names.count("tracing") == 1 and TRACING_STEP in demo.STEPS
    assert names.index("quarantine") < names.index("tracing")


class TestTheSeededDemo:
    """Tests that only read the demo: it is seeded once for them all (`seeded_demo`)."""

    def test_it_reports_a_case_with_its_trajectory_and_quarantines_its_close_contacts(
        self, seeded_demo
    ):
        case = the_case()
        today = timezone.localdate()
        assert case.onset_date == today - timedelta(days=ONSET_DAYS_AGO)
        assert case.report_date == today and case.hospital
        assert case.jurisdiction_id.startswith(demo.MAIN_TOWN_CODE)
        kinds = list(case.trajectory.values_list("kind", flat=True))
        assert kinds.count(PlaceKind.HOME) == 1 and kinds.count(PlaceKind.MARKET) == 1
        pulled = case.trajectory.filter(kind=PlaceKind.CHECKPOINT)
        assert pulled.exists() and not pulled.filter(registration=None).exists()
        window_start = case.onset_date - timedelta(
            days=DiseaseProfile.current().infectious_days_before_onset
        )
        for entry in case.trajectory.all():
            assert entry.starts_at <= entry.ends_at <= timezone.now()
            assert timezone.localdate(entry.starts_at) >= window_start
        assert set(case.person.ledger_entries.values_list("status", flat=True)) <= {"confirmed"}

        close = case.contacts.filter(degree=Degree.CLOSE).select_related(
            "person", "quarantine_order"
        )
        relations = sorted(c.relation for c in close)
        assert relations == [Relation.HOUSEHOLD] * 2 + [Relation.VEHICLE] * 2
        for contact in close:
            assert contact.source_id == case.person_id
            order = contact.quarantine_order
            assert order is not None and order.reason == OrderReason.CONTACT
            assert order.kind == DiseaseProfile.current().close_contact_kind
            assert order.status in RUNNING and order.team.exists()
            if contact.relation == Relation.HOUSEHOLD:
                assert contact.person.household_address == case.person.household_address
                assert contact.trajectory_entry.kind == PlaceKind.HOME
            else:
                registration = contact.trajectory_entry.registration
                assert registration.passengers.filter(person=contact.person).exists()
                assert registration.passengers.filter(person=case.person).exists()
                assert order.start_date == contact.last_exposure_date == registration.local_date
        # Nobody was created: every contact is a resident of the demo.
        assert Person.objects.count() == 3000

    def test_it_finds_a_second_case_among_the_contacts_and_draws_two_levels(
        self, seeded_demo, client_for
    ):
        case = the_case()
        second = Case.objects.exclude(pk=case.pk).get()
        assert second.classification == Classification.ASYMPTOMATIC
        assert second.source_test.result == NucleicAcidResult.POSITIVE
        assert case.contacts.filter(person=second.person, degree=Degree.CLOSE).exists()
        secondary = case.contacts.filter(degree=Degree.SECONDARY)
        assert secondary.count() == 3
        assert secondary.filter(source=second.person).count() == 2
        assert not secondary.exclude(quarantine_order=None).exists()  # traced, not yet ordered

        chain = expand_chain([case.person_id], hops=2)
        hops = sorted(node.hop for node in chain.nodes)
        assert hops == [0, 1, 1, 1, 1, 2, 2, 2]
        statuses = {node.pk: node.status for node in chain.nodes}
        assert statuses[case.person_id] == statuses[second.person_id] == "case"
        assert sorted(statuses.values()).count("quarantined") == 3
        assert sorted(statuses.values()).count("traced") == 3
        assert len(chain.edges) == 7
        commander = client_for(User.objects.get(username="commander"))
        for shown in (case, second):
            page = commander.get(reverse("tracing:case", kwargs={"external_id": shown.external_id}))
            assert page.status_code == 200


def snapshot() -> list[tuple]:
    contacts = Contact.objects.select_related("person", "source").order_by(
        "degree", "person__external_id"
    )
    return [
        (c.person.external_id, c.source.external_id, c.degree, c.relation, c.last_exposure_date)
        for c in contacts
    ]


def test_it_resets_and_traces_the_same_chain_again(db):
    seed()
    first = snapshot()
    case_person = the_case().person.external_id

    seed("--reset")

    assert snapshot() == first and len(first) == 7
    assert the_case().person.external_id == case_person
    assert QuarantineOrder.objects.filter(reason=OrderReason.CONTACT).count() == 4
