"""The demo county: a fictional 示范县 (999901) with two towns, villages, groups, residents and
one account per role, so Fangyi can be tried and benchmarked without real personal data.

Everything is drawn from `random.Random` with fixed seeds, so two runs on empty databases give
the same names, ID numbers and phones (only the AES nonces differ). `seed_demo` runs STEPS in
order inside one transaction; another app adds its demo data by appending a `DemoStep` to STEPS
(seeded after the core steps, reset before them). The `seed_demo` management command is the CLI.
"""

import itertools
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from django.db import connection, reset_queries, transaction
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor, record_audit
from fangyi.core.identity import compose_id_number
from fangyi.core.models import (
    LEVEL_BY_CODE_LENGTH,
    PARENT_CODE_LENGTH,
    AuditAction,
    Jurisdiction,
    Person,
    User,
)
from fangyi.core.names import pinyin_keys
from fangyi.core.roles import Role
from fangyi.core.services import create_user

DEMO_SEED = 20200123
DEMO_PASSWORD = "fangyi-demo-2020"  # published in the README: demo databases only
COUNTY_CODE, COUNTY_NAME = "999901", "示范县"
MAIN_TOWN_CODE = "999901100"
BATCH_SIZE = 5000

Progress = Callable[[str, int, int], None]  # (what, done, total)


class DemoAccount(NamedTuple):
    username: str
    role: Role | None  # None: the superuser, who has no role and no jurisdiction
    jurisdiction_code: str | None
    full_name: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("county", Role.COUNTY_COMMANDER, COUNTY_CODE, "周国强"),
    DemoAccount("commander", Role.TOWN_COMMANDER, MAIN_TOWN_CODE, "陈建华"),
    DemoAccount("cadre", Role.TOWN_CADRE, MAIN_TOWN_CODE, "刘晓燕"),
    DemoAccount("village", Role.VILLAGE_CADRE, "999901100201", "王金水"),
    DemoAccount("village2", Role.VILLAGE_CADRE, "999901100202", "李春梅"),
    DemoAccount("grid", Role.GRID_LEADER, "999901100201001", "张德福"),
    DemoAccount("checkpoint", Role.CHECKPOINT_STAFF, "999901100201", "赵军"),
    DemoAccount("doctor", Role.DOCTOR, MAIN_TOWN_CODE, "孙丽华"),
    DemoAccount("police", Role.POLICE, MAIN_TOWN_CODE, "吴刚"),
    DemoAccount("volunteer", Role.VOLUNTEER, "999901100201", "郑小雨"),
    DemoAccount("enterprise", Role.ENTERPRISE_CONTACT, MAIN_TOWN_CODE, "钱永新"),
    DemoAccount("auditor", Role.AUDITOR, MAIN_TOWN_CODE, "何静"),
    DemoAccount("admin", None, None, "系统管理员"),
)


# The plan: which towns, villages and groups exist and how many people live in each village.


@dataclass(frozen=True)
class TownSize:
    code: str
    name: str
    village_names: tuple[str, ...]
    residents: int


@dataclass(frozen=True)
class PlannedVillage:
    code: str
    name: str
    group_codes: tuple[str, ...]
    residents: int


@dataclass(frozen=True)
class PlannedTown:
    code: str
    name: str
    villages: tuple[PlannedVillage, ...]


# Two-character stems, each + 村: the first six are the small demo's, all 38 the big town's.
_VILLAGE_STEMS = (
    "东湾西岭南塘北山柳树桃源杏花石桥高岗新庄龙泉凤凰黄泥白沙红星前进胜利和平长岭双河"
    "三里五星金竹银杏梅林松林竹园荷塘马岭牛山鹤鸣清泉下湾上庄中和永安太平丰收"
)
_QINGSHAN_VILLAGES = tuple(
    f"{_VILLAGE_STEMS[i : i + 2]}村" for i in range(0, len(_VILLAGE_STEMS), 2)
)
_BAISHUI = TownSize("999901101", "白水镇", ("河口村", "柳林村", "石门村"), 600)
SCALES: dict[str, tuple[TownSize, ...]] = {
    # Scale "town" is the big town of the source reports: 38 villages, 120,000 residents.
    "small": (TownSize(MAIN_TOWN_CODE, "青山镇", _QINGSHAN_VILLAGES[:6], 2400), _BAISHUI),
    "town": (TownSize(MAIN_TOWN_CODE, "青山镇", _QINGSHAN_VILLAGES[:38], 120_000), _BAISHUI),
}
RESIDENTS_PER_GROUP = 400


