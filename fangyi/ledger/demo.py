"""The ledger's part of the demo county (`fangyi seed-demo`, see fangyi/core/demo.py).

In 青山镇 it puts residents on the ledger in every status and every category, each with a short
history and a responsible cadre from the demo accounts, and receives one push list from the
county through the real import pipeline 30 hours ago, so its 24-hour deadline has passed with
half of its people verified and the rest overdue.

Every pushed person is a resident already known to the town (matched by ID number, or by name and
phone): the demo's residents stay exactly the planned ones, deterministic from run to run.
"""

import random
import tempfile
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.demo import COUNTY_CODE, MAIN_TOWN_CODE, DemoContext, DemoStep
from fangyi.core.identity import compose_id_number, mask_phone
from fangyi.core.models import Jurisdiction, Person, User
from fangyi.core.xlsx import write_table
from fangyi.ledger import services
from fangyi.ledger.columns import TYPICAL_PUSH_LIST_HEADERS
from fangyi.ledger.models import (
    Category,
    EventKind,
    ImportMapping,
    LedgerEntry,
    LedgerEntryEvent,
    PushList,
    RiskLevel,
    Status,
    Transport,
    VerificationResult,
    VerificationTask,
)

PUSH_LIST_NAME = "1月27日县指挥部推送名单"
PUSH_LIST_HOURS_AGO = 30  # received 30 h ago with a 24 h deadline: overdue by 6 h
PUSH_LIST_PEOPLE = 56  # + 3 bad rows + 1 duplicate = 60 rows
MAX_ENTRIES = 3000
RESIDENTS_PER_ENTRY = 8  # small scale: 2,400 residents → 300 entries

_SOURCES = (
    ("湖北省武汉市江汉区", RiskLevel.HIGH),
    ("湖北省武汉市武昌区", RiskLevel.HIGH),
    ("湖北省孝感市", RiskLevel.HIGH),
    ("湖北省黄冈市", RiskLevel.HIGH),
    ("浙江省温州市", RiskLevel.MEDIUM),
    ("广东省深圳市", RiskLevel.MEDIUM),
    ("广东省广州市", RiskLevel.LOW),
    ("上海市", RiskLevel.LOW),
    ("江苏省苏州市", RiskLevel.LOW),
    ("北京市朝阳区", RiskLevel.LOW),
)
_TRIPS = {
    Transport.RAIL: ("G1723", "D3042", "K1156", "G592", "Z38"),
    Transport.AIR: ("MU2571", "CZ3365", "HU7182", "3U8871"),
    Transport.COACH: ("武汉—青山 班车", "温州—青山 大巴"),
    Transport.SELF_DRIVE: ("皖R·12345", "鄂A·6F821", "浙C·3K709", "皖R·D88321"),
    Transport.FERRY: ("江渡12号",),
}
_TRANSPORT_WORDS = {
    Transport.RAIL: "高铁",
    Transport.AIR: "飞机",
    Transport.COACH: "客车",
    Transport.SELF_DRIVE: "自驾",
    Transport.FERRY: "轮渡",
}
_SYMPTOMS = ("发热 37.8℃", "咳嗽", "发热 38.2℃，乏力", "腹泻", "咽痛")
_NOTES = ("已电话联系", "家属配合", "已签承诺书", "门磁已安装", "", "", "", "")
# Most entries are still pending or verified at home; every status appears at least once.
_STATUS_WEIGHTS = {
    Status.PENDING: 30,
    Status.VERIFIED_HOME: 25,
    Status.HOME_QUARANTINE: 18,
    Status.CENTRALIZED: 6,
    Status.NOT_LOCAL: 5,
    Status.WRONG_INFO: 3,
    Status.LEFT: 4,
    Status.RELEASED: 8,
    Status.CONFIRMED: 1,
}
# What happened before the entry reached its status (each step is one history event).
_STATUS_PATH = {
    Status.RELEASED: (Status.HOME_QUARANTINE, Status.RELEASED),
    Status.CONFIRMED: (Status.CENTRALIZED, Status.CONFIRMED),
}
_CATEGORY_WEIGHTS = {
    Category.RETURNEE: 60,
    Category.CLOSE_CONTACT: 10,
    Category.SECONDARY_CONTACT: 8,
    Category.FEVER: 8,
    Category.INBOUND: 4,
    Category.OTHER: 10,
}


