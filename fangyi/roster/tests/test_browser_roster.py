"""A town commander's path through a roster in real Chromium (zh-CN): create it on the page,
solve it, open the week grid, click a shift, remove someone and add someone, with the choice
checked before it is submitted."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import screenshot
from fangyi.roster import services
from fangyi.roster.models import Assignment, Roster
from fangyi.roster.testing import SYSTEM, make_small_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_creates_solves_and_edits_a_roster_from_the_grid(page_for, carol, town, village_a):
    small = make_small_town(town, village_a)
    starts_on = timezone.localdate() + timedelta(days=1)
    page = page_for(carol, 1280)

    page.goto("/roster/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.fill("#id_days", "0")
    page.fill("#id_starts_on", starts_on.isoformat())
    page.click("#roster-create")
    expect(page.locator("p.error[data-field=days]")).to_be_visible()  # days 1–28, kept typed
    expect(page.locator("#id_days")).to_have_value("0")
    screenshot(page, "roster-new-error-1280")
    assert not Roster.objects.exists()
    page.fill("#id_days", "7")
    page.click("#roster-create")
    page.wait_for_selector("#week-grid")
    roster = Roster.objects.get()
    assert roster.days == 7 and roster.town_id == town.code
    screenshot(page, "roster-new-1280")

    services.solve_roster(SYSTEM, roster, time_limit=1)
    page.goto(f"/roster/{roster.pk}/?checkpoint={small.gate.pk}")
    expect(page.locator("#checkpoint-picker .chosen")).to_have_text("东村村口")
    expect(page.locator("#checkpoint-picker")).to_contain_text("青山镇东入口")
    expect(page.locator("#fig-result")).to_have_text(Roster.objects.get().result)
    screenshot(page, "roster-grid-1280")

    shift = roster.shifts.filter(checkpoint=small.gate).order_by("starts_at").first()
    on_it = list(shift.assignments.select_related("staff").order_by("pk"))
    assert on_it, "the solver put people on the gate"
    leaving = on_it[0].staff
    page.click(f"td[data-shift='{shift.pk}'] .cell-link")
    dialog = page.locator("#shift-dialog")
    expect(dialog).to_have_attribute("open", "")
    expect(dialog.locator("#shift-title")).to_contain_text("东村村口")
    expect(dialog.locator("#shift-people")).to_contain_text(leaving.name)
    screenshot(page, "roster-shift-dialog-1280")

    dialog.locator(f"li[data-assignment='{on_it[0].pk}'] button.remove").click()
    expect(dialog.locator(f"li[data-assignment='{on_it[0].pk}']")).to_have_count(0)
    assert not Assignment.objects.filter(pk=on_it[0].pk).exists()
    expect(page.locator(f"td[data-shift='{shift.pk}']")).not_to_contain_text(leaving.name)

    # Someone busy at the same time is refused before submitting; someone free is OK.
    shift.refresh_from_db()
    pool = list(small.staff)
    busy = next(s for s in pool if services.assignment_problems(shift, s) and s.role == "police")
    free = next(s for s in pool if s != leaving and not services.assignment_problems(shift, s))
    dialog.locator("#add-staff").select_option(str(busy.pk))
    expect(dialog.locator("#check-result")).to_have_attribute("data-ok", "no")
    expect(dialog.locator("#check-result")).to_contain_text(busy.name)
    dialog.locator("#add-staff").select_option(str(free.pk))
    expect(dialog.locator("#check-result")).to_have_attribute("data-ok", "yes")
    dialog.locator("#add-submit").click()
    expect(dialog.locator("#shift-people")).to_contain_text(free.name)
    expect(page.locator(f"td[data-shift='{shift.pk}']")).to_contain_text(free.name)
    assert Assignment.objects.filter(shift=shift, staff=free, locked=True).exists()
    screenshot(page, "roster-shift-added-1280")
    dialog.locator("#shift-close").click()
    expect(dialog).not_to_have_attribute("open", "")
    expect(page.locator("#history")).to_contain_text(free.name)

    phone = page_for(carol, 360)
    phone.goto("/roster/")
    screenshot(phone, "roster-list-360")
    phone.goto(f"/roster/{roster.pk}/?checkpoint={small.entrance.pk}")
    expect(phone.locator("#week-grid")).to_be_visible()
    screenshot(phone, "roster-grid-360")
    entrance_shift = roster.shifts.filter(checkpoint=small.entrance).order_by("starts_at").first()
    phone.click(f"td[data-shift='{entrance_shift.pk}'] .cell-link")
    expect(phone.locator("#shift-dialog")).to_have_attribute("open", "")
    screenshot(phone, "roster-shift-dialog-360")
