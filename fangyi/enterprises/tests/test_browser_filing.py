"""A company files to resume work in real Chromium (zh-CN): on a 360 px phone the contact signs
the commitment, uploads the plan, gives the supplies reserve and uploads the employee roster
(one employee in home quarantine is flagged, one broken ID number is reported by row), then
submits; the town inspects on site and approves at 1280 px; the contact sees "approved".
Screenshots in test-output/."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import screenshot
from fangyi.core.identity import mask_id_number
from fangyi.core.roles import Role
from fangyi.enterprises.models import Filing, FilingStatus
from fangyi.enterprises.tests.test_filing_pages import (
    PDF,
    good_rows,
    make_enterprise,
    roster_bytes,
)
from fangyi.quarantine.testing import make_order
from fangyi.testing import make_person, make_user, unique_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def filing_world(village_a, carol, tmp_path):
    zhou = make_user("zhou", Role.ENTERPRISE_CONTACT, village_a, "周经理")
    firm = make_enterprise(village_a, "青山机械厂", contacts=[zhou])
    person = make_person(village_a, "钱隔离", id_number=unique_id_number())
    order = make_order(person, start_date=timezone.localdate() - timedelta(days=2))
    rows = [
        *good_rows(3),
        ("钱隔离", person.id_number, "13900001111", "东村3组12号", "武汉返乡", "健康"),
        ("孙错号", "110101199003071234", "13900002222", "东村", "本地", "健康"),
    ]
    roster = tmp_path / "员工花名册.xlsx"
    roster.write_bytes(roster_bytes(rows))
    plan = tmp_path / "防控方案和应急预案.pdf"
    plan.write_bytes(PDF)
    return {
        "zhou": zhou,
        "firm": firm,
        "person": person,
        "order": order,
        "roster": roster,
        "plan": plan,
    }


def test_it_files_submits_and_gets_approved(page_for, carol, filing_world):
    world = filing_world
    page = page_for(world["zhou"], 360)
    page.goto("/enterprises/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    screenshot(page, "enterprise-mine-360")
    page.locator(".enterprise-card button.primary").click()
    expect(page.locator("#step-commitment")).to_be_visible()

    planned = (timezone.localdate() + timedelta(days=3)).isoformat()
    page.fill("#id_planned_reopening", planned)
    page.fill("#id_commitment_signed_by", "周建国")
    page.check("#id_commitment")
    for name, days in (("mask", "7"), ("thermometer", "10"), ("disinfectant", "7")):
        page.fill(f"#id_{name}_days", days)
    page.fill("#id_isolation_rooms", "1")
    button = page.locator("#save-filing")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 300  # a thumb-sized button
    button.click()
    expect(page.locator("#step-commitment")).to_have_class("card step done")

    page.set_input_files("#id_plan", str(world["plan"]))
    page.click("#upload-plan")
    expect(page.locator("#plan-name")).to_contain_text("防控方案和应急预案.pdf")

    page.set_input_files("#id_roster", str(world["roster"]))
    page.click("#upload-roster")
    counts = page.locator("#roster-counts .figure .value")
    expect(counts.nth(0)).to_have_text("4")  # employees imported
    expect(counts.nth(1)).to_have_text("1")  # flagged
    errors = page.locator("#roster-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first.locator("td").first).to_have_text("6")  # sheet row 6: the broken ID
    flagged = page.locator("#flagged-employees li")
    expect(flagged).to_have_count(1)
    expect(flagged.first).to_contain_text("钱隔离")
    expect(flagged.first).to_contain_text(mask_id_number(world["person"].id_number))
    end = world["order"].planned_end_date
    expect(flagged.first.locator(".flag-quarantine")).to_contain_text(str(end.day))
    assert world["person"].id_number not in page.content()
    screenshot(page, "enterprise-filing-roster-360")

    page.click("#submit-filing")
    expect(page.locator("#filing-status .badge.filing-submitted")).to_be_visible()
    screenshot(page, "enterprise-filing-submitted-360")
    filing = Filing.objects.get(enterprise=world["firm"])
    assert filing.status == FilingStatus.SUBMITTED

    town = page_for(carol, 1280)
    town.goto("/enterprises/queue/")
    row = town.locator(f"#queue a[data-filing='{filing.external_id}']")
    expect(row).to_contain_text("青山机械厂")
    screenshot(town, "enterprise-queue-1280")
    row.click()
    expect(town.locator("#employee-list tbody tr").first).to_have_class("flagged")
    screenshot(town, "enterprise-review-1280")
    town.fill("#id_inspectors", "镇工作组 陈可")
    town.fill("#id_findings", "测温点、隔离室、消毒记录齐全")
    town.locator("#id_passed_0").check()
    town.click("#record-inspection")
    expect(town.locator("#inspections")).to_contain_text("镇工作组 陈可")
    town.click("#approve")
    expect(town.locator("#queue")).not_to_contain_text("青山机械厂")
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED

    page.reload()
    expect(page.locator("#filing-status .badge.filing-approved")).to_be_visible()
    expect(page.locator("#temperatures")).to_be_visible()
    screenshot(page, "enterprise-filing-approved-360")
    wide = page_for(world["zhou"], 1280)
    wide.goto(f"/enterprises/filings/{filing.external_id}/")
    screenshot(wide, "enterprise-filing-approved-1280")

    narrow_town = page_for(carol, 360)
    narrow_town.goto(f"/enterprises/filings/{filing.external_id}/review/")
    screenshot(narrow_town, "enterprise-review-360")
    narrow_town.goto("/enterprises/counts/")
    expect(narrow_town.locator("#by-village")).to_contain_text("东村")
    screenshot(narrow_town, "enterprise-counts-360")