def plan_county(scale: str) -> tuple[PlannedTown, ...]:
    """Villages get uneven populations (summing exactly to the town's) and 3–12 groups each."""
    rng = random.Random(f"{DEMO_SEED}/plan/{scale}")
    towns = []
    for size in SCALES[scale]:
        weights = [rng.uniform(0.5, 1.5) for _name in size.village_names]
        residents = _apportion(size.residents, weights)
        villages = []
        for number, (name, people) in enumerate(zip(size.village_names, residents, strict=True)):
            code = f"{size.code}{201 + number:03d}"
            groups = min(12, max(3, round(people / RESIDENTS_PER_GROUP)))
            group_codes = tuple(f"{code}{g:03d}" for g in range(1, groups + 1))
            villages.append(PlannedVillage(code, name, group_codes, people))
        towns.append(PlannedTown(size.code, size.name, tuple(villages)))
    return tuple(towns)


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainders), summing exactly to it."""
    shares = [total * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


# Steps. Each app's step seeds its part and knows how to delete it again.


@dataclass
class DemoContext:
    scale: str
    actor: Actor
    towns: tuple[PlannedTown, ...]
    progress: Progress
    counts: dict[str, int] = field(default_factory=dict)

    def rng(self, step: str) -> random.Random:
        """Each step draws from its own generator, so adding a step changes nobody else's data."""
        return random.Random(f"{DEMO_SEED}/{self.scale}/{step}")


@dataclass(frozen=True)
class DemoStep:
    name: str
    seed: Callable[[DemoContext], None]
    reset: Callable[[], int]  # deletes this step's demo rows; returns how many


def seed_jurisdictions(ctx: DemoContext) -> None:
    rows = [Jurisdiction(code=COUNTY_CODE, name=COUNTY_NAME, level=LEVEL_BY_CODE_LENGTH[6])]
    for town in ctx.towns:
        rows.append(_jurisdiction(town.code, town.name))
        for village in town.villages:
            rows.append(_jurisdiction(village.code, village.name))
            rows += [
                _jurisdiction(code, _group_name(village, code)) for code in village.group_codes
            ]
    Jurisdiction.objects.bulk_create(rows)
    ctx.counts["jurisdictions"] = len(rows)


def _jurisdiction(code: str, name: str) -> Jurisdiction:
    return Jurisdiction(
        code=code,
        name=name,
        level=LEVEL_BY_CODE_LENGTH[len(code)],
        parent_id=code[: PARENT_CODE_LENGTH[len(code)]],
    )


def _group_name(village: PlannedVillage, group_code: str) -> str:
    return f"{village.name}{int(group_code[-3:])}组"


def reset_jurisdictions() -> int:
    deleted = 0
    for length in sorted(LEVEL_BY_CODE_LENGTH, reverse=True):  # children before their parents
        level = LEVEL_BY_CODE_LENGTH[length]
        deleted += Jurisdiction.objects.within(COUNTY_CODE).filter(level=level).delete()[0]
    return deleted


def seed_accounts(ctx: DemoContext) -> None:
    places = Jurisdiction.objects.in_bulk([a.jurisdiction_code for a in DEMO_ACCOUNTS if a.role])
    for account in DEMO_ACCOUNTS:
        if account.role is None:
            User.objects.create_superuser(
                account.username, "", DEMO_PASSWORD, full_name=account.full_name
            )
        else:
            create_user(
                account.username,
                DEMO_PASSWORD,
                role=account.role,
                jurisdiction=places[account.jurisdiction_code],
                full_name=account.full_name,
            )
        ctx.counts["accounts"] = ctx.counts.get("accounts", 0) + 1
        ctx.progress(_("accounts"), ctx.counts["accounts"], len(DEMO_ACCOUNTS))


def reset_accounts() -> int:
    """The demo accounts, and any other account placed in the demo county."""
    demo = User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS])
    placed = User.objects.filter(jurisdiction__in=Jurisdiction.objects.within(COUNTY_CODE))
    return (demo | placed).delete()[1].get(User._meta.label, 0)


def seed_people(ctx: DemoContext) -> None:
    total = sum(v.residents for town in ctx.towns for v in town.villages)
    people = _residents(ctx.towns, ctx.rng("people"))
    done = 0
    while batch := list(itertools.islice(people, BATCH_SIZE)):
        Person.objects.bulk_create(batch)
        reset_queries()  # under DEBUG Django keeps each statement: ~100 MB at town scale
        done += len(batch)
        ctx.progress(_("residents"), done, total)
    ctx.counts["people"] = done


