"""Synthetic push lists (大数据推送名单) for benchmarks and tests: realistic, damaged, repeatable.

`write_push_list` writes an .xlsx the way county command posts sent them: a title row above the
header, the usual columns, ID numbers from the provinces people came back from, arrival dates in
every spelling cadres use, addresses naming a village of the town (or not), and, in the given
fractions, rows that must be refused (an ID mangled by Excel into a number, a wrong check
character, a 10-digit phone, an impossible date), repeats of earlier rows, and residents the town
already knows. Everything comes from `random.Random(seed)`: the same arguments give the same file.

The file is written by xlsxwriter in constant-memory mode: 100,000 rows take a few seconds.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

from fangyi.core import demo
from fangyi.core.crypto import decrypt
from fangyi.core.identity import clean_text, compose_id_number
from fangyi.core.models import Person

HEADERS = (
    "序号",
    "姓名",
    "性别",
    "身份证号码",
    "手机号码",
    "来源地",
    "返乡时间",
    "交通方式",
    "车次/航班/车牌",
    "现住址",
    "备注",
)
# Where people came back from: (ID area code, place name). Hubei first and most often.
SOURCES = (
    ("420102", "湖北省武汉市江岸区"),
    ("420106", "湖北省武汉市武昌区"),
    ("420111", "湖北省武汉市洪山区"),
    ("421002", "湖北省荆州市沙市区"),
    ("420502", "湖北省宜昌市西陵区"),
    ("420902", "湖北省孝感市孝南区"),
    ("440305", "广东省深圳市南山区"),
    ("440106", "广东省广州市天河区"),
    ("310104", "上海市徐汇区"),
    ("330106", "浙江省杭州市西湖区"),
    ("320106", "江苏省南京市鼓楼区"),
    ("110105", "北京市朝阳区"),
)
_SOURCE_WEIGHTS = (30, 20, 12, 8, 6, 6, 5, 4, 3, 3, 2, 1)
# (交通方式 as written, how its 车次/航班/车牌 looks)
TRANSPORTS = (("火车", "rail"), ("高铁", "rail"), ("飞机", "air"), ("自驾", "plate"),
              ("大巴", "coach"), ("客车", "coach"), ("", ""))  # fmt: skip
_TRANSPORT_WEIGHTS = (25, 20, 8, 25, 10, 7, 5)
NOTES = ("", "", "", "", "春节返乡", "探亲", "返岗途经", "已居家隔离", "电话未接通", "外出务工返回")
BAD_KINDS = ("id_as_number", "wrong_check", "short_phone", "impossible_date")
_PLATE_PREFIXES = ("鄂A", "鄂B", "鄂D", "鄂E", "粤B", "沪A", "浙A", "苏A", "京N", "皖R")


@dataclass
class SyntheticList:
    """What was written, so a benchmark can check the import's counts."""

    path: Path
    rows: int = 0
    bad: int = 0
    duplicates: int = 0
    known: int = 0
    new: int = 0
    header_row: int = 2  # as Excel shows it: one title row above


def write_push_list(
    path: Path | str,
    rows: int,
    *,
    town_name: str,
    village_names: Sequence[str],
    received: date,
    known_residents: Sequence[tuple[str, str, str]] = (),
    bad_fraction: float = 0.02,
    duplicate_fraction: float = 0.05,
    known_fraction: float = 0.3,
    seed: int = 20200128,
) -> SyntheticList:
    """Write `rows` data rows to `path` (.xlsx); `known_residents` are (name, ID number, phone).

    Each row is, in the given fractions: bad (refused by the import), a repeat of an earlier good
    row, one of `known_residents` (each at most once), or a new person. Arrival dates fall in the
    14 days before `received`.
    """
    rng = random.Random(seed)
    path = Path(path)
    outcome = SyntheticList(path)
    used_ids = {number for _name, number, _phone in known_residents}
    used_phones = {phone for _name, _number, phone in known_residents if phone}
    unused_known = list(known_residents)
    rng.shuffle(unused_known)
    earlier: list[list] = []  # good rows, for repeats

    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_numbers": False}
    )
    sheet = workbook.add_worksheet("协查名单")
    date_format = workbook.add_format({"num_format": "yyyy/m/d"})
    for column, width in enumerate((6, 8, 5, 21, 13, 22, 12, 9, 13, 30, 14)):
        sheet.set_column(column, column, width)
    sheet.write_string(
        0, 0, f"新冠肺炎疫情防控大数据推送人员协查名单（{received:%Y年%-m月%-d日}，{town_name}）"
    )
    sheet.write_row(1, 0, HEADERS)

    for index in range(rows):
        draw = rng.random()
        if draw < bad_fraction:
            cells = _new_person(rng, town_name, village_names, received, used_ids, used_phones)
            _damage(rng, cells, BAD_KINDS[outcome.bad % len(BAD_KINDS)], received)
            outcome.bad += 1
        elif draw < bad_fraction + duplicate_fraction and earlier:
            cells = list(rng.choice(earlier))
            cells[10] = rng.choice(("重复推送", "", "多次推送"))
            outcome.duplicates += 1
        elif draw < bad_fraction + duplicate_fraction + known_fraction and unused_known:
            name, number, phone = unused_known.pop()
            cells = _new_person(rng, town_name, village_names, received, used_ids, used_phones)
            cells[1], cells[3], cells[4] = name, number, phone
            outcome.known += 1
            earlier.append(cells)
        else:
            cells = _new_person(rng, town_name, village_names, received, used_ids, used_phones)
            outcome.new += 1
            earlier.append(cells)
        _write_row(sheet, index + 2, index + 1, cells, date_format)
    workbook.close()
    outcome.rows = rows
    return outcome


