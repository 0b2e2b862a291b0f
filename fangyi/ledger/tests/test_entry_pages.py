"""The ledger's entry pages: list (filters, search, counts, polling), bulk actions, detail,
edit, create, a person's entries; permissions and scoping on every URL."""

from datetime import date

import pytest
from django.urls import reverse

from fangyi.core.audit import Actor
from fangyi.core.roles import Role
from fangyi.ledger import services
from fangyi.ledger.models import (
    Category,
    EventKind,
    LedgerEntry,
    LedgerEntryEvent,
    Status,
    VerificationTask,
)
from fangyi.ledger.testing import make_entry, make_task
from fangyi.testing import make_person, make_user


def entries_page(client, **params) -> str:
    response = client.get(reverse("ledger:entries"), params)
    assert response.status_code == 200
    return response.content.decode()


def rows_of(page: str) -> str:
    """Only the list's rows (the filter form also names villages)."""
    return page.split('id="entry-rows"', 1)[1].split("</ul>", 1)[0]


@pytest.fixture
def ledger(town, village_a, village_b, group_a1):
    """Entries in 东村 (one in its group), 西村, and one unassigned on the town."""
    wang = make_person(village_a, "王金水", phone="13800001234")
    li = make_person(group_a1, "李娜", phone="13900005678")
    zhang = make_person(village_b, "张伟")
    zhao = make_person(town, "赵小六")
    return {
        "wang": make_entry(wang, arrival_date=date(2020, 1, 20), source_area="武汉市"),
        "li": make_entry(li, Category.CLOSE_CONTACT, arrival_date=date(2020, 1, 25)),
        "li_fever": make_entry(li, Category.FEVER, status=Status.HOME_QUARANTINE),
        "zhang": make_entry(zhang, arrival_date=date(2020, 1, 22)),
        "zhao": make_entry(zhao, arrival_date=date(2020, 1, 26)),
    }


def test_it_lists_only_the_users_village_with_masked_ids_and_phones(client_for, alice, ledger):
    page = entries_page(client_for(alice))
    rows = rows_of(page)
    assert "王金水" in rows and "李娜" in rows
    assert "张伟" not in rows and "赵小六" not in rows
    wang = ledger["wang"].person
    assert wang.id_number not in page and wang.phone not in page
    assert wang.id_number_masked in rows and wang.phone_masked in rows


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"village": "999901100201"}, {"王金水", "李娜"}),
        ({"village": "999901100202"}, {"张伟"}),
        ({"village": "unassigned"}, {"赵小六"}),
        ({"category": "close_contact"}, {"李娜"}),
        ({"status": "home_quarantine"}, {"李娜"}),
        ({"arrived_from": "2020-01-21", "arrived_to": "2020-01-25"}, {"李娜", "张伟"}),
        ({"arrived_from": "2020-01-26"}, {"赵小六"}),
        ({"arrived_to": "2020-01-20"}, {"王金水"}),
        ({"q": "wjs"}, {"王金水"}),
        ({"q": "zhangwei"}, {"张伟"}),
        ({"q": "李"}, {"李娜"}),
        ({"q": "1234"}, {"王金水"}),
        ({"q": "13900005678"}, {"李娜"}),
        ({"q": "1390000567"}, set()),
    ],
)
def test_it_filters_and_searches_the_town_ledger(client_for, carol, ledger, params, expected):
    rows = rows_of(entries_page(client_for(carol), **params))
    names = {"王金水", "李娜", "张伟", "赵小六"}
    assert {name for name in names if name in rows} == expected, params


def test_it_searches_by_full_id_number(client_for, carol, ledger):
    zhang = ledger["zhang"].person
    rows = rows_of(entries_page(client_for(carol), q=zhang.id_number.lower()))
    assert "张伟" in rows and "王金水" not in rows


