"""The supplies part of the demo county (`fangyi seed-demo`, see fangyi/core/demo.py).

Each demo town has a warehouse (镇物资仓库), each village a store (村物资点), and a few
checkpoints a store of their own (东湾村东口, the G3 exit, the towns' east entrances). The
county's catalogue holds masks, protective clothing, disinfectants and thermometers, each with a
warning threshold. The demo replays the last three weeks through the services, in order: the
county's allocation comes into the warehouses, the town hands it out to the villages and
checkpoints by population, buys disinfectant, receives donations from people and companies (one
anonymous, one of money only) and passes the donated batches on to the villages; the villages'
teams (东湾村卡点值守组, 入户排查组, 消杀组) take what they use every few days; from the second
week the villages and checkpoints ask through requisitions, which the town approves fully or
partly, rejects, issues, and the villages confirm; 东湾村 lends 西岭村 (sealed) masks. This
morning the town counted two stores (a stocktake adjustment each) and two requisitions wait for
approval; the sweep then warns of what is low, expiring, or expired (an old batch of 84消毒液).

Everything is written with its past time by the services themselves. Drawn from the step's own
`random.Random`, relative to the local date of the run: two runs on the same day give the same
stock.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.checkpoints.models import Checkpoint, CheckpointKind
from fangyi.core.audit import Actor
from fangyi.core.demo import COUNTY_CODE, MAIN_TOWN_CODE, DemoContext, DemoStep
from fangyi.core.models import Alert, AlertKind, Jurisdiction, User
from fangyi.core.roles import Role
from fangyi.core.services import acknowledge_alert
from fangyi.supplies import services
from fangyi.supplies.models import (
    Batch,
    Donation,
    DonorKind,
    Item,
    ItemCategory,
    Movement,
    Requisition,
    Source,
    StockLevel,
    StockOperation,
    Store,
    StoreKind,
    Unit,
)
from fangyi.supplies.services import ReceivedLine, WantedLine

HISTORY_DAYS = 21
BASE_RESIDENTS = 400  # a village of this size gets the quantities below as they are

# The catalogue: key → (name, specification, unit, category, warning threshold).
CATALOGUE = {
    "n95": ("N95口罩", "KN95 防护级", Unit.PIECE, ItemCategory.PROTECTION, 30),
    "surgical": ("医用外科口罩", "YY 0469 三层", Unit.PIECE, ItemCategory.PROTECTION, 200),
    "disposable": ("一次性医用口罩", "YY/T 0969", Unit.PIECE, ItemCategory.PROTECTION, 150),
    "gown": ("医用防护服", "GB 19082 连体式", Unit.SET, ItemCategory.PROTECTION, 10),
    "goggles": ("护目镜", "防雾 可消毒重复使用", Unit.PAIR, ItemCategory.PROTECTION, 3),
    "shield": ("防护面罩", "全脸 防飞溅", Unit.ONE, ItemCategory.PROTECTION, 3),
    "gloves": ("一次性乳胶手套", "中号 无粉", Unit.PAIR, ItemCategory.PROTECTION, 100),
    "bleach": ("84消毒液", "500ml 有效氯5%", Unit.BOTTLE, ItemCategory.DISINFECTION, 15),
    "alcohol": ("医用酒精", "75% 5升桶装", Unit.LITRE, ItemCategory.DISINFECTION, 8),
    "sanitiser": ("免洗洗手液", "500ml", Unit.BOTTLE, ItemCategory.DISINFECTION, 4),
    "ir": ("额温枪", "红外 非接触", Unit.STICK, ItemCategory.DETECTION, 2),
    "digital": ("电子体温计", "腋下 ±0.1℃", Unit.STICK, ItemCategory.DETECTION, 5),
    "mercury": ("水银体温计", "三角棒式", Unit.STICK, ItemCategory.DETECTION, 10),
}

_MAKERS = {
    "n95": "华东防护用品有限公司",
    "surgical": "示范县康泰医疗用品有限公司",
    "disposable": "示范县康泰医疗用品有限公司",
    "gown": "瑞安医疗科技有限公司",
    "goggles": "金盾劳保用品厂",
    "shield": "金盾劳保用品厂",
    "gloves": "蓝帆护理用品有限公司",
    "bleach": "安洁消毒制品有限公司",
    "alcohol": "利民消毒制品有限公司",
    "sanitiser": "安洁消毒制品有限公司",
    "ir": "瑞康医疗器械有限公司",
    "digital": "瑞康医疗器械有限公司",
    "mercury": "华光玻璃仪器厂",
}

# The county's allocation to a town of six villages of BASE_RESIDENTS (scaled to the real
# ones): key → (quantity, days from today to expiry or None). The old 84消毒液 expired 4 days
# ago: its last bottles are still on a shelf somewhere and may not be issued.
ALLOCATION = {
    "n95": (800, 540),
    "surgical": (10000, 700),
    "disposable": (6000, 500),
    "gown": (200, 600),
    "goggles": (60, None),
    "shield": (60, None),
    "gloves": (4000, 900),
    "bleach": (300, 400),
    "old_bleach": (60, -4),
    "alcohol": (120, 300),
    "sanitiser": (90, 500),
    "ir": (30, None),
    "digital": (80, None),
    "mercury": (150, None),
}
# Bought by the town on day 3 (the alcohol expires within the month: warned).
PURCHASE = {"bleach": (200, 365), "alcohol": (60, 20), "sanitiser": (60, 400)}
PURCHASE_REASON = "镇财政应急采购"

# The first hand-out, a day after the allocation, per village of BASE_RESIDENTS.
VILLAGE_SHARE = {
    "surgical": 700,
    "disposable": 400,
    "n95": 50,
    "gown": 12,
    "goggles": 6,
    "shield": 6,
    "gloves": 300,
    "bleach": 40,
    "alcohol": 20,
    "sanitiser": 10,
    "ir": 3,
    "digital": 12,
    "mercury": 20,
}
# ...and to each checkpoint store (the highway exit also gets N95 and protective clothing).
CHECKPOINT_SHARE = {"surgical": 400, "gloves": 150, "sanitiser": 6}
HIGHWAY_SHARE = {"n95": 60, "gown": 15}
# The village teams: (name, every how many days they come, on which day of the cycle, at
# what hour, what they use a day: key → (least, most) per BASE_RESIDENTS). They take a few
# days' worth at a time. The smaller town's teams come half as often, for twice as long.
TEAMS = (
    ("卡点值守组", 3, 0, 7, {"surgical": (20, 30), "gloves": (5, 10), "sanitiser": (0, 0.5)}),
    (
        "入户排查组",
        4,
        1,
        8,
        {"surgical": (7, 10), "n95": (2, 3.3), "gown": (0.3, 1), "digital": (0, 0.7)},
    ),
    ("消杀组", 5, 2, 14, {"bleach": (1.2, 2), "alcohol": (0.5, 1), "disposable": (8, 12)}),
)
CHECKPOINT_EVERY = 3
CHECKPOINT_USE = {"surgical": (15, 20), "gloves": (4, 6)}
HIGHWAY_USE = {"n95": (5, 7), "gown": (1, 2)}
ON_DUTY = "值守人员"


@dataclass(frozen=True)
class DonationPlan:
    days_ago: int
    town: str
    donor: str
    kind: str
    lines: dict[str, tuple[int, int | None]]  # key → (quantity, days to expiry)
    contact: str = ""
    phone: str = ""
    anonymous: bool = False
    money: str | None = None
    note: str = ""
    # Passed on a day later: village index → {key: quantity} (the donated batches expire
    # before the rest of their item, so they are the ones taken: first expiring first out).
    hand_out: dict[int, dict[str, int]] | None = None


DONATIONS = (
    DonationPlan(
        17,
        MAIN_TOWN_CODE,
        "示范县宏达医疗器械有限公司",
        DonorKind.COMPANY,
        {"surgical": (5000, 330), "n95": (300, 400)},
        contact="黄宏达",
        phone="13905561288",
        note="企业捐赠抗疫物资",
        hand_out={0: {"surgical": 500, "n95": 40}, 1: {"surgical": 500, "n95": 60}},
    ),
    DonationPlan(
        15,
        MAIN_TOWN_CODE,
        "王志刚",
        DonorKind.PERSON,
        {"disposable": (3000, 200), "ir": (10, None)},
        contact="王志刚",
        phone="13856123307",
        note="在外经商的青山镇人，托人送回",
        hand_out={2: {"disposable": 400}, 3: {"disposable": 400}},
    ),
    DonationPlan(
        12,
        MAIN_TOWN_CODE,
        "刘某某",
        DonorKind.PERSON,
        {"bleach": (100, 25), "alcohol": (50, 200)},
        anonymous=True,
        note="捐赠人要求不公开姓名",
        hand_out={4: {"bleach": 30}, 5: {"bleach": 30}},
    ),
    DonationPlan(
        10,
        MAIN_TOWN_CODE,
        "示范县青山商会",
        DonorKind.COMPANY,
        {},
        contact="陶会长",
        phone="13705569001",
        money="50000.00",
        note="捐款，用于采购防疫物资",
    ),
    DonationPlan(
        6,
        MAIN_TOWN_CODE,
        "示范县康宁药业有限公司",
        DonorKind.COMPANY,
        {"sanitiser": (120, 300), "digital": (50, None)},
        contact="孙经理",
        phone="15955610086",
        hand_out={0: {"sanitiser": 20}, 1: {"sanitiser": 20}},
    ),
    DonationPlan(
        9,
        "999901101",
        "李秀英",
        DonorKind.PERSON,
        {"surgical": (1000, 300)},
        contact="李秀英",
        phone="18256130452",
        note="退休教师",
        hand_out={0: {"surgical": 400}},
    ),
)


@dataclass(frozen=True)
class RequisitionPlan:
    """A village's (or a checkpoint's) request: asked `days_ago`, decided a day later (its
    approved quantities, or None: rejected with `note`), issued the same day, confirmed the
    next; `stop` says where it is today: submitted, approved, issued, received, withdrawn."""

    days_ago: int
    village: int  # index in the town's villages, or -1: 东湾村东口's checkpoint store
    asked: dict[str, int]
    purpose: str
    approved: dict[str, int] | None
    note: str = ""
    stop: str = "received"


REQUISITIONS = (
    RequisitionPlan(
        14,
        0,
        {"surgical": 600, "n95": 60, "gown": 20},
        "卡点和入户排查消耗大",
        {"surgical": 600, "n95": 60, "gown": 20},
    ),
    RequisitionPlan(
        12,
        2,
        {"surgical": 500, "bleach": 40},
        "补充本周用量",
        {"surgical": 300, "bleach": 40},
        note="仓库紧张，口罩先发300只",
    ),
    RequisitionPlan(
        10,
        3,
        {"gown": 30, "goggles": 10},
        "入户排查需要",
        {"gown": 20, "goggles": 6},
        note="按需减量",
    ),
    RequisitionPlan(
        9,
        4,
        {"ir": 5},
        "卡点备用",
        None,
        note="村里已有额温枪3支，按配置标准不再增配；坏了可凭旧枪换新",
    ),
    RequisitionPlan(
        7,
        5,
        {"surgical": 400, "disposable": 300, "gloves": 200},
        "返乡人员增多，入户排查加密",
        {"surgical": 400, "disposable": 300, "gloves": 200},
    ),
    RequisitionPlan(
        5, -1, {"surgical": 300, "gloves": 100}, "卡点值守用", {"surgical": 200, "gloves": 100}
    ),
    RequisitionPlan(
        3,
        1,
        {"n95": 100, "gown": 20},
        "村封闭管理，入户人员防护",
        {"n95": 80, "gown": 20},
        stop="issued",
    ),
    RequisitionPlan(
        2,
        2,
        {"alcohol": 20, "bleach": 30},
        "公共场所每日消杀",
        {"alcohol": 20, "bleach": 30},
        stop="approved",
    ),
    RequisitionPlan(1, 4, {"surgical": 500}, "卡点值守用", None, stop="withdrawn"),
)
# Asked this morning, waiting for the town.
TODAY_REQUISITIONS = (
    (0, {"bleach": 40, "digital": 20}, "84消毒液已过期不能用；居家隔离户增加，需发放体温计"),
    (3, {"surgical": 500, "gloves": 300}, "消杀组和卡点用量增加"),
)
LOAN = (8, 0, 1, {"n95": 30}, "西岭村封闭管理，临时调剂")  # days ago, from, to, lines, reason
STOCKTAKES = (  # store (village index or None: the warehouse), key, difference, reason
    (2, "disposable", -50, "盘点：受潮损坏50只，已报废"),
    (None, "bleach", 2, "盘点多出2瓶：领用登记有误，已更正"),
)


# Stores ---------------------------------------------------------------------------------------


@dataclass
class _Town:
    place: Jurisdiction
    warehouse: Store
    villages: list[tuple[Jurisdiction, Store, float]]  # village, its store, size factor
    checkpoints: list[Store]
    keeper: Actor  # the town's warehouse (镇干部)
    decider: Actor  # approves requisitions (镇指挥长)
    village_actors: dict[str, Actor]


def _demo_actor(users: dict[str, User], username: str, default: Actor) -> Actor:
    user = users.get(username)
    return Actor(user=user, label="demo") if user else default


def _make_stores(ctx: DemoContext) -> list[_Town]:
    actor = ctx.actor
    places = Jurisdiction.objects.in_bulk(
        [t.code for t in ctx.towns] + [v.code for t in ctx.towns for v in t.villages]
    )
    checkpoints = {
        c.name: c
        for c in Checkpoint.objects.within(COUNTY_CODE).filter(
            Q(kind=CheckpointKind.HIGHWAY_EXIT) | Q(name__endswith="东入口") | Q(name="东湾村东口")
        )
    }
    users = {u.username: u for u in User.objects.filter(jurisdiction__code__startswith=COUNTY_CODE)}
    cadres = {
        u.jurisdiction_id: u
        for u in sorted(users.values(), key=lambda u: u.username, reverse=True)
        if u.role == Role.VILLAGE_CADRE
    }
    towns = []
    for plan in ctx.towns:
        place = places[plan.code]
        main = plan.code == MAIN_TOWN_CODE
        warehouse = services.save_store(
            actor,
            Store(
                name=f"{place.name}物资仓库",
                kind=StoreKind.WAREHOUSE,
                jurisdiction=place,
                keeper="刘晓燕" if main else "陈立新",
            ),
        )
        villages = []
        for village in plan.villages:
            store = services.save_store(
                actor,
                Store(
                    name=f"{village.name}物资点",
                    kind=StoreKind.VILLAGE,
                    jurisdiction=places[village.code],
                    keeper=cadres[village.code].full_name if village.code in cadres else "",
                ),
            )
            size = max(0.5, village.residents / BASE_RESIDENTS)
            villages.append((places[village.code], store, size))
        stores = []
        for checkpoint in sorted(
            (c for c in checkpoints.values() if c.jurisdiction_id.startswith(plan.code)),
            key=lambda c: c.pk,
        ):
            stores.append(
                services.save_store(
                    actor,
                    Store(
                        name=checkpoint.name,
                        kind=StoreKind.CHECKPOINT,
                        checkpoint=checkpoint,
                        jurisdiction_id=checkpoint.jurisdiction_id,
                    ),
                )
            )
        village_actors = {
            code: Actor(user=user, label="demo") for code, user in cadres.items() if user
        }
        if "checkpoint" in users:
            village_actors["checkpoint"] = Actor(user=users["checkpoint"], label="demo")
        towns.append(
            _Town(
                place,
                warehouse,
                villages,
                stores,
                _demo_actor(users, "cadre", actor) if main else actor,
                _demo_actor(users, "commander", actor) if main else actor,
                village_actors if main else {},
            )
        )
    return towns


def _catalogue(actor: Actor) -> dict[str, Item]:
    existing = {(i.name, i.specification): i for i in Item.objects.all()}
    items = {}
    for key, (name, spec, unit, category, threshold) in CATALOGUE.items():
        item = existing.get((name, spec))
        if item is None:
            item = services.save_item(
                actor,
                Item(
                    name=name,
                    specification=spec,
                    unit=unit,
                    category=category,
                    warning_threshold=Decimal(threshold),
                ),
            )
        items[key] = item
    return items


# The replay -----------------------------------------------------------------------------------


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


class _Replay:
    def __init__(self, ctx: DemoContext, towns: list[_Town], items: dict[str, Item]) -> None:
        self.ctx = ctx
        self.rng: random.Random = ctx.rng("supplies")
        self.towns = towns
        self.items = items
        self.today = timezone.localdate()
        self.events: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.operations = 0

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def at(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        return _local(self.day(days_ago), hour, minute)

    def plan(self, when: datetime, action: Callable[[datetime], None]) -> None:
        self.events.append((when, len(self.events), action))

    def run(self) -> None:
        self.events.sort(key=lambda e: (e[0], e[1]))
        total = len(self.events)
        for number, (when, _n, action) in enumerate(self.events, start=1):
            action(when)
            if number % 50 == 0 or number == total:
                self.ctx.progress(_("supplies operations"), number, total)

    # Quantities

    def _quantity(self, key: str, base: float, size: float) -> Decimal:
        if self.items[key].countable:
            return Decimal(max(0, round(base * size)))
        return Decimal(max(0, round(base * size * 2))) / 2  # litres by the half

    def lines(self, wanted: dict[str, float], size: float = 1.0) -> list[WantedLine]:
        lines = []
        for key, base in wanted.items():
            quantity = self._quantity(key, base, size)
            if quantity > 0:
                lines.append(WantedLine(self.items[key], quantity))
        return lines

    def _drawn(self, ranges: dict[str, tuple[int, int]], size: float) -> dict[str, float]:
        return {key: self.rng.uniform(least, most) for key, (least, most) in ranges.items()}

    def _capped(self, store: Store, lines: list[WantedLine], day: date) -> list[WantedLine]:
        """What of `lines` the store can give on `day` (a team takes what is left)."""
        have = dict(
            StockLevel.objects.filter(
                store=store, item__in=[line.item for line in lines], quantity__gt=0
            )
            .exclude(batch__expires_on__lt=day)
            .values_list("item")
            .annotate(total=Sum("quantity"))
            .order_by()
        )
        capped = []
        for line in lines:
            quantity = min(line.quantity, have.get(line.item.pk, Decimal(0)))
            if quantity > 0:
                capped.append(WantedLine(line.item, quantity))
        return capped

    # Acts

    def receive(self, town: _Town, days_ago: int, source: str, reason: str, stock: dict) -> None:
        def act(at: datetime) -> None:
            lines = []
            for key, (quantity, expires_in) in stock.items():
                item_key = key.removeprefix("old_")
                received_on = self.day(days_ago)
                lines.append(
                    ReceivedLine(
                        self.items[item_key],
                        quantity,
                        batch_number=_batch_number(item_key, received_on, key.startswith("old_")),
                        expires_on=self.today + timedelta(days=expires_in)
                        if expires_in is not None
                        else None,
                        maker=_MAKERS[item_key],
                    )
                )
            services.receive_stock(
                town.keeper, town.warehouse, lines, source=source, reason=reason, at=at
            )
            self.operations += 1

        self.plan(self.at(days_ago, 10, 30), act)

    def transfer(
        self,
        actor: Actor,
        from_store: Store,
        to_store: Store,
        wanted: dict[str, float],
        when: datetime,
        reason: str,
        size: float = 1.0,
    ) -> None:
        def act(at: datetime) -> None:
            lines = self._capped(from_store, self.lines(wanted, size), timezone.localdate(at))
            if lines:
                services.transfer_stock(actor, from_store, to_store, lines, reason=reason, at=at)
                self.operations += 1

        self.plan(when, act)

    def issue(
        self, actor: Actor, store: Store, recipient: str, ranges: dict, size: float, when: datetime
    ) -> None:
        def act(at: datetime) -> None:
            wanted = self.lines(self._drawn(ranges, size))
            lines = self._capped(store, wanted, timezone.localdate(at))
            if lines:
                services.issue_stock(actor, store, lines, recipient=recipient, reason="", at=at)
                self.operations += 1

        self.plan(when, act)

    def donation(self, town: _Town, plan: DonationPlan) -> None:
        def act(at: datetime) -> None:
            received_on = self.day(plan.days_ago)
            services.receive_donation(
                town.keeper,
                town.warehouse,
                donor_name=plan.donor,
                donor_kind=plan.kind,
                lines=[
                    ReceivedLine(
                        self.items[key],
                        quantity,
                        batch_number=_batch_number(key, received_on, donated=True),
                        expires_on=self.today + timedelta(days=expires)
                        if expires is not None
                        else None,
                        maker=_MAKERS[key],
                    )
                    for key, (quantity, expires) in plan.lines.items()
                ],
                contact_name=plan.contact,
                contact_phone=plan.phone,
                anonymous=plan.anonymous,
                money=plan.money,
                note=plan.note,
                received_at=at,
            )
            self.operations += 1

        self.plan(self.at(plan.days_ago, 15, 20), act)
        for index, wanted in (plan.hand_out or {}).items():
            if index < len(town.villages):
                _village, store, _size = town.villages[index]
                self.transfer(
                    town.keeper,
                    town.warehouse,
                    store,
                    wanted,
                    self.at(plan.days_ago - 1, 9, 10 + index),
                    f"转发{'爱心人士' if plan.anonymous else plan.donor}捐赠物资",
                )

    def requisition(self, town: _Town, plan: RequisitionPlan) -> None:
        if plan.village == -1:
            store = next((s for s in town.checkpoints if s.name == "东湾村东口"), None)
            asker = town.village_actors.get("checkpoint", self.ctx.actor)
        elif plan.village < len(town.villages):
            village, store, _size = town.villages[plan.village]
            asker = town.village_actors.get(village.code, self.ctx.actor)
        else:
            return
        if store is None:
            return
        made: dict[str, Requisition] = {}
        asked_at = self.at(plan.days_ago, 8, 40)
        decided_at = self.at(plan.days_ago - 1 if plan.days_ago > 1 else plan.days_ago, 11, 5)
        issued_at = decided_at + timedelta(hours=3)
        received_at = issued_at + timedelta(hours=2, minutes=30)

        def ask(at: datetime) -> None:
            made["it"] = services.submit_requisition(
                asker,
                store,
                self.lines(plan.asked),
                purpose=plan.purpose,
                needed_by=self.day(plan.days_ago - 2),
                at=at,
            )

        def decide(at: datetime) -> None:
            requisition = made["it"]
            if plan.stop == "withdrawn":
                services.withdraw_requisition(asker, requisition)
                return
            lines = {line.item_id: line.pk for line in requisition.lines.all()}
            approved = {
                lines[self.items[key].pk]: quantity
                for key, quantity in (plan.approved or {}).items()
            }
            services.decide_requisition(
                town.decider,
                requisition,
                approved=approved,
                from_store=town.warehouse,
                note=plan.note,
                at=at,
            )

        def issue(at: datetime) -> None:
            services.issue_requisition(town.keeper, made["it"], at=at)
            self.operations += 1

        def confirm(at: datetime) -> None:
            services.confirm_receipt(asker, made["it"], at=at)

        self.plan(asked_at, ask)
        if plan.stop == "submitted":
            return
        self.plan(decided_at, decide)
        if plan.approved is None or plan.stop in ("approved", "withdrawn"):
            return
        self.plan(issued_at, issue)
        if plan.stop == "received":
            self.plan(received_at, confirm)


def _village_share(items: dict[str, Item], size: float) -> dict[str, float]:
    """A village's first hand-out: by population, but never under twice the warning level."""
    return {
        key: max(base * size, 2 * float(items[key].warning_threshold))
        for key, base in VILLAGE_SHARE.items()
    }


