"""Verification tasks: the list (overdue first, counts) and the one-screen verify form."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.ledger.models import EventKind, LedgerEntryEvent, Status, VerificationTask
from fangyi.ledger.testing import make_entry
from fangyi.ledger.tests.test_entry_pages import make_task
from fangyi.testing import make_person


@pytest.fixture
def client_for(client):
    """Logged in, reading the pages in Chinese (conftest's client_for reads them in English)."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def tasks(village_a, village_b):
    """东村: one task due later, one overdue, one verified today; 西村: one overdue."""
    later = make_task(make_entry(make_person(village_a, "王金水")), hours_left=6)
    late = make_task(make_entry(make_person(village_a, "李娜")), hours_left=-2)
    done = make_task(make_entry(make_person(village_a, "孙悟")), hours_left=-2)
    VerificationTask.objects.filter(pk=done.pk).update(
        result="already_screened", verified_at=timezone.now()
    )
    bobs = make_task(make_entry(make_person(village_b, "张伟")), hours_left=-5)
    return {"later": later, "late": late, "done": done, "bobs": bobs}


def test_it_lists_open_tasks_overdue_first_with_counts(client_for, alice, tasks):
    page = client_for(alice).get(reverse("ledger:tasks")).content.decode()
    rows = page.split('id="task-rows"', 1)[1].split("</ul>", 1)[0]
    assert rows.index("李娜") < rows.index("王金水")
    assert "孙悟" not in rows and "张伟" not in rows
    late_row = rows.split(f'data-task="{tasks["late"].pk}"', 1)[0].rsplit("<li", 1)[1]
    assert "overdue" in late_row
    counts = page.split('id="task-counts"', 1)[1]
    for key, value in (("open", 2), ("overdue", 1), ("done_today", 1)):
        figure = counts.split(f'data-count="{key}"', 1)[1].split("</div>", 1)[0]
        assert f">{value}<" in figure, key


def test_it_counts_the_whole_town_for_the_commander(client_for, carol, tasks):
    page = client_for(carol).get(reverse("ledger:tasks")).content.decode()
    counts = page.split('id="task-counts"', 1)[1]
    overdue = counts.split('data-count="overdue"', 1)[1].split("</div>", 1)[0]
    assert ">2<" in overdue


def test_it_lists_tasks_in_a_bounded_number_of_queries(
    client_for, alice, village_a, django_assert_max_num_queries
):
    for i in range(30):
        make_task(make_entry(make_person(village_a, f"王{i}")), hours_left=i - 10, row=i + 2)
    client = client_for(alice)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("ledger:tasks"))
    assert response.content.decode().count("data-task=") == 25


def test_it_verifies_a_task_and_goes_back_to_the_list(client_for, alice, tasks):
    task = tasks["late"]
    client = client_for(alice)
    form = client.get(reverse("ledger:task_verify", args=[task.pk])).content.decode()
    assert 'type="radio"' in form and "李娜" in form
    response = client.post(
        reverse("ledger:task_verify", args=[task.pk]),
        {
            "result": "newly_found",
            "status": "home_quarantine",
            "symptoms": "咳嗽",
            "note": "已上门",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("ledger:tasks")
    assert 'class="notice success"' in response.content.decode()
    task.refresh_from_db()
    assert (task.result, task.verified_by, task.note) == ("newly_found", alice, "已上门")
    entry = task.entry
    entry.refresh_from_db()
    assert (entry.status, entry.symptoms) == (Status.HOME_QUARANTINE, "咳嗽")
    event = LedgerEntryEvent.objects.get(entry=entry, kind=EventKind.VERIFIED)
    assert {"status", "symptoms", "verification"} <= set(event.changes)
    rows = response.content.decode().split('id="task-rows"', 1)[1].split("</ul>", 1)[0]
    assert "李娜" not in rows


def test_it_derives_the_status_from_a_wrong_information_result(client_for, alice, tasks):
    task = tasks["later"]
    response = client_for(alice).post(
        reverse("ledger:task_verify", args=[task.pk]), {"result": "wrong_info"}
    )
    assert response.status_code == 302
    task.entry.refresh_from_db()
    assert task.entry.status == Status.WRONG_INFO


def test_it_shows_a_missing_result_inline(client_for, alice, tasks):
    task = tasks["late"]
    response = client_for(alice).post(
        reverse("ledger:task_verify", args=[task.pk]),
        {"status": "home_quarantine", "note": "门口没人"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-field="result"' in page and 'value="门口没人"' in page
    task.refresh_from_db()
    assert task.result == ""


def test_it_shows_a_missing_status_inline(client_for, alice, tasks):
    task = tasks["late"]
    response = client_for(alice).post(
        reverse("ledger:task_verify", args=[task.pk]), {"result": "newly_found"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-field="status"' in page
    radio = page.split('value="newly_found"', 1)[1].split(">", 1)[0]
    assert "checked" in radio  # the chosen result is kept
    task.refresh_from_db()
    assert task.result == "" and not LedgerEntryEvent.objects.exists()


def test_it_says_when_a_task_was_already_verified(client_for, alice, tasks):
    page = client_for(alice).get(reverse("ledger:task_verify", args=[tasks["done"].pk]))
    assert 'class="notice small"' in page.content.decode()


def test_alice_cannot_open_or_verify_bobs_task(client_for, alice, tasks):
    task = tasks["bobs"]
    client = client_for(alice)
    url = reverse("ledger:task_verify", args=[task.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"result": "newly_found", "status": "left"}).status_code == 404
    assert (
        client.get(reverse("ledger:entry_detail", args=[task.entry.external_id])).status_code == 404
    )
    task.refresh_from_db()
    assert task.result == ""


def test_it_forbids_tasks_to_volunteers_and_verifying_to_auditors(client_for, erin, dave, tasks):
    client = client_for(erin)
    assert client.get(reverse("ledger:tasks")).status_code == 403
    assert client.get(reverse("ledger:task_verify", args=[tasks["late"].pk])).status_code == 403
    client = client_for(dave)
    page = client.get(reverse("ledger:tasks")).content.decode()
    assert reverse("ledger:task_verify", args=[tasks["late"].pk]) not in page
    response = client.post(
        reverse("ledger:task_verify", args=[tasks["late"].pk]), {"result": "newly_found"}
    )
    assert response.status_code == 403


def test_it_does_not_count_yesterdays_work_as_done_today(client_for, alice, tasks):
    VerificationTask.objects.filter(pk=tasks["done"].pk).update(
        verified_at=timezone.now() - timedelta(days=2)
    )
    page = client_for(alice).get(reverse("ledger:tasks")).content.decode()
    figure = page.split('data-count="done_today"', 1)[1].split("</div>", 1)[0]
    assert ">0<" in figure
