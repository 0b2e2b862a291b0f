"""The ledger in the admin: read-mostly, no uploads, nothing decrypted on lists."""

import pytest
from django.urls import reverse

from fangyi.core import crypto
from fangyi.core.audit import Actor
from fangyi.core.models import User
from fangyi.ledger.models import ImportMapping, VerificationTask
from fangyi.ledger.testing import import_file, make_entry, write_push_list_file
from fangyi.testing import make_person, unique_id_number, unique_phone


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", "", "x")


@pytest.fixture
def world(tmp_path, carol, village_a, village_b):
    entry = make_entry(make_person(village_a, "王金水"), notes="门磁已安装")
    make_entry(make_person(village_b, "张伟"), status="home_quarantine")
    rows = [("李娜", unique_id_number(), unique_phone(), "湖北", "", "自驾", "", "东村")]
    push_list = import_file(
        Actor(user=carol),
        village_a.parent,
        write_push_list_file(tmp_path / "白鹭推送0128.xlsx", rows),
    )
    mapping = ImportMapping.objects.create(
        name="县里格式", jurisdiction=village_a.parent, columns={"name": "姓名"}
    )
    return {"entry": entry, "push_list": push_list, "mapping": mapping}


@pytest.fixture
def no_decryption(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a list page decrypted personal data")

    monkeypatch.setattr(crypto, "decrypt", refuse)


@pytest.mark.parametrize("model", ["pushlist", "ledgerentry", "importmapping", "verificationtask"])
def test_it_lists_without_decrypting(
    client, admin_user, world, model, no_decryption, django_assert_max_num_queries
):
    client.force_login(admin_user)

    with django_assert_max_num_queries(12):
        response = client.get(reverse(f"admin:ledger_{model}_changelist"))

    assert response.status_code == 200


def test_it_searches_and_filters_entries(client, admin_user, world):
    client.force_login(admin_user)
    url = reverse("admin:ledger_ledgerentry_changelist")

    found = client.get(url, {"q": "王金水"}).content.decode()
    assert "王金水" in found and "张伟" not in found
    filtered = client.get(url, {"status__exact": "home_quarantine"}).content.decode()
    assert "张伟" in filtered and "王金水" not in filtered
    by_category = client.get(url, {"category__exact": "fever"}).content.decode()
    assert "张伟" not in by_category and "王金水" not in by_category


def test_it_shows_an_entry_masked_with_its_history_but_no_way_to_edit(client, admin_user, world):
    entry = world["entry"]
    client.force_login(admin_user)

    page = client.get(reverse("admin:ledger_ledgerentry_change", args=[entry.pk])).content.decode()

    assert entry.person.id_number_masked in page and entry.person.id_number not in page
    assert "门磁已安装" in page and 'name="_save"' not in page
    task = VerificationTask.objects.get()
    shown = client.get(reverse("admin:ledger_verificationtask_change", args=[task.pk]))
    assert shown.status_code == 200 and 'name="_save"' not in shown.content.decode()


def test_it_takes_no_uploads_in_the_admin(client, admin_user, world):
    client.force_login(admin_user)

    assert client.get(reverse("admin:ledger_pushlist_add")).status_code == 403
    assert client.get(reverse("admin:ledger_ledgerentry_add")).status_code == 403
    assert client.get(reverse("admin:ledger_verificationtask_add")).status_code == 403
    push_list = world["push_list"]
    page = client.get(reverse("admin:ledger_pushlist_change", args=[push_list.pk]))
    assert page.status_code == 200 and push_list.name in page.content.decode()


def test_it_edits_saved_mappings(client, admin_user, world):
    mapping = world["mapping"]
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:ledger_importmapping_change", args=[mapping.pk]),
        {
            "name": "县指挥部格式",
            "jurisdiction": mapping.jurisdiction_id,
            "columns": '{"name": "人员姓名"}',
            "created_by": "",
        },
    )

    assert response.status_code == 302
    mapping.refresh_from_db()
    assert (mapping.name, mapping.columns) == ("县指挥部格式", {"name": "人员姓名"})


def test_it_scopes_staff_to_their_jurisdiction(client, frank, world):
    frank.is_staff = True
    frank.save(update_fields=["is_staff"])
    client.force_login(frank)

    listed = client.get(reverse("admin:ledger_pushlist_changelist"))
    push_list = world["push_list"]

    assert listed.status_code in (200, 403)
    assert push_list.name not in listed.content.decode()
    change = client.get(reverse("admin:ledger_pushlist_change", args=[push_list.pk]))
    assert change.status_code in (302, 403, 404)