def _new_person(
    rng: random.Random,
    town_name: str,
    village_names: Sequence[str],
    received: date,
    used_ids: set[str],
    used_phones: set[str],
) -> list:
    """Cells 0–10 of one row (the 序号 is filled when written); valid, with harmless damage."""
    sex = "M" if rng.random() < 0.55 else "F"
    born = demo._birth_date(rng, rng.randint(1950, 2005))
    area, source = rng.choices(SOURCES, weights=_SOURCE_WEIGHTS)[0]
    while True:
        sequence = rng.randrange(1, 1000, 2) if sex == "M" else rng.randrange(2, 1000, 2)
        number = compose_id_number(area, born, sequence)
        if number not in used_ids:
            used_ids.add(number)
            break
    transport, trip_kind = rng.choices(TRANSPORTS, weights=_TRANSPORT_WEIGHTS)[0]
    return [
        None,
        demo._surname(rng) + demo._given_name(rng, sex),
        "男" if sex == "M" else "女",
        _as_typed(rng, number),
        demo._phone(rng, used_phones) if rng.random() < 0.95 else "",
        source,
        _arrival(rng, received),
        transport,
        _trip_number(rng, trip_kind),
        _address(rng, town_name, village_names),
        rng.choice(NOTES),
    ]


def _as_typed(rng: random.Random, number: str) -> str:
    """Most numbers are clean; some arrive with a lowercase x, spaces or full-width digits."""
    draw = rng.random()
    if draw < 0.02:
        return number.lower()
    if draw < 0.03:
        return f"{number[:6]} {number[6:14]} {number[14:]}"
    if draw < 0.035:
        return number.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    return number


def _arrival(rng: random.Random, received: date) -> object:
    day = received - timedelta(days=rng.randrange(14))
    draw = rng.random()
    if draw < 0.4:
        return datetime(day.year, day.month, day.day)  # noqa: DTZ001 (a date cell)
    if draw < 0.6:
        return f"{day.year}.{day.month}.{day.day}"
    if draw < 0.75:
        return f"{day.month}月{day.day}日"
    if draw < 0.85:
        return f"{day:%Y%m%d}"
    if draw < 0.95:
        return f"{day.year}/{day.month}/{day.day}"
    return ""


def _trip_number(rng: random.Random, kind: str) -> str:
    if kind == "rail":
        return f"{rng.choice('GDKZT')}{rng.randrange(1, 9999)}"
    if kind == "air":
        return f"{rng.choice(('CZ', 'MU', 'CA', 'HU', '3U'))}{rng.randrange(1000, 9999)}"
    if kind == "plate":
        return f"{rng.choice(_PLATE_PREFIXES)}·{rng.randrange(10000, 99999)}"
    if kind == "coach":
        return rng.choice(("", "武汉—青山", "汉口客运站"))
    return ""


def _address(rng: random.Random, town_name: str, village_names: Sequence[str]) -> str:
    """Mostly a village of the town; some addresses name none (the town dispatches those)."""
    draw = rng.random()
    if draw < 0.88 and village_names:
        village = rng.choice(village_names)
        return f"{town_name}{village}{rng.randint(1, 12)}组{rng.randint(1, 60)}号"
    if draw < 0.96:
        return f"{town_name}集镇{rng.choice(('人民路', '解放路', '新街'))}{rng.randint(1, 200)}号"
    return ""


def _damage(rng: random.Random, cells: list, kind: str, received: date) -> None:
    number = clean_text(cells[3]).upper()
    if kind == "id_as_number":  # typed into a number cell: Excel kept 15 significant digits
        cells[3] = float(f"{float(number[:17] + '0'):.14e}")
    elif kind == "wrong_check":
        wrong = "0123456789X".replace(number[17], "")
        cells[3] = number[:17] + rng.choice(wrong)
    elif kind == "short_phone":
        cells[4] = f"1{rng.randrange(10**8, 10**9)}"
    else:
        cells[6] = f"{received.year}-02-30"


def _write_row(sheet, row: int, serial: int, cells: list, date_format) -> None:
    sheet.write_number(row, 0, serial)
    for column in range(1, 11):
        value = cells[column]
        if value == "" or value is None:
            continue
        if isinstance(value, str):
            sheet.write_string(row, column, value)
        elif isinstance(value, datetime):
            sheet.write_datetime(row, column, value, date_format)
        else:
            sheet.write_number(row, column, value)


def sample_residents(
    town_code: str, count: int, seed: int = 20200128
) -> list[tuple[str, str, str]]:
    """(name, ID number, phone) of `count` residents of the town, drawn at random: the people a
    synthetic list should contain so that the import matches them."""
    rng = random.Random(seed)
    town = Person.objects.filter(jurisdiction__code__startswith=town_code).exclude(
        id_number_index=None
    )
    ids = list(town.order_by("pk").values_list("pk", flat=True))
    chosen = set(rng.sample(ids, min(count, len(ids))))
    rows = town.order_by("pk").values_list("pk", "name", "id_number_cipher", "phone_cipher")
    return [
        (
            name,
            decrypt(id_cipher, "id_number"),
            decrypt(phone_cipher, "phone") if phone_cipher else "",
        )
        for pk, name, id_cipher, phone_cipher in rows.iterator(chunk_size=5000)
        if pk in chosen
    ]
