"""The public thank-you list and "where it went" (no login), and donation_trail adding up."""

from decimal import Decimal

import pytest
from django.test import Client

from fangyi.core.audit import Actor
from fangyi.supplies import services
from fangyi.supplies.donation_selectors import donation_trail
from fangyi.supplies.models import Batch, StockLevel
from fangyi.supplies.services import ReceivedLine, WantedLine
from fangyi.supplies.testing import make_item, make_store

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(town, village_a, village_b, other_town):
    return {
        "warehouse": make_store(town),
        "east": make_store(village_a),
        "west": make_store(village_b),
        "other": make_store(other_town),
        "masks": make_item("医用外科口罩"),
        "gowns": make_item("防护服", unit="套"),
    }


@pytest.fixture
def public():
    client = Client()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def donate(user, store, lines, **values):
    values.setdefault("donor_name", "青山实业有限公司")
    values.setdefault("donor_kind", "company")
    values.setdefault("contact_name", "周经理")
    values.setdefault("contact_phone", "13812345678")
    values.setdefault("note", "内部备注不公开")
    return services.receive_donation(Actor(user=user), store, lines=lines, **values)


@pytest.fixture
def walked(carol, alice, world):
    """Receive 1000 masks + 50 gowns → 400 masks to 东村 → 东村 issues 150 to 东村防控队 →
    stocktake in 东村 counts 240 (10 lost); 100 masks to 西村, all issued."""
    donation = donate(
        carol,
        world["warehouse"],
        [
            ReceivedLine(world["masks"], "1000", batch_number="M1", maker="稳健医疗"),
            ReceivedLine(world["gowns"], "50", batch_number="G1"),
        ],
        money="5000",
    )
    town, village = Actor(user=carol), Actor(user=alice)
    masks = WantedLine(world["masks"], "400")
    services.transfer_stock(town, world["warehouse"], world["east"], [masks])
    services.issue_stock(
        village, world["east"], [WantedLine(world["masks"], "150")], recipient="东村防控队"
    )
    batch = Batch.objects.get(number="M1")
    services.adjust_stock(town, world["east"], batch, "240", reason="盘点短少")
    services.transfer_stock(
        town, world["warehouse"], world["west"], [WantedLine(world["masks"], "100")]
    )
    services.issue_stock(
        town, world["west"], [WantedLine(world["masks"], "100")], recipient="西村卡口"
    )
    return donation


