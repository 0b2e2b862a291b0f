"""A staff member's phone in real Chromium (zh-CN, 360 px): a published roster on "my shifts",
check in when the window opens, check out at the end; and the town's duty pages at 360 and
1280 px (screenshots in test-output/)."""

from datetime import date

import pytest
from playwright.sync_api import expect

from fangyi.conftest import screenshot
from fangyi.quarantine.testing import freeze_clock, local_time
from fangyi.roster import services
from fangyi.roster.models import Assignment, DutyRole
from fangyi.roster.testing import SYSTEM, make_small_town, make_staff_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = date(2026, 12, 10)


@pytest.fixture
def published(town, village_a, erin):
    """A week's roster from DAY, solved and published, with erin's 王警官 at the town entrance
    on DAY 08:00–16:00."""
    small = make_small_town(town, village_a)
    me = make_staff_member(town, "王警官", DutyRole.POLICE, user=erin, phone="13800138000")
    roster = small.roster(DAY, days=7)
    shift = roster.shifts.get(checkpoint=small.entrance, starts_at=local_time(DAY, 8))
    mine = services.assign_staff(SYSTEM, shift, me)
    services.solve_roster(SYSTEM, roster, time_limit=1, now=local_time(DAY, 0))
    services.publish_roster(SYSTEM, roster)
    return small, roster, mine


def test_it_checks_in_and_out_from_the_phone(page_for, erin, published, monkeypatch):
    mine = published[2]
    clock = freeze_clock(monkeypatch, local_time(DAY, 7, 20))
    page = page_for(erin, 360)
    page.goto("/roster/mine/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    card = page.locator(f".shift-card[data-assignment='{mine.pk}']")
    expect(card).to_contain_text("青山镇东入口")
    expect(card).to_contain_text("08:00–16:00")
    expect(card.locator("button.check-in")).to_have_count(0)  # opens at 07:30
    expect(page.locator(".topbar a[href='/roster/mine/']")).to_be_visible()

    clock.at = local_time(DAY, 7, 40)
    page.reload()
    button = card.locator("button.check-in")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 300  # a thumb-sized button
    screenshot(page, "duty-mine-360")
    button.click()
    expect(card.locator(".checked")).to_contain_text("07:40")
    expect(card.locator("button.check-out")).to_be_visible()
    screenshot(page, "duty-mine-checked-in-360")
    mine.refresh_from_db()
    assert mine.checked_in_at == local_time(DAY, 7, 40)

    clock.at = local_time(DAY, 16, 5)
    card.locator("button.check-out").click()
    expect(page.locator("#past-shifts")).to_contain_text("青山镇东入口")
    expect(page.locator("#my-hours .figure .value").first).to_have_text("8.4")
    screenshot(page, "duty-mine-checked-out-360")
    mine.refresh_from_db()
    assert mine.checked_out_at == local_time(DAY, 16, 5)
    assert Assignment.objects.get(pk=mine.pk).hours_worked == pytest.approx(8 + 25 / 60)

    wide = page_for(erin, 1280)
    wide.goto("/roster/mine/")
    screenshot(wide, "duty-mine-1280")


def test_it_shows_the_towns_duty_pages_on_a_phone_and_a_desk(
    page_for, carol, erin, published, monkeypatch
):
    small, roster, mine = published
    freeze_clock(monkeypatch, local_time(DAY, 6))
    colleague = next(
        s
        for s in small.staff
        if s.assignments.filter(shift__starts_at__gt=local_time(DAY, 6)).exists()
        and not services.assignment_problems(mine.shift, s, ignoring=[mine.pk])
    )
    services.request_swap(SYSTEM, mine, colleague, reason="家里有事")
    staff_member = small.staff[0]
    pages = {
        "staff-list": "/roster/staff/",
        "staff-detail": f"/roster/staff/{staff_member.pk}/",
        "demand": "/roster/demand/",
        "demand-edit": f"/roster/demand/{small.entrance.pk}/",
        "swaps": "/roster/swaps/",
        "hours": f"/roster/hours/?roster={roster.pk}",
    }
    for width in (360, 1280):
        page = page_for(carol, width)
        for name, url in pages.items():
            page.goto(url)
            expect(page.locator("main h1")).to_be_visible()
            screenshot(page, f"duty-{name}-{width}")
    phone = page_for(erin, 360)
    phone.goto(f"/roster/mine/{mine.pk}/swap/")
    phone.locator("#id_with_staff").select_option(str(colleague.pk))
    # htmx reloads the colleague's shifts of this roster to take one in exchange.
    theirs = Assignment.objects.filter(
        staff=colleague, shift__roster=roster, shift__starts_at__gt=local_time(DAY, 6)
    ).count()
    expect(phone.locator("#id_their_assignment option")).to_have_count(theirs + 1)
    screenshot(phone, "duty-swap-form-360")
