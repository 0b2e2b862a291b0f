"""Nobody reaches another village's (or town's) ledger rows through any ledger page or endpoint.

The generic walker (fangyi/core/tests/test_scoping_everywhere.py) fills every id with a Person
UUID; ledger URLs take entry, task and push-list ids, so they are walked here with real ones.
Every URL name that takes an id must be listed below: a new one fails
`test_it_checks_every_ledger_url_with_an_id` until it is.
"""

import pytest
from django.urls import reverse

from fangyi.core.audit import Actor
from fangyi.ledger.models import LedgerEntry, VerificationTask
from fangyi.ledger.testing import import_file, make_entry, write_push_list_file
from fangyi.ledger.urls import urlpatterns
from fangyi.testing import make_person, unique_id_number, unique_phone

ENTRY_PAGES = ("ledger:entry_detail", "ledger:entry_edit")
PERSON_PAGES = ("ledger:entry_create", "ledger:person_entries")
TASK_PAGES = ("ledger:task_verify",)
PUSH_LIST_PAGES = (
    "ledger:pushlist_detail",
    "ledger:pushlist_mapping",
    "ledger:pushlist_progress",
    "ledger:pushlist_restart",
    "ledger:pushlist_error_sheet",
    "ledger:pushlist_feedback",
)
SECRET_NAMES = ("赵秘密", "钱机密")
LIST_NAME = "保密推送名单"


@pytest.fixture
def world(tmp_path, carol, bob, village_a, village_b):
    """bob's 西村 entry (赵秘密), and carol's push list (one bad row, 钱机密 of 西村, one 东村)."""
    secret = make_person(village_b, "赵秘密")
    entry = make_entry(secret, notes="西村的备注")
    rows = [
        ("钱机密", unique_id_number(), unique_phone(), "湖北", "", "自驾", "", "青山镇西村2组"),
        ("孙东村", unique_id_number(), unique_phone(), "湖北", "", "高铁", "G1", "青山镇东村1组"),
        ("错号", "4.20102E+17", "", "湖北", "", "", "", "西村"),
    ]
    path = write_push_list_file(tmp_path / "名单.xlsx", rows)
    push_list = import_file(Actor(user=carol), village_b.parent, path, name=LIST_NAME)
    pushed = LedgerEntry.objects.get(person__name="钱机密")
    assert pushed.jurisdiction_id == village_b.code
    return {
        "entry": entry,
        "pushed": pushed,
        "task": VerificationTask.objects.get(entry=pushed),
        "push_list": push_list,
    }


def page_urls(world) -> list[str]:
    urls = []
    for entry in (world["entry"], world["pushed"]):
        urls += [reverse(name, args=[entry.external_id]) for name in ENTRY_PAGES]
        urls += [reverse(name, args=[entry.person.external_id]) for name in PERSON_PAGES]
    urls += [reverse(name, args=[world["task"].pk]) for name in TASK_PAGES]
    urls += [reverse(name, args=[world["push_list"].external_id]) for name in PUSH_LIST_PAGES]
    return urls


def api_calls(world) -> list[tuple[str, str, dict]]:
    """(method, url, body) for every ledger endpoint that takes an id."""
    calls = []
    for entry in (world["entry"], world["pushed"]):
        url = f"/api/v1/ledger/entries/{entry.external_id}"
        calls += [("get", url, {}), ("patch", url, {"status": "left", "notes": "x"})]
    verify = f"/api/v1/ledger/tasks/{world['task'].pk}/verify"
    calls.append(("post", verify, {"result": "not_local"}))
    calls.append(("get", f"/api/v1/ledger/push-lists/{world['push_list'].external_id}", {}))
    return calls


def _assert_hidden(response, url: str, secrets: tuple[str, ...]) -> None:
    assert response.status_code in (403, 404, 405), (url, response.status_code)
    body = response.content.decode(errors="replace")
    for secret in secrets:
        assert secret not in body, (url, secret)


def _assert_untouched(world) -> None:
    for key in ("entry", "pushed"):
        before = world[key]
        after = LedgerEntry.objects.get(pk=before.pk)
        assert (after.status, after.notes) == (before.status, before.notes)
    assert VerificationTask.objects.get(pk=world["task"].pk).result == ""


def test_it_checks_every_ledger_url_with_an_id():
    with_ids = {f"ledger:{p.name}" for p in urlpatterns if p.pattern.converters}
    assert with_ids == {*ENTRY_PAGES, *PERSON_PAGES, *TASK_PAGES, *PUSH_LIST_PAGES}


def test_it_hides_another_villages_entries_and_tasks_on_every_page(client, alice, world):
    client.force_login(alice)

    for url in page_urls(world):
        for response in (client.get(url), client.post(url, {"status": "left", "notes": "x"})):
            _assert_hidden(response, url, (*SECRET_NAMES, LIST_NAME, "西村的备注"))

    _assert_untouched(world)


def test_it_hides_another_villages_entries_and_tasks_on_every_endpoint(client, alice, world):
    client.force_login(alice)

    for method, url, body in api_calls(world):
        response = getattr(client, method)(url, body, content_type="application/json")
        _assert_hidden(response, url, (*SECRET_NAMES, LIST_NAME, "西村的备注"))

    _assert_untouched(world)


def test_it_hides_a_towns_push_list_from_another_town(client, frank, world):
    client.force_login(frank)

    urls = page_urls(world)
    for url in urls:
        for response in (client.get(url), client.post(url, {"status": "left", "notes": "x"})):
            _assert_hidden(response, url, (*SECRET_NAMES, LIST_NAME))
    for method, url, body in api_calls(world):
        response = getattr(client, method)(url, body, content_type="application/json")
        _assert_hidden(response, url, (*SECRET_NAMES, LIST_NAME))
    assert LIST_NAME not in client.get(reverse("ledger:pushlists")).content.decode()
    assert client.get("/api/v1/ledger/push-lists").json()["count"] == 0

    _assert_untouched(world)


def test_it_shows_the_same_urls_to_the_people_responsible(client, bob, carol, world):
    """The control: the URLs above work for the village and the town that hold the rows, so a
    403/404 for others means "not yours", not "broken"."""
    client.force_login(bob)
    for entry in (world["entry"], world["pushed"]):
        for name in ENTRY_PAGES:
            response = client.get(reverse(name, args=[entry.external_id]))
            assert response.status_code == 200, name
            assert entry.person.name in response.content.decode()
        response = client.get(reverse("ledger:person_entries", args=[entry.person.external_id]))
        assert response.status_code == 200 and entry.person.name in response.content.decode()
    assert client.get(reverse("ledger:task_verify", args=[world["task"].pk])).status_code == 200
    for method, url, _body in api_calls(world)[:-1]:
        if method == "get":
            assert client.get(url).status_code == 200, url

    client.force_login(carol)
    for name in PUSH_LIST_PAGES:
        url = reverse(name, args=[world["push_list"].external_id])
        if name == "ledger:pushlist_restart":  # POST only; refused here: the list is not stalled
            assert client.post(url).status_code == 302, url
        else:
            assert client.get(url).status_code in (200, 302), url
    detail = client.get(reverse("ledger:pushlist_detail", args=[world["push_list"].external_id]))
    assert LIST_NAME in detail.content.decode()
    api = client.get(f"/api/v1/ledger/push-lists/{world['push_list'].external_id}")
    assert api.status_code == 200 and api.json()["name"] == LIST_NAME