def reset_people() -> int:
    return Person.objects.within(COUNTY_CODE).delete()[0]


STEPS: list[DemoStep] = [
    DemoStep("jurisdictions", seed_jurisdictions, reset_jurisdictions),
    DemoStep("accounts", seed_accounts, reset_accounts),
    DemoStep("people", seed_people, reset_people),
]


# Running it.


class DemoAlreadySeeded(Exception):
    """The demo county is there already; nothing was changed."""


class DemoRefused(Exception):
    """The database holds data the demo must not mix with or delete; str() says what."""


@dataclass(frozen=True)
class SeedResult:
    scale: str
    counts: dict[str, int]
    deleted: dict[str, int]


def no_progress(what: str, done: int, total: int) -> None:
    pass


def seed_demo(
    scale: str = "small",
    *,
    actor: Actor,
    reset: bool = False,
    progress: Progress = no_progress,
) -> SeedResult:
    """Build the demo county in one transaction (all of it or nothing).

    Refuses a database holding people outside the demo county (a real one, or a test one).
    With `reset`, first deletes the demo county's rows (the audit log stays: it is append-only);
    without it, an existing demo raises DemoAlreadySeeded and changes nothing.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose from {', '.join(SCALES)}")
    with transaction.atomic():
        _check_database(reset)
        deleted = delete_demo(actor) if reset else {}
        ctx = DemoContext(scale, actor, plan_county(scale), progress)
        for step in STEPS:
            step.seed(ctx)
        if connection.vendor == "postgresql":
            # Fresh statistics: tables the planner last saw empty (or emptied by rolled-back
            # tests, after autovacuum) otherwise get nested loops over thousands of rows.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        record_audit(
            actor,
            AuditAction.IMPORT,
            object_type="core.person",
            object_id="",
            object_repr=_("demo data (%(scale)s): %(n)d people")
            % {"scale": scale, "n": ctx.counts.get("people", 0)},
            jurisdiction_code=COUNTY_CODE,
            changes={"scale": scale, "seed": DEMO_SEED, **ctx.counts},
        )
    return SeedResult(scale, ctx.counts, deleted)


def delete_demo(actor: Actor) -> dict[str, int]:
    """Delete the demo county's rows, step by step in reverse; the audit log keeps its entries
    (it is append-only) and gains one saying how many people went. Returns {step: rows}."""
    with transaction.atomic():
        deleted = {step.name: step.reset() for step in reversed(STEPS)}
        if deleted.get("people"):
            record_audit(
                actor,
                AuditAction.DELETE,
                object_type="core.person",
                object_id="",
                object_repr=_("demo data: %(n)d people deleted") % {"n": deleted["people"]},
                jurisdiction_code=COUNTY_CODE,
                changes={"reset": deleted},
            )
    return deleted


def _check_database(reset: bool) -> None:
    others = Person.objects.count() - Person.objects.within(COUNTY_CODE).count()
    if others:
        raise DemoRefused(
            _(
                "this database holds %(n)d people outside the demo county %(code)s; the demo only "
                "goes into a database of its own"
            )
            % {"n": others, "code": COUNTY_CODE}
        )
    if reset:
        return
    if Jurisdiction.objects.filter(code=COUNTY_CODE).exists():
        raise DemoAlreadySeeded(
            _(
                "the demo county %(name)s (%(code)s) is already there with %(n)d people; nothing "
                "was changed (use --reset to rebuild it)"
            )
            % {"name": COUNTY_NAME, "code": COUNTY_CODE, "n": Person.objects.count()}
        )
    taken = sorted(
        User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).values_list(
            "username", flat=True
        )
    )
    if taken:
        raise DemoRefused(
            _(
                "the demo accounts %(names)s exist already; rename them, or use --reset, which "
                "deletes them"
            )
            % {"names": ", ".join(taken)}
        )


# Residents.

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
    "覃武戴莫孔向汤"
)
# Roughly Zipf-distributed like real surnames; cumulative weights spare random.choices the sums.
_SURNAME_CUM_WEIGHTS = list(itertools.accumulate(1 / (rank + 4) for rank in range(len(_SURNAMES))))
_MALE_CHARS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁健亮俊峰建国文东林海"
    "龙志春永新金水山德成福生贵荣祥宏江浩宇轩博晨阳"
)
_FEMALE_CHARS = "芳娜敏静丽艳娟霞秀英玲桂兰萍红燕梅琴云莲凤洁婷雪慧倩颖琳晶丹欣怡佳悦萱涵玉珍翠"
_MIDDLE_CHARS = "小文晓建志海春秋德金玉国永子思雨明少家俊嘉立红"
_HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
_HOUSEHOLD_CUM_WEIGHTS = list(itertools.accumulate((15, 25, 25, 20, 10, 5)))
_OTHER_MEMBERS = ("spouse", "child", "child", "parent", "child")
# Mobile segments in use: 130–139, 150–159 (not 154), 166, 173, 175–177, 180–189, 191, 198, 199.
_SEGMENTS = {"13": "0123456789", "15": "012356789", "16": "6", "17": "3567", "18": "0123456789"}
_PHONE_PREFIXES = (
    *(f"{head}{third}" for head, thirds in _SEGMENTS.items() for third in thirds),
    *("191", "198", "199"),
)
_FIRST_YEAR, _LAST_YEAR = 1930, 2020
_YOUNGEST_WITH_PHONE = 2008


def _residents(towns: tuple[PlannedTown, ...], rng: random.Random) -> Iterator[Person]:
    """People household by household; each village's households spread over its groups."""
    used_ids: set[str] = set()
    used_phones: set[str] = set()
    for town in towns:
        for village in town.villages:
            houses = dict.fromkeys(village.group_codes, 0)
            left = village.residents
            while left:
                size = min(
                    left, rng.choices(_HOUSEHOLD_SIZES, cum_weights=_HOUSEHOLD_CUM_WEIGHTS)[0]
                )
                group = rng.choice(village.group_codes)
                houses[group] += 1
                address = f"{town.name}{village.name}{int(group[-3:])}组{houses[group]}号"
                for sex, born, surname in _household(rng, size):
                    person = Person(
                        external_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        name=surname + _given_name(rng, sex),
                        household_address=address,
                        current_address=address,
                        jurisdiction_id=group,
                    )
                    person.name_pinyin, person.name_initials = pinyin_keys(person.name)
                    person.id_number = _id_number(rng, sex, born, used_ids)
                    if born.year <= _YOUNGEST_WITH_PHONE:
                        person.phone = _phone(rng, used_phones)
                    yield person
                left -= size


