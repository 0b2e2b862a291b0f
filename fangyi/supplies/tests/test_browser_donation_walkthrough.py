"""Issue 7's donation walk in real Chromium (zh-CN), through the pages only: the town commander
receives a company's 2,000 masks into the town warehouse and opens the receipt PDF; the village
cadre of 东村 asks for 800, the town approves and issues 600, the village confirms receipt and
issues 450 for use at its checkpoint; then an anonymous visitor reads the town's thank-you list
and the donation's "where it went" page, whose figures add up to the 2,000 received.

Only the setting (town, villages, users, the item, the stores, stock bought earlier) is made
with builders; every step of the walk is a click in a page. Screenshots in test-output/: 1280 px
for carol, 360 px for alice and the public."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import screenshot
from fangyi.supplies.models import Donation, Requisition
from fangyi.supplies.testing import make_item, make_store, stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DONOR = "青山制药有限公司"
CONTACT = "钱经理"
PHONE = "13912345678"
BATCH = "JZ-2026-117"
CHECKPOINT_TEAM = "东村卡口值守组"


@pytest.fixture
def world(town, village_a, village_b):
    mask = make_item("医用外科口罩", threshold=100)
    make_item("一次性手套", unit="副")
    warehouse = make_store(town)
    # Masks bought earlier, expiring after the donated ones: the warehouse issues the donated
    # batch first (earliest expiry), and none of these belong to the donation's trail.
    today = timezone.localdate()
    stock(warehouse, mask, 500, batch_number="GM-01", expires_on=today + timedelta(days=700))
    east = make_store(village_a)
    make_store(village_b)
    return {"mask": mask, "warehouse": warehouse, "east": east, "today": today}


def cells(row) -> list[str]:
    """The texts of a table row's cells, whitespace squeezed."""
    return [re.sub(r"\s+", " ", text).strip() for text in row.locator("td").all_inner_texts()]


