"""The checkpoints' part of the demo county (`fangyi seed-demo`, see fangyi/core/demo.py).

青山镇 gets its checkpoints (town entrances, two entrances per village, a highway exit,
persuasion points (劝返点): 19 at the small scale, about 100 for the 38-village town), 白水镇 two;
the demo `checkpoint` account's checkpoint is the first entrance of its village (东湾村东口).
Then a week of registrations (today and the 6 days before): the everyday ones (local cars such
as 皖R·12345 passing every day, outside cars such as 浙G·D12345, people on foot, a few persuaded
back) are written in bulk, with the figures the service would compute; the ones a rule acts on
(fevers, arrivals from risk areas, a person under quarantine leaving, a closed checkpoint) go
through `services.record_registration`, so their ledger entries and alerts are real. One
village (西岭村) was sealed two days ago through `services.seal_village`: passes were issued
(one revoked), pass holders went through its exits and a few people without one were refused.

Names, plates, codes and times come from the step's own `random.Random`, so two runs give the
same registrations (the rows the services make on their own, such as pass numbers, ledger
entries and alerts, have fresh ids each run). Nothing creates a person: every passenger the
rules act on is a resident, so the demo's people stay the planned ones.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.checkpoints import services
from fangyi.checkpoints.models import (
    CODE_ALPHABET,
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Direction,
    Lockdown,
    Pass,
    Passenger,
    Registration,
    Result,
    SelfRegistration,
)
from fangyi.checkpoints.plates import normalize_plate
from fangyi.core import crypto
from fangyi.core.audit import Actor
from fangyi.core.bulk import DbValues, allocate_ids, bulk_writing, insert_rows
from fangyi.core.demo import COUNTY_CODE, MAIN_TOWN_CODE, DemoContext, DemoStep, PlannedTown
from fangyi.core.identity import compose_id_number
from fangyi.core.models import Alert, DiseaseProfile, Jurisdiction, Person, User
from fangyi.core.services import acknowledge_alert
from fangyi.ledger.models import Status

DAYS = 7  # today and the 6 days before
SEALED_VILLAGE_INDEX = 1  # the second village of 青山镇 (西岭村, the `village2` account's)
SEALED_DAYS_AGO = 2
STAFF_USERNAME = "checkpoint"
COMMANDER_USERNAME = "commander"

# How many registrations a checkpoint of each kind sees on an ordinary day.
_DAILY = {
    CheckpointKind.TOWN_ENTRANCE: 30,
    CheckpointKind.HIGHWAY_EXIT: 40,
    CheckpointKind.PERSUASION_POINT: 15,
    CheckpointKind.VILLAGE_ENTRANCE: 12,
}
_PERSUADED_SHARE = {
    CheckpointKind.TOWN_ENTRANCE: 0.04,
    CheckpointKind.HIGHWAY_EXIT: 0.08,
    CheckpointKind.PERSUASION_POINT: 0.3,
    CheckpointKind.VILLAGE_ENTRANCE: 0.03,
}
_VEHICLE_SHARE = {
    CheckpointKind.TOWN_ENTRANCE: 0.85,
    CheckpointKind.HIGHWAY_EXIT: 1.0,
    CheckpointKind.PERSUASION_POINT: 0.8,
    CheckpointKind.VILLAGE_ENTRANCE: 0.55,
}
# Per scale: town entrances, highway exits, persuasion points, entrances per village.
_LAYOUT = {"small": (4, 1, 2, 2), "town": (12, 2, 8, 2)}
# The registrations the rules act on, per scale: fevers, risk-area arrivals, leaving quarantine.
_NOTABLE = {"small": (6, 8, 2), "town": (15, 25, 4)}

_SIDES = ("东", "西", "南", "北", "东北", "西南", "东南", "西北")
_ROADS = ("S205省道", "X018县道", "青白公路", "环镇路", "滨河路", "工业大道")
_PLACES = (
    "青山镇",
    "白水镇",
    "示范县城",
    "合肥市",
    "芜湖市",
    "安庆市",
    "杭州市",
    "南京市",
    "上海市",
    "苏州市",
    "金华市",
    "宁波市",
)
_RISK_PLACES = ("湖北省武汉市", "湖北省孝感市", "湖北省黄冈市", "浙江省温州市")
_REASONS = ("返乡", "回家", "上班", "就医", "采购生活物资", "运输物资", "务工", "送货")
_LEISURE = ("走亲访友", "拜年", "聚会", "游玩")
# Outside plates: province character + authority letter, with an ID area code of that place.
_OUTSIDE = (
    ("浙G", "330702"),
    ("浙A", "330102"),
    ("苏E", "320505"),
    ("沪A", "310101"),
    ("皖A", "340102"),
    ("皖B", "340202"),
    ("苏A", "320102"),
    ("赣A", "360102"),
)
_LOCAL_PLATE = "皖R"
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
_GIVEN = "伟强磊军勇杰涛斌超明刚平辉鹏华飞芳娜敏静丽艳娟霞秀英玲桂兰萍红燕梅"
# Registrations by hour of the day: quiet at night, busy in the morning and the afternoon.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 7, 9, 9, 8, 7, 6, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1)
_PASS_REASONS = ("就医", "采购生活物资", "保供企业上班", "农业生产", "照顾老人", "运送物资")


@dataclass
class _Resident:
    pk: int
    external_id: uuid.UUID
    name: str
    village: str
    id_number_cipher: bytes | None
    id_number_index: str
    phone_cipher: bytes | None
    phone_index: str


@dataclass
class _Car:
    plate: str
    owner: _Resident


def seed_checkpoints(ctx: DemoContext) -> None:
    rng = ctx.rng("checkpoints")
    now = timezone.now()
    users = {u.username: u for u in User.objects.filter(username__in=_USERNAMES)}
    commander = Actor(user=users[COMMANDER_USERNAME], label="demo")
    checkpoints = _make_checkpoints(rng, ctx)
    ctx.counts["checkpoints"] = len(checkpoints)
    ctx.progress(_("checkpoints"), len(checkpoints), len(checkpoints))

    town = next(t for t in ctx.towns if t.code == MAIN_TOWN_CODE)
    residents = _residents(rng, town)
    sealed_village = town.villages[SEALED_VILLAGE_INDEX].code
    sealed_at = (now - timedelta(days=SEALED_DAYS_AGO, hours=5)).replace(second=0, microsecond=0)
    exits = [c for c in checkpoints if c.jurisdiction_id == sealed_village]
    staff = users.get(STAFF_USERNAME)
    count = _everyday_registrations(rng, ctx, checkpoints, residents, users, now, exits, sealed_at)

    # What the rules act on, then the lockdown: through the services.
    count += _notable_registrations(
        rng, ctx.scale, commander, checkpoints, residents, staff, now, exits
    )
    lockdown, passes = _seal_village(rng, commander, sealed_village, exits, residents, sealed_at)
    count += _sealed_exit_registrations(rng, commander, lockdown, passes, residents, now)
    ctx.counts["registrations"] = count
    ctx.counts["lockdowns"] = 1
    ctx.counts["passes"] = len(passes)
    _acknowledge_older_alerts(commander, now)
    ctx.progress(_("registrations"), count, count)


_USERNAMES = (STAFF_USERNAME, COMMANDER_USERNAME, "village", "village2")


# Checkpoints ---------------------------------------------------------------------------------


def _code(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = "K" + "".join(rng.choice(CODE_ALPHABET) for _n in range(6))
        if code not in taken and not Checkpoint.objects.filter(code=code).exists():
            taken.add(code)
            return code


def _person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _n in range(rng.randint(1, 2)))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _make_checkpoints(rng: random.Random, ctx: DemoContext) -> list[Checkpoint]:
    entrances, highways, persuasion, per_village = _LAYOUT[ctx.scale]
    taken: set[str] = set()
    rows: list[Checkpoint] = []

    def add(name, kind, place, location, unit) -> None:
        rows.append(
            Checkpoint(
                code=_code(rng, taken),
                name=name,
                kind=kind,
                jurisdiction_id=place,
                location=location,
                responsible_unit=unit,
                responsible_person=_person_name(rng),
                responsible_phone=_phone(rng),
            )
        )

    for town in ctx.towns:
        main = town.code == MAIN_TOWN_CODE
        # The demo staff account's checkpoint comes first: the first entrance of its village.
        for village in town.villages if main else town.villages[:1]:
            for side in _SIDES[: per_village if main else 1]:
                add(
                    f"{village.name}{side}口",
                    CheckpointKind.VILLAGE_ENTRANCE,
                    village.code,
                    f"{village.name}{side}侧村道路口",
                    f"{village.name}村委会",
                )
        for number in range(entrances if main else 1):
            side = _SIDES[number % len(_SIDES)]
            road = _ROADS[number % len(_ROADS)]
            suffix = f"{number // len(_SIDES) + 1}号" if number >= len(_SIDES) else ""
            add(
                f"{town.name}{side}入口{suffix}",
                CheckpointKind.TOWN_ENTRANCE,
                town.code,
                f"{road}{town.name}{side}侧",
                f"{town.name}派出所",
            )
        if not main:
            continue
        for number in range(highways):
            add(
                f"G{3 + number * 47}高速{town.name}出口",
                CheckpointKind.HIGHWAY_EXIT,
                town.code,
                f"G{3 + number * 47}高速{town.name}收费站",
                "县交警大队",
            )
        for number in range(persuasion):
            add(
                f"{town.name}劝返点{number + 1}号",
                CheckpointKind.PERSUASION_POINT,
                town.code,
                f"{_ROADS[number % len(_ROADS)]}与镇界交叉口",
                f"{town.name}综治办",
            )
    Checkpoint.objects.bulk_create(rows)
    return list(
        Checkpoint.objects.within(COUNTY_CODE).select_related("jurisdiction").order_by("pk")
    )


# Residents and their cars --------------------------------------------------------------------


def _residents(rng: random.Random, town: PlannedTown) -> dict[str, list[_Resident]]:
    """A sample of each village's residents (the ones seen at checkpoints), by village code."""
    rows = list(
        Person.objects.within(town.code).order_by("pk").values_list("pk", "jurisdiction_id")
    )
    wanted = min(len(rows), max(600, len(rows) // 20))
    chosen = sorted(pk for pk, _place in rng.sample(rows, wanted))
    found: dict[str, list[_Resident]] = {v.code: [] for v in town.villages}
    fields = (
        "pk",
        "external_id",
        "name",
        "jurisdiction_id",
        "id_number_cipher",
        "id_number_index",
        "phone_cipher",
        "phone_index",
    )
    for start in range(0, len(chosen), 2000):
        batch = Person.objects.filter(pk__in=chosen[start : start + 2000]).order_by("pk")
        for pk, ext, name, place, id_cipher, id_index, ph_cipher, ph_index in batch.values_list(
            *fields
        ):
            found[place[:12]].append(
                _Resident(
                    pk, ext, name, place[:12], id_cipher, id_index or "", ph_cipher, ph_index or ""
                )
            )
    return found


def _plate(rng: random.Random, prefix: str) -> str:
    if rng.random() < 0.15:  # a new-energy car: D or F, a letter or digit, 4 digits
        tail = rng.choice("DF") + rng.choice(_PLATE_LETTERS + "0123456789")
        tail += f"{rng.randrange(10**4):04d}"
    elif rng.random() < 0.3:
        tail = rng.choice(_PLATE_LETTERS) + f"{rng.randrange(10**4):04d}"
    else:
        tail = f"{rng.randrange(10**5):05d}"
    return normalize_plate(prefix + tail)


# Everyday registrations (bulk) ---------------------------------------------------------------


def _moment(rng: random.Random, day: date, now: datetime) -> datetime:
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    moment = timezone.make_aware(datetime.combine(day, time(hour, rng.randrange(60))))
    # Drawn whether used or not: the draws must not depend on the time the demo is seeded at.
    fraction = rng.random()
    if moment >= now:  # today, later than now: earlier today instead
        start = timezone.make_aware(datetime.combine(day, time.min))
        moment = start + (now - start) * fraction
    return moment.replace(microsecond=0)


def _everyday_registrations(
    rng: random.Random,
    ctx: DemoContext,
    checkpoints: list[Checkpoint],
    residents: dict[str, list[_Resident]],
    users: dict[str, User],
    now: datetime,
    exits: list[Checkpoint],
    sealed_at: datetime,
) -> int:
    """The ordinary traffic, written in bulk with the counters the service would set."""
    profile = DiseaseProfile.current()
    places = [p for p in _PLACES if not profile.risk_level_of(p)]
    everyone = [r for people in residents.values() for r in people]
    cars = [
        _Car(_plate(rng, _LOCAL_PLATE), rng.choice(everyone)) for _n in range(len(everyone) // 3)
    ]
    cars_by_village: dict[str, list[_Car]] = {}
    for car in cars:
        cars_by_village.setdefault(car.owner.village, []).append(car)
    staff, commander = users.get(STAFF_USERNAME), users[COMMANDER_USERNAME]
    staff_place = staff.jurisdiction_id if staff else None
    sealed = {c.pk for c in exits}
    today = timezone.localdate(now)
    drafts: list[tuple[datetime, User | None, _Ordinary]] = []
    for checkpoint in checkpoints:
        main = checkpoint.jurisdiction_id[:9] == MAIN_TOWN_CODE
        # 白水镇's two checkpoints see outside traffic only: enough for its commander's figures.
        daily = _DAILY[checkpoint.kind] if main else 8
        recorder = staff if checkpoint.jurisdiction_id == staff_place else None
        if main and recorder is None:
            recorder = commander
        village = checkpoint.jurisdiction_id if len(checkpoint.jurisdiction_id) == 12 else None
        for offset in range(DAYS):
            day = today - timedelta(days=offset)
            for _n in range(max(1, round(daily * rng.uniform(0.7, 1.3)))):
                occurred = _moment(rng, day, now)
                ordinary = _ordinary(
                    rng,
                    checkpoint,
                    village,
                    places,
                    everyone if main else [],
                    cars,
                    cars_by_village,
                )
                if checkpoint.pk in sealed and occurred >= sealed_at:
                    continue  # since the lockdown only the services register here (pass checks)
                drafts.append((occurred, recorder, ordinary))
    drafts.sort(key=lambda draft: draft[0])  # oldest first, as they arrived
    _insert(drafts, rng)
    return len(drafts)


@dataclass
class _Ordinary:
    """An everyday registration before it is written: the columns `_insert` fills."""

    external_id: uuid.UUID
    checkpoint: Checkpoint
    direction: str
    plate: str
    from_place: str
    to_place: str
    reason: str
    result: str
    people: list[tuple]  # (name, id cipher, id index, phone cipher, phone index, person id)


_REGISTRATION_COLUMNS = (
    "id",
    "external_id",
    "checkpoint_id",
    "jurisdiction_id",
    "occurred_at",
    "local_date",
    "received_at",
    "direction",
    "plate",
    "from_place",
    "to_place",
    "reason",
    "result",
    "people_count",
    "fever_count",
    "persuaded_count",
    "quarantined_count",
    "recorded_by_id",
    "conflict",
    "notes",
)
_PASSENGER_COLUMNS = (
    "registration_id",
    "position",
    "person_id",
    "name",
    "id_number_cipher",
    "id_number_index",
    "phone_cipher",
    "phone_index",
    "temperature",
    "result",
    "fever",
    "risk_level",
    "leaving_quarantine",
)


def _insert(drafts: list[tuple[datetime, User | None, _Ordinary]], rng: random.Random) -> None:
    """Write the registrations and their passengers with the figures the service would set
    (no fever, nobody sent to quarantine; persuaded back: everyone in the car)."""
    db = DbValues()
    ids = allocate_ids(Registration, len(drafts))
    temperatures = [str(Decimal(rng.randint(358, 371)) / 10) for _n in range(997)]

    def registrations():
        for pk, (occurred, recorder, r) in zip(ids, drafts, strict=True):
            persuaded = len(r.people) if r.result == Result.PERSUADED_BACK else 0
            yield (
                pk,
                db.uuid(r.external_id),
                r.checkpoint.pk,
                r.checkpoint.jurisdiction_id,
                db.datetime(occurred),
                db.date(timezone.localdate(occurred)),
                db.datetime(occurred + timedelta(seconds=20 + pk % 70)),
                r.direction,
                r.plate,
                r.from_place,
                r.to_place,
                r.reason,
                r.result,
                len(r.people),
                0,
                persuaded,
                0,
                recorder.pk if recorder else None,
                "",
                "",
            )

    def passengers():
        n = 0
        for pk, (_occurred, _recorder, r) in zip(ids, drafts, strict=True):
            for position, (
                name,
                id_cipher,
                id_index,
                phone_cipher,
                phone_index,
                person,
            ) in enumerate(r.people):
                n += 1
                yield (
                    pk,
                    position,
                    person,
                    name,
                    id_cipher,
                    id_index,
                    phone_cipher,
                    phone_index,
                    temperatures[n % len(temperatures)],
                    r.result,
                    False,
                    "",
                    False,
                )

    with bulk_writing():
        insert_rows(Registration, _REGISTRATION_COLUMNS, registrations())
        insert_rows(Passenger, _PASSENGER_COLUMNS, passengers())


def _ordinary(
    rng: random.Random,
    checkpoint: Checkpoint,
    village: str | None,
    places: list[str],
    everyone: list[_Resident],
    cars: list[_Car],
    cars_by_village: dict[str, list[_Car]],
) -> _Ordinary:
    kind = checkpoint.kind
    external_id = uuid.UUID(int=rng.getrandbits(128), version=4)
    direction = rng.choice(Direction.values)
    persuaded = rng.random() < _PERSUADED_SHARE[kind] and direction == Direction.IN
    local = bool(everyone) and rng.random() < (0.85 if village else 0.55)
    plate = ""
    if rng.random() < _VEHICLE_SHARE[kind]:
        if local:
            car = rng.choice(cars_by_village.get(village) or cars) if village else rng.choice(cars)
            plate = car.plate
            riders = rng.sample(everyone, rng.choices((0, 1, 2, 3), (45, 30, 15, 10))[0])
            people = [_known(r) for r in (car.owner, *riders)]
        else:
            prefix, area = rng.choice(_OUTSIDE)
            plate = _plate(rng, prefix)
            size = rng.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]
            people = [_stranger(rng, area) for _n in range(size)]
    elif local:
        pool = [r for r in rng.sample(everyone, 6) if not village or r.village == village]
        people = [_known(rng.choice(pool or everyone))]
    else:
        people = [_stranger(rng, rng.choice(_OUTSIDE)[1])]
    home = checkpoint.jurisdiction.name
    elsewhere = rng.choice(places)
    from_place, to_place = (elsewhere, home) if direction == Direction.IN else (home, elsewhere)
    if local and direction == Direction.IN and rng.random() < 0.5:
        from_place = rng.choice(("青山镇", "示范县城", "白水镇"))
    return _Ordinary(
        external_id=external_id,
        checkpoint=checkpoint,
        direction=direction,
        plate=plate,
        from_place=from_place,
        to_place=to_place,
        reason=rng.choice(_LEISURE) if persuaded else rng.choice(_REASONS),
        result=(Result.PERSUADED_BACK if persuaded else Result.PASSED).value,
        people=people,
    )


def _known(resident: _Resident) -> tuple:
    """A resident as a passenger: their encrypted ID and phone are copied, not re-encrypted."""
    return (
        resident.name,
        resident.id_number_cipher,
        resident.id_number_index,
        resident.phone_cipher,
        resident.phone_index,
        resident.pk,
    )


def _stranger(rng: random.Random, area: str) -> tuple:
    born = date(rng.randint(1950, 2005), 1, 1) + timedelta(days=rng.randrange(365))
    number = compose_id_number(area, born, rng.randrange(1, 1000))
    phone = _phone(rng)
    return (
        _person_name(rng),
        crypto.encrypt(number, "id_number"),
        crypto.blind_index(number, "id_number"),
        crypto.encrypt(phone, "phone"),
        crypto.blind_index(phone, "phone"),
        None,
    )


# Through the services ------------------------------------------------------------------------


def _payload(
    rng: random.Random,
    checkpoint: Checkpoint,
    occurred: datetime,
    direction: str,
    result: str,
    passengers: list[dict],
    *,
    plate: str = "",
    from_place: str = "",
    to_place: str = "",
    reason: str = "",
    notes: str = "",
) -> dict:
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "checkpoint": checkpoint.code,
        "occurred_at": occurred.isoformat(),
        "direction": direction,
        "plate": plate,
        "from_place": from_place,
        "to_place": to_place,
        "reason": reason,
        "result": result,
        "notes": notes,
        "passengers": passengers,
    }


def _record(actor: Actor, payload: dict) -> services.RegistrationOutcome:
    """Through the service, then back-dated: alerts raised and received when it happened."""
    outcome = services.record_registration(actor, payload)
    if not outcome.stored:
        raise RuntimeError(f"demo registration rejected: {outcome.as_json()}")
    registration = outcome.registration
    received = registration.occurred_at + timedelta(seconds=40)
    Registration.objects.filter(pk=registration.pk).update(received_at=received)
    Alert.objects.filter(link=services.registration_link(registration)).update(
        raised_at=registration.occurred_at
    )
    return outcome


def _notable_registrations(
    rng: random.Random,
    scale: str,
    commander: Actor,
    checkpoints: list[Checkpoint],
    residents: dict[str, list[_Resident]],
    staff: User | None,
    now: datetime,
    exits: list[Checkpoint],
) -> int:
    """Fevers, arrivals from risk areas, a quarantined person leaving, a closed checkpoint."""
    fevers, arrivals, leaving = _NOTABLE[scale]
    sealed = {c.pk for c in exits}
    town_points = [
        c for c in checkpoints if c.jurisdiction_id[:9] == MAIN_TOWN_CODE and c.pk not in sealed
    ]
    everyone = [
        r
        for v, people in residents.items()
        for r in people
        if v not in {c.jurisdiction_id for c in exits}
    ]
    today = timezone.localdate(now)
    staff_point = next(
        (c for c in checkpoints if staff and c.jurisdiction_id == staff.jurisdiction_id), None
    )
    count = 0

    def actor_for(checkpoint: Checkpoint) -> Actor:
        if staff is not None and checkpoint.jurisdiction_id == staff.jurisdiction_id:
            return Actor(user=staff, label="demo")
        return commander

    for number in range(fevers):
        # The staff account's checkpoint has one today; the others are spread over the week.
        checkpoint = staff_point if number == 0 and staff_point else rng.choice(town_points)
        day = today - timedelta(days=0 if number < 2 else rng.randrange(DAYS))
        person = rng.choice(everyone)
        payload = _payload(
            rng,
            checkpoint,
            _moment(rng, day, now),
            rng.choice(Direction.values),
            Result.FEVER_CLINIC,
            [
                {
                    "person_id": str(person.external_id),
                    "temperature": rng.choice(("37.5", "37.8", "38.1", "38.6")),
                }
            ],
            plate=_plate(rng, _LOCAL_PLATE) if rng.random() < 0.6 else "",
            from_place=rng.choice(_PLACES),
            reason=rng.choice(_REASONS),
            notes="已联系镇卫生院，120转运发热门诊",
        )
        _record(actor_for(checkpoint), payload)
        count += 1
    for number in range(arrivals):
        checkpoint = rng.choice(town_points)
        day = today - timedelta(days=rng.randrange(DAYS))
        people = rng.sample(everyone, rng.randint(1, 3))
        result = rng.choice((Result.PASSED, Result.HOME_QUARANTINE, Result.HOME_QUARANTINE))
        if number % 5 == 4:
            result = Result.CENTRALIZED
        payload = _payload(
            rng,
            checkpoint,
            _moment(rng, day, now),
            Direction.IN,
            result,
            [
                {
                    "person_id": str(p.external_id),
                    "temperature": rng.choice(("36.4", "36.6", "36.8")),
                }
                for p in people
            ],
            plate=_plate(rng, rng.choice(("鄂A", "鄂K", "鄂J", "浙C")))
            if rng.random() < 0.7
            else "",
            from_place=rng.choice(_RISK_PLACES),
            to_place=checkpoint.jurisdiction.name,
            reason="返乡",
        )
        _record(actor_for(checkpoint), payload)
        count += 1
    sealed_village = exits[0].jurisdiction_id if exits else None
    quarantined = [
        external_id
        for external_id, place in Person.objects.within(MAIN_TOWN_CODE)
        .filter(ledger_entries__status=Status.HOME_QUARANTINE)
        .order_by("pk")
        .values_list("external_id", "jurisdiction_id")
        .distinct()[:60]
        if place[:12] != sealed_village
    ]
    for external_id in rng.sample(quarantined, min(leaving, len(quarantined))):
        checkpoint = rng.choice(town_points)
        payload = _payload(
            rng,
            checkpoint,
            _moment(rng, today - timedelta(days=rng.randrange(3)), now),
            Direction.OUT,
            Result.PERSUADED_BACK,
            [{"person_id": str(external_id), "temperature": "36.5"}],
            from_place="青山镇",
            to_place=rng.choice(_PLACES),
            reason="外出采购",
            notes="居家隔离期内外出，已劝返并通知村里",
        )
        _record(actor_for(checkpoint), payload)
        count += 1
    # A persuasion point closed yesterday evening, and one registration sent from a phone that
    # was offline since: kept, with the conflict shown.
    closed = next(c for c in town_points if c.kind == CheckpointKind.PERSUASION_POINT)
    Checkpoint.objects.filter(pk=closed.pk).update(status=CheckpointStatus.CLOSED)
    closed.status = CheckpointStatus.CLOSED
    person = rng.choice(everyone)
    payload = _payload(
        rng,
        closed,
        _moment(rng, today, now),
        Direction.IN,
        Result.PASSED,
        [{"person_id": str(person.external_id), "temperature": "36.6"}],
        plate=_plate(rng, _LOCAL_PLATE),
        from_place="示范县城",
        reason="回家",
    )
    _record(commander, payload)
    return count + 1


def _seal_village(
    rng: random.Random,
    commander: Actor,
    village_code: str,
    exits: list[Checkpoint],
    residents: dict[str, list[_Resident]],
    sealed_at: datetime,
) -> tuple[Lockdown, list[Pass]]:
    village = Jurisdiction.objects.get(code=village_code)
    lockdown = services.seal_village(
        commander,
        village,
        reason="村内发现确诊病例密切接触者，实行整村封闭管理",
        exits=exits,
        starts_at=sealed_at,
    )
    people = rng.sample(residents[village_code], min(6, len(residents[village_code])))
    passes = []
    for number, resident in enumerate(people):
        valid_from = sealed_at + timedelta(hours=2 + number)
        days = 1 if number % 3 == 0 else lockdown_length(lockdown)
        travel_pass = services.issue_pass(
            commander,
            lockdown,
            Person.objects.get(pk=resident.pk),
            reason=_PASS_REASONS[number % len(_PASS_REASONS)],
            valid_from=valid_from,
            valid_until=min(valid_from + timedelta(days=days), lockdown.planned_end_at),
        )
        passes.append(travel_pass)
    services.revoke_pass(commander, passes[-1])
    # Revoked the day after it was issued (the service stamps "now").
    Pass.objects.filter(pk=passes[-1].pk).update(revoked_at=sealed_at + timedelta(days=1))
    passes[-1].refresh_from_db()
    return lockdown, passes


def lockdown_length(lockdown: Lockdown) -> int:
    return max(1, (lockdown.planned_end_at - lockdown.starts_at).days)


def _sealed_exit_registrations(
    rng: random.Random,
    commander: Actor,
    lockdown: Lockdown,
    passes: list[Pass],
    residents: dict[str, list[_Resident]],
    now: datetime,
) -> int:
    """Pass holders going out and back in; people without a valid pass refused (recorded)."""
    exits = list(lockdown.exits.order_by("pk"))
    holders = [p for p in passes if p.revoked_at is None]
    count = 0
    for travel_pass in holders:
        for direction, hours in ((Direction.OUT, 1), (Direction.IN, 4)):
            occurred = travel_pass.valid_from + timedelta(hours=hours, minutes=rng.randrange(50))
            if occurred >= min(now, travel_pass.valid_until):
                continue
            payload = _payload(
                rng,
                rng.choice(exits),
                occurred,
                direction,
                Result.PASSED,
                [
                    {
                        "person_id": str(travel_pass.person.external_id),
                        "pass_code": travel_pass.code,
                        "temperature": rng.choice(("36.3", "36.5", "36.7")),
                    }
                ],
                reason=travel_pass.reason,
                to_place="镇卫生院" if travel_pass.reason == "就医" else "青山镇",
            )
            _record(commander, payload)
            count += 1
    holders_pks = {p.person_id for p in passes}
    others = [r for r in residents[lockdown.village_id] if r.pk not in holders_pks]
    revoked = passes[-1]
    attempts = [(rng.choice(others), "") for _n in range(3)] + [
        (next(r for r in residents[lockdown.village_id] if r.pk == revoked.person_id), revoked.code)
    ]
    for number, (resident, pass_code) in enumerate(attempts):
        occurred = lockdown.starts_at + (now - lockdown.starts_at) * (
            (number + 1) / (len(attempts) + 1)
        )
        payload = _payload(
            rng,
            rng.choice(exits),
            occurred.replace(microsecond=0),
            Direction.OUT,
            Result.PASSED,
            [
                {
                    "person_id": str(resident.external_id),
                    "pass_code": pass_code,
                    "temperature": "36.6",
                }
            ],
            plate=_plate(rng, _LOCAL_PLATE) if number % 2 else "",
            to_place=rng.choice(("青山镇", "示范县城")),
            reason=rng.choice(("走亲访友", "买东西", "上班")),
        )
        _record(commander, payload)
        count += 1
    return count


def _acknowledge_older_alerts(commander: Actor, now: datetime) -> None:
    """The command post has handled the alerts older than a day; today's are open."""
    older = Alert.objects.within(MAIN_TOWN_CODE).filter(raised_at__lt=now - timedelta(days=1))
    for alert in older.order_by("raised_at", "pk"):
        acknowledge_alert(commander, alert)
        Alert.objects.filter(pk=alert.pk).update(
            acknowledged_at=alert.raised_at + timedelta(minutes=25)
        )


def reset_checkpoints() -> int:
    """The demo county's checkpoints, registrations, lockdowns and passes, and the alerts
    raised in it (the jurisdictions they point to are deleted after this step)."""
    checkpoints = Checkpoint.objects.within(COUNTY_CODE)
    deleted = Alert.objects.within(COUNTY_CODE).delete()[0]
    deleted += SelfRegistration.objects.filter(checkpoint__in=checkpoints).delete()[0]
    deleted += Registration.objects.filter(checkpoint__in=checkpoints).delete()[0]  # + passengers
    lockdowns = Lockdown.objects.within(COUNTY_CODE)
    deleted += Pass.objects.filter(lockdown__in=lockdowns).delete()[0]
    deleted += lockdowns.delete()[0]
    deleted += checkpoints.delete()[0]
    return deleted


CHECKPOINTS_STEP = DemoStep("checkpoints", seed_checkpoints, reset_checkpoints)
