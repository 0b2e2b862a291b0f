"""The ledger over the JSON API: entries, verification tasks and push lists, scoped and masked."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from fangyi.core.audit import Actor
from fangyi.ledger import services
from fangyi.ledger.models import Category, LedgerEntryEvent, Status, VerificationTask
from fangyi.ledger.testing import import_file, make_entry, write_push_list_file
from fangyi.testing import make_person, unique_id_number, unique_phone


def patch(client, url: str, body: dict):
    return client.patch(url, body, content_type="application/json")


def post(client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def pushed(tmp_path, carol, village_a, village_b):
    """A push list received 30 h ago (so its 24 h deadline has passed): 2 people of 东村, 1 of
    西村, one bad row."""
    received = timezone.now() - timedelta(hours=30)
    arrived = (received - timedelta(days=3)).date().isoformat()
    rows = [
        (
            "王金水",
            unique_id_number(),
            unique_phone(),
            "湖北武汉",
            arrived,
            "火车",
            "G1",
            "东村3组",
        ),
        ("李娜", unique_id_number(), unique_phone(), "湖北武汉", arrived, "自驾", "", "东村1组"),
        ("张伟", unique_id_number(), unique_phone(), "浙江温州", arrived, "飞机", "", "西村2组"),
        ("错号", "4.20102E+17", "", "湖北", "", "", "", "东村"),
    ]
    path = write_push_list_file(tmp_path / "推送名单.xlsx", rows)
    return import_file(Actor(user=carol), village_a.parent, path, received=received)


def test_it_publishes_the_ledger_paths(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/ledger/entries",
        "/api/v1/ledger/entries/{entry_id}",
        "/api/v1/ledger/tasks",
        "/api/v1/ledger/tasks/{task_id}/verify",
        "/api/v1/ledger/push-lists",
        "/api/v1/ledger/push-lists/{push_list_id}",
    ):
        assert path in paths, path


def test_it_lists_only_my_entries_masked_and_filtered(
    client, alice, village_a, group_a1, village_b, django_assert_max_num_queries
):
    mine = make_person(village_a, "王金水")
    make_entry(mine, Category.RETURNEE, status=Status.HOME_QUARANTINE)
    make_entry(make_person(group_a1, "李娜"), Category.FEVER)
    make_entry(make_person(village_b, "张伟"), Category.RETURNEE)
    client.force_login(alice)

    with django_assert_max_num_queries(6):
        listed = client.get("/api/v1/ledger/entries").json()

    assert listed["count"] == 2
    assert sorted(item["person_name"] for item in listed["items"]) == ["李娜", "王金水"]
    item = client.get("/api/v1/ledger/entries", {"status": "home_quarantine"}).json()["items"]
    assert [(i["person_name"], i["id_number"], i["phone"]) for i in item] == [
        ("王金水", mine.id_number_masked, mine.phone_masked)
    ]
    assert mine.id_number not in client.get("/api/v1/ledger/entries").content.decode()
    by_category = client.get("/api/v1/ledger/entries", {"category": "fever"}).json()
    assert [i["person_name"] for i in by_category["items"]] == ["李娜"]
    by_group = client.get("/api/v1/ledger/entries", {"village": group_a1.code}).json()
    assert [i["person_name"] for i in by_group["items"]] == ["李娜"]
    assert client.get("/api/v1/ledger/entries", {"village": village_b.code}).json()["count"] == 0


def test_it_pages_the_entries(client, carol, village_a):
    for n in range(3):
        make_entry(make_person(village_a, f"王{n}号"))
    client.force_login(carol)

    first = client.get("/api/v1/ledger/entries", {"page_size": 2}).json()
    second = client.get("/api/v1/ledger/entries", {"page_size": 2, "page": 2}).json()

    assert first["count"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1


def test_it_shows_an_entry_with_its_history(client, alice, village_a):
    entry = services.create_entry(
        Actor(user=alice), make_person(village_a, "王金水"), category=Category.RETURNEE
    )
    services.update_entry(Actor(user=alice), entry, status=Status.VERIFIED_HOME)
    client.force_login(alice)

    shown = client.get(f"/api/v1/ledger/entries/{entry.external_id}").json()

    assert shown["status"] == "verified_home"
    assert [e["kind"] for e in shown["history"]] == ["changed", "created"]
    assert shown["history"][0]["by"] == "alice"
    assert shown["history"][0]["changes"]["status"][1] == str(Status.VERIFIED_HOME.label)


def test_it_updates_an_entry_and_keeps_the_history(client, alice, village_a):
    entry = make_entry(make_person(village_a), arrival_date=date(2020, 1, 25))
    client.force_login(alice)
    url = f"/api/v1/ledger/entries/{entry.external_id}"

    response = patch(
        client,
        url,
        {
            "status": "home_quarantine",
            "local_contact_phone": "+86 138 0013 8000",
            "responsible_cadre": "alice",
            "arrival_date": None,
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["local_contact_phone"], body["responsible_cadre"]) == (
        "home_quarantine",
        "138****8000",
        "alice",
    )
    assert body["arrival_date"] is None
    entry.refresh_from_db()
    assert (
        entry.local_contact_phone == "13800138000" and entry.responsible_cadre.username == "alice"
    )
    event = LedgerEntryEvent.objects.get(entry=entry)
    assert set(event.changes) == {
        "status",
        "local_contact_phone",
        "responsible_cadre",
        "arrival_date",
    }
    assert "13800138000" not in str(event.changes)


def test_it_names_every_bad_field_with_422_and_changes_nothing(client, alice, bob, village_a):
    entry = make_entry(make_person(village_a))
    client.force_login(alice)
    url = f"/api/v1/ledger/entries/{entry.external_id}"

    bad = patch(
        client,
        url,
        {"status": "gone", "transport": "rocket", "local_contact_phone": "12", "notes": "x"},
    )
    assert bad.status_code == 422
    assert set(bad.json()["detail"]) == {"status", "transport", "local_contact_phone"}

    unknown = patch(client, url, {"responsible_cadre": "nobody"})
    assert unknown.status_code == 422 and "responsible_cadre" in unknown.json()["detail"]
    elsewhere = patch(client, url, {"responsible_cadre": bob.username})
    assert elsewhere.status_code == 422 and "responsible_cadre" in elsewhere.json()["detail"]
    not_a_date = patch(client, url, {"arrival_date": "2020-13-45"})
    assert not_a_date.status_code == 422

    entry.refresh_from_db()
    assert (entry.status, entry.notes, entry.responsible_cadre) == ("pending", "", None)
    assert not LedgerEntryEvent.objects.filter(entry=entry).exists()


def test_it_refuses_changes_to_roles_that_may_only_read(client, dave, village_a):
    entry = make_entry(make_person(village_a))
    client.force_login(dave)

    assert client.get(f"/api/v1/ledger/entries/{entry.external_id}").status_code == 200
    response = patch(client, f"/api/v1/ledger/entries/{entry.external_id}", {"status": "left"})

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == "pending"


def test_it_refuses_the_ledger_to_roles_without_it(client, erin, village_a):
    entry = make_entry(make_person(village_a))
    client.force_login(erin)

    assert client.get("/api/v1/ledger/entries").status_code == 403
    assert client.get(f"/api/v1/ledger/entries/{entry.external_id}").status_code == 403
    assert client.get("/api/v1/ledger/tasks").status_code == 403


def test_it_lists_open_tasks_with_the_overdue_flag(
    client, alice, pushed, django_assert_max_num_queries
):
    client.force_login(alice)

    with django_assert_max_num_queries(6):
        tasks = client.get("/api/v1/ledger/tasks").json()

    assert sorted(t["person_name"] for t in tasks["items"]) == ["李娜", "王金水"]
    assert all(
        t["overdue"] and t["push_list_id"] == str(pushed.external_id) for t in tasks["items"]
    )
    assert client.get("/api/v1/ledger/tasks", {"overdue": True}).json()["count"] == 2
    other = client.get(
        "/api/v1/ledger/tasks", {"push_list": "00000000-0000-4000-8000-000000000000"}
    )
    assert other.json()["count"] == 0


def test_it_verifies_a_task(client, alice, pushed):
    task = VerificationTask.objects.get(push_list=pushed, entry__person__name="王金水")
    client.force_login(alice)
    url = f"/api/v1/ledger/tasks/{task.pk}/verify"

    missing = post(client, url, {"result": "already_screened"})
    assert missing.status_code == 422 and "status" in missing.json()["detail"]
    wrong = post(client, url, {"result": "maybe", "status": "verified_home"})
    assert wrong.status_code == 422 and "result" in wrong.json()["detail"]

    done = post(
        client,
        url,
        {
            "result": "already_screened",
            "status": "home_quarantine",
            "note": "已上门",
            "symptoms": "",
        },
    )

    assert done.status_code == 200, done.content
    assert (done.json()["result"], done.json()["verified_by"], done.json()["overdue"]) == (
        "already_screened",
        "alice",
        False,
    )
    task.refresh_from_db()
    assert task.entry.status == "home_quarantine" and task.note == "已上门"
    assert [t["person_name"] for t in client.get("/api/v1/ledger/tasks").json()["items"]] == [
        "李娜"
    ]


def test_it_shows_push_lists_with_counts_to_the_town(client, carol, alice, frank, pushed):
    client.force_login(carol)

    listed = client.get("/api/v1/ledger/push-lists").json()["items"]

    assert len(listed) == 1
    item = listed[0]
    assert (item["rows"], item["imported"], item["errors"], item["status"]) == (4, 3, 1, "done")
    assert (item["tasks"], item["tasks_open"], item["tasks_overdue"]) == (3, 3, 3)
    detail = client.get(f"/api/v1/ledger/push-lists/{pushed.external_id}").json()
    assert detail["error_rows"][0]["row"] == 5 and detail["error_rows"][0]["column"] == "身份证号码"

    client.force_login(frank)
    assert client.get("/api/v1/ledger/push-lists").json()["count"] == 0
    assert client.get(f"/api/v1/ledger/push-lists/{pushed.external_id}").status_code == 404
    client.force_login(alice)  # village cadres verify tasks; push lists are the town's
    assert client.get(f"/api/v1/ledger/push-lists/{pushed.external_id}").status_code == 403
