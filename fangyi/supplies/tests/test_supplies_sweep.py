"""Stock alerts and planning: low stock raised once per store and item while open, batches near
expiry, the sweep run twice raising nothing new; days of cover at the last 7 days' use; the
stock figures a user reads are their own stores'."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind
from fangyi.core.services import acknowledge_alert
from fangyi.supplies import services
from fangyi.supplies.models import Batch, Source, Store, Unit
from fangyi.supplies.selectors import days_of_cover, stock_from_ledger, stock_on_hand
from fangyi.supplies.services import ReceivedLine, WantedLine
from fangyi.supplies.testing import make_item, make_store, stock

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def masks(db):
    return make_item("医用外科口罩", Unit.PIECE, threshold=100)


@pytest.fixture
def gloves(db):
    return make_item("手套", Unit.PAIR)  # no threshold: never warned


@pytest.fixture
def warehouse(town):
    return make_store(town)


@pytest.fixture
def east_store(village_a):
    return make_store(village_a)


@pytest.fixture
def west_store(village_b):
    return make_store(village_b)


def today():
    return timezone.localdate()


def low_alerts():
    return list(Alert.objects.filter(kind=AlertKind.LOW_STOCK).order_by("pk"))


def expiring_alerts():
    return list(Alert.objects.filter(kind=AlertKind.EXPIRING).order_by("pk"))


# Low stock -----------------------------------------------------------------------------------


def test_it_warns_once_when_an_issue_takes_stock_under_the_threshold(carol, east_store, masks):
    stock(east_store, masks, 150)
    actor = Actor(carol)

    services.issue_stock(actor, east_store, [WantedLine(masks, 40)], recipient="卡点")
    assert low_alerts() == []  # 110 left

    services.issue_stock(actor, east_store, [WantedLine(masks, 20)], recipient="卡点")
    services.issue_stock(actor, east_store, [WantedLine(masks, 10)], recipient="卡点")

    [alert] = low_alerts()
    assert alert.message == "东村物资点: 医用外科口罩 down to 90 只 (warning at 100)"
    assert alert.jurisdiction_id == east_store.jurisdiction_id
    assert alert.link == services.store_link(east_store, masks)
    assert alert.link == f"/supplies/stores/{east_store.pk}/?item={masks.pk}"


def test_it_warns_again_after_the_alert_was_handled(carol, east_store, masks):
    stock(east_store, masks, 100)
    services.issue_stock(Actor(carol), east_store, [WantedLine(masks, 10)], recipient="卡点")
    acknowledge_alert(Actor(carol), low_alerts()[0])

    services.issue_stock(Actor(carol), east_store, [WantedLine(masks, 10)], recipient="卡点")

    assert [a.message for a in low_alerts()] == [
        "东村物资点: 医用外科口罩 down to 90 只 (warning at 100)",
        "东村物资点: 医用外科口罩 down to 80 只 (warning at 100)",
    ]
    assert Alert.objects.open().filter(kind=AlertKind.LOW_STOCK).count() == 1


def test_it_warns_per_store(carol, warehouse, east_store, west_store, masks):
    for store in (east_store, west_store):
        stock(store, masks, 100)
        services.issue_stock(Actor(carol), store, [WantedLine(masks, 1)], recipient="卡点")

    assert [a.jurisdiction_id for a in low_alerts()] == [
        east_store.jurisdiction_id,
        west_store.jurisdiction_id,
    ]


def test_it_warns_the_store_a_transfer_or_a_stocktake_empties(carol, warehouse, east_store, masks):
    stock(warehouse, masks, 200)
    services.transfer_stock(Actor(carol), warehouse, east_store, [WantedLine(masks, 150)])
    assert [a.link for a in low_alerts()] == [services.store_link(warehouse, masks)]

    stock(east_store, masks, 0 + 1)  # east holds 151
    services.adjust_stock(
        Actor(carol), east_store, Batch.objects.order_by("pk").first(), 20, reason="盘点短少"
    )
    assert [a.link for a in low_alerts()] == [
        services.store_link(warehouse, masks),
        services.store_link(east_store, masks),
    ]


def test_it_does_not_warn_about_items_without_a_threshold(carol, east_store, gloves):
    stock(east_store, gloves, 5)

    services.issue_stock(Actor(carol), east_store, [WantedLine(gloves, 5)], recipient="卡点")

    assert low_alerts() == [] and services.sweep_supplies() == 0


def test_it_counts_expired_stock_as_gone_for_the_threshold(carol, east_store, masks):
    stock(east_store, masks, 500, expires_on=today() - timedelta(days=1))
    stock(east_store, masks, 120)

    services.issue_stock(Actor(carol), east_store, [WantedLine(masks, 30)], recipient="卡点")

    assert [a.message for a in low_alerts()] == [
        "东村物资点: 医用外科口罩 down to 90 只 (warning at 100)"
    ]


# The sweep -----------------------------------------------------------------------------------


def test_it_sweeps_batches_near_expiry_and_stores_under_threshold_once(
    carol, warehouse, east_store, masks, gloves
):
    in_10 = today() + timedelta(days=10)
    stock(warehouse, gloves, 40, expires_on=in_10, batch_number="G1")
    stock(warehouse, gloves, 40, expires_on=today() + timedelta(days=30), batch_number="G30")
    stock(warehouse, gloves, 40, expires_on=today() + timedelta(days=31), batch_number="G31")
    stock(warehouse, gloves, 40, expires_on=today() - timedelta(days=2), batch_number="OLD")
    stock(warehouse, gloves, 40, batch_number="NONE")
    stock(east_store, masks, 50)  # under 100, received: nobody's issue warned about it
    stock(warehouse, gloves, 5, expires_on=today() + timedelta(days=3), batch_number="GONE")
    services.issue_stock(Actor(carol), warehouse, [WantedLine(gloves, 5)], recipient="x")

    raised = services.sweep_supplies()

    messages = sorted(a.message for a in expiring_alerts())
    old_day = (today() - timedelta(days=2)).isoformat()
    assert messages == sorted(
        [
            f"青山镇物资仓库: 40 副 of 手套 (batch G1) expire on {in_10.isoformat()}",
            "青山镇物资仓库: 40 副 of 手套 (batch G30) expire on "
            f"{(today() + timedelta(days=30)).isoformat()}",
            f"青山镇物资仓库: 40 副 of 手套 (batch OLD) expired on {old_day}",
        ]
    )
    assert [a.message for a in low_alerts()] == [
        "东村物资点: 医用外科口罩 down to 50 只 (warning at 100)"
    ]
    assert raised == 4
    g1 = Batch.objects.get(number="G1")
    assert f"/supplies/stores/{warehouse.pk}/?batch={g1.pk}" in {a.link for a in expiring_alerts()}

    assert services.sweep_supplies() == 0  # idempotent
    assert len(expiring_alerts()) == 3 and len(low_alerts()) == 1


def test_it_warns_about_each_store_holding_a_batch_near_expiry(
    carol, warehouse, east_store, gloves
):
    stock(warehouse, gloves, 40, expires_on=today() + timedelta(days=5), batch_number="G")
    services.transfer_stock(Actor(carol), warehouse, east_store, [WantedLine(gloves, 10)])

    assert services.sweep_supplies() == 2
    assert sorted(a.jurisdiction_id for a in expiring_alerts()) == sorted(
        [warehouse.jurisdiction_id, east_store.jurisdiction_id]
    )


def test_it_sweeps_as_of_the_time_given(warehouse, gloves):
    stock(warehouse, gloves, 40, expires_on=today() + timedelta(days=45))

    assert services.sweep_supplies() == 0
    assert services.sweep_supplies(now=timezone.now() + timedelta(days=20)) == 1


def test_it_warns_again_after_an_expiry_alert_was_handled(carol, warehouse, gloves):
    stock(warehouse, gloves, 40, expires_on=today() + timedelta(days=5))
    services.sweep_supplies()
    acknowledge_alert(Actor(carol), expiring_alerts()[0])

    assert services.sweep_supplies() == 1


def test_it_sweeps_a_county_in_a_number_of_queries_that_does_not_grow_with_its_stores(
    django_assert_max_num_queries, town, masks, gloves
):
    """sweep_supplies runs every few minutes over a county's 200 stores × 50 items; its
    low-stock pass asks `available()` once per store and item (10,000 queries a sweep)."""
    from fangyi.testing import create_jurisdiction

    def stores_with_stock(count, first):
        for n in range(first, first + count):
            store = make_store(create_jurisdiction(f"999901100{n:03d}", f"村{n}"))
            stock(store, masks, 500)  # above the threshold: nothing to raise
            stock(store, gloves, 5)

    stores_with_stock(2, 301)
    with CaptureQueriesContext(connection) as two_stores:
        assert services.sweep_supplies() == 0
    stores_with_stock(8, 401)

    with django_assert_max_num_queries(len(two_stores.captured_queries)):
        assert services.sweep_supplies() == 0


# Days of cover -------------------------------------------------------------------------------


def local(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def test_it_counts_days_of_cover_from_the_last_seven_days_use(
    carol, east_store, warehouse, masks, gloves
):
    start = today() - timedelta(days=20)
    services.receive_stock(
        Actor(carol),
        east_store,
        [ReceivedLine(masks, 1000), ReceivedLine(gloves, 10)],
        source=Source.BOUGHT,
        at=local(start),
    )
    actor = Actor(carol)
    services.issue_stock(
        actor, east_store, [WantedLine(masks, 500)], recipient="x", at=local(start)
    )
    services.issue_stock(
        actor,
        east_store,
        [WantedLine(masks, 70)],
        recipient="x",
        at=local(today() - timedelta(days=6), 0),
    )
    services.issue_stock(
        actor, east_store, [WantedLine(masks, 70)], recipient="x", at=local(today(), 9)
    )
    services.transfer_stock(actor, east_store, warehouse, [WantedLine(masks, 0 + 70)])
    services.adjust_stock(actor, east_store, Batch.objects.get(item=masks), 280, reason="报损")

    covers = days_of_cover(Store.objects.filter(pk=east_store.pk), today=today())

    mask_cover = covers[(east_store.pk, masks.pk)]
    # used: 70 + 70 issued + 70 transferred out in the window (the stocktake loss does not count)
    assert (mask_cover.on_hand, mask_cover.used) == (280, 210)
    assert mask_cover.days == Decimal("9.3")  # 280 / (210 / 7)
    assert mask_cover.understocked
    glove_cover = covers[(east_store.pk, gloves.pk)]
    assert (glove_cover.on_hand, glove_cover.used, glove_cover.days) == (10, 0, None)
    assert not glove_cover.understocked


def test_it_shows_an_item_used_up_as_zero_days(carol, east_store, masks):
    stock(east_store, masks, 10)
    services.issue_stock(Actor(carol), east_store, [WantedLine(masks, 10)], recipient="x")

    cover = days_of_cover(Store.objects.filter(pk=east_store.pk))[(east_store.pk, masks.pk)]

    assert (cover.on_hand, cover.used, cover.days, cover.understocked) == (0, 10, 0, True)


# What each user reads ------------------------------------------------------------------------


def test_it_gives_each_user_their_own_stores_figures(
    alice, bob, carol, frank, dave, erin, warehouse, east_store, west_store, other_town, masks
):
    far_store = make_store(other_town)
    for n, store in enumerate((warehouse, east_store, west_store, far_store), start=1):
        stock(store, masks, n * 100)

    def seen(user):
        return stock_on_hand(Store.objects.visible_to(user))

    assert seen(alice) == {(east_store.pk, masks.pk): 200}
    assert seen(bob) == {(west_store.pk, masks.pk): 300}
    assert seen(carol) == {
        (warehouse.pk, masks.pk): 100,
        (east_store.pk, masks.pk): 200,
        (west_store.pk, masks.pk): 300,
    }
    assert seen(dave) == seen(carol)  # the auditor reads the town's stock
    assert seen(frank) == {(far_store.pk, masks.pk): 400}
    assert seen(erin) == {}  # a volunteer reads no stock
    for user in (alice, bob, carol, frank):
        visible = Store.objects.visible_to(user)
        assert stock_from_ledger(visible) == stock_on_hand(visible)


def test_it_reads_stock_on_hand_in_one_query(
    django_assert_num_queries, carol, warehouse, east_store, masks, gloves
):
    for store in (warehouse, east_store):
        stock(store, masks, 10)
        stock(store, gloves, 10)

    visible = Store.objects.visible_to(carol)  # reads carol's permissions (cached after)

    with django_assert_num_queries(1):
        figures = stock_on_hand(visible)

    assert len(figures) == 4