def _batch_number(key: str, received_on: date, old: bool = False, donated: bool = False) -> str:
    """A maker's lot number, made some weeks before it reached the town."""
    made = received_on - timedelta(days=400 if old else 35)
    prefix = "JZ" if donated else key[:2].upper()
    return f"{prefix}{made:%Y%m%d}{len(key):02d}"


def _plan_town(replay: _Replay, town: _Town, main: bool) -> None:
    rng = replay.rng
    villages = town.villages
    scale = sum(size for _v, _s, size in villages) / 6
    first = HISTORY_DAYS
    shares = [_village_share(replay.items, size) for _v, _s, size in villages]
    handed_out = {key: sum(share[key] for share in shares) for key in VILLAGE_SHARE}
    allocation = {  # enough for the first hand-out and half as much again
        key: (max(round(quantity * scale), round(handed_out.get(key, 0) * 1.5)), expires)
        for key, (quantity, expires) in ALLOCATION.items()
    }
    replay.receive(town, first, Source.ALLOCATED, "县指挥部第一批防疫物资调拨", allocation)
    purchase = {key: (max(1, round(q * scale)), e) for key, (q, e) in PURCHASE.items()}
    replay.receive(town, first - 3, Source.BOUGHT, PURCHASE_REASON, purchase)
    if main:
        late = {"surgical": (round(4000 * scale), 720), "gown": (round(60 * scale), 600)}
        replay.receive(town, 9, Source.BOUGHT, "用青山商会捐款采购", late)

    # The first hand-out, the day after the allocation, by population.
    for number, ((_village, store, _size), share) in enumerate(zip(villages, shares, strict=True)):
        replay.transfer(
            town.keeper,
            town.warehouse,
            store,
            share,
            replay.at(first - 1, 9, number),
            "首批配发（按人口分配）",
        )
    for number, store in enumerate(town.checkpoints):
        checkpoint = store.checkpoint
        share = dict(CHECKPOINT_SHARE)
        if checkpoint.kind == CheckpointKind.HIGHWAY_EXIT:
            share.update(HIGHWAY_SHARE)
        source = town.warehouse
        actor = town.keeper
        if len(checkpoint.jurisdiction_id) == 12:  # a village entrance: from the village's store
            source = next(s for v, s, _z in villages if v.code == checkpoint.jurisdiction_id)
            actor = town.village_actors.get(checkpoint.jurisdiction_id, town.keeper)
        replay.transfer(
            actor, source, store, share, replay.at(first - 1, 14, number), "卡点首批配发"
        )

    # The teams take a few days' worth at a time; the checkpoints every third day.
    pace = 1 if main else 2
    for days_ago in range(first - 1, 0, -1):
        cycle = first - days_ago
        for village, store, size in villages:
            actor = town.village_actors.get(village.code, replay.ctx.actor)
            for name, every, offset, hour, per_day in TEAMS:
                if cycle % (every * pace) == offset:
                    replay.issue(
                        actor,
                        store,
                        f"{village.name}{name}",
                        per_day,
                        size * every * pace,
                        replay.at(days_ago, hour, rng.randrange(60)),
                    )
        if cycle % CHECKPOINT_EVERY == 1:
            for store in town.checkpoints:
                checkpoint = store.checkpoint
                per_day = dict(CHECKPOINT_USE)
                if checkpoint.kind == CheckpointKind.HIGHWAY_EXIT:
                    per_day.update(HIGHWAY_USE)
                actor = (
                    town.village_actors.get("checkpoint", town.keeper)
                    if len(checkpoint.jurisdiction_id) == 12
                    else town.keeper
                )
                replay.issue(
                    actor,
                    store,
                    f"{checkpoint.name}{ON_DUTY}",
                    per_day,
                    CHECKPOINT_EVERY,
                    replay.at(days_ago, 18, rng.randrange(60)),
                )

    for plan in DONATIONS:
        if plan.town == town.place.code:
            replay.donation(town, plan)
    if main:
        for plan in REQUISITIONS:
            replay.requisition(town, plan)
        days_ago, giver, taker, wanted, reason = LOAN
        if max(giver, taker) < len(villages):
            replay.transfer(  # the town arranges it: a village cadre acts in their village only
                town.keeper,
                villages[giver][1],
                villages[taker][1],
                wanted,
                replay.at(days_ago, 16, 45),
                reason,
            )
    else:
        replay.requisition(
            town, RequisitionPlan(8, 0, {"surgical": 300}, "卡点值守用", {"surgical": 300})
        )


