"""The supplies API: stock on hand and movements scoped to the token's user, requisitions
asked for and confirmed over the API (422 with messages, 403, 404 out of scope), and the public
thank-you list (no login, no contacts, 404 for an unknown town)."""

import json

import pytest

from fangyi.core.api_auth import token_digest
from fangyi.core.audit import Actor
from fangyi.core.models import ApiToken
from fangyi.supplies import services
from fangyi.supplies.models import Requisition, RequisitionStatus
from fangyi.supplies.services import ReceivedLine, WantedLine
from fangyi.supplies.testing import make_item, make_store, stock

pytestmark = pytest.mark.django_db

STOCK = "/api/v1/supplies/stock"
REQUISITIONS = "/api/v1/supplies/requisitions"


def bearer(user, language: str = "en") -> dict:
    secret = f"token-{user.username}"
    ApiToken.objects.get_or_create(
        user=user, name="phone", defaults={"digest": token_digest(secret)}
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": language}


def figures(body: dict) -> list[dict]:
    """The compact stock answer unfolded: one dict per store and item."""
    stores = {s["id"]: s for s in body["stores"]}
    items = {i["id"]: i for i in body["items"]}
    return [
        {
            "store": store_id,
            "store_name": stores[store_id]["name"],
            "item_name": items[item_id]["name"],
            "on_hand": quantity,
        }
        for store_id, item_id, quantity in body["on_hand"]
    ]


def post(client, url: str, user, payload: dict | None = None):
    return client.post(
        url, json.dumps(payload or {}), content_type="application/json", **bearer(user)
    )


@pytest.fixture
def world(town, village_a, village_b, other_town):
    w = {
        "warehouse": make_store(town),
        "east": make_store(village_a),
        "west": make_store(village_b),
        "other": make_store(other_town),
        "masks": make_item("医用外科口罩"),
        "alcohol": make_item("酒精", unit="升", category="disinfection"),
    }
    stock(w["warehouse"], w["masks"], 5000)
    stock(w["east"], w["masks"], 300)
    stock(w["west"], w["masks"], 200)
    stock(w["other"], w["masks"], 999)
    return w


def test_it_lists_stock_in_the_users_scope(client, carol, alice, world):
    rows = figures(client.get(STOCK, **bearer(carol)).json())
    assert {(r["store_name"], r["on_hand"]) for r in rows} == {
        (world["warehouse"].name, "5000"),
        (world["east"].name, "300"),
        (world["west"].name, "200"),
    }
    mine = figures(client.get(STOCK, **bearer(alice)).json())
    assert [(r["store"], r["item_name"]) for r in mine] == [(world["east"].pk, "医用外科口罩")]


def test_it_filters_stock_by_kind_and_village(client, carol, world):
    rows = figures(client.get(STOCK, {"kind": "village"}, **bearer(carol)).json())
    assert {r["store"] for r in rows} == {world["east"].pk, world["west"].pk}
    rows = figures(client.get(STOCK, {"village": "999901100202"}, **bearer(carol)).json())
    assert [r["store"] for r in rows] == [world["west"].pk]
    # Another town's code is outside the scope: nothing, not their stock.
    assert figures(client.get(STOCK, {"village": "999901101"}, **bearer(carol)).json()) == []
    bad = client.get(STOCK, {"kind": "shop"}, **bearer(carol))
    assert bad.status_code == 422 and "kind" in bad.json()["detail"]
    assert client.get(STOCK, {"village": "东村"}, **bearer(carol)).status_code == 422


def test_it_needs_a_token(client, world):
    assert client.get(STOCK).status_code == 401


def test_it_pages_a_stores_movements(client, carol, alice, bob, world):
    actor = Actor(user=carol)
    for n in range(3):
        services.issue_stock(
            actor, world["east"], [WantedLine(world["masks"], "10")], recipient=f"东村{n}组"
        )
    url = f"/api/v1/supplies/stores/{world['east'].pk}/movements"
    page = client.get(url, **bearer(alice)).json()
    assert page["count"] == 4
    newest = page["items"][0]
    assert (newest["kind"], newest["quantity"], newest["recipient"]) == (
        "issue",
        "-10",
        "东村2组",
    )
    assert page["items"][-1]["kind"] == "receive"
    assert client.get(url, **bearer(bob)).status_code == 404
    other = f"/api/v1/supplies/stores/{world['other'].pk}/movements"
    assert client.get(other, **bearer(carol)).status_code == 404


def test_it_shows_a_transfer_with_the_other_store(client, carol, world):
    services.transfer_stock(
        Actor(user=carol), world["warehouse"], world["east"], [WantedLine(world["masks"], "50")]
    )
    url = f"/api/v1/supplies/stores/{world['east'].pk}/movements"
    newest = client.get(url, **bearer(carol)).json()["items"][0]
    assert (newest["kind"], newest["quantity"], newest["other_store"]) == (
        "transfer",
        "50",
        world["warehouse"].name,
    )


def test_it_asks_for_items_and_confirms_receipt(client, carol, alice, world):
    payload = {
        "store": world["east"].pk,
        "purpose": "卡口三天用量",
        "lines": [{"item": world["masks"].pk, "quantity": 400}],
    }
    response = post(client, REQUISITIONS, alice, payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["lines"][0]["requested"] == "400"
    requisition = Requisition.objects.get(pk=body["id"])
    receive = f"{REQUISITIONS}/{requisition.pk}/receive"
    not_yet = post(client, receive, alice)
    assert not_yet.status_code == 422
    assert "not been issued" in not_yet.json()["detail"]["__all__"][0]
    line = requisition.lines.get()
    services.decide_requisition(
        Actor(user=carol), requisition, approved={line.pk: "300"}, from_store=world["warehouse"]
    )
    services.issue_requisition(Actor(user=carol), requisition)
    done = post(client, receive, alice)
    assert done.status_code == 200
    assert done.json()["status"] == "received" and done.json()["lines"][0]["issued"] == "300"
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.RECEIVED and requisition.received_by == alice


@pytest.mark.parametrize(
    "quantity, message",
    [(-5, "more than 0"), ("2.5", "whole 只"), ("many", "not a quantity"), (0, "more than 0")],
)
def test_it_refuses_bad_requisition_quantities(client, alice, world, quantity, message):
    payload = {
        "store": world["east"].pk,
        "purpose": "补充",
        "lines": [{"item": world["masks"].pk, "quantity": quantity}],
    }
    response = post(client, REQUISITIONS, alice, payload)
    assert response.status_code == 422
    assert message in " ".join(response.json()["detail"]["__all__"])
    assert not Requisition.objects.exists()


def test_it_reports_every_problem_at_once(client, alice, world):
    payload = {"store": world["east"].pk, "purpose": " ", "lines": []}
    response = post(client, REQUISITIONS, alice, payload)
    problems = " ".join(response.json()["detail"]["__all__"])
    assert response.status_code == 422
    assert "say what the items are for" in problems and "add at least one item" in problems
    unknown = {**payload, "purpose": "x", "lines": [{"item": 99999, "quantity": 1}]}
    response = post(client, REQUISITIONS, alice, unknown)
    assert response.status_code == 422 and "99999" in response.json()["detail"]["lines"][0]


def test_it_hides_other_villages_stores_and_requisitions(client, alice, bob, world):
    payload = {
        "store": world["west"].pk,
        "purpose": "补充",
        "lines": [{"item": world["masks"].pk, "quantity": 10}],
    }
    assert post(client, REQUISITIONS, alice, payload).status_code == 404
    theirs = post(client, REQUISITIONS, bob, payload).json()
    assert post(client, f"{REQUISITIONS}/{theirs['id']}/receive", alice).status_code == 404
    assert Requisition.objects.count() == 1


def test_it_forbids_requisitions_to_a_role_without_the_permission(client, dave, erin, world):
    payload = {
        "store": world["east"].pk,
        "purpose": "补充",
        "lines": [{"item": world["masks"].pk, "quantity": 10}],
    }
    assert post(client, REQUISITIONS, dave, payload).status_code == 403
    assert client.get(STOCK, **bearer(dave)).status_code == 200  # auditors read
    assert client.get(STOCK, **bearer(erin)).status_code == 403  # volunteers do not


def test_it_serves_the_public_thank_you_list(client, carol, world):
    services.receive_donation(
        Actor(user=carol),
        world["warehouse"],
        donor_name="王小明",
        donor_kind="person",
        contact_name="王小明",
        contact_phone="13812345678",
        anonymous=True,
        money="800",
        lines=[ReceivedLine(world["masks"], "600")],
    )
    services.receive_donation(
        Actor(user=carol),
        world["warehouse"],
        donor_name="青山实业有限公司",
        donor_kind="company",
        lines=[],
        money="5000",
    )
    response = client.get("/api/v1/supplies/donations/public/999901100")
    assert response.status_code == 200
    body = response.json()
    assert (body["town_name"], body["count"], body["pages"]) == ("青山镇", 2, 1)
    names = [row["name"] for row in body["items"]]
    assert sorted(names) == sorted(["爱心人士", "青山实业有限公司"])
    gift = next(row for row in body["items"] if row["name"] == "爱心人士")
    assert gift["items"] == [{"item": "医用外科口罩", "unit": "只", "quantity": "600"}]
    assert gift["money"] == "800.00"
    text = response.content.decode()
    assert "王小明" not in text and "1381234" not in text and "contact" not in text
    assert client.get("/api/v1/supplies/donations/public/999901199").status_code == 404
    assert client.get("/api/v1/supplies/donations/public/x").status_code == 404


def test_it_rate_limits_the_public_list(client, world, settings):
    settings.SUPPLIES_PUBLIC_PER_HOUR = 2
    url = "/api/v1/supplies/donations/public/999901100"
    assert [client.get(url).status_code for _n in range(3)] == [200, 200, 429]