def test_it_filters_the_overdue(client_for, carol, ledger):
    make_task(ledger["zhang"], hours_left=-2)
    make_task(ledger["wang"], hours_left=+5)
    done = make_task(ledger["zhao"], hours_left=-2)
    VerificationTask.objects.filter(pk=done.pk).update(result="already_screened")
    page = entries_page(client_for(carol), overdue="1")
    rows = rows_of(page)
    assert "张伟" in rows
    assert "王金水" not in rows and "赵小六" not in rows
    assert rows.count("badge late") == 1


def test_it_counts_entries_per_status_for_the_current_filters(client_for, carol, ledger):
    page = entries_page(client_for(carol), village="999901100201")
    counts = page.split('id="status-counts"', 1)[1].split("</ul>", 1)[0]
    assert 'data-status="pending"' in counts
    assert "<b>3</b>" in counts  # all: 王金水 ×1 + 李娜 ×2 in 东村
    pending = counts.split('data-status="pending"', 1)[1].split("</a>", 1)[0]
    quarantine = counts.split('data-status="home_quarantine"', 1)[1].split("</a>", 1)[0]
    assert "<b>2</b>" in pending and "<b>1</b>" in quarantine
    # Choosing a status keeps the other filters in the chips' links.
    assert "village=999901100201&amp;status=pending" in counts


def test_it_shows_a_bad_date_filter_and_still_lists(client_for, carol, ledger):
    page = entries_page(client_for(carol), arrived_from="2020-13-45")
    assert 'data-field="arrived_from"' in page
    assert "王金水" in rows_of(page)
    page = entries_page(client_for(carol), arrived_from="2020-01-25", arrived_to="2020-01-20")
    assert 'data-field="arrived_to"' in page


def test_it_links_export_with_the_same_filters_only_for_exporters(client_for, carol, dave, ledger):
    page = entries_page(client_for(carol), category="returnee", q="wjs")
    assert reverse("ledger:export") + "?category=returnee&amp;q=wjs" in page
    assert reverse("ledger:export") not in entries_page(client_for(dave))  # the auditor


def test_it_lists_in_a_bounded_number_of_queries(
    client_for, carol, village_a, django_assert_max_num_queries
):
    for i in range(30):
        entry = make_entry(make_person(village_a, f"王{i}"), arrival_date=date(2020, 1, 20))
        if i % 3 == 0:
            make_task(entry, hours_left=-1, row=i + 2)
    client = client_for(carol)
    with django_assert_max_num_queries(14):
        page = entries_page(client)
    assert page.count('name="entry"') == 25
    with django_assert_max_num_queries(14):
        client.get(reverse("ledger:entry_results"), {"overdue": "1"}, HTTP_HX_REQUEST="true")