def _this_morning(replay: _Replay, town: _Town) -> None:
    """Today's stocktakes and requisitions, at the time of the run."""
    items = replay.items
    for index, key, difference, reason in STOCKTAKES:
        if index is not None and index >= len(town.villages):
            continue
        store = town.warehouse if index is None else town.villages[index][1]
        level = (
            StockLevel.objects.filter(store=store, item=items[key], quantity__gt=0)
            .order_by("-quantity", "pk")
            .first()
        )
        if level is not None and level.quantity + difference >= 0:
            services.adjust_stock(
                town.keeper, store, level.batch, level.quantity + difference, reason=reason
            )
            replay.operations += 1
    for index, asked, purpose in TODAY_REQUISITIONS:
        if index < len(town.villages):
            village, store, _size = town.villages[index]
            services.submit_requisition(
                town.village_actors.get(village.code, replay.ctx.actor),
                store,
                replay.lines(asked),
                purpose=purpose,
                needed_by=replay.today + timedelta(days=1),
            )


def _acknowledge_handled_alerts(towns: list[_Town], items: dict[str, Item]) -> None:
    """A store that ran low during the three weeks and was refilled since: the town has
    handled its alert (those still low stay open)."""
    stores = {s.pk: (s, t) for t in towns for s in _stores_of(t)}
    thresholds = {item.pk: item for item in items.values()}
    for alert in Alert.objects.open().filter(
        kind=AlertKind.LOW_STOCK, link__startswith="/supplies/stores/"
    ):
        path, _sep, query = alert.link.partition("?item=")
        store_pk = int(path.rstrip("/").rsplit("/", 1)[1])
        if store_pk not in stores or not query.isdigit() or int(query) not in thresholds:
            continue
        store, town = stores[store_pk]
        item = thresholds[int(query)]
        if services.available(store, item) >= item.warning_threshold:
            acknowledge_alert(town.decider, alert)


