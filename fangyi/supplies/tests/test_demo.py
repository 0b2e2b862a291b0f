"""`fangyi seed-demo` gives each demo town a warehouse, each village a store and some checkpoints
theirs, the catalogue with thresholds, three weeks of stock movements through the services
(allocations, purchases, hand-outs, the teams' use, requisitions in every state, a loan between
villages, this morning's stocktake), donations with their trail, and the alerts that follow.

The demo is seeded once for the module (the tests are one class on `seeded_demo`); each test's
own writes are rolled back after it."""

import time
from collections import defaultdict
from decimal import Decimal

from django.apps import apps
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from fangyi.core import demo
from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind, Jurisdiction, User
from fangyi.supplies import demo as supplies_demo
from fangyi.supplies import services
from fangyi.supplies.models import (
    Batch,
    Donation,
    DonorKind,
    Item,
    Movement,
    OperationKind,
    Requisition,
    RequisitionStatus,
    Source,
    StockLevel,
    StockOperation,
    Store,
    StoreKind,
    Unit,
)
from fangyi.supplies.selectors import days_of_cover, stock_from_ledger, stock_on_hand


def test_it_adds_the_step_once_after_the_checkpoints():
    apps.get_app_config("supplies").ready()
    apps.get_app_config("supplies").ready()

    names = [step.name for step in demo.STEPS]
    assert names.count("supplies") == 1 and supplies_demo.SUPPLIES_STEP in demo.STEPS
    assert names.index("checkpoints") < names.index("supplies")


def demo_stores():
    return Store.objects.within(demo.COUNTY_CODE)


def snapshot() -> list[tuple]:
    """What the step decides: every store's stock by item, and the requisitions' states."""
    stock = sorted(
        (store.name, item.name, str(quantity.normalize()))
        for (store_pk, item_pk), quantity in stock_on_hand(demo_stores()).items()
        for store in [Store.objects.get(pk=store_pk)]
        for item in [Item.objects.get(pk=item_pk)]
    )
    requisitions = sorted(
        Requisition.objects.within(demo.COUNTY_CODE).values_list("store__name", "status", "purpose")
    )
    return [*stock, *requisitions]


