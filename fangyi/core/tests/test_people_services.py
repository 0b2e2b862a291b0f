"""The people services: validation, duplicates, audited updates and reveals, jurisdiction checks."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import override

from fangyi.core.audit import Actor
from fangyi.core.identity import mask_id_number, mask_phone
from fangyi.core.models import AuditAction, AuditEntry, Person
from fangyi.core.services import (
    create_person,
    delete_person,
    find_person_by_id_number,
    reveal_person_field,
    update_person,
)
from fangyi.testing import make_person

LEGACY_ID = "340524800101001"  # converts to 34052419800101001X
ID_NUMBER = "34052419800101001X"
OTHER_ID = "341721198001011234"


def test_it_reports_every_bad_field_at_once(village_a):
    with pytest.raises(ValidationError) as error:
        create_person(
            Actor.system("test"),
            name="  ",
            id_number="34172119800101123X",  # wrong check character
            phone="1380013800",  # 10 digits
            jurisdiction=village_a,
        )

    assert set(error.value.error_dict) == {"name", "id_number", "phone"}
    assert Person.objects.count() == 0


def test_it_explains_each_bad_field(village_a):
    with override("en"), pytest.raises(ValidationError) as error:
        create_person(
            Actor.system("test"),
            name="",
            id_number="34172119800101123X",
            phone="1380013800",
            jurisdiction=village_a,
        )

    messages = error.value.message_dict
    assert "check character" in messages["id_number"][0]
    assert "11 digits" in messages["phone"][0]
    assert "10" in messages["phone"][0]  # how many it has
    assert "name" in messages["name"][0]


def test_it_requires_a_jurisdiction(db):
    with pytest.raises(ValidationError) as error:
        create_person(Actor.system("test"), name="王金水", jurisdiction=None)

    assert set(error.value.error_dict) == {"jurisdiction"}


def test_it_stores_the_normalised_id_number_birth_date_and_sex(village_a):
    person = create_person(
        Actor.system("test"),
        name=" 王金水 ",
        id_number=LEGACY_ID,
        phone="+86 138 0013 8000",
        jurisdiction=village_a,
    )

    person = Person.objects.get(pk=person.pk)
    assert person.name == "王金水"
    assert person.id_number == ID_NUMBER
    assert str(person.birth_date) == "1980-01-01"
    assert person.sex == "M"
    assert person.phone == "13800138000"
    assert person.phone_last4 == "8000"


def test_it_refuses_a_duplicate_id_number_naming_the_other_person(village_a, village_b):
    make_person(village_a, "王金水", id_number=ID_NUMBER)

    with override("en"), pytest.raises(ValidationError) as error:
        make_person(village_b, "张伟", id_number=ID_NUMBER.lower())

    message = error.value.message_dict["id_number"][0]
    assert "already registered" in message
    assert "王金水" in message
    assert "东村" in message
    assert Person.objects.count() == 1


def test_it_refuses_to_give_an_existing_person_a_taken_id_number(village_a):
    make_person(village_a, "王金水", id_number=ID_NUMBER)
    other = make_person(village_a, "张伟", id_number=OTHER_ID)

    with pytest.raises(ValidationError) as error:
        update_person(Actor.system("test"), other, id_number=LEGACY_ID)

    assert "王金水" in error.value.message_dict["id_number"][0]
    assert Person.objects.get(pk=other.pk).id_number == OTHER_ID


def test_it_lets_a_person_keep_their_own_id_number(alice, village_a):
    person = make_person(village_a, "王金水", id_number=ID_NUMBER)

    update_person(Actor(alice), person, id_number=LEGACY_ID, current_address="东村1号")

    assert Person.objects.get(pk=person.pk).current_address == "东村1号"


def test_it_audits_an_update_with_masked_values_and_only_what_changed(alice, village_a):
    person = make_person(village_a, "王金水", id_number=ID_NUMBER, phone="13800138000")

    update_person(
        Actor(alice, ip_address="10.0.0.7"),
        person,
        name="王金水",  # unchanged
        id_number=ID_NUMBER.lower(),  # the same number, written differently
        phone="13912345678",
        current_address="东村3组12号",
    )

    entry = AuditEntry.objects.get(action=AuditAction.UPDATE)
    assert entry.changes == {
        "phone": [mask_phone("13800138000"), mask_phone("13912345678")],
        "current_address": ["", "东村3组12号"],
    }
    assert entry.actor == alice
    assert entry.actor_username == "alice"
    assert entry.ip_address == "10.0.0.7"
    assert entry.object_id == str(person.external_id)
    assert entry.jurisdiction_code == village_a.code
    assert Person.objects.get(pk=person.pk).phone == "13912345678"


def test_it_masks_a_changed_id_number_in_the_audit_log(alice, village_a):
    person = make_person(village_a, "王金水", id_number=ID_NUMBER)

    update_person(Actor(alice), person, id_number=OTHER_ID)

    entry = AuditEntry.objects.get(action=AuditAction.UPDATE)
    assert entry.changes == {"id_number": [mask_id_number(ID_NUMBER), mask_id_number(OTHER_ID)]}
    stored = Person.objects.get(pk=person.pk)
    assert stored.id_number == OTHER_ID
    assert stored.sex == "M"


def test_it_writes_no_audit_entry_when_nothing_changed(alice, village_a):
    person = make_person(village_a, "王金水", id_number=ID_NUMBER, phone="13800138000")

    update_person(Actor(alice), person, name="王金水", phone="138 0013 8000")

    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()


def test_it_reveals_an_id_number_to_a_village_cadre_and_audits_it(alice, village_a):
    person = make_person(village_a, "王金水", id_number=ID_NUMBER)

    value = reveal_person_field(Actor(alice), person, "id_number")

    assert value == ID_NUMBER
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    assert entry.actor == alice
    assert entry.changes == {"field": "id_number"}
    assert entry.object_id == str(person.external_id)
    assert ID_NUMBER not in entry.object_repr


def test_it_reveals_a_phone_to_a_village_cadre(alice, village_a):
    person = make_person(village_a, "王金水", phone="13800138000")

    assert reveal_person_field(Actor(alice), person, "phone") == "13800138000"
    assert AuditEntry.objects.get(action=AuditAction.REVEAL).changes == {"field": "phone"}


def test_it_refuses_to_reveal_to_the_auditor_and_writes_nothing(dave, village_a):
    person = make_person(village_a, "王金水", id_number=ID_NUMBER)
    entries_before = AuditEntry.objects.count()

    with pytest.raises(PermissionDenied):
        reveal_person_field(Actor(dave), person, "id_number")

    assert AuditEntry.objects.count() == entries_before
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_it_reveals_only_identity_fields(alice, village_a):
    person = make_person(village_a, "王金水")

    with pytest.raises(ValueError):
        reveal_person_field(Actor(alice), person, "id_number_cipher")

    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_it_refuses_a_cadre_registering_someone_in_another_village(alice, village_b):
    with pytest.raises(PermissionDenied):
        create_person(Actor(alice), name="张伟", id_number=OTHER_ID, jurisdiction=village_b)

    assert Person.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_it_lets_a_cadre_register_someone_in_a_group_of_her_village(alice, group_a1):
    person = create_person(Actor(alice), name="张伟", jurisdiction=group_a1)

    assert Person.objects.get(pk=person.pk).jurisdiction == group_a1
    assert AuditEntry.objects.get(action=AuditAction.CREATE).actor == alice


def test_it_refuses_a_cadre_moving_someone_to_another_village(alice, village_a, village_b):
    person = make_person(village_a, "王金水")

    with pytest.raises(PermissionDenied):
        update_person(Actor(alice), person, jurisdiction=village_b)

    assert Person.objects.get(pk=person.pk).jurisdiction == village_a


@pytest.mark.parametrize("written", [ID_NUMBER, ID_NUMBER.lower(), LEGACY_ID, f" {LEGACY_ID} "])
def test_it_finds_a_person_by_any_form_of_their_id_number(village_a, written):
    person = make_person(village_a, "王金水", id_number=ID_NUMBER)

    assert find_person_by_id_number(written) == person


def test_it_finds_nobody_for_an_unknown_id_number(village_a):
    make_person(village_a, "王金水", id_number=ID_NUMBER)

    assert find_person_by_id_number(OTHER_ID) is None


def test_it_refuses_service_calls_on_a_person_outside_the_actors_jurisdiction(bob, village_a):
    """Services check the jurisdiction themselves, not only the views that call them."""
    person = make_person(village_a, "王金水")
    actor = Actor(user=bob)
    with pytest.raises(PermissionDenied):
        update_person(actor, person, name="王金山")
    with pytest.raises(PermissionDenied):
        reveal_person_field(actor, person, "phone")
    with pytest.raises(PermissionDenied):
        delete_person(actor, person)
    assert Person.objects.get().name == "王金水"
    assert not AuditEntry.objects.filter(actor=bob).exists()