def test_it_walks_a_donation_from_the_donor_to_the_checkpoint_and_into_public(
    page_for, browser, live_server, alice, carol, world
):
    mask, warehouse, east = world["mask"], world["warehouse"], world["east"]
    expires = world["today"] + timedelta(days=365)

    # 1. carol, at her desk, receives the donation into the town warehouse.
    desk = page_for(carol, 1280)
    desk.goto("/supplies/donations/new/")
    expect(desk.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(desk.locator("#id_store")).to_have_value(str(warehouse.pk))  # the warehouse first
    desk.fill("#id_donor_name", DONOR)
    desk.check("input[name='donor_kind'][value='company']")
    desk.fill("#id_contact_name", CONTACT)
    desk.fill("#id_contact_phone", PHONE)
    desk.select_option("#id_lines-0-item", str(mask.pk))
    desk.fill("#id_lines-0-quantity", "2000")
    desk.fill("#id_lines-0-batch_number", BATCH)
    desk.fill("#id_lines-0-expires_on", expires.isoformat())
    desk.fill("#id_lines-0-maker", "青山医疗器械厂")
    screenshot(desk, "supplies-walk-donation-form-1280")
    desk.click("#donation-form button.primary")
    desk.wait_for_url(re.compile(r"/supplies/donations/[0-9a-f-]{36}/$"))
    donation = Donation.objects.get()
    assert donation.donor_name == DONOR and donation.store == warehouse
    expect(desk.locator("#donation-facts")).to_contain_text(donation.receipt_number)
    expect(desk.locator("#donation-facts")).not_to_contain_text(PHONE)  # masked to staff too
    screenshot(desk, "supplies-walk-donation-received-1280")

    receipt_url = desk.locator("#print-receipt").get_attribute("href")
    assert receipt_url == f"/supplies/donations/{donation.external_id}/receipt.pdf"
    receipt = desk.request.get(receipt_url)
    assert receipt.status == 200
    assert receipt.headers["content-type"] == "application/pdf"
    assert receipt.body().startswith(b"%PDF")

    # 2. alice, on her phone, asks the town for 800 for her village store.
    phone = page_for(alice, 360)
    phone.goto("/supplies/requisitions/new/")
    expect(phone.locator("#id_store")).to_have_value(str(east.pk))  # her only store
    phone.fill("#id_purpose", "东村卡口两周用量")
    phone.select_option("#id_item_1", str(mask.pk))
    phone.fill("#id_quantity_1", "800")
    screenshot(phone, "supplies-walk-requisition-form-360")
    phone.click("#requisition-submit")
    expect(phone.locator(".badge.req-submitted")).to_be_visible()
    screenshot(phone, "supplies-walk-requisition-sent-360")
    requisition = Requisition.objects.get()
    line = requisition.lines.get()

    # carol approves 600 of it from the warehouse and issues.
    desk.goto("/supplies/requisitions/")
    desk.click(f"a[href='/supplies/requisitions/{requisition.pk}/']")
    expect(desk.locator(f"tr[data-line='{line.pk}'] td.can-issue")).to_contain_text("2500")
    desk.select_option("#id_from_store", str(warehouse.pk))
    desk.fill(f"#id_line_{line.pk}", "600")
    desk.fill("#id_note", "先发600，余下下周")
    screenshot(desk, "supplies-walk-requisition-decide-1280")
    desk.click("#approve")
    expect(desk.locator(".badge.req-approved")).to_be_visible()
    desk.click("#issue")
    expect(desk.locator(".badge.req-issued")).to_be_visible()
    screenshot(desk, "supplies-walk-requisition-issued-1280")

    # alice confirms receipt.
    phone.goto(f"/supplies/requisitions/{requisition.pk}/")
    expect(phone.locator("#requisition-facts")).to_contain_text("先发600，余下下周")
    phone.click("#confirm")
    expect(phone.locator(".badge.req-received")).to_be_visible()
    screenshot(phone, "supplies-walk-requisition-received-360")

    # 3. alice issues 450 for use to the checkpoint's duty team.
    phone.click("#to-store")
    phone.wait_for_url(f"**/supplies/stores/{east.pk}/")
    phone.click("#action-issue")
    phone.wait_for_url(f"**/supplies/stores/{east.pk}/issue/")
    phone.fill("#id_recipient", CHECKPOINT_TEAM)
    phone.select_option("#id_item_1", str(mask.pk))
    phone.fill("#id_quantity_1", "450")
    screenshot(phone, "supplies-walk-issue-form-360")
    phone.click("#stock-submit")
    expect(phone.locator("#movement-rows")).to_contain_text(CHECKPOINT_TEAM)
    screenshot(phone, "supplies-walk-store-after-use-360")

    # 4. An anonymous visitor, not logged in, on a phone.
    context = browser.new_context(
        viewport={"width": 360, "height": 780}, locale="zh-CN", base_url=live_server.url
    )
    try:
        visitor = context.new_page()
        visitor.goto("/supplies/public/999901100/thanks/")
        assert "/login/" not in visitor.url
        rows = visitor.locator("#thanks-rows li")
        expect(rows).to_have_count(1)
        entry = rows.first
        expect(entry.locator(".thanks-name")).to_have_text(DONOR)
        expect(entry.locator(".donated-line")).to_contain_text("医用外科口罩")
        expect(entry.locator(".donated-line b")).to_have_text("2000")
        page_text = visitor.locator("main").inner_text()
        for secret in (PHONE, "139****5678", CONTACT, "5678"):
            assert secret not in page_text
        assert PHONE not in visitor.content()
        screenshot(visitor, "supplies-walk-public-thanks-360")

        entry.locator("a").click()
        visitor.wait_for_url(f"**/supplies/public/donation/{donation.external_id}/")
        trail = visitor.locator("#trail article.trail-batch")
        expect(trail).to_have_count(1)  # the bought masks are not the donor's
        expect(trail).to_have_attribute("data-balanced", "yes")
        expect(trail.locator(".trail-meta")).to_contain_text(BATCH)
        expect(trail.locator(".trail-received")).to_contain_text("2000")
        sums = [b.strip() for b in trail.locator(".trail-sum li b").all_inner_texts()]
        assert sums == ["450", "1550"]  # issued for use, still in stock (600 - 450 + 1400)

        store_rows = trail.locator("table.trail-table tbody tr")
        expect(store_rows).to_have_count(2)
        town_row = cells(store_rows.filter(has_text=warehouse.name))
        village_row = cells(store_rows.filter(has_text=east.name))
        # store, received / arrived, passed on, issued for use (to), stocktake loss, in stock
        assert town_row[1:] == ["2000", "600", "—", "—", "1400"]
        assert "东村" in village_row[0]
        assert village_row[1] == "600"
        assert village_row[2] == "—"
        assert CHECKPOINT_TEAM in village_row[3] and " 450 " in f" {village_row[3]} "
        assert village_row[4:] == ["—", "150"]
        used = int(re.search(r"\s(\d+)\s", f" {village_row[3]} ").group(1))
        # used + left in the village + left in the warehouse = what the donor gave
        assert used + int(village_row[5]) + int(town_row[5]) == int(town_row[1]) == 2000

        page_text = visitor.locator("main").inner_text()
        for secret in (PHONE, "139****5678", CONTACT, carol.full_name, alice.full_name):
            assert secret not in page_text
        screenshot(visitor, "supplies-walk-public-donation-360")

        # The staff pages stay closed to the visitor: the receipt is not handed out.
        closed = visitor.request.get(receipt_url, max_redirects=0)
        assert closed.status == 302 and "/login/" in closed.headers["location"]
    finally:
        context.close()
