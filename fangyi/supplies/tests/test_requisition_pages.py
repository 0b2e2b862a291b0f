"""The requisition pages: a village asks, the town decides per line and issues, the village
confirms receipt or withdraws; bad inputs keep what was typed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fangyi.checkpoints.models import Checkpoint
from fangyi.core.audit import Actor
from fangyi.core.roles import Role
from fangyi.supplies import services
from fangyi.supplies.models import Requisition, RequisitionStatus, StockLevel, Unit
from fangyi.supplies.testing import SYSTEM, make_item, make_store, stock
from fangyi.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(town, village_a, village_b):
    mask = make_item("医用外科口罩")
    spirit = make_item("酒精", unit=Unit.LITRE, category="disinfection")
    warehouse = make_store(town)
    stock(warehouse, mask, 1000)
    stock(warehouse, spirit, "40")
    return {
        "mask": mask,
        "spirit": spirit,
        "warehouse": warehouse,
        "east": make_store(village_a),
        "west": make_store(village_b),
    }


def _ask(user, store, lines, purpose="卡点值班"):
    actor = Actor(user=user) if user else SYSTEM
    return services.submit_requisition(
        actor, store, [services.WantedLine(item, qty) for item, qty in lines], purpose=purpose
    )


def test_it_files_a_requisition_with_several_lines(client_for, alice, world):
    client = client_for(alice)
    page = client.get("/supplies/requisitions/new/")
    assert list(page.context["form"].fields["store"].queryset) == [world["east"]]
    response = client.post(
        "/supplies/requisitions/new/",
        {
            "store": world["east"].pk,
            "purpose": "东村卡点两周用量",
            "needed_by": (timezone.localdate() + timedelta(days=2)).isoformat(),
            "item_1": world["mask"].pk,
            "quantity_1": "600",
            "item_2": world["spirit"].pk,
            "quantity_2": "2.5",
        },
    )
    assert response.status_code == 302
    requisition = Requisition.objects.get()
    assert requisition.store == world["east"] and requisition.requested_by == alice
    assert sorted(str(line.requested) for line in requisition.lines.all()) == ["2.500", "600.000"]
    detail = client.get(response.url)
    assert "awaiting approval" in detail.content.decode()
    assert 'id="withdraw"' in detail.content.decode()
    assert 'id="approve"' not in detail.content.decode()


def test_it_refuses_bad_lines_and_keeps_what_was_typed(client_for, alice, world):
    response = client_for(alice).post(
        "/supplies/requisitions/new/",
        {
            "store": world["east"].pk,
            "purpose": "",
            "item_1": world["mask"].pk,
            "quantity_1": "2.5",
            "item_2": world["spirit"].pk,
            "quantity_2": "-1",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="2.5"' in page and 'value="-1"' in page
    assert Requisition.objects.count() == 0
    response = client_for(alice).post(
        "/supplies/requisitions/new/",
        {
            "store": world["east"].pk,
            "purpose": "夜班",
            "item_1": world["mask"].pk,
            "quantity_1": "2.5",
            "item_2": world["spirit"].pk,
            "quantity_2": "-1",
        },
    )
    page = response.content.decode()
    assert "is counted in whole 只: 2.5 is not a whole number" in page
    assert "the quantity must be more than 0 (it is -1)" in page
    assert 'value="夜班"' in page


def test_it_refuses_another_villages_store_to_ask_for(client_for, alice, world):
    response = client_for(alice).post(
        "/supplies/requisitions/new/",
        {
            "store": world["west"].pk,
            "purpose": "x",
            "item_1": world["mask"].pk,
            "quantity_1": "1",
        },
    )
    assert response.status_code == 400
    assert "outside your jurisdiction" in response.content.decode()


def test_it_lets_checkpoint_staff_ask_for_their_checkpoint(client_for, village_a, world):
    checkpoint = Checkpoint.objects.create(
        name="东村路口", kind="village_entrance", jurisdiction=village_a
    )
    store = make_store(village_a, checkpoint=checkpoint)
    staff = make_user("gina", Role.CHECKPOINT_STAFF, village_a, "龚娜")
    response = client_for(staff).post(
        "/supplies/requisitions/new/",
        {"store": store.pk, "purpose": "卡点", "item_1": world["mask"].pk, "quantity_1": "50"},
    )
    assert response.status_code == 302
    assert Requisition.objects.get().store == store


def test_it_shows_the_town_a_queue_to_approve(
    client_for, carol, alice, bob, world, django_assert_max_num_queries
):
    for n in range(3):
        _ask(alice, world["east"], [(world["mask"], 10 + n)])
    _ask(bob, world["west"], [(world["mask"], 5), (world["spirit"], "1")])
    withdrawn = _ask(bob, world["west"], [(world["mask"], 7)])
    services.withdraw_requisition(Actor(user=bob), withdrawn)
    client = client_for(carol)
    client.get("/supplies/requisitions/")
    with django_assert_max_num_queries(8):
        response = client.get("/supplies/requisitions/")
    assert response.context["show"] == "todo"
    assert len(response.context["page"].object_list) == 4
    assert response.context["todo"] == 4 and response.context["all"] == 5
    page = response.content.decode()
    assert "2 items" in page and "东村物资点" in page


def test_it_lists_a_village_only_its_own_requisitions(client_for, alice, bob, world):
    mine = _ask(alice, world["east"], [(world["mask"], 10)])
    theirs = _ask(bob, world["west"], [(world["mask"], 10)])
    client = client_for(alice)
    response = client.get("/supplies/requisitions/?show=all")
    assert list(response.context["page"].object_list) == [mine]
    assert client.get(f"/supplies/requisitions/{theirs.pk}/").status_code == 404
    assert client.post(f"/supplies/requisitions/{theirs.pk}/withdraw/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == RequisitionStatus.SUBMITTED


def test_it_hides_requisitions_from_another_town(client_for, frank, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 10)])
    client = client_for(frank)
    assert client.get(f"/supplies/requisitions/{requisition.pk}/").status_code == 404
    assert client.post(f"/supplies/requisitions/{requisition.pk}/decide/").status_code == 404


def test_it_refuses_a_village_cadre_the_decision(client_for, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 10)])
    line = requisition.lines.get()
    client = client_for(alice)
    response = client.post(
        f"/supplies/requisitions/{requisition.pk}/decide/",
        {"from_store": world["warehouse"].pk, f"line_{line.pk}": "10"},
    )
    assert response.status_code == 403
    assert client.post(f"/supplies/requisitions/{requisition.pk}/issue/").status_code == 403
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.SUBMITTED


def test_it_shows_what_the_warehouse_can_issue_beside_each_line(client_for, carol, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 1500), (world["spirit"], "3")])
    response = client_for(carol).get(f"/supplies/requisitions/{requisition.pk}/")
    rows = {row["line"].item: row for row in response.context["rows"]}
    assert rows[world["mask"]]["can_issue"] == "1000" and rows[world["mask"]]["short"]
    assert rows[world["spirit"]]["can_issue"] == "40" and not rows[world["spirit"]]["short"]
    assert 'id="approve"' in response.content.decode()


def test_it_refuses_an_approval_above_stock_keeping_the_figures(client_for, carol, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 1500), (world["spirit"], "3")])
    mask_line = requisition.lines.get(item=world["mask"])
    spirit_line = requisition.lines.get(item=world["spirit"])
    response = client_for(carol).post(
        f"/supplies/requisitions/{requisition.pk}/decide/",
        {
            "from_store": world["warehouse"].pk,
            f"line_{mask_line.pk}": "1500",
            f"line_{spirit_line.pk}": "2.5",
            "note": "先发一部分",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "1500 approved, only 1000 can be issued from 青山镇物资仓库" in page
    assert 'value="1500"' in page and 'value="2.5"' in page and 'value="先发一部分"' in page
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.SUBMITTED


def test_it_refuses_a_fraction_of_a_countable_item_at_approval(client_for, carol, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 100)])
    line = requisition.lines.get()
    response = client_for(carol).post(
        f"/supplies/requisitions/{requisition.pk}/decide/",
        {"from_store": world["warehouse"].pk, f"line_{line.pk}": "50.5"},
    )
    assert response.status_code == 400
    assert "50.5 is not a whole number" in response.content.decode()


def test_it_needs_a_reason_to_reject(client_for, carol, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 100)])
    line = requisition.lines.get()
    client = client_for(carol)
    response = client.post(
        f"/supplies/requisitions/{requisition.pk}/decide/",
        {"from_store": world["warehouse"].pk, f"line_{line.pk}": "100", "reject": ""},
    )
    assert response.status_code == 400
    assert "give the reason for rejecting the requisition" in response.content.decode()
    response = client.post(
        f"/supplies/requisitions/{requisition.pk}/decide/",
        {
            "from_store": world["warehouse"].pk,
            f"line_{line.pk}": "100",
            "reject": "",
            "note": "上周已领够",
        },
    )
    assert response.status_code == 302
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.REJECTED
    assert requisition.decision_note == "上周已领够"
    page = client_for(alice).get(f"/supplies/requisitions/{requisition.pk}/").content.decode()
    assert "rejected" in page and "上周已领够" in page and 'id="withdraw"' not in page


def test_it_approves_part_issues_and_the_village_confirms(client_for, carol, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 600), (world["spirit"], "5")])
    mask_line = requisition.lines.get(item=world["mask"])
    spirit_line = requisition.lines.get(item=world["spirit"])
    town = client_for(carol)
    response = town.post(
        f"/supplies/requisitions/{requisition.pk}/decide/",
        {
            "from_store": world["warehouse"].pk,
            f"line_{mask_line.pk}": "400",
            f"line_{spirit_line.pk}": "0",
            "approve": "",
        },
    )
    assert response.status_code == 302
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.APPROVED
    assert 'id="issue"' in town.get(response.url).content.decode()
    assert town.post(f"/supplies/requisitions/{requisition.pk}/issue/").status_code == 302
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.ISSUED
    assert StockLevel.objects.get(store=world["east"]).quantity == 400
    assert StockLevel.objects.get(store=world["warehouse"], item=world["mask"]).quantity == 600

    village = client_for(alice)
    page = village.get(f"/supplies/requisitions/{requisition.pk}/").content.decode()
    assert 'id="confirm"' in page and 'id="withdraw"' not in page
    assert village.post(f"/supplies/requisitions/{requisition.pk}/confirm/").status_code == 302
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.RECEIVED and requisition.received_by == alice


def test_it_says_so_when_the_stock_went_before_issuing(client_for, carol, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 900)])
    line = requisition.lines.get()
    town = client_for(carol)
    town.post(
        f"/supplies/requisitions/{requisition.pk}/decide/",
        {"from_store": world["warehouse"].pk, f"line_{line.pk}": "900"},
    )
    services.issue_stock(
        SYSTEM, world["warehouse"], [services.WantedLine(world["mask"], 500)], recipient="卡点"
    )
    response = town.post(f"/supplies/requisitions/{requisition.pk}/issue/", follow=True)
    assert "900 只 asked for, only 500 in 青山镇物资仓库" in response.content.decode()
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.APPROVED


def test_it_withdraws_an_open_requisition_only(client_for, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 10)])
    client = client_for(alice)
    assert client.post(f"/supplies/requisitions/{requisition.pk}/withdraw/").status_code == 302
    requisition.refresh_from_db()
    assert requisition.status == RequisitionStatus.CANCELLED
    response = client.post(f"/supplies/requisitions/{requisition.pk}/withdraw/", follow=True)
    assert "it can no longer be withdrawn" in response.content.decode()


def test_it_leaves_withdrawing_and_confirming_to_the_asking_store(client_for, carol, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 10)])
    page = client_for(carol).get(f"/supplies/requisitions/{requisition.pk}/").content.decode()
    assert 'id="withdraw"' not in page and 'id="approve"' in page


def test_it_says_so_when_the_requisition_was_decided_meanwhile(client_for, carol, alice, world):
    requisition = _ask(alice, world["east"], [(world["mask"], 10)])
    line = requisition.lines.get()
    client = client_for(carol)
    data = {"from_store": world["warehouse"].pk, f"line_{line.pk}": "10"}
    assert client.post(f"/supplies/requisitions/{requisition.pk}/decide/", data).status_code == 302
    response = client.post(f"/supplies/requisitions/{requisition.pk}/decide/", data, follow=True)
    assert "this requisition is approved already" in response.content.decode()