def _household(rng: random.Random, size: int) -> list[tuple[str, date, str]]:
    """(sex, birth date, surname) of each member: a head, then spouse, children, a parent."""
    head_year = rng.randint(1935, 1995)
    head_sex = "M" if rng.random() < 0.8 else "F"
    head_surname = _surname(rng)
    members = [(head_sex, head_year, head_surname)]
    father_line = head_surname
    for kind in _OTHER_MEMBERS[: size - 1]:
        if kind == "spouse":
            sex = "F" if head_sex == "M" else "M"
            surname = _surname(rng)
            members.append((sex, head_year + rng.randint(-4, 4), surname))
            father_line = head_surname if head_sex == "M" else surname
        elif kind == "child":
            year = rng.randint(min(head_year + 20, _LAST_YEAR), min(head_year + 38, _LAST_YEAR))
            members.append((rng.choice("MF"), year, father_line))
        else:
            sex = rng.choice("MF")
            members.append(
                (
                    sex,
                    head_year - rng.randint(22, 35),
                    head_surname if sex == "M" else _surname(rng),
                )
            )
    return [(sex, _birth_date(rng, year), surname) for sex, year, surname in members]


def _birth_date(rng: random.Random, year: int) -> date:
    year = min(max(year, _FIRST_YEAR), _LAST_YEAR)
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def _surname(rng: random.Random) -> str:
    return rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM_WEIGHTS)[0]


def _given_name(rng: random.Random, sex: str) -> str:
    chars = _MALE_CHARS if sex == "M" else _FEMALE_CHARS
    if rng.random() < 0.3:
        return rng.choice(chars)
    return rng.choice(_MIDDLE_CHARS) + rng.choice(chars)


def _id_number(rng: random.Random, sex: str, born: date, used: set[str]) -> str:
    """A checksum-valid number, area 999901, unique: the sequence's parity gives the sex."""
    while True:
        sequence = rng.randrange(1, 1000, 2) if sex == "M" else rng.randrange(2, 1000, 2)
        number = compose_id_number(COUNTY_CODE, born, sequence)
        if number not in used:
            used.add(number)
            return number


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = f"{rng.choice(_PHONE_PREFIXES)}{rng.randrange(10**8):08d}"
        if phone not in used:
            used.add(phone)
            return phone