def test_it_answers_the_poll_with_204_until_something_changes(client_for, alice, carol, ledger):
    client = client_for(alice)
    first = client.get(reverse("ledger:entry_results"), HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    fingerprint = first.content.decode().split('data-fingerprint="', 1)[1].split('"', 1)[0]
    poll = {"fp": fingerprint}
    assert client.get(reverse("ledger:entry_results"), poll).status_code == 204
    # A change in another village does not disturb her list…
    services.update_entry(Actor(user=carol), ledger["zhang"], notes="西村")
    assert client.get(reverse("ledger:entry_results"), poll).status_code == 204
    # …a change to one of hers does.
    services.update_entry(Actor(user=carol), ledger["wang"], symptoms="咳嗽")
    changed = client.get(reverse("ledger:entry_results"), poll)
    assert changed.status_code == 200
    assert "王金水" in changed.content.decode()
    # A new entry changes the count.
    fingerprint = changed.content.decode().split('data-fingerprint="', 1)[1].split('"', 1)[0]
    make_entry(ledger["wang"].person, Category.FEVER)
    assert client.get(reverse("ledger:entry_results"), {"fp": fingerprint}).status_code == 200


def test_it_polls_within_the_filters(client_for, alice, ledger):
    client = client_for(alice)
    params = {"category": "fever"}
    first = client.get(reverse("ledger:entry_results"), params)
    fingerprint = first.content.decode().split('data-fingerprint="', 1)[1].split('"', 1)[0]
    assert "李娜" in first.content.decode() and "王金水" not in first.content.decode()
    services.update_entry(Actor(user=alice), ledger["wang"], notes="只改了返乡条目")
    assert (
        client.get(reverse("ledger:entry_results"), {**params, "fp": fingerprint}).status_code
        == 204
    )


def test_it_assigns_a_responsible_cadre_in_bulk(client_for, alice, village_a, ledger):
    grid = make_user("gina", Role.GRID_LEADER, village_a, "葛娜")
    picked = [ledger["wang"], ledger["li"]]
    response = client_for(alice).post(
        reverse("ledger:entry_bulk"),
        {
            "entry": [str(e.external_id) for e in picked],
            "action": "assign",
            "cadre": grid.pk,
            "next": reverse("ledger:entries") + "?category=returnee",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("ledger:entries") + "?category=returnee"
    assert "2" in response.content.decode().split('class="notice success"', 1)[1][:80]
    assert set(LedgerEntry.objects.filter(responsible_cadre=grid)) == set(picked)
    assert LedgerEntryEvent.objects.filter(kind=EventKind.ASSIGNED).count() == 2


def test_it_refuses_a_cadre_outside_the_entries_village(client_for, carol, alice, bob, ledger):
    # carol (town) picks bob of 西村 for an entry of 东村: the service refuses, nothing changes.
    response = client_for(carol).post(
        reverse("ledger:entry_bulk"),
        {"entry": [str(ledger["wang"].external_id)], "action": "assign", "cadre": bob.pk},
        follow=True,
    )
    page = response.content.decode()
    assert 'class="notice error"' in page and "赵博" in page
    assert not LedgerEntry.objects.filter(responsible_cadre__isnull=False).exists()
    # alice cannot even name bob: he is not among her village's cadres.
    response = client_for(alice).post(
        reverse("ledger:entry_bulk"),
        {"entry": [str(ledger["wang"].external_id)], "action": "assign", "cadre": bob.pk},
        follow=True,
    )
    assert 'class="notice error"' in response.content.decode()
    assert not LedgerEntry.objects.filter(responsible_cadre__isnull=False).exists()


def test_it_ignores_ticked_entries_of_another_village(client_for, alice, ledger):
    response = client_for(alice).post(
        reverse("ledger:entry_bulk"),
        {"entry": [str(ledger["zhang"].external_id)], "action": "assign", "cadre": alice.pk},
        follow=True,
    )
    assert "0" in response.content.decode().split('class="notice success"', 1)[1][:80]
    assert LedgerEntry.objects.get(pk=ledger["zhang"].pk).responsible_cadre is None


def test_it_asks_for_a_selection_and_a_cadre(client_for, alice, ledger):
    client = client_for(alice)
    response = client.post(reverse("ledger:entry_bulk"), {"action": "assign"}, follow=True)
    assert response.content.decode().count('class="notice error"') == 2


def test_it_lets_the_town_dispatch_unassigned_entries(client_for, carol, village_b, ledger):
    zhao = ledger["zhao"]
    response = client_for(carol).post(
        reverse("ledger:entry_bulk"),
        {"entry": [str(zhao.external_id)], "action": "dispatch", "village": village_b.code},
        follow=True,
    )
    assert 'class="notice success"' in response.content.decode()
    zhao.refresh_from_db()
    assert zhao.jurisdiction_id == village_b.code
    assert zhao.person.jurisdiction_id == village_b.code


def test_it_does_not_let_a_village_dispatch(client_for, alice, village_b, ledger):
    page = entries_page(client_for(alice))
    assert 'id="bulk-dispatch"' not in page
    response = client_for(alice).post(
        reverse("ledger:entry_bulk"),
        {
            "entry": [str(ledger["wang"].external_id)],
            "action": "dispatch",
            "village": village_b.code,
        },
        follow=True,
    )
    assert 'class="notice error"' in response.content.decode()
    assert LedgerEntry.objects.get(pk=ledger["wang"].pk).jurisdiction_id == "999901100201"


def test_it_shows_an_entry_with_its_tasks_and_history(client_for, alice, ledger):
    entry = ledger["wang"]
    make_task(entry, hours_left=-3)
    services.update_entry(Actor(user=alice), entry, status=Status.HOME_QUARANTINE)
    page = client_for(alice).get(reverse("ledger:entry_detail", args=[entry.external_id]))
    text = page.content.decode()
    assert "武汉市" in text and entry.person.id_number_masked in text
    assert entry.person.id_number not in text and entry.person.phone not in text
    tasks = text.split('id="entry-tasks"', 1)[1].split("</ul>", 1)[0]
    assert "badge late" in tasks
    history = text.split('id="entry-history"', 1)[1].split("</ul>", 1)[0]
    assert "alice" in history
    assert "pending verification → home quarantine" in history


def test_it_edits_an_entry_and_writes_history(client_for, alice, ledger):
    entry = ledger["wang"]
    entry.local_contact_phone = "13700001111"
    entry.save()
    response = client_for(alice).post(
        reverse("ledger:entry_edit", args=[entry.external_id]),
        {
            "category": "returnee",
            "status": "home_quarantine",
            "source_area": "武汉市",
            "arrival_date": "2020-01-20",
            "symptoms": "发热",
            "local_contact_phone": "",
        },
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.symptoms) == ("home_quarantine", "发热")
    assert entry.local_contact_phone == "13700001111"  # empty keeps it
    event = LedgerEntryEvent.objects.get(entry=entry, kind=EventKind.CHANGED)
    assert event.actor == alice
    assert set(event.changes) == {"status", "symptoms"}


def test_it_shows_edit_errors_inline_and_keeps_what_was_typed(client_for, alice, ledger):
    entry = ledger["wang"]
    response = client_for(alice).post(
        reverse("ledger:entry_edit", args=[entry.external_id]),
        {
            "category": "close_contact",
            "status": "pending",
            "local_contact_phone": "12345",
            "symptoms": "咳嗽",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-field="local_contact_phone"' in page
    assert 'value="咳嗽"' in page
    assert not LedgerEntryEvent.objects.exists()


def test_it_refuses_a_second_entry_of_the_same_category(client_for, alice, ledger):
    entry = ledger["li"]
    response = client_for(alice).post(
        reverse("ledger:entry_edit", args=[entry.external_id]),
        {"category": "fever", "status": "pending"},
    )
    assert 'data-field="category"' in response.content.decode()
    assert LedgerEntry.objects.get(pk=entry.pk).category == "close_contact"


def test_it_puts_a_person_on_the_ledger(client_for, alice, village_a):
    person = make_person(village_a, "孙悟")
    client = client_for(alice)
    page = client.get(reverse("ledger:person_entries", args=[person.external_id]))
    assert reverse("ledger:entry_create", args=[person.external_id]) in page.content.decode()
    response = client.post(
        reverse("ledger:entry_create", args=[person.external_id]),
        {"category": "fever", "status": "pending", "symptoms": "38.2℃", "local_contact_phone": ""},
    )
    entry = LedgerEntry.objects.get(person=person)
    assert response.status_code == 302
    assert response.url == reverse("ledger:entry_detail", args=[entry.external_id])
    assert (entry.category, entry.jurisdiction_id, entry.symptoms) == (
        "fever",
        village_a.code,
        "38.2℃",
    )
    assert LedgerEntryEvent.objects.get(entry=entry).kind == EventKind.CREATED
    response = client.post(
        reverse("ledger:entry_create", args=[person.external_id]),
        {"category": "fever", "status": "pending"},
    )
    assert 'data-field="category"' in response.content.decode()
    assert LedgerEntry.objects.filter(person=person).count() == 1


def test_it_shows_all_entries_of_a_person(client_for, alice, ledger):
    person = ledger["li"].person
    page = client_for(alice).get(reverse("ledger:person_entries", args=[person.external_id]))
    rows = page.content.decode().split('id="person-entries"', 1)[1].split("</ul>", 1)[0]
    assert rows.count("<li") == 2
    assert "close contact" in rows and "fever patient" in rows


def test_alice_cannot_reach_bobs_entries_through_any_url(client_for, alice, ledger):
    zhang = ledger["zhang"]
    client = client_for(alice)
    for url in (
        reverse("ledger:entry_detail", args=[zhang.external_id]),
        reverse("ledger:entry_edit", args=[zhang.external_id]),
        reverse("ledger:person_entries", args=[zhang.person.external_id]),
        reverse("ledger:entry_create", args=[zhang.person.external_id]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"category": "other", "status": "pending"}).status_code == 404
    assert "张伟" not in entries_page(client, q="zw")
    assert "张伟" not in client.get(reverse("ledger:entry_results"), {"q": "zw"}).content.decode()
    assert LedgerEntry.objects.get(pk=zhang.pk).category == "returnee"
    assert not LedgerEntryEvent.objects.exists()


def test_it_forbids_the_ledger_to_volunteers(client_for, erin, ledger):
    client = client_for(erin)
    wang = ledger["wang"]
    for url in (
        reverse("ledger:entries"),
        reverse("ledger:entry_results"),
        reverse("ledger:entry_detail", args=[wang.external_id]),
        reverse("ledger:entry_edit", args=[wang.external_id]),
        reverse("ledger:person_entries", args=[wang.person.external_id]),
        reverse("ledger:entry_create", args=[wang.person.external_id]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("ledger:entry_bulk"), {}).status_code == 403


def test_it_lets_the_auditor_read_but_not_change(client_for, dave, ledger):
    client = client_for(dave)
    wang = ledger["wang"]
    page = entries_page(client)
    assert "王金水" in rows_of(page) and 'id="bulk-form"' not in page
    assert client.get(reverse("ledger:entry_detail", args=[wang.external_id])).status_code == 200
    assert client.get(reverse("ledger:entry_edit", args=[wang.external_id])).status_code == 403


def test_it_removes_the_local_contacts_phone_only_when_asked(client_for, alice, ledger):
    entry = ledger["wang"]
    entry.local_contact_phone = "13700001111"
    entry.save()
    url = reverse("ledger:entry_edit", args=[entry.external_id])
    form = {"category": "returnee", "status": "pending", "local_contact_phone": ""}
    assert "remove_local_contact_phone" in client_for(alice).get(url).content.decode()

    client_for(alice).post(url, {**form, "remove_local_contact_phone": "on"})

    entry.refresh_from_db()
    assert entry.local_contact_phone == ""
    event = LedgerEntryEvent.objects.get(entry=entry, kind=EventKind.CHANGED)
    assert event.changes["local_contact_phone"] == ["137****1111", ""]
    # Nothing stored: nothing to remove, so the box is not offered.
    assert "remove_local_contact_phone" not in client_for(alice).get(url).content.decode()


def test_it_pages_the_list_keeping_the_filters(client_for, carol, village_b, settings):
    settings.PAGE_SIZE = 2
    for name in ("甲一", "甲二", "甲三"):
        make_entry(make_person(village_b, name), category="fever")
    make_entry(make_person(village_b, "乙四"))  # another category: filtered out

    page = entries_page(client_for(carol), category="fever")

    assert 'href="/ledger/?category=fever&amp;page=2"' in page
    second = entries_page(client_for(carol), category="fever", page="2")
    assert rows_of(second).count('class="pick"') == 1
