"""The donation register, receiving a donation (good and bad input), a donation's page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from fangyi.core import crypto
from fangyi.core.audit import Actor
from fangyi.supplies import services
from fangyi.supplies.models import Batch, Donation, Movement, Source, StockLevel
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
        "alcohol": make_item("酒精", unit="升", category="disinfection"),
    }


def donate(actor_user, store, item, quantity="1000", **values) -> Donation:
    values.setdefault("donor_name", "青山实业有限公司")
    values.setdefault("donor_kind", "company")
    return services.receive_donation(
        Actor(user=actor_user),
        store,
        lines=[ReceivedLine(item, quantity, batch_number="B1", maker="稳健医疗")],
        **values,
    )


def form_data(world, **values) -> dict:
    data = {
        "donor_name": "青山实业有限公司",
        "donor_kind": "company",
        "contact_name": "周经理",
        "contact_phone": "13812345678",
        "money": "",
        "store": str(world["warehouse"].pk),
        "received_on": "",
        "note": "",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "30",
        "lines-0-item": str(world["masks"].pk),
        "lines-0-quantity": "10000",
        "lines-0-batch_number": "20200201",
        "lines-0-expires_on": "2027-01-31",
        "lines-0-maker": "稳健医疗",
    }
    data.update(values)
    return data


URL = "/supplies/donations/new/"


def test_it_receives_a_donation_with_contact_encrypted(client_for, carol, world):
    response = client_for(carol).post(URL, form_data(world, money="5000"))
    donation = Donation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supplies:donation", args=[donation.external_id])
    assert donation.donor_name == "青山实业有限公司"
    assert donation.money == Decimal("5000.00")
    assert b"13812345678" not in bytes(donation.contact_phone_cipher)
    assert crypto.decrypt(bytes(donation.contact_phone_cipher), "phone") == "13812345678"
    batch = Batch.objects.get()
    assert (batch.donation, batch.source, batch.number, batch.maker) == (
        donation,
        Source.DONATED,
        "20200201",
        "稳健医疗",
    )
    assert StockLevel.objects.get(store=world["warehouse"]).quantity == 10000
    page = client_for(carol).get(response["Location"]).content.decode()
    assert "138****5678" in page
    assert "13812345678" not in page
    assert donation.receipt_number in page


def test_it_refuses_a_donation_without_a_donor_name(client_for, carol, world):
    response = client_for(carol).post(URL, form_data(world, donor_name="   "))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "give the donor's name" in errors["donor_name"][0]
    assert Donation.objects.count() == 0 and Movement.objects.count() == 0
    # Nothing typed is lost.
    page = response.content.decode()
    assert 'value="20200201"' in page and 'value="周经理"' in page


def test_it_refuses_a_bad_phone(client_for, carol, world):
    response = client_for(carol).post(URL, form_data(world, contact_phone="12345"))
    assert response.status_code == 200
    assert response.context["form"].errors["contact_phone"]
    assert Donation.objects.count() == 0


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("-5", "must be more than 0"),
        ("0", "must be more than 0"),
        ("2.5", "is counted in whole 只"),
        ("lots", "is not a quantity"),
        ("", "is not a quantity"),
    ],
)
def test_it_refuses_bad_quantities_of_countable_items(client_for, carol, world, quantity, message):
    response = client_for(carol).post(URL, form_data(world, **{"lines-0-quantity": quantity}))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].non_field_errors())
    assert Donation.objects.count() == 0 and Batch.objects.count() == 0


def test_it_takes_a_fractional_quantity_of_litres(client_for, carol, world):
    data = form_data(world, **{"lines-0-item": str(world["alcohol"].pk), "lines-0-quantity": "2.5"})
    assert client_for(carol).post(URL, data).status_code == 302
    assert StockLevel.objects.get().quantity == Decimal("2.5")


def test_it_refuses_no_items_and_no_money(client_for, carol, world):
    data = form_data(world, **{"lines-0-item": "", "lines-0-quantity": "", "lines-0-maker": ""})
    data.update({"lines-0-batch_number": "", "lines-0-expires_on": ""})
    response = client_for(carol).post(URL, data)
    assert response.status_code == 200
    assert "add at least one" in " ".join(response.context["form"].non_field_errors())
    assert Donation.objects.count() == 0


def test_it_refuses_a_line_without_an_item_and_bad_money(client_for, carol, world):
    data = form_data(world, money="-3", **{"lines-1-quantity": "5"})
    response = client_for(carol).post(URL, data)
    assert response.status_code == 200
    assert response.context["lines"].forms[1].errors["item"]
    assert Donation.objects.count() == 0


def test_it_takes_money_only(client_for, carol, world):
    data = form_data(world, money="2000.50", **{"lines-0-item": "", "lines-0-quantity": ""})
    data.update({"lines-0-batch_number": "", "lines-0-expires_on": "", "lines-0-maker": ""})
    assert client_for(carol).post(URL, data).status_code == 302
    donation = Donation.objects.get()
    assert donation.money == Decimal("2000.50") and not donation.batches.exists()


def test_it_refuses_another_towns_store(client_for, carol, world):
    response = client_for(carol).post(URL, form_data(world, store=str(world["other"].pk)))
    assert response.status_code == 200
    assert response.context["form"].errors["store"]
    assert Donation.objects.count() == 0


def test_it_forbids_the_form_to_a_village_cadre(client_for, alice, world):
    assert client_for(alice).get(URL).status_code == 403
    assert client_for(alice).post(URL, form_data(world)).status_code == 403


def test_it_lists_the_towns_donations(client_for, carol, world, django_assert_max_num_queries):
    for n in range(12):
        donate(carol, world["warehouse"], world["masks"], str(100 + n), donor_name=f"捐赠人{n}")
    donate(carol, world["warehouse"], world["masks"], "7", donor_name="无名氏", anonymous=True)
    client = client_for(carol)
    with django_assert_max_num_queries(8):
        response = client.get("/supplies/donations/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "捐赠人0" in page and "捐赠人11" in page and "无名氏" in page
    assert "医用外科口罩 <b>111</b> 只" in page
    assert "not named in public" in page
    found = client.get("/supplies/donations/?q=捐赠人11").content.decode()
    assert found.count("<strong>捐赠人1") == 1 and "<strong>捐赠人11</strong>" in found


def test_it_hides_another_towns_donations(client_for, carol, frank, world):
    mine = donate(carol, world["warehouse"], world["masks"])
    theirs = donate(frank, world["other"], world["masks"], donor_name="白水爱心企业")
    client = client_for(carol)
    assert "白水爱心企业" not in client.get("/supplies/donations/").content.decode()
    assert client.get(f"/supplies/donations/{theirs.external_id}/").status_code == 404
    assert client.get(f"/supplies/donations/{theirs.external_id}/receipt.pdf").status_code == 404
    assert client.get(f"/supplies/donations/{mine.external_id}/").status_code == 200


def test_it_hides_a_village_store_donation_from_another_village(
    client_for, carol, alice, bob, world
):
    into_east = donate(carol, world["east"], world["masks"], donor_name="东村乡贤")
    assert client_for(alice).get(f"/supplies/donations/{into_east.external_id}/").status_code == 200
    assert client_for(bob).get(f"/supplies/donations/{into_east.external_id}/").status_code == 404
    assert "东村乡贤" not in client_for(bob).get("/supplies/donations/").content.decode()


def test_it_shows_where_a_donation_went(client_for, carol, world, django_assert_max_num_queries):
    actor = Actor(user=carol)
    donation = donate(carol, world["warehouse"], world["masks"], "1000")
    services.transfer_stock(
        actor, world["warehouse"], world["east"], [WantedLine(world["masks"], "300")]
    )
    services.issue_stock(
        actor, world["east"], [WantedLine(world["masks"], "120")], recipient="东村防控队"
    )
    client = client_for(carol)
    with django_assert_max_num_queries(10):
        response = client.get(f"/supplies/donations/{donation.external_id}/")
    page = response.content.decode()
    assert "东村防控队 <b>120</b>" in page
    assert "adds up to what was received" in page
    assert 'data-balanced="yes"' in page


# In real Chromium (zh-CN): receive a donation on a phone, then the register at 360 and 1280 px.


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_receives_a_donation_in_the_browser(page_for, carol, town, village_a):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    warehouse = make_store(town)
    masks = make_item("医用外科口罩")
    make_item("84消毒液", unit="瓶", category="disinfection")
    donate(carol, warehouse, masks, "5000", donor_name="青山实业有限公司", money="20000")
    donate(carol, warehouse, masks, "300", donor_name="王小明", donor_kind="person", anonymous=True)
    page = page_for(carol, 360)
    page.goto("/supplies/donations/new/")
    page.fill("#id_donor_name", "")
    page.click("button.primary")
    expect(page.locator("p.error[data-field='donor_name']")).to_be_visible()
    screenshot(page, "donation-form-refused-360")
    page.fill("#id_donor_name", "稳健医疗用品股份有限公司")
    page.fill("#id_contact_name", "周经理")
    page.fill("#id_contact_phone", "13812345678")
    page.select_option("#id_lines-0-item", label="医用外科口罩")
    page.fill("#id_lines-0-quantity", "10000")
    page.fill("#id_lines-0-batch_number", "20200201")
    page.click("#add-line")
    expect(page.locator(".donation-line")).to_have_count(4)
    page.select_option("#id_lines-3-item", label="84消毒液")
    page.fill("#id_lines-3-quantity", "200")
    page.click("button.primary")
    expect(page.locator("#donation-facts")).to_contain_text("138****5678")
    expect(page.locator("#trail")).to_contain_text("10000")
    expect(page.locator("#trail")).to_contain_text("200")
    screenshot(page, "donation-detail-360")
    page.goto("/supplies/donations/")
    expect(page.locator("#donation-rows")).to_contain_text("稳健医疗用品股份有限公司")
    screenshot(page, "donation-register-360")
    wide = page_for(carol, 1280)
    wide.goto("/supplies/donations/")
    screenshot(wide, "donation-register-1280")
