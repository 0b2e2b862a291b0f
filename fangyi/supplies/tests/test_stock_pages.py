"""The stock pages: the overview of every store × item, a store's batches and movements, the
stock actions (receive, issue, transfer, stocktake), the item catalogue and the stores."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fangyi.core.models import Jurisdiction
from fangyi.supplies import services
from fangyi.supplies.models import (
    Batch,
    Item,
    Movement,
    OperationKind,
    Source,
    StockLevel,
    Store,
    StoreKind,
    Unit,
)
from fangyi.supplies.testing import SYSTEM, make_item, make_store, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(town, village_a, village_b):
    mask = make_item("医用外科口罩", threshold=500)
    spirit = make_item("酒精", unit=Unit.LITRE, category="disinfection")
    warehouse = make_store(town)
    east = make_store(village_a)
    west = make_store(village_b)
    stock(warehouse, mask, 5000, batch_number="W1")
    stock(east, mask, 300, batch_number="E1")
    return {"mask": mask, "spirit": spirit, "warehouse": warehouse, "east": east, "west": west}


def test_it_shows_stock_by_store_with_problems_flagged(client_for, carol, world):
    today = timezone.localdate()
    stock(world["east"], world["spirit"], "10.5", expires_on=today - timedelta(days=1))
    stock(world["warehouse"], world["spirit"], "20", expires_on=today + timedelta(days=10))
    response = client_for(carol).get("/supplies/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "青山镇物资仓库" in page and "东村物资点" in page and "西村物资点" in page
    east = response.context["page"].object_list
    cells = {(row.store.pk, cell.item.pk): cell for row in east for cell in row.cells}
    east_mask = cells[(world["east"].pk, world["mask"].pk)]
    assert east_mask.on_hand == 300 and east_mask.below_threshold
    east_spirit = cells[(world["east"].pk, world["spirit"].pk)]
    assert east_spirit.on_hand == 0 and east_spirit.expired == Decimal("10.5")
    warehouse_spirit = cells[(world["warehouse"].pk, world["spirit"].pk)]
    assert warehouse_spirit.expiring == 20 and warehouse_spirit.problem
    assert not cells[(world["warehouse"].pk, world["mask"].pk)].problem
    assert "below threshold" in page and "10.5" in page


def test_it_computes_days_of_cover_from_last_weeks_use(client_for, carol, world):
    services.issue_stock(
        SYSTEM, world["warehouse"], [services.WantedLine(world["mask"], 700)], recipient="卡点"
    )
    response = client_for(carol).get("/supplies/")
    cells = {
        (row.store.pk, cell.item.pk): cell
        for row in response.context["page"].object_list
        for cell in row.cells
    }
    cell = cells[(world["warehouse"].pk, world["mask"].pk)]
    # 4300 left, 700 used in 7 days = 100 a day: 43 days.
    assert cell.on_hand == 4300 and cell.days == Decimal("43.0") and not cell.understocked
    services.issue_stock(
        SYSTEM, world["warehouse"], [services.WantedLine(world["mask"], 3000)], recipient="卡点"
    )
    response = client_for(carol).get("/supplies/?problems=on")
    cells = {
        (row.store.pk, cell.item.pk): cell
        for row in response.context["page"].object_list
        for cell in row.cells
    }
    assert cells[(world["warehouse"].pk, world["mask"].pk)].understocked


def test_it_filters_by_kind_village_category_and_problems(client_for, carol, world):
    client = client_for(carol)
    response = client.get("/supplies/?kind=warehouse")
    assert [row.store for row in response.context["page"]] == [world["warehouse"]]
    response = client.get("/supplies/?village=999901100202")
    assert [row.store for row in response.context["page"]] == [world["west"]]
    response = client.get("/supplies/?category=disinfection")
    assert all(not row.cells for row in response.context["page"])
    response = client.get("/supplies/?problems=on")
    assert [row.store for row in response.context["page"]] == [world["east"]]


def test_it_shows_a_village_only_its_own_stores(client_for, alice, world):
    response = client_for(alice).get("/supplies/")
    assert [row.store for row in response.context["page"]] == [world["east"]]
    assert "西村" not in response.content.decode()


OVERVIEW_QUERIES = 11


def test_it_reads_the_overview_in_a_fixed_number_of_queries(
    client_for, carol, town, django_assert_max_num_queries
):
    """200 stores × 50 items: the cached levels are written directly (a fixture, not a
    receipt), then the page reads them in a handful of queries whatever the size."""
    items = [make_item(f"物资{n}", threshold=10) for n in range(50)]
    villages = [
        Jurisdiction.objects.create(
            code=f"9999011003{n:02d}", name=f"村{n}", level="village", parent=town
        )
        for n in range(20)
    ]
    stores = Store.objects.bulk_create(
        Store(name=f"点{n}", kind=StoreKind.VILLAGE, jurisdiction=villages[n % 20])
        for n in range(200)
    )
    batches = Batch.objects.bulk_create(Batch(item=item, source=Source.BOUGHT) for item in items)
    StockLevel.objects.bulk_create(
        StockLevel(
            store=store,
            item_id=batch.item_id,
            batch=batch,
            jurisdiction_id=store.jurisdiction_id,
            quantity=Decimal(n % 30),
        )
        for n, (store, batch) in enumerate((s, b) for s in stores for b in batches)
    )
    # Session, user, 2 permission sets, user's place, filter choices; stores, items, levels,
    # the week's use, the on-hand figures of days_of_cover: 11, whatever the size.
    client = client_for(carol)
    client.get("/supplies/")  # warm the session and permission caches
    with django_assert_max_num_queries(OVERVIEW_QUERIES):
        response = client.get("/supplies/")
    assert response.context["store_count"] == 200
    first = response.context["page"].object_list[0]
    assert len(first.cells) == 50
    with django_assert_max_num_queries(OVERVIEW_QUERIES):
        response = client.get("/supplies/?problems=on&page=2")
    assert all(cell.problem for row in response.context["page"] for cell in row.cells)


def test_it_shows_a_store_with_batches_and_movements(client_for, carol, world):
    today = timezone.localdate()
    stock(world["east"], world["mask"], 50, expires_on=today + timedelta(days=5), batch_number="E2")
    services.issue_stock(
        SYSTEM, world["east"], [services.WantedLine(world["mask"], 20)], recipient="东村一组"
    )
    east = world["east"]
    response = client_for(carol).get(f"/supplies/stores/{east.pk}/?item={world['mask'].pk}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "E1" in page and "E2" in page and "expires soon" in page
    assert "东村一组" in page and "-20" in page
    assert 'id="action-receive"' in page and 'id="action-stocktake"' in page


def test_it_pages_the_movement_history_newest_first(client_for, carol, world, settings):
    for n in range(30):
        stock(world["east"], world["mask"], n + 1, batch_number=f"P{n}")
    response = client_for(carol).get(f"/supplies/stores/{world['east'].pk}/")
    rows = response.context["rows"]
    assert len(rows) == settings.PAGE_SIZE
    assert rows[0]["movement"].batch.number == "P29"
    assert response.context["page"].has_next()


def test_it_hides_another_villages_store(client_for, alice, world):
    client = client_for(alice)
    assert client.get(f"/supplies/stores/{world['west'].pk}/").status_code == 404
    assert client.get(f"/supplies/stores/{world['warehouse'].pk}/").status_code == 404
    response = client.post(
        f"/supplies/stores/{world['west'].pk}/issue/",
        {"recipient": "x", "item_1": world["mask"].pk, "quantity_1": "1"},
    )
    assert response.status_code == 404
    assert client.get(f"/supplies/stores/{world['east'].pk}/").status_code == 200


def test_it_hides_another_towns_store(client_for, frank, world):
    assert client_for(frank).get(f"/supplies/stores/{world['east'].pk}/").status_code == 404


def test_it_receives_several_lines_into_the_warehouse(client_for, carol, world):
    warehouse = world["warehouse"]
    response = client_for(carol).post(
        f"/supplies/stores/{warehouse.pk}/receive/",
        {
            "source": Source.ALLOCATED,
            "reason": "县指挥部下拨",
            "item_1": world["mask"].pk,
            "quantity_1": "1000",
            "batch_1": "B-7",
            "expires_1": "2027-06-30",
            "maker_1": "稳健医疗",
            "item_2": world["spirit"].pk,
            "quantity_2": "12.5",
        },
    )
    assert response.status_code == 302
    batch = StockLevel.objects.get(store=warehouse, batch__number="B-7").batch
    assert batch.maker == "稳健医疗" and str(batch.expires_on) == "2027-06-30"
    assert batch.source == Source.ALLOCATED
    assert StockLevel.objects.get(store=warehouse, item=world["spirit"]).quantity == Decimal("12.5")


def test_it_refuses_negative_and_fractional_countable_quantities_keeping_the_lines(
    client_for, carol, world
):
    warehouse = world["warehouse"]
    before = Movement.objects.count()
    response = client_for(carol).post(
        f"/supplies/stores/{warehouse.pk}/receive/",
        {
            "source": Source.BOUGHT,
            "item_1": world["mask"].pk,
            "quantity_1": "1.5",
            "batch_1": "KEEP-ME",
            "item_2": world["mask"].pk,
            "quantity_2": "-3",
            "item_3": world["spirit"].pk,
            "quantity_3": "2.25",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "is counted in whole 只: 1.5 is not a whole number" in page
    assert "the quantity must be more than 0 (it is -3)" in page
    assert 'value="KEEP-ME"' in page and 'value="1.5"' in page and 'value="2.25"' in page
    assert Movement.objects.count() == before


def test_it_asks_for_the_item_or_the_quantity_of_a_half_filled_line(client_for, carol, world):
    response = client_for(carol).post(
        f"/supplies/stores/{world['warehouse'].pk}/receive/",
        {"source": Source.BOUGHT, "item_1": world["mask"].pk, "quantity_2": "5"},
    )
    assert response.status_code == 400
    assert "give the quantity" in response.content.decode()
    assert "choose the item" in response.content.decode()


def test_it_issues_for_use_and_says_when_only_expired_stock_is_left(client_for, alice, world):
    today = timezone.localdate()
    east = world["east"]
    stock(east, world["spirit"], "5", expires_on=today - timedelta(days=3))
    client = client_for(alice)
    response = client.post(
        f"/supplies/stores/{east.pk}/issue/",
        {
            "recipient": "东村卡点值班组",
            "reason": "夜班消毒",
            "item_1": world["spirit"].pk,
            "quantity_1": "2",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "only 0 in 东村物资点" in page and "5 more are expired and may not be issued" in page
    assert 'value="东村卡点值班组"' in page and 'value="夜班消毒"' in page
    response = client.post(
        f"/supplies/stores/{east.pk}/issue/",
        {"recipient": "东村卡点值班组", "item_1": world["mask"].pk, "quantity_1": "120"},
    )
    assert response.status_code == 302
    assert StockLevel.objects.get(store=east, item=world["mask"]).quantity == 180
    operation = Movement.objects.filter(store=east, quantity__lt=0).get().operation
    assert operation.kind == OperationKind.ISSUE and operation.recipient == "东村卡点值班组"


def test_it_needs_a_recipient_to_issue(client_for, alice, world):
    response = client_for(alice).post(
        f"/supplies/stores/{world['east'].pk}/issue/",
        {"recipient": "", "item_1": world["mask"].pk, "quantity_1": "1"},
    )
    assert response.status_code == 400
    assert StockLevel.objects.get(store=world["east"]).quantity == 300


def test_it_transfers_to_another_store_of_the_town(client_for, carol, world):
    response = client_for(carol).post(
        f"/supplies/stores/{world['warehouse'].pk}/transfer/",
        {"to_store": world["west"].pk, "item_1": world["mask"].pk, "quantity_1": "800"},
    )
    assert response.status_code == 302
    assert StockLevel.objects.get(store=world["west"]).quantity == 800
    assert StockLevel.objects.get(store=world["warehouse"]).quantity == 4200


def test_it_refuses_a_transfer_above_stock(client_for, carol, world):
    response = client_for(carol).post(
        f"/supplies/stores/{world['east'].pk}/transfer/",
        {"to_store": world["west"].pk, "item_1": world["mask"].pk, "quantity_1": "301"},
    )
    assert response.status_code == 400
    assert "301 只 asked for, only 300 in 东村物资点" in response.content.decode()


def test_it_offers_a_village_only_its_own_stores_to_transfer_to(client_for, alice, world):
    response = client_for(alice).post(
        f"/supplies/stores/{world['east'].pk}/transfer/",
        {"to_store": world["west"].pk, "item_1": world["mask"].pk, "quantity_1": "1"},
    )
    assert response.status_code == 400
    assert "outside your jurisdiction" in response.content.decode()


def test_it_records_a_stocktake_with_its_reason(client_for, carol, world):
    level = StockLevel.objects.get(store=world["east"])
    client = client_for(carol)
    response = client.get(f"/supplies/stores/{world['east'].pk}/stocktake/?batch={level.batch_id}")
    assert response.context["form"]["batch"].value() == level.batch_id
    response = client.post(
        f"/supplies/stores/{world['east'].pk}/stocktake/",
        {"batch": level.batch_id, "counted": "290", "reason": ""},
    )
    assert response.status_code == 400
    assert 'value="290"' in response.content.decode()
    response = client.post(
        f"/supplies/stores/{world['east'].pk}/stocktake/",
        {"batch": level.batch_id, "counted": "290", "reason": "受潮损坏"},
    )
    assert response.status_code == 302
    level.refresh_from_db()
    assert level.quantity == 290
    assert Movement.objects.get(operation__kind=OperationKind.ADJUST).quantity == -10


def test_it_refuses_the_stock_actions_to_roles_without_them(client_for, alice, dave, world):
    east = world["east"].pk
    assert client_for(alice).get(f"/supplies/stores/{east}/receive/").status_code == 403
    assert client_for(alice).get(f"/supplies/stores/{east}/stocktake/").status_code == 403
    assert client_for(dave).get(f"/supplies/stores/{east}/issue/").status_code == 403
    assert client_for(dave).get(f"/supplies/stores/{east}/").status_code == 200


def test_it_adds_and_edits_items(client_for, carol, alice, world):
    client = client_for(carol)
    response = client.post(
        "/supplies/items/new/",
        {
            "name": "N95口罩",
            "category": "protection",
            "specification": "KN95",
            "unit": "只",
            "warning_threshold": "200",
            "active": "on",
        },
    )
    assert response.status_code == 302
    item = Item.objects.get(name="N95口罩")
    assert item.warning_threshold == 200
    response = client.post(
        f"/supplies/items/{world['mask'].pk}/edit/",
        {"name": "医用外科口罩", "category": "protection", "unit": "套", "warning_threshold": "1"},
    )
    assert response.status_code == 400
    assert "the unit cannot change" in response.content.decode()
    response = client.post(
        "/supplies/items/new/",
        {
            "name": "N95口罩",
            "category": "protection",
            "specification": "KN95",
            "unit": "只",
            "warning_threshold": "-1",
        },
    )
    assert response.status_code == 400
    assert client.get("/supplies/items/").status_code == 200
    assert client_for(alice).get("/supplies/items/new/").status_code == 403


def test_it_adds_a_village_store_and_refuses_a_warehouse_in_a_village(client_for, carol, village_b):
    client = client_for(carol)
    response = client.post(
        "/supplies/stores/new/",
        {
            "name": "西村二号点",
            "kind": StoreKind.VILLAGE,
            "jurisdiction": village_b.code,
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Store.objects.get(name="西村二号点").jurisdiction_id == village_b.code
    response = client.post(
        "/supplies/stores/new/",
        {"name": "错误仓库", "kind": StoreKind.WAREHOUSE, "jurisdiction": village_b.code},
    )
    assert response.status_code == 400
    assert "a town warehouse belongs to a town" in response.content.decode()
    assert 'value="错误仓库"' in response.content.decode()


def test_it_lists_stores_in_few_queries(client_for, carol, world, django_assert_max_num_queries):
    client = client_for(carol)
    client.get("/supplies/stores/")
    with django_assert_max_num_queries(8):
        response = client.get("/supplies/stores/")
    assert len(response.context["page"].object_list) == 3


def test_it_reads_a_store_page_in_few_queries(
    client_for, carol, world, django_assert_max_num_queries
):
    for n in range(30):
        stock(world["east"], world["mask"], n + 1, batch_number=f"Q{n}")
        services.transfer_stock(
            SYSTEM, world["warehouse"], world["east"], [services.WantedLine(world["mask"], 1)]
        )
    client = client_for(carol)
    url = f"/supplies/stores/{world['east'].pk}/"
    client.get(url)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert len(response.context["batches"]) == 32
    assert "from 青山镇物资仓库" in response.content.decode()


def test_it_marks_the_batch_an_alert_links_to(client_for, carol, world):
    level = StockLevel.objects.get(store=world["east"])
    link = services.store_link(world["east"])
    response = client_for(carol).get(f"{link}?batch={level.batch_id}")
    assert [row["chosen"] for row in response.context["batches"]] == [True]
    assert f'data-batch="{level.batch_id}"' in response.content.decode()