def test_it_traces_a_donation_and_it_adds_up(walked, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        trail = donation_trail(walked)
    masks = next(b for b in trail.batches if b.item == "医用外科口罩")
    assert masks.received == 1000
    by_store = {share.store: share for share in masks.stores}
    warehouse, east, west = (by_store[world[k].name] for k in ("warehouse", "east", "west"))
    assert (warehouse.received, warehouse.passed_on, warehouse.in_stock) == (1000, 500, 500)
    assert (east.arrived, east.issued_total, east.lost, east.in_stock) == (400, 150, 10, 240)
    assert [(line.recipient, line.quantity) for line in east.issued] == [("东村防控队", 150)]
    assert (west.arrived, west.issued_total, west.in_stock) == (100, 100, 0)
    assert (masks.issued, masks.in_stock, masks.lost) == (250, 740, 10)
    assert masks.issued + masks.in_stock + masks.lost == masks.received
    assert masks.balanced and trail.balanced
    gowns = next(b for b in trail.batches if b.item == "防护服")
    assert (gowns.received, gowns.in_stock, len(gowns.stores)) == (50, 50, 1)


def test_it_says_when_a_trail_does_not_add_up(walked, world):
    # The cache drifting from the ledger (what supplies-reconcile finds) shows here too.
    StockLevel.objects.filter(store=world["east"]).update(quantity=Decimal(230))
    trail = donation_trail(walked)
    assert not trail.balanced


def test_it_shows_the_thank_you_list_without_contacts(
    public, walked, carol, world, django_assert_max_num_queries
):
    donate(
        carol,
        world["warehouse"],
        [ReceivedLine(world["masks"], "200")],
        donor_name="王小明",
        donor_kind="person",
        anonymous=True,
    )
    # 3 for the rate limit, the town, the count, the page, the lines: whatever the size.
    with django_assert_max_num_queries(7):
        response = public.get("/supplies/public/999901100/thanks/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "青山镇" in page and "青山实业有限公司" in page
    assert "医用外科口罩 <b>1000</b> 只" in page and "防护服 <b>50</b> 套" in page
    assert "¥5000.00" in page
    assert "爱心人士" in page and "王小明" not in page
    for secret in ("周经理", "13812345678", "138****5678", "内部备注不公开", "陈可"):
        assert secret not in page
    assert f"/supplies/public/donation/{walked.external_id}/" in page


def test_it_lists_only_the_towns_donations(public, walked, frank, world):
    donate(frank, world["other"], [ReceivedLine(world["masks"], "5")], donor_name="白水企业")
    page = public.get("/supplies/public/999901100/thanks/").content.decode()
    assert "白水企业" not in page
    assert "白水企业" in public.get("/supplies/public/999901101/thanks/").content.decode()


def test_it_shows_where_a_donation_went_in_public(public, walked, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        response = public.get(f"/supplies/public/donation/{walked.external_id}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "东村防控队 <b>150</b>" in page and "西村卡口 <b>100</b>" in page
    assert "adds up to what was received" in page and 'data-balanced="no"' not in page
    for secret in ("周经理", "13812345678", "138****5678", "内部备注不公开"):
        assert secret not in page


def test_it_shows_an_anonymous_donor_as_aixin_renshi(public, carol, world):
    donation = donate(
        carol, world["warehouse"], [ReceivedLine(world["masks"], "9")], anonymous=True
    )
    page = public.get(f"/supplies/public/donation/{donation.external_id}/").content.decode()
    assert "爱心人士" in page and "青山实业有限公司" not in page


@pytest.mark.parametrize(
    "url",
    [
        "/supplies/public/999901199/thanks/",  # no such town
        "/supplies/public/999901100201/thanks/",  # a village, not a town
        "/supplies/public/abc/thanks/",
        "/supplies/public/donation/00000000-0000-0000-0000-000000000000/",
    ],
)
def test_it_answers_unknown_towns_and_donations_alike(public, walked, url):
    response = public.get(url)
    assert response.status_code == 404
    assert "There is no such page" in response.content.decode()
    assert "青山" not in response.content.decode()


def test_it_rate_limits_the_public_pages(public, walked, settings):
    settings.SUPPLIES_PUBLIC_PER_HOUR = 3
    for _n in range(3):
        assert public.get("/supplies/public/999901100/thanks/").status_code == 200
    assert public.get("/supplies/public/999901100/thanks/").status_code == 429
    assert public.get(f"/supplies/public/donation/{walked.external_id}/").status_code == 429
    assert public.get("/supplies/public/999901199/thanks/").status_code == 429


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_public_pages_on_a_phone_and_a_screen(
    browser, live_server, walked, carol, world
):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    donate(carol, world["warehouse"], [ReceivedLine(world["masks"], "200")], anonymous=True)
    for width in (360, 1280):
        context = browser.new_context(
            viewport={"width": width, "height": 780}, locale="zh-CN", base_url=live_server.url
        )
        page = context.new_page()
        page.goto("/supplies/public/999901100/thanks/")
        expect(page.locator("#thanks-rows")).to_contain_text("爱心人士")
        expect(page.locator("#thanks-rows")).not_to_contain_text("周经理")
        screenshot(page, f"donation-public-thanks-{width}")
        page.goto(f"/supplies/public/donation/{walked.external_id}/")
        expect(page.locator("#trail")).to_contain_text("东村防控队")
        screenshot(page, f"donation-public-trail-{width}")
        context.close()


def test_it_shows_an_empty_list_for_a_town_without_donations(public, other_town):
    response = public.get("/supplies/public/999901101/thanks/")
    assert response.status_code == 200
    assert "No donation has been received yet." in response.content.decode()


def test_it_pages_a_long_thank_you_list(public, carol, world):
    for n in range(55):
        donate(carol, world["warehouse"], [], donor_name=f"捐赠人{n:02d}", money="10")
    first = public.get("/supplies/public/999901100/thanks/").content.decode()
    second = public.get("/supplies/public/999901100/thanks/?page=2").content.decode()
    assert "捐赠人54" in first and "捐赠人00" not in first
    assert "捐赠人00" in second and "捐赠人54" not in second
