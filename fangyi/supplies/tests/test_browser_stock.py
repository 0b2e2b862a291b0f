"""Supplies in real Chromium (zh-CN): a village cadre files a requisition on a phone; the town
approves part of it and issues; the village confirms receipt and records using some. Then the
stock pages at 360 and 1280 px (screenshots in test-output/)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.conftest import screenshot
from fangyi.supplies.models import Requisition, RequisitionStatus, StockLevel, Unit
from fangyi.supplies.testing import make_item, make_store, stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(town, village_a, village_b):
    mask = make_item("医用外科口罩", threshold=200)
    spirit = make_item("75%酒精", unit=Unit.LITRE, category="disinfection", specification="500ml")
    gloves = make_item("一次性手套", unit="副", threshold=100)
    warehouse = make_store(town)
    today = timezone.localdate()
    stock(warehouse, mask, 1000, batch_number="KZ-01", expires_on=today + timedelta(days=400))
    stock(warehouse, spirit, "30", batch_number="JJ-7", expires_on=today + timedelta(days=20))
    stock(warehouse, gloves, 80, batch_number="ST-2")
    east = make_store(village_a)
    stock(east, spirit, "2", batch_number="OLD", expires_on=today - timedelta(days=3))
    make_store(village_b)
    return {"mask": mask, "spirit": spirit, "gloves": gloves, "warehouse": warehouse, "east": east}


def test_it_walks_a_requisition_from_village_to_town_and_back(page_for, alice, carol, world):
    east, mask, spirit = world["east"], world["mask"], world["spirit"]
    phone = page_for(alice, 360)
    phone.goto("/supplies/requisitions/new/")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    phone.fill("#id_purpose", "东村卡点两周用量")
    phone.select_option("#id_item_1", str(mask.pk))
    phone.fill("#id_quantity_1", "600")
    phone.select_option("#id_item_2", str(spirit.pk))
    phone.fill("#id_quantity_2", "1.5")
    phone.select_option("#id_item_3", str(world["gloves"].pk))
    phone.fill("#id_quantity_3", "0.5")  # gloves are counted whole: refused, all kept
    phone.click("#requisition-submit")
    expect(phone.locator("#form-problems")).to_be_visible()
    expect(phone.locator("#id_quantity_1")).to_have_value("600")
    expect(phone.locator("#id_purpose")).to_have_value("东村卡点两周用量")
    screenshot(phone, "supplies-requisition-error-360")
    phone.fill("#id_quantity_3", "100")
    box = phone.locator("#requisition-submit").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 280
    phone.click("#requisition-submit")
    expect(phone.locator(".badge.req-submitted")).to_be_visible()
    screenshot(phone, "supplies-requisition-submitted-360")
    requisition = Requisition.objects.get()

    desk = page_for(carol, 1280)
    desk.goto("/supplies/requisitions/")
    desk.click(f"a[href='/supplies/requisitions/{requisition.pk}/']")
    lines = {line.item_id: line for line in requisition.lines.all()}
    gloves_row = desk.locator(f"tr[data-line='{lines[world['gloves'].pk].pk}']")
    expect(gloves_row).to_have_class("short")  # 100 asked, the warehouse has 80
    screenshot(desk, "supplies-requisition-decide-1280")
    desk.fill(f"#id_line_{lines[mask.pk].pk}", "1200")  # more than asked: refused
    desk.click("#approve")
    expect(desk.locator("#form-problems")).to_be_visible()
    expect(desk.locator(f"#id_line_{lines[mask.pk].pk}")).to_have_value("1200")
    desk.fill(f"#id_line_{lines[mask.pk].pk}", "400")
    desk.fill(f"#id_line_{lines[world['gloves'].pk].pk}", "0")
    desk.fill("#id_note", "手套下周到货")
    desk.click("#approve")
    expect(desk.locator(".badge.req-approved")).to_be_visible()
    desk.click("#issue")
    expect(desk.locator(".badge.req-issued")).to_be_visible()
    screenshot(desk, "supplies-requisition-issued-1280")

    phone.goto(f"/supplies/requisitions/{requisition.pk}/")
    expect(phone.locator("#requisition-facts")).to_contain_text("手套下周到货")
    phone.click("#confirm")
    expect(phone.locator(".badge.req-received")).to_be_visible()
    screenshot(phone, "supplies-requisition-received-360")
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.RECEIVED

    phone.click("#to-store")
    phone.click("#action-issue")
    phone.fill("#id_recipient", "东村卡点值班组")
    phone.select_option("#id_item_1", str(mask.pk))
    phone.fill("#id_quantity_1", "150")
    phone.click("#stock-submit")
    expect(phone.locator("#movement-rows")).to_contain_text("东村卡点值班组")
    screenshot(phone, "supplies-store-after-use-360")
    assert StockLevel.objects.get(store=east, item=mask).quantity == 250


def test_it_shows_the_stock_pages_on_a_phone_and_a_desk(page_for, carol, alice, world):
    east = world["east"]
    pages = {
        "stock": "/supplies/",
        "store": f"/supplies/stores/{world['warehouse'].pk}/",
        "receive": f"/supplies/stores/{world['warehouse'].pk}/receive/",
        "items": "/supplies/items/",
        "stores": "/supplies/stores/",
        "export": "/supplies/ledger.xlsx",
    }
    for width in (360, 1280):
        page = page_for(carol, width)
        for name, url in pages.items():
            page.goto(url)
            expect(page.locator("main h1")).to_be_visible()
            screenshot(page, f"supplies-{name}-{width}")
    phone = page_for(alice, 360)
    phone.goto(f"/supplies/stores/{east.pk}/issue/")
    phone.fill("#id_recipient", "东村卡点")
    phone.select_option("#id_item_1", str(world["spirit"].pk))
    phone.fill("#id_quantity_1", "1")
    phone.click("#stock-submit")
    expect(phone.locator("#form-problems")).to_contain_text("2")  # only expired stock left
    expect(phone.locator("#id_recipient")).to_have_value("东村卡点")
    screenshot(phone, "supplies-issue-expired-360")
