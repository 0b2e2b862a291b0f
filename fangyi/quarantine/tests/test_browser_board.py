"""The quarantine pages in real Chromium: a volunteer on a 360 px phone opens "my people
today", records a temperature by tapping and sees it done; a fever shows red and its alert is
on the town's board. Screenshots of the board, "my people today" and an order at 360 and
1280 px go to test-output/. (Taps are clicks: the shared page_for context has no touch.)"""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from fangyi.conftest import screenshot
from fangyi.core.audit import Actor
from fangyi.core.models import QuarantineKind
from fangyi.core.roles import Role
from fangyi.quarantine import services
from fangyi.quarantine.models import CheckMethod, CheckStatus, FollowUp
from fangyi.quarantine.testing import freeze_clock, local_time, make_order, make_site, set_profile
from fangyi.testing import make_person, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FEB_1 = date(2020, 2, 1)


@pytest.fixture
def world(monkeypatch, town, village_a, village_b, alice, erin):
    """Orders opened on 2020-02-01 06:00; the pages are used on day 3 at 09:00."""
    clock = freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))
    set_profile(team_roles=["village_cadre", "police", "doctor", "volunteer"])
    team = {
        Role.VILLAGE_CADRE: alice,
        Role.POLICE: make_user("wu", Role.POLICE, town, "吴警官"),
        Role.DOCTOR: make_user("sun", Role.DOCTOR, town, "孙医生"),
        Role.VOLUNTEER: erin,
    }
    zhang = make_order(
        make_person(village_a, "张三", current_address="东村3组12号"), team=team, start_date=FEB_1
    )
    li = make_order(
        make_person(village_a, "李四"), team=team, start_date=FEB_1, address="东村5组2号"
    )
    site = make_site(town)
    zhao = make_order(
        make_person(village_a, "赵六"),
        QuarantineKind.CENTRALIZED,
        site=site,
        room=site.rooms.get(number="103"),
        team=team,
        start_date=FEB_1,
    )
    make_order(make_person(village_b, "钱七"), QuarantineKind.HOME_MONITORING, start_date=FEB_1)
    for order in (zhang, zhao):
        for check in order.checks.filter(day__lte=2).order_by("due_at"):
            services.record_check(
                Actor.system("test"),
                check,
                temperature="36.5",
                method=CheckMethod.DOOR,
                now=check.due_at + timedelta(minutes=20),
            )
    li_first = li.checks.get(day=1, slot=1)
    services.record_check(
        Actor.system("test"),
        li_first,
        temperature="36.8",
        method=CheckMethod.PHONE,
        now=li_first.due_at,
    )
    clock.at = local_time(FEB_1 + timedelta(days=2), 9, 0)
    return {"zhang": zhang, "li": li, "zhao": zhao, "team": team}


def card(page, name: str):
    return page.locator(".pcard", has=page.locator(".pcard-name", has_text=name))


def record_by_tapping(page, name: str, digits: str, symptom: str | None = None):
    due = card(page, name).locator('.slot[data-state="due"]')
    due.locator("a.record").click()
    form = card(page, name).locator("form.slot-form")
    expect(form).to_be_visible()
    field = form.locator(".temp-input")
    field.click()
    page.keyboard.type(digits)
    if symptom:
        form.locator("label.toggle", has_text=symptom).click()
    form.locator("button.save-check").click()


def test_it_records_at_the_door_and_a_fever_reaches_the_board(page_for, world, carol, erin):
    phone = page_for(erin, 360)
    phone.goto("/quarantine/mine/")
    expect(card(phone, "李四")).to_have_class("pcard overdue")
    screenshot(phone, "quarantine-mine-360")

    record_by_tapping(phone, "张三", "36.6")
    done = card(phone, "张三").locator('.slot[data-state="done"]').last
    expect(done).to_contain_text("36.6 °C")
    expect(done).to_contain_text("✓")
    assert FollowUp.objects.get(order=world["zhang"], day=3, slot=1).status == CheckStatus.DONE

    record_by_tapping(phone, "李四", "373")  # a slip of the finger: the service's suggestion
    expect(card(phone, "李四").locator(".error")).to_contain_text("37.3")
    field = card(phone, "李四").locator(".temp-input")
    field.fill("")
    field.click()
    phone.keyboard.type("38.4")
    expect(field).to_have_class("temp-input fever")  # red while typed
    card(phone, "李四").locator("label.toggle", has_text="干咳").click()
    card(phone, "李四").locator("button.save-check").click()
    fever = card(phone, "李四").locator('.slot[data-fever="yes"]')
    expect(fever).to_contain_text("38.4 °C")
    expect(fever.locator(".slot-alerted")).to_be_visible()
    colour = fever.evaluate("el => getComputedStyle(el).borderTopColor")
    assert colour == "rgb(192, 57, 43)"
    screenshot(phone, "quarantine-mine-recorded-360")

    wall = page_for(carol, 1280)
    wall.goto("/quarantine/")
    expect(wall.locator("#board-alerts")).to_contain_text("李四")
    expect(wall.locator('[data-figure="alerts-fever"] .value')).to_have_text("1")
    expect(wall.locator('#board-table tr[data-code="999901100201"]')).to_contain_text("3")
    expect(wall.locator("#board-missed")).to_contain_text("李四")
    screenshot(wall, "quarantine-board-1280")

    small = page_for(carol, 360)
    small.goto("/quarantine/")
    screenshot(small, "quarantine-board-360")


def test_it_draws_the_order_detail_on_a_phone_and_a_desk(page_for, world, carol):
    li = world["li"]
    for width in (360, 1280):
        page = page_for(carol, width)
        page.goto(f"/quarantine/orders/{li.external_id}/")
        expect(page.locator("#check-grid")).to_be_visible()
        expect(page.locator('#check-grid td[data-state="missed"]')).to_have_count(3)
        expect(page.locator("#self-report svg")).to_be_visible()
        expect(page.locator("#release-problems")).to_contain_text("未记录的检测")
        screenshot(page, f"quarantine-order-{width}")
    # The phone's page does not scroll sideways (the grid scrolls inside its box).
    page = page_for(carol, 360)
    page.goto(f"/quarantine/orders/{li.external_id}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