def _stores_of(town: _Town) -> list[Store]:
    return [town.warehouse, *(s for _v, s, _z in town.villages), *town.checkpoints]


def seed_supplies(ctx: DemoContext) -> None:
    items = _catalogue(ctx.actor)
    towns = _make_stores(ctx)
    replay = _Replay(ctx, towns, items)
    for town in towns:
        _plan_town(replay, town, town.place.code == MAIN_TOWN_CODE)
    replay.run()
    _this_morning(replay, next(t for t in towns if t.place.code == MAIN_TOWN_CODE))
    _acknowledge_handled_alerts(towns, items)
    services.sweep_supplies()
    ctx.counts["supplies_items"] = len(items)
    ctx.counts["supplies_stores"] = sum(len(_stores_of(t)) for t in towns)
    ctx.counts["supplies_operations"] = replay.operations
    ctx.counts["supplies_donations"] = Donation.objects.within(COUNTY_CODE).count()
    ctx.counts["supplies_requisitions"] = Requisition.objects.within(COUNTY_CODE).count()


def reset_supplies() -> int:
    """The demo county's stores with their ledger, batches, requisitions and donations, their
    alerts, and the demo's catalogue items no other store holds."""
    stores = Store.objects.within(COUNTY_CODE)
    store_ids = list(stores.values_list("pk", flat=True))
    links = [services.store_link(Store(pk=pk)) for pk in store_ids]
    alerts = Alert.objects.within(COUNTY_CODE).filter(
        kind__in=[AlertKind.LOW_STOCK, AlertKind.EXPIRING]
    )
    deleted = 0
    for link in links:
        deleted += alerts.filter(Q(link=link) | Q(link__startswith=f"{link}?")).delete()[0]
    batch_ids = set(
        Movement.objects.filter(store_id__in=store_ids).values_list("batch_id", flat=True)
    )
    operations = StockOperation.objects.filter(
        Q(store_id__in=store_ids) | Q(to_store_id__in=store_ids)
    )
    deleted += Movement.objects.filter(operation__in=operations).delete()[0]
    deleted += StockLevel.objects.filter(store_id__in=store_ids).delete()[0]
    deleted += operations.delete()[0]
    deleted += Requisition.objects.filter(store_id__in=store_ids).delete()[0]  # + lines
    deleted += Batch.objects.filter(pk__in=batch_ids, movements=None).delete()[0]
    deleted += Donation.objects.filter(store_id__in=store_ids).delete()[0]
    deleted += stores.delete()[0]
    names = [(name, spec) for name, spec, *_rest in CATALOGUE.values()]
    unused = Item.objects.filter(batch=None, requisitionline=None)
    for name, spec in names:
        deleted += unused.filter(name=name, specification=spec).delete()[0]
    return deleted


SUPPLIES_STEP = DemoStep("supplies", seed_supplies, reset_supplies)


def register_demo_step() -> None:
    """Called from SuppliesConfig.ready(): seeded after the checkpoints (some of which get a
    store), reset before them."""
    from fangyi.core import demo

    names = [step.name for step in demo.STEPS]
    if "checkpoints" in names and SUPPLIES_STEP.name not in names:
        demo.STEPS.append(SUPPLIES_STEP)