class TestTheSeededDemo:
    def test_it_gives_each_town_a_warehouse_each_village_a_store_and_some_checkpoints_one(
        self, seeded_demo
    ):
        for town in demo.plan_county("small"):
            stores = Store.objects.within(town.code)
            assert stores.filter(kind=StoreKind.WAREHOUSE, jurisdiction_id=town.code).count() == 1
            villages = stores.filter(kind=StoreKind.VILLAGE)
            assert sorted(villages.values_list("jurisdiction_id", flat=True)) == [
                v.code for v in town.villages
            ]
            assert stores.filter(kind=StoreKind.CHECKPOINT).exists()
        checkpoints = demo_stores().filter(kind=StoreKind.CHECKPOINT)
        assert {"东湾村东口", "G3高速青山镇出口", "青山镇东入口", "白水镇东入口"} == set(
            checkpoints.values_list("name", flat=True)
        )
        for store in checkpoints.select_related("checkpoint"):
            assert store.jurisdiction_id == store.checkpoint.jurisdiction_id
        assert Store.objects.get(name="东湾村物资点").keeper == "王金水"

        items = {i.name: i for i in Item.objects.all()}
        assert len(items) == len(supplies_demo.CATALOGUE) == 13
        assert {
            "N95口罩",
            "医用外科口罩",
            "一次性医用口罩",
            "医用防护服",
            "84消毒液",
            "医用酒精",
        } <= set(items)
        assert items["医用酒精"].unit == Unit.LITRE and not items["医用酒精"].countable
        assert items["护目镜"].unit == Unit.PAIR and items["医用防护服"].unit == Unit.SET
        assert all(item.warning_threshold > 0 for item in items.values())
        assert {i.unit for i in items.values()} <= set(Unit.values)

    def test_it_replays_three_weeks_of_movements_that_add_up(self, seeded_demo):
        stores = demo_stores()
        on_hand = stock_on_hand(stores)
        assert on_hand == stock_from_ledger(stores)  # the cache is the ledger's sum
        assert not StockLevel.objects.filter(quantity__lt=0).exists()
        for level in StockLevel.objects.all()[:50]:
            summed = Movement.objects.filter(store=level.store_id, batch=level.batch_id).aggregate(
                s=Sum("quantity")
            )["s"]
            assert summed == level.quantity

        operations = StockOperation.objects.within(demo.COUNTY_CODE)
        today = timezone.localdate()
        first = timezone.localdate(operations.order_by("at").first().at)
        assert (today - first).days == supplies_demo.HISTORY_DAYS
        assert timezone.localdate(operations.order_by("-at").first().at) == today  # stocktake
        kinds = defaultdict(int)
        for kind in operations.values_list("kind", flat=True):
            kinds[kind] += 1
        assert kinds[OperationKind.ISSUE] > 60 and kinds[OperationKind.TRANSFER] > 20
        assert kinds[OperationKind.RECEIVE] >= 8 and kinds[OperationKind.ADJUST] == 2
        sources = set(
            operations.filter(kind=OperationKind.RECEIVE).values_list("source", flat=True)
        )
        assert sources == {Source.ALLOCATED, Source.BOUGHT, Source.DONATED}
        # Used every few days by the village teams, every third day at the checkpoints.
        recipients = set(operations.values_list("recipient", flat=True))
        assert {
            "东湾村卡点值守组",
            "东湾村入户排查组",
            "东湾村消杀组",
            "东湾村东口值守人员",
        } <= recipients
        village = Store.objects.get(name="东湾村物资点")
        used_days = {
            timezone.localdate(at)
            for at in operations.filter(store=village, kind=OperationKind.ISSUE).values_list(
                "at", flat=True
            )
        }
        assert len(used_days) >= 10
        # The issues were made by 东湾村's own cadre, the checkpoint's by its staff.
        assert set(
            operations.filter(store=village, kind=OperationKind.ISSUE).values_list(
                "actor__username", flat=True
            )
        ) == {"village"}
        checkpoint = Store.objects.get(name="东湾村东口")
        assert set(
            operations.filter(store=checkpoint, kind=OperationKind.ISSUE).values_list(
                "actor__username", flat=True
            )
        ) == {"checkpoint"}
        # 西岭村 (sealed) borrowed N95 from 东湾村.
        loan = operations.get(
            kind=OperationKind.TRANSFER, store=village, to_store__name="西岭村物资点"
        )
        assert loan.reason == supplies_demo.LOAN[-1]
        # The stocktakes, this morning, with their reasons.
        for adjust in operations.filter(kind=OperationKind.ADJUST):
            assert adjust.reason and timezone.localdate(adjust.at) == today
        lost = operations.get(kind=OperationKind.ADJUST, store__name="南塘村物资点")
        assert lost.movements.get().quantity == -50
        # Batches with numbers, makers and (most of them) expiry dates.
        batches = Batch.objects.filter(movements__store__in=stores).distinct()
        assert not batches.filter(maker="").exists() and not batches.filter(number="").exists()
        assert batches.filter(expires_on__isnull=False).count() > batches.count() / 2

    def test_it_warns_of_low_expiring_and_expired_stock_and_counts_days_of_cover(self, seeded_demo):
        today = timezone.localdate()
        stores = demo_stores()
        expired = StockLevel.objects.filter(
            store__in=stores, quantity__gt=0, batch__expires_on__lt=today
        )
        assert expired.exists()
        assert (
            expired.values("batch__item__name").distinct().get()["batch__item__name"] == "84消毒液"
        )
        dongwan = Store.objects.get(name="东湾村物资点")
        bleach = Item.objects.get(name="84消毒液")
        assert services.available(dongwan, bleach) < sum(
            level.quantity for level in StockLevel.objects.filter(store=dongwan, item=bleach)
        )
        alerts = Alert.objects.within(demo.COUNTY_CODE).open()
        expiring = alerts.filter(kind=AlertKind.EXPIRING)
        # Messages are in the seeding's language: tell expired from expiring by the batch.
        expired_batches = {f"?batch={level.batch_id}" for level in expired}
        assert any(a.link.endswith(tuple(expired_batches)) for a in expiring)
        assert any(not a.link.endswith(tuple(expired_batches)) for a in expiring)
        low = alerts.filter(kind=AlertKind.LOW_STOCK)
        assert 1 <= low.count() <= 8
        items = {i.pk: i for i in Item.objects.all()}
        for alert in low:  # every open low-stock alert is still true
            path, _sep, item_pk = alert.link.partition("?item=")
            store = Store.objects.get(pk=path.rstrip("/").rsplit("/", 1)[1])
            item = items[int(item_pk)]
            assert services.available(store, item) < item.warning_threshold, alert.message
        # No store is left below a threshold without an open alert.
        assert services.sweep_supplies() == 0

        covers = days_of_cover(stores)
        understocked = [key for key, cover in covers.items() if cover.understocked]
        figured = [key for key, cover in covers.items() if cover.days is not None]
        assert understocked and len(figured) >= 40  # goggles, thermometers...: not used lately
        highway = Store.objects.get(name="G3高速青山镇出口")
        assert any(store_pk == highway.pk for store_pk, _item in understocked)

    def test_it_has_requisitions_in_every_state_dated_in_the_three_weeks(self, seeded_demo):
        requisitions = Requisition.objects.within(demo.COUNTY_CODE)
        states = defaultdict(list)
        for requisition in requisitions.prefetch_related("lines"):
            states[requisition.status].append(requisition)
        assert set(states) == set(RequisitionStatus.values)
        assert len(states[RequisitionStatus.SUBMITTED]) == 2
        today = timezone.localdate()
        for requisition in states[RequisitionStatus.SUBMITTED]:
            assert timezone.localdate(requisition.created_at) == today
        rejected = states[RequisitionStatus.REJECTED][0]
        assert rejected.decision_note and all(line.approved == 0 for line in rejected.lines.all())
        partly = [
            r
            for r in states[RequisitionStatus.RECEIVED]
            if any(line.approved < line.requested for line in r.lines.all())
        ]
        assert len(partly) >= 2
        assert any(r.store.kind == StoreKind.CHECKPOINT for r in states[RequisitionStatus.RECEIVED])
        for requisition in states[RequisitionStatus.RECEIVED] + states[RequisitionStatus.ISSUED]:
            assert requisition.created_at < requisition.decided_at < requisition.issued_at
            assert timezone.localdate(requisition.issued_at) < today
            transfer = requisition.operations.get()
            assert transfer.at == requisition.issued_at and transfer.to_store == requisition.store
            into = transfer.movements.filter(store=requisition.store)
            assert {m.at for m in transfer.movements.all()} == {requisition.issued_at}
            for line in requisition.lines.all():
                got = into.filter(item=line.item_id).aggregate(s=Sum("quantity"))["s"]
                assert got == line.issued == line.approved
        for requisition in states[RequisitionStatus.RECEIVED]:
            assert requisition.issued_at < requisition.received_at < timezone.now()
            if requisition.store.town_code == demo.MAIN_TOWN_CODE:  # by the village's account
                assert requisition.received_by.jurisdiction_id == requisition.store.jurisdiction_id
        assert requisitions.within("999901101").exists()  # 白水镇 too

    def test_it_records_donations_and_where_they_went(self, seeded_demo):
        donations = Donation.objects.within(demo.COUNTY_CODE)
        assert donations.count() == len(supplies_demo.DONATIONS)
        kinds = set(donations.values_list("donor_kind", flat=True))
        assert kinds == {DonorKind.PERSON, DonorKind.COMPANY}
        anonymous = donations.get(anonymous=True)
        assert anonymous.public_name == "爱心人士" and anonymous.donor_name != "爱心人士"
        money_only = donations.get(batches=None)
        assert money_only.money == Decimal("50000.00")
        with_phone = donations.exclude(contact_phone_cipher=None)
        assert with_phone.count() >= 4
        for donation in with_phone:
            assert b"139" not in bytes(donation.contact_phone_cipher)
        numbers = list(donations.values_list("receipt_number", flat=True))
        assert len(set(numbers)) == len(numbers) and all(n.startswith("JZ") for n in numbers)

        warehouses = set(
            demo_stores().filter(kind=StoreKind.WAREHOUSE).values_list("pk", flat=True)
        )
        passed_on = used = 0
        for donation in donations.exclude(batches=None).prefetch_related("batches"):
            assert donation.store_id in warehouses
            for batch in donation.batches.all():
                moves = Movement.objects.filter(batch=batch).select_related("operation")
                received = moves.get(operation__kind=OperationKind.RECEIVE)
                assert received.operation.donation == donation and batch.source == Source.DONATED
                held = StockLevel.objects.filter(batch=batch).aggregate(s=Sum("quantity"))["s"]
                issued = -(
                    moves.filter(operation__kind=OperationKind.ISSUE).aggregate(s=Sum("quantity"))[
                        "s"
                    ]
                    or 0
                )
                adjusted = (
                    moves.filter(operation__kind=OperationKind.ADJUST).aggregate(s=Sum("quantity"))[
                        "s"
                    ]
                    or 0
                )
                # The trail adds up: what came in is held somewhere, used, or counted off.
                assert received.quantity == held + issued - adjusted
                elsewhere = moves.filter(operation__kind=OperationKind.TRANSFER, quantity__gt=0)
                passed_on += elsewhere.exclude(store_id__in=warehouses).count()
                used += issued > 0
        assert passed_on >= 8 and used >= 3

    def test_it_seeds_in_seconds_the_same_again_and_resets_only_its_rows(self, seeded_demo):
        first = snapshot()
        people = User.objects.count(), Jurisdiction.objects.count()

        deleted = supplies_demo.reset_supplies()

        assert deleted > 1000
        assert not demo_stores().exists() and not Store.objects.exists()
        for model in (StockLevel, Movement, StockOperation, Batch, Requisition, Donation, Item):
            assert not model.objects.exists(), model
        assert not Alert.objects.filter(link__startswith="/supplies/").exists()
        assert (User.objects.count(), Jurisdiction.objects.count()) == people
        assert supplies_demo.reset_supplies() == 0

        ctx = demo.DemoContext(
            "small", Actor.system("test"), demo.plan_county("small"), demo.no_progress
        )
        started = time.process_time()  # the machine may be busy with other work
        supplies_demo.seed_supplies(ctx)
        seconds = time.process_time() - started
        assert snapshot() == first
        assert ctx.counts["supplies_stores"] == 15 and ctx.counts["supplies_donations"] == 6
        assert seconds < 6, seconds  # ~3 s

    def test_it_lists_the_ledger_in_the_admin_read_only_and_without_phones(
        self, seeded_demo, client_for, django_assert_max_num_queries
    ):
        client = client_for(User.objects.get(username="admin"))
        for model in (
            "item",
            "store",
            "batch",
            "stocklevel",
            "stockoperation",
            "movement",
            "requisition",
            "donation",
        ):
            with django_assert_max_num_queries(12):
                page = client.get(reverse(f"admin:supplies_{model}_changelist"))
            assert page.status_code == 200, model
            assert client.get(reverse(f"admin:supplies_{model}_add")).status_code == 403, model
        for model in (Movement, StockOperation, StockLevel):
            row = model.objects.first()
            name = model._meta.model_name
            change = client.get(reverse(f"admin:supplies_{name}_change", args=[row.pk]))
            assert change.status_code == 200
            assert 'name="_save"' not in change.content.decode()
            delete = reverse(f"admin:supplies_{name}_delete", args=[row.pk])
            assert client.post(delete, {"post": "yes"}).status_code == 403
            assert model.objects.filter(pk=row.pk).exists()
            assert client.post(change.wsgi_request.path, {}).status_code == 403
        operation = StockOperation.objects.filter(kind=OperationKind.TRANSFER).first()
        page = client.get(reverse("admin:supplies_stockoperation_change", args=[operation.pk]))
        assert page.status_code == 200 and operation.reason in page.content.decode()

        donation = Donation.objects.get(donor_name="示范县宏达医疗器械有限公司")
        page = client.get(reverse("admin:supplies_donation_change", args=[donation.pk]))
        assert page.status_code == 200
        html = page.content.decode()
        assert "黄宏达" in html and "13905561288" not in html and "contact_phone" not in html
        assert (
            "13905561288"
            not in client.get(reverse("admin:supplies_donation_changelist")).content.decode()
        )

    def test_it_shows_a_village_cadre_only_their_villages_stores_in_the_admin(
        self, seeded_demo, client_for
    ):
        cadre = User.objects.get(username="village")  # 东湾村
        User.objects.filter(pk=cadre.pk).update(is_staff=True)
        cadre.refresh_from_db()
        client = client_for(cadre)

        page = client.get(reverse("admin:supplies_store_changelist"))
        assert page.status_code == 200
        html = page.content.decode()
        assert "东湾村物资点" in html and "东湾村东口" in html
        assert "西岭村物资点" not in html and "青山镇物资仓库" not in html
        other = Store.objects.get(name="西岭村物资点")
        page = client.get(reverse("admin:supplies_store_change", args=[other.pk]))
        assert page.status_code == 302 and page.url == reverse("admin:index")
        page = client.get(reverse("admin:supplies_movement_changelist"))
        assert page.status_code == 200
        seen = set(page.context["cl"].queryset.values_list("store__name", flat=True))
        assert seen and seen <= {"东湾村物资点", "东湾村东口"}