def seed_ledger(ctx: DemoContext) -> None:
    rng = ctx.rng("ledger")
    now = timezone.now()
    cadres = {u.username: u for u in User.objects.filter(username__in=_CADRE_USERNAMES)}
    town = next(t for t in ctx.towns if t.code == MAIN_TOWN_CODE)
    residents = list(
        Person.objects.within(MAIN_TOWN_CODE)
        .order_by("pk")
        .values_list("pk", "jurisdiction_id", "current_address")
    )
    wanted = min(MAX_ENTRIES, sum(v.residents for v in town.villages) // RESIDENTS_PER_ENTRY)
    chosen = rng.sample(residents, min(wanted, len(residents)))
    entries, events = [], []
    for number, (person_id, place, address) in enumerate(chosen):
        entry, history = _entry(rng, number, person_id, place, address, cadres, now)
        entries.append(entry)
        events.append(history)
    LedgerEntry.objects.bulk_create(entries, batch_size=1000)
    for entry, history in zip(entries, events, strict=True):
        for event in history:
            event.entry = entry
    LedgerEntryEvent.objects.bulk_create(
        [event for history in events for event in history], batch_size=2000
    )
    ctx.counts["ledger_entries"] = len(entries)
    ctx.progress(_("ledger entries"), len(entries), len(entries))
    _receive_push_list(ctx, rng, now, cadres, {pk for pk, _place, _address in chosen})


_CADRE_USERNAMES = ("village", "village2", "cadre", "commander")


def _cadre_for(place: str, cadres: dict[str, User]) -> User:
    """A responsible cadre must work in the entry's village: its village cadre, else the town's."""
    for username in ("village", "village2"):
        user = cadres[username]
        if place.startswith(user.jurisdiction_id):
            return user
    return cadres["cadre"]


def _at(day: date, rng: random.Random, earliest: int = 8, latest: int = 20) -> datetime:
    moment = time(rng.randint(earliest, latest), rng.randrange(60))
    return timezone.make_aware(datetime.combine(day, moment))


def _entry(
    rng: random.Random,
    number: int,
    person_id: int,
    place: str,
    address: str,
    cadres: dict[str, User],
    now: datetime,
) -> tuple[LedgerEntry, list[LedgerEntryEvent]]:
    """One entry and its history. The first entries walk through every status × category."""
    statuses, categories = list(_STATUS_WEIGHTS), list(_CATEGORY_WEIGHTS)
    if number < len(statuses) * len(categories):
        status = statuses[number % len(statuses)]
        category = categories[number // len(statuses)]
    else:
        status = rng.choices(statuses, weights=list(_STATUS_WEIGHTS.values()))[0]
        category = rng.choices(categories, weights=list(_CATEGORY_WEIGHTS.values()))[0]
    today = timezone.localdate(now)
    arrived = today - timedelta(days=rng.randint(2, 20))
    source, risk = rng.choice(_SOURCES)
    transport = rng.choice(list(_TRIPS))
    cadre = _cadre_for(place, cadres) if rng.random() < 0.85 else None
    entry = LedgerEntry(
        external_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        person_id=person_id,
        jurisdiction_id=place,
        category=category,
        status=status,
        source_area=source,
        risk_level=risk,
        arrival_date=arrived,
        transport=transport,
        trip_number=rng.choice(_TRIPS[transport]),
        symptoms=rng.choice(_SYMPTOMS) if category == Category.FEVER else "",
        local_address=address,
        responsible_cadre=cadre,
        notes=rng.choice(_NOTES),
    )
    if rng.random() < 0.3:
        entry.local_contact = rng.choice(("村委会", "邻居", "亲属"))
        entry.local_contact_phone = f"13{rng.randrange(10**9):09d}"
    # History: created on arrival, assigned, then each status step a day or two apart.
    created = min(_at(arrived, rng), now - timedelta(hours=2))
    entry.created_at = created
    author = cadre or cadres["cadre"]
    history = [
        _event(
            created,
            author,
            EventKind.CREATED,
            {
                "category": ["", str(Category(category).label)],
                "source_area": ["", source],
                "arrival_date": ["", arrived.isoformat()],
            },
        )
    ]
    if cadre is not None:
        history.append(
            _event(
                created + timedelta(minutes=rng.randint(5, 90)),
                cadres["cadre"],
                EventKind.ASSIGNED,
                {"responsible_cadre": ["", str(cadre)]},
            )
        )
    previous, at = Status.PENDING, created
    for step in _STATUS_PATH.get(status, (status,) if status != Status.PENDING else ()):
        at = min(at + timedelta(hours=rng.randint(4, 40)), now - timedelta(minutes=30))
        kind = EventKind.VERIFIED if previous == Status.PENDING else EventKind.CHANGED
        labels = [str(Status(previous).label), str(Status(step).label)]
        history.append(_event(at, author, kind, {"status": labels}))
        previous = step
    entry.status_changed_at = at
    if entry.local_contact_phone_cipher:
        history[0].changes["local_contact_phone"] = ["", mask_phone(entry.local_contact_phone)]
    return entry, history


def _event(at: datetime, user: User, kind: EventKind, changes: dict) -> LedgerEntryEvent:
    return LedgerEntryEvent(
        at=at, actor=user, actor_username=user.username, kind=kind, changes=changes
    )


# The push list -------------------------------------------------------------------------------

_PUSH_HEADERS = TYPICAL_PUSH_LIST_HEADERS


def _receive_push_list(
    ctx: DemoContext,
    rng: random.Random,
    now: datetime,
    cadres: dict[str, User],
    on_ledger: set[int],
) -> None:
    """Upload and import the county's list as the town commander would, then verify half."""
    received = now - timedelta(hours=PUSH_LIST_HOURS_AGO)
    rows = _push_rows(rng, received, on_ledger)
    commander = Actor(user=cadres["commander"], label="demo")
    folder = Path(settings.UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix="demo-") as scratch:
        source = Path(scratch) / f"{PUSH_LIST_NAME}.xlsx"
        write_table(str(source), _PUSH_HEADERS, rows, title="县新冠肺炎防控指挥部 大数据推送名单")
        push_list = services.create_push_list(
            commander,
            town=Jurisdiction.objects.get(code=MAIN_TOWN_CODE),
            upload=source,
            original_filename=source.name,
            name=PUSH_LIST_NAME,
            source="county",
            received_at=received,
            deadline_hours=24,
        )
    services.run_import(commander, push_list)
    tasks = list(
        VerificationTask.objects.filter(push_list=push_list)
        .select_related("entry__jurisdiction", "push_list")
        .order_by("source_row")
    )
    verified = rng.sample(tasks, len(tasks) // 2)
    for task in sorted(verified, key=lambda t: t.source_row):
        _verify(rng, task, cadres, received)
    ctx.counts["push_lists"] = 1
    ctx.counts["verification_tasks"] = len(tasks)
    ctx.progress(_("push lists"), 1, 1)


def _push_rows(rng: random.Random, received: datetime, on_ledger: set[int]) -> list[list[str]]:
    """Residents of the town as the county's data shows them: mostly new to the ledger, a few
    already on it; written the ways real lists write them; 3 bad rows and 1 repeated person."""
    already = sorted(on_ledger)
    returnees = set(
        LedgerEntry.objects.filter(person_id__in=already, category=Category.RETURNEE).values_list(
            "person_id", flat=True
        )
    )
    candidates = list(
        Person.objects.within(MAIN_TOWN_CODE)
        .exclude(pk__in=on_ledger)
        .exclude(phone_cipher=None)
        .order_by("pk")
        .values_list("pk", flat=True)[:2000]
    )
    picked = rng.sample(candidates, PUSH_LIST_PEOPLE - 5) + rng.sample(sorted(returnees), 5)
    people = Person.objects.in_bulk(picked)
    day = timezone.localdate(received)
    rows = []
    for index, pk in enumerate(picked):
        person = people[pk]
        source, _risk = rng.choice(_SOURCES)
        transport = rng.choice(list(_TRIPS))
        arrived = day - timedelta(days=rng.randint(1, 12))
        id_number = person.id_number
        if index % 9 == 4:
            id_number = ""  # the county had only a phone: matched by name + phone
        elif index % 9 == 7:
            id_number = " ".join((id_number[:6], id_number[6:14], id_number[14:]))
        date_text = (
            arrived.isoformat(),
            f"{arrived.year}/{arrived.month}/{arrived.day}",
            f"{arrived.month}月{arrived.day}日",
            arrived.strftime("%Y%m%d"),
        )[index % 4]
        rows.append(
            [
                person.name,
                id_number,
                person.phone,
                source,
                date_text,
                _TRANSPORT_WORDS[transport],
                rng.choice(_TRIPS[transport]),
                person.current_address,
            ]
        )
    rows.insert(17, list(rows[3]))  # the same person twice: merged
    rows.insert(23, ["郑国华", "4.20102E+17", "", "湖北省武汉市", "", "自驾", "", "青山镇"])
    valid = compose_id_number("420106", date(1988, 3, 8), 217)
    bad_checksum = valid[:-1] + ("1" if valid[-1] != "1" else "2")
    rows.insert(31, ["钱小燕", bad_checksum, "", "湖北省孝感市", "", "高铁", "G592", ""])
    rows.insert(44, ["", "", "13912345678", "广东省深圳市", "", "", "", "青山镇"])
    return rows


def _verify(rng: random.Random, task: VerificationTask, cadres: dict[str, User], received):
    """The village cadre's visit, recorded as if it happened a few hours after the list came."""
    result = rng.choices(
        [
            VerificationResult.ALREADY_SCREENED,
            VerificationResult.NEWLY_FOUND,
            VerificationResult.NOT_LOCAL,
            VerificationResult.WRONG_INFO,
            VerificationResult.PASSING_THROUGH,
            VerificationResult.PAST_WINDOW,
        ],
        weights=[30, 40, 10, 6, 4, 10],
    )[0]
    status = ""
    if result not in services.STATUS_FOR_RESULT:
        status = rng.choice([Status.VERIFIED_HOME, Status.HOME_QUARANTINE])
    cadre = _cadre_for(task.entry.jurisdiction_id, cadres)
    services.verify_task(Actor(user=cadre), task, result=result, status=status, note="已入户核查")
    # Back-date the visit into the list's 24 hours (the services stamp "now").
    at = received + timedelta(hours=rng.randint(2, 20), minutes=rng.randrange(60))
    VerificationTask.objects.filter(pk=task.pk).update(verified_at=at)
    last = LedgerEntryEvent.objects.filter(entry_id=task.entry_id).order_by("-id").first()
    LedgerEntryEvent.objects.filter(pk=last.pk).update(at=at)


def reset_ledger() -> int:
    """Every ledger row of the demo county, and the files its push lists kept."""
    push_lists = PushList.objects.within(COUNTY_CODE)
    files = list(push_lists.values_list("stored_file", flat=True))
    entries = LedgerEntry.objects.within(COUNTY_CODE)
    deleted = VerificationTask.objects.filter(push_list__in=push_lists).delete()[0]
    deleted += VerificationTask.objects.filter(entry__in=entries).delete()[0]
    deleted += entries.delete()[0]  # with their history (cascade)
    deleted += push_lists.delete()[0]
    deleted += ImportMapping.objects.within(COUNTY_CODE).delete()[0]
    upload_dir = Path(settings.UPLOAD_DIR).resolve()
    for name in files:
        path = Path(name).resolve()
        if path.is_relative_to(upload_dir):
            path.unlink(missing_ok=True)
    return deleted


LEDGER_STEP = DemoStep("ledger", seed_ledger, reset_ledger)
