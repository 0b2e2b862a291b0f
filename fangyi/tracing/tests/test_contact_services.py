"""Contacts: close and secondary contacts with their ledger entries, a fellow passenger made a
contact, and one action putting selected contacts under quarantine with rooms and teams. Each
bad input is refused with its reason, nothing else lost."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangyi.checkpoints.models import Passenger
from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.audit import Actor
from fangyi.core.models import Person, QuarantineKind
from fangyi.ledger.models import Category, LedgerEntry, Status
from fangyi.quarantine.models import OrderReason, QuarantineOrder, Room, RoomStatus
from fangyi.quarantine.testing import make_order, make_site, make_team
from fangyi.testing import make_person, unique_id_number
from fangyi.tracing import services
from fangyi.tracing.models import Contact, Degree, Relation
from fangyi.tracing.tests.builders import make_case, register_car


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def today():
    return timezone.localdate()


def messages_of(error: ValidationError) -> dict[str, str]:
    return {key: " ".join(value) for key, value in error.message_dict.items()}


@pytest.fixture
def wang(village_a):
    return make_person(village_a, "王金水", current_address="东村3组12号")


@pytest.fixture
def case(wang):
    return make_case(wang, onset_date=today() - timedelta(days=1))


@pytest.fixture
def li(village_a):
    return make_person(village_a, "李娜", current_address="东村5组1号")


@pytest.fixture
def zhang(village_b):
    return make_person(village_b, "张伟", household_address="西村2组8号")


@pytest.fixture
def actor(carol):
    return Actor(user=carol)


def test_it_adds_a_close_contact_traced_from_the_case_and_puts_them_on_the_ledger(
    actor, case, li, zhang
):
    contact = services.add_contact(
        actor,
        case,
        li,
        degree=Degree.CLOSE,
        relation=Relation.GATHERING,
        source=zhang,  # ignored: a close contact is the case's
        last_exposure_date=today() - timedelta(days=2),
    )
    assert contact.source_id == case.person_id and contact.recorded_by == actor.user
    entry = LedgerEntry.objects.get(person=li)
    assert entry.category == Category.CLOSE_CONTACT and entry.jurisdiction_id == li.jurisdiction_id
    assert "close contact of 王金水" in entry.notes
    assert entry.proposed_measure == QuarantineKind.CENTRALIZED


def test_it_adds_a_secondary_contact_from_one_of_the_close_contacts(actor, case, li, zhang):
    services.add_contact(actor, case, li, degree=Degree.CLOSE, relation=Relation.WORK)
    contact = services.add_contact(
        actor, case, zhang, degree=Degree.SECONDARY, relation=Relation.HOUSEHOLD, source=li
    )
    assert contact.source_id == li.pk
    entry = LedgerEntry.objects.get(person=zhang)
    assert entry.category == Category.SECONDARY_CONTACT
    assert "through 李娜" in entry.notes


def bad_contact(actor, case, person, **values):
    arguments = {"degree": Degree.CLOSE, "relation": Relation.WORK, **values}
    with pytest.raises(ValidationError) as refused:
        services.add_contact(actor, case, person, **arguments)
    return messages_of(refused.value)


def test_it_refuses_bad_contacts_and_keeps_what_was_there(actor, case, wang, li, zhang, village_a):
    services.add_contact(actor, case, li, degree=Degree.CLOSE, relation=Relation.WORK)
    other_case = make_case(make_person(village_a, "赵六"))
    elsewhere = services.add_trajectory_entry(
        Actor.system("test"),
        other_case,
        kind="market",
        place="市场",
        starts_at=timezone.now() - timedelta(hours=3),
        ends_at=timezone.now() - timedelta(hours=2),
    )
    before = (Contact.objects.count(), LedgerEntry.objects.count())

    assert "is the case" in bad_contact(actor, case, wang)["person"]
    duplicate = bad_contact(actor, case, li)["person"]
    assert "李娜 is already a close contact of this case (in contact with 王金水)" in duplicate
    assert (
        "choose the close contact" in bad_contact(actor, case, zhang, degree="secondary")["source"]
    )
    stranger = make_person(village_a, "钱七")
    assert (
        "钱七 is not a close contact of this case"
        in bad_contact(actor, case, zhang, degree="secondary", source=stranger)["source"]
    )
    assert (
        "another case's trajectory"
        in bad_contact(actor, case, zhang, trajectory_entry=elsewhere)["trajectory_entry"]
    )
    assert (
        "cannot be in the future"
        in bad_contact(actor, case, zhang, last_exposure_date=today() + timedelta(days=1))[
            "last_exposure_date"
        ]
    )
    problems = bad_contact(actor, case, zhang, degree="far", relation="cousin")
    assert {"degree", "relation"} <= set(problems)

    assert (Contact.objects.count(), LedgerEntry.objects.count()) == before


def test_it_refuses_contacts_for_a_village_cadre_and_another_town(alice, frank, case, li):
    for user in (alice, frank):
        with pytest.raises(PermissionDenied):
            services.add_contact(
                Actor(user=user), case, li, degree=Degree.CLOSE, relation=Relation.WORK
            )
    assert not Contact.objects.exists()


# Fellow passengers ---------------------------------------------------------------------------


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, "东村村口")


def test_a_fellow_passenger_unknown_as_a_person_is_registered_and_added(actor, gate, wang):
    number = unique_id_number()
    registration = register_car(
        gate, [wang, {"name": "孙八", "id_number": number}], at=timezone.now() - timedelta(days=1)
    )
    case = make_case(wang)
    passenger = Passenger.objects.get(registration=registration, name="孙八")
    assert passenger.person is None
    contact = services.add_contact_from_passenger(actor, case, passenger)
    person = Person.objects.get(pk=contact.person_id)
    assert person.id_number == number and person.jurisdiction_id == gate.jurisdiction_id
    assert contact.relation == Relation.VEHICLE and contact.degree == Degree.CLOSE
    assert contact.trajectory_entry.registration_id == registration.pk
    assert contact.last_exposure_date == registration.local_date


def test_a_fellow_passenger_known_as_a_person_is_not_registered_twice(actor, gate, wang, li):
    registration = register_car(gate, [wang, li])
    case = make_case(wang)
    passenger = Passenger.objects.get(registration=registration, name="李娜")
    people = Person.objects.count()
    contact = services.add_contact_from_passenger(actor, case, passenger)
    assert contact.person_id == li.pk and Person.objects.count() == people


# Quarantine ----------------------------------------------------------------------------------


@pytest.fixture
def team(town, village_a):
    return make_team(town, village_a)


@pytest.fixture
def site(town):
    return make_site(town, rooms="101-102")


def test_it_puts_close_and_secondary_contacts_under_their_measures_in_one_action(
    actor, case, li, zhang, team, site
):
    close = services.add_contact(
        actor,
        case,
        li,
        degree=Degree.CLOSE,
        relation=Relation.WORK,
        last_exposure_date=today() - timedelta(days=2),
    )
    secondary = services.add_contact(
        actor, case, zhang, degree=Degree.SECONDARY, relation=Relation.HOUSEHOLD, source=li
    )
    orders = services.quarantine_contacts(actor, [close, secondary])
    by_person = {o.person_id: o for o in orders}
    centralized, home = by_person[li.pk], by_person[zhang.pk]
    assert centralized.kind == QuarantineKind.CENTRALIZED and centralized.site_id == site.pk
    assert centralized.room.number == "101" and centralized.reason == OrderReason.CONTACT
    assert centralized.start_date == today() - timedelta(days=2)
    assert "close contact of case 王金水" in centralized.reason_note
    assert home.kind == QuarantineKind.HOME_QUARANTINE and home.address == "西村2组8号"
    assert home.start_date == today()
    assert {a.member for a in centralized.team.current()} == set(team.values())
    close.refresh_from_db()
    secondary.refresh_from_db()
    assert (close.quarantine_order_id, secondary.quarantine_order_id) == (
        centralized.pk,
        home.pk,
    )
    assert LedgerEntry.objects.get(person=li).status == Status.CENTRALIZED
    assert LedgerEntry.objects.get(person=zhang).status == Status.HOME_QUARANTINE
    room = Room.objects.get(pk=centralized.room_id)
    assert (room.status, room.occupants) == (RoomStatus.OCCUPIED, 1)


def test_a_contact_already_under_quarantine_is_linked_not_ordered_again(
    actor, case, li, team, site
):
    running = make_order(li, address="东村5组1号")
    contact = services.add_contact(actor, case, li, degree=Degree.CLOSE, relation=Relation.WORK)
    assert services.quarantine_contacts(actor, [contact]) == []
    contact.refresh_from_db()
    assert contact.quarantine_order_id == running.pk
    assert QuarantineOrder.objects.filter(person=li).count() == 1


def test_it_refuses_centralized_contacts_without_a_free_room_and_orders_nobody(
    actor, case, li, zhang, team, town, village_a
):
    contacts = [
        services.add_contact(actor, case, p, degree=Degree.CLOSE, relation=Relation.WORK)
        for p in (li, zhang, make_person(village_a, "钱七", current_address="东村1组"))
    ]
    with pytest.raises(ValidationError) as refused:
        services.quarantine_contacts(actor, contacts)
    assert "the town's observation sites have 0 free rooms for 3 people" in " ".join(
        refused.value.messages
    )
    site = make_site(town, rooms="101-102")
    with pytest.raises(ValidationError) as refused:
        services.quarantine_contacts(actor, contacts, site=site)
    assert "青山宾馆 has 2 free rooms for 3 people" in " ".join(refused.value.messages)
    assert not QuarantineOrder.objects.exists()
    assert not Contact.objects.filter(quarantine_order__isnull=False).exists()
    assert not Room.objects.filter(occupants__gt=0).exists()


def test_it_names_the_contact_whose_order_cannot_be_opened(actor, case, li, team, site, village_b):
    homeless = make_person(village_b, "周九")
    close = services.add_contact(actor, case, li, degree=Degree.CLOSE, relation=Relation.WORK)
    services.add_contact(
        actor, case, homeless, degree=Degree.SECONDARY, relation="other", source=li
    )
    secondary = Contact.objects.get(person=homeless)
    with pytest.raises(ValidationError) as refused:
        services.quarantine_contacts(actor, [close, secondary])
    assert "周九：give the address where the person stays" in refused.value.message_dict["contacts"]
    assert not QuarantineOrder.objects.exists()


def test_it_refuses_an_empty_selection_and_a_role_that_may_not_order(alice, actor, case, li):
    with pytest.raises(ValidationError) as refused:
        services.quarantine_contacts(actor, [])
    assert "choose the contacts" in refused.value.message_dict["contacts"][0]
    contact = services.add_contact(actor, case, li, degree=Degree.CLOSE, relation=Relation.WORK)
    with pytest.raises(PermissionDenied):
        services.quarantine_contacts(Actor(user=alice), [contact])
