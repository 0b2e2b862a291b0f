"""The ledger in real Chromium: a village cadre verifying at the door on a 360 px phone, and the
town's list filtering and refreshing itself when someone else changes an entry."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fangyi.conftest import screenshot
from fangyi.core.audit import Actor
from fangyi.ledger import services
from fangyi.ledger.models import LedgerEntry, Status, VerificationTask
from fangyi.ledger.testing import import_file, make_entry, returnees, write_push_list_file
from fangyi.testing import make_person, unique_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pushed(tmp_path, carol, town, village_a, village_b):
    """A real push list imported for 青山镇: two people for 东村, one for 西村 (all overdue)."""
    rows = [
        *returnees("东村"),
        [
            "张伟",
            unique_id_number(),
            "13800009999",
            "湖北省武汉市",
            "2020-01-23",
            "客运",
            "",
            "青山镇西村1组",
        ],
    ]
    path = write_push_list_file(tmp_path / "县推送0128.xlsx", rows)
    push_list = import_file(Actor(user=carol), town, path, name="县推送0128")
    assert push_list.tasks.count() == 3
    return push_list


def test_it_lets_alice_verify_a_task_at_the_door_on_a_phone(page_for, alice, pushed):
    page = page_for(alice, 360)
    page.click(f"a[href='{reverse('ledger:tasks')}']")
    rows = page.locator("#task-rows li")
    expect(rows).to_have_count(2)  # 西村's task is not hers
    expect(page.locator("#task-rows li.overdue")).to_have_count(2)
    expect(page.locator("[data-count=open] .value")).to_have_text("2")
    screenshot(page, "ledger-tasks-360")

    page.click("#task-rows li:has-text('王金水') a")
    page.wait_for_selector("#verify-form")
    # The whole form fits on one 360 × 780 screen: the save button is visible without scrolling.
    assert page.locator("#verify-submit").bounding_box()["y"] + 44 <= 780 + 60
    page.click("#verify-submit")  # nothing chosen: the error is shown inline, on the same page
    expect(page.locator("[data-field=result]")).to_be_visible()
    screenshot(page, "ledger-verify-errors-360")
    page.check("input[name=result][value=newly_found]")
    page.select_option("#id_status", "home_quarantine")
    page.fill("#id_symptoms", "无")
    page.fill("#id_note", "已上门，门磁已装")
    screenshot(page, "ledger-verify-360")
    page.click("#verify-submit")

    page.wait_for_url(f"**{reverse('ledger:tasks')}")
    expect(page.locator(".notice.success")).to_contain_text("王金水")
    expect(page.locator("#task-rows li")).to_have_count(1)
    expect(page.locator("[data-count=done_today] .value")).to_have_text("1")
    screenshot(page, "ledger-tasks-after-verify-360")
    task = VerificationTask.objects.get(entry__person__name="王金水")
    assert (task.result, task.verified_by) == ("newly_found", alice)
    assert task.entry.status == Status.HOME_QUARANTINE

    # Another village's task is a 404, also by typing its address.
    bobs = VerificationTask.objects.get(entry__person__name="张伟")
    response = page.goto(reverse("ledger:task_verify", args=[bobs.pk]))
    assert response.status == 404


def test_it_shows_the_verify_form_on_a_desktop(page_for, alice, pushed):
    task = VerificationTask.objects.get(entry__person__name="李娜")
    page = page_for(alice, 1280)
    page.goto(reverse("ledger:task_verify", args=[task.pk]))
    expect(page.locator("input[name=result]")).to_have_count(6)
    screenshot(page, "ledger-verify-1280")


def test_it_filters_the_town_ledger_and_refreshes_for_others_changes(
    page_for, carol, alice, pushed, village_a
):
    make_entry(make_person(village_a, "赵六"), "fever", status=Status.HOME_QUARANTINE)
    page = page_for(carol, 1280)
    page.goto(reverse("ledger:entries"))
    expect(page.locator("#entry-rows li")).to_have_count(4)
    screenshot(page, "ledger-list-1280")

    page.fill("#id_q", "wjs")
    expect(page.locator("#entry-rows li")).to_have_count(1)
    expect(page.locator("#entry-rows li")).to_contain_text("王金水")
    assert "q=wjs" in page.url  # the filters are in the address, for reload and sharing

    # Someone else verifies 王金水: the open list shows it within a poll (~10 s), no reload.
    entry = LedgerEntry.objects.get(person__name="王金水")
    services.update_entry(Actor(user=alice), entry, status=Status.HOME_QUARANTINE)
    expect(page.locator("#entry-rows li[data-status=home_quarantine]")).to_have_count(
        1, timeout=15_000
    )
    expect(page.locator("#entry-rows li")).to_have_count(1)


def test_it_shows_the_ledger_list_on_a_phone_and_assigns_in_bulk(page_for, alice, pushed):
    page = page_for(alice, 360)
    page.goto(reverse("ledger:entries"))
    expect(page.locator("#entry-rows li")).to_have_count(2)
    screenshot(page, "ledger-list-360")
    page.check("#entry-rows li:has-text('李娜') input[name=entry]")
    page.select_option("#bulk-cadre", str(alice.pk))
    page.click("#bulk-assign")
    expect(page.locator(".notice.success")).to_be_visible()
    assert LedgerEntry.objects.get(person__name="李娜").responsible_cadre == alice
    assert LedgerEntry.objects.get(person__name="王金水").responsible_cadre is None
