"""The audit log is append-only and each reader sees only the entries of their jurisdiction."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from fangyi.core.audit import Actor, record_audit
from fangyi.core.models import AuditAction, AuditEntry
from fangyi.testing import make_person


@pytest.fixture
def entry(village_a):
    make_person(village_a, "王金水")
    return AuditEntry.objects.get()


def test_it_refuses_to_save_an_existing_entry(entry):
    entry.object_repr = "rewritten"

    with pytest.raises(PermissionDenied):
        entry.save()

    assert AuditEntry.objects.get(pk=entry.pk).object_repr != "rewritten"


def test_it_refuses_to_delete_an_entry(entry):
    with pytest.raises(PermissionDenied):
        entry.delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_it_refuses_queryset_updates(entry):
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).update(object_repr="rewritten")
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.update(actor_username="nobody")

    assert AuditEntry.objects.get(pk=entry.pk).object_repr != "rewritten"


def test_it_refuses_queryset_deletes(entry):
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionDenied):
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.count() == 1


def test_it_refuses_bulk_updates(entry):
    entry.object_repr = "rewritten"

    with pytest.raises(PermissionDenied), transaction.atomic():
        AuditEntry.objects.bulk_update([entry], ["object_repr"])

    assert AuditEntry.objects.get(pk=entry.pk).object_repr != "rewritten"


def test_it_still_appends_new_entries(entry):
    record_audit(
        Actor.system("cron"),
        AuditAction.EXPORT,
        object_type="core.person",
        object_id="",
        object_repr="export",
        jurisdiction_code="999901100201",
    )

    assert AuditEntry.objects.count() == 2


def test_it_keeps_the_entries_of_a_deleted_user(alice, village_a):
    from fangyi.core.services import reveal_person_field

    person = make_person(village_a, "王金水")
    reveal_person_field(Actor(alice), person, "phone")

    alice_id = alice.pk
    alice.delete()

    # The row is untouched: deleting a user does not rewrite the append-only log.
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    assert (entry.actor_id, entry.actor_username) == (alice_id, "alice")


def _audited_codes(queryset) -> set[str]:
    return set(queryset.values_list("jurisdiction_code", flat=True))


def test_it_shows_the_auditor_every_village_of_his_town_only(dave, people_everywhere):
    visible = AuditEntry.objects.visible_to(dave)

    assert _audited_codes(visible) == {"999901100201", "999901100202", "999901100201001"}
    assert visible.count() == 3
    assert "999901101201" in _audited_codes(AuditEntry.objects.all())


def test_it_shows_the_other_towns_commander_only_his_town(frank, people_everywhere):
    from django.contrib.auth.models import Permission

    frank.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    frank = type(frank).objects.get(pk=frank.pk)  # drop the cached permissions

    assert _audited_codes(AuditEntry.objects.visible_to(frank)) == {"999901101201"}


def test_it_shows_a_village_cadre_no_audit_entries(alice, people_everywhere):
    assert not alice.has_perm("core.view_auditentry")
    assert AuditEntry.objects.visible_to(alice).count() == 0
    assert AuditEntry.objects.within(alice.jurisdiction_id).count() == 2  # there are some
