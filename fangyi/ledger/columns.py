"""What a push-list column means: the fields an import fills, the headers cadres give them, and
how to read one cell of each (dates, transport, risk level) without guessing.

Pure functions, no database: the import pipeline (importing.py) calls them for every row.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from fangyi.core.xlsx import FORMULA_TRIGGERS
from fangyi.ledger.models import Category, RiskLevel, Transport


@dataclass(frozen=True)
class ImportField:
    key: str
    label: Promise
    headers: tuple[str, ...]  # normalised (see normalize_header), the first is the standard one


IMPORT_FIELDS = (
    ImportField("name", pgettext_lazy("person", "name"), ("姓名", "名字", "人员姓名", "name")),
    ImportField(
        "id_number",
        gettext_lazy("ID number"),
        ("身份证号", "身份证号码", "证件号码", "身份证", "证件号", "公民身份号码", "id_number"),
    ),
    ImportField(
        "phone",
        gettext_lazy("phone"),
        ("手机号码", "手机", "手机号", "联系电话", "电话", "电话号码", "联系方式", "phone"),
    ),
    ImportField(
        "source_area",
        gettext_lazy("coming from"),
        ("来源地", "来源省市", "来源地区", "来源", "出发地", "来自", "来源省/市/县", "途经地"),
    ),
    ImportField(
        "risk_level", gettext_lazy("risk level"), ("来源地风险等级", "风险等级", "风险级别")
    ),
    ImportField(
        "arrival_date",
        gettext_lazy("arrival date"),
        (
            "返乡时间",
            "返乡日期",
            "抵达时间",
            "抵达日期",
            "到达时间",
            "到达日期",
            "返回时间",
            "入境时间",
            "来本地时间",
        ),
    ),
    ImportField("transport", gettext_lazy("transport"), ("交通方式", "出行方式", "交通工具")),
    ImportField(
        "trip_number",
        gettext_lazy("train / flight / plate number"),
        (
            "车次/航班/车牌",
            "车次",
            "航班",
            "车牌",
            "车牌号",
            "航班号",
            "航班/车次/车牌号",
            "车次/航班",
            "航班/车次",
            "车次航班",
        ),
    ),
    ImportField(
        "address",
        gettext_lazy("local address"),
        (
            "现住址",
            "本地住址",
            "详细地址",
            "目的地",
            "居住地址",
            "地址",
            "住址",
            "本地详细地址",
            "现居住地址",
            "目的地详细地址",
            "目的地(本地)村/详细地址",
            "家庭住址",
            "家庭地址",
        ),
    ),
    ImportField(
        "symptoms",
        gettext_lazy("symptoms"),
        ("症状", "有无症状", "有无发热/咳嗽/腹泻等症状", "有无发热咳嗽等症状", "健康状况"),
    ),
    ImportField(
        "local_contact",
        gettext_lazy("local contact"),
        ("本地联系人及电话", "本地联系人", "联系人"),
    ),
    ImportField("category", gettext_lazy("category"), ("人员类型", "人员类别")),
    ImportField(
        "notes",
        gettext_lazy("notes"),
        (
            "备注",
            "行程",
            "行程备注",
            "说明",
            "trip",
            "14天内行程",
            "近14天行程",
            "14天行程",
            "14天内旅居史",
            "旅居史",
        ),
    ),
)
FIELDS_BY_KEY = {f.key: f for f in IMPORT_FIELDS}
# The columns of a typical county push list, as the demo and the tests write them.
TYPICAL_PUSH_LIST_HEADERS = (
    "姓名",
    "身份证号码",
    "手机号码",
    "来源地",
    "返乡时间",
    "交通方式",
    "车次/航班/车牌",
    "现住址",
)
REQUIRED_KEYS = ("name",)
IDENTIFYING_KEYS = ("id_number", "phone")  # a list needs at least one of these columns


def normalize_header(cell: object) -> str:
    """ "身份证号码（必填）" → "身份证号码": full-width to ASCII, no spaces or * marks, no notes in
    brackets."""
    text = unicodedata.normalize("NFKC", "" if cell is None else str(cell))
    text = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", text)
    return "".join(text.split()).strip("*:：").lower()


HEADER_TO_KEY = {header.lower(): f.key for f in IMPORT_FIELDS for header in f.headers}


def detect_mapping(header_cells: list[object]) -> dict[str, int]:
    """field key → column index for each header that names a known field (first one wins)."""
    mapping: dict[str, int] = {}
    for index, cell in enumerate(header_cells):
        key = HEADER_TO_KEY.get(normalize_header(cell))
        if key and key not in mapping:
            mapping[key] = index
    return mapping


def missing_columns(mapping: dict[str, int]) -> list[str]:
    """The labels of required columns the mapping lacks, for the user-facing message."""
    missing = [FIELDS_BY_KEY[key].headers[0] for key in REQUIRED_KEYS if key not in mapping]
    if not any(key in mapping for key in IDENTIFYING_KEYS):
        missing.append(_("%(id)s or %(phone)s") % {"id": "身份证号码", "phone": "手机号码"})
    return missing


# Cell readers -------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as text. Whole numbers Excel holds exactly (up to 15 digits) lose their ".0";
    longer numbers keep Python's float form, which the ID check then refuses as damaged.

    Text that Fangyi's own sheets neutralised against formula injection ("'+86 139…", see
    fangyi.core.xlsx) loses that apostrophe, so a corrected error sheet can be uploaded again.
    """
    if isinstance(value, str):
        text = value.strip()
        if text[:1] == "'" and text[1:2] in FORMULA_TRIGGERS:
            return text[1:]
        return text
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


EXCEL_EPOCH = date(1899, 12, 30)
_FULL_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MONTH_DAY = re.compile(r"(\d{1,2})月(\d{1,2})日?")


class CellError(ValueError):
    """One cell that cannot be read; str(error) is the reason shown to the cadre."""


def parse_date(value: object, received: date) -> date | None:
    """Read an arrival date written any of the ways Excel and cadres write it.

    Accepted: date cells, Excel serial numbers, 2020-01-25 / 2020/1/25 / 2020.1.25 /
    2020年1月25日 (a time after it is ignored), 20200125, and 1月25日 (the year is the one that
    puts the date on or before the list's date). Anything else, or a date more than a year
    before or 30 days after the list was received, is refused rather than guessed.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if 19000101 <= number <= 21001231 and number.is_integer():
            found = _compact(str(int(number)))
        elif 1 <= number < 100000:
            found = EXCEL_EPOCH + timedelta(days=int(number))
        else:
            raise CellError(_("“%(value)s” is not a date") % {"value": cell_text(value)})
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        found = _parse_date_text(text, received)
    if not (received - timedelta(days=366) <= found <= received + timedelta(days=30)):
        raise CellError(
            _("the date %(date)s is too far from the list's date %(received)s: check it")
            % {"date": found.isoformat(), "received": received.isoformat()}
        )
    return found


def _parse_date_text(text: str, received: date) -> date:
    if match := _FULL_DATE.fullmatch(text):
        return _calendar(*map(int, match.groups()), text)
    if match := _COMPACT_DATE.fullmatch(text):
        return _compact(text)
    if match := _MONTH_DAY.fullmatch(text):
        month, day = map(int, match.groups())
        found = _calendar(received.year, month, day, text)
        return found if found <= received + timedelta(days=30) else found.replace(found.year - 1)
    if text.isdigit() and len(text) == 5:  # an Excel serial that was turned into text
        return EXCEL_EPOCH + timedelta(days=int(text))
    raise CellError(
        _("“%(value)s” is not a date Fangyi can read: write it as 2020-01-25") % {"value": text}
    )


def _compact(text: str) -> date:
    return _calendar(int(text[:4]), int(text[4:6]), int(text[6:8]), text)


def _calendar(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(_("the date “%(value)s” does not exist") % {"value": text}) from None


_TRANSPORT_WORDS = (
    (Transport.RAIL, ("铁路", "火车", "高铁", "动车", "列车", "rail", "train")),
    (Transport.AIR, ("飞机", "航空", "航班", "民航", "air", "flight")),
    (Transport.FERRY, ("渡轮", "轮船", "客船", "船", "ferry")),
    (Transport.SELF_DRIVE, ("自驾", "私家车", "自驾车", "self")),
    (Transport.COACH, ("客运", "大巴", "客车", "汽车", "长途", "coach", "bus")),
)


@lru_cache(maxsize=4096)  # a list repeats a few dozen spellings 100,000 times
def parse_transport(text: str) -> str:
    """铁路/火车/高铁 → rail, …; other words → "other" (the words stay in the trip number)."""
    if not text:
        return ""
    lowered = text.lower()
    for transport, words in _TRANSPORT_WORDS:
        if any(word in lowered for word in words):
            return transport
    return Transport.OTHER


@lru_cache(maxsize=4096)
def parse_risk_level(text: str) -> str:
    """高/高风险 → high, 中 → medium, 低 → low; anything else is left blank."""
    for level, word in ((RiskLevel.HIGH, "高"), (RiskLevel.MEDIUM, "中"), (RiskLevel.LOW, "低")):
        if word in text:
            return level
    return ""


_CATEGORY_WORDS = (
    (Category.SECONDARY_CONTACT, ("次密", "secondary")),
    (Category.CLOSE_CONTACT, ("密接", "密切接触", "close")),
    (Category.FEVER, ("发热", "fever")),
    (Category.INBOUND, ("入境", "境外", "inbound")),
    (Category.RETURNEE, ("返乡", "返回", "返岗", "来访", "returnee")),
)


@lru_cache(maxsize=4096)
def parse_category(text: str, default: str) -> str:
    for category, words in _CATEGORY_WORDS:
        if any(word in text for word in words):
            return category
    return default


_PHONE_IN_TEXT = re.compile(r"(?:\+?86-?)?1[3-9](?:-?\d){9}")  # 139-1234-5678 too
_CONTACT_SEPARATORS = ",，:：/;；、-"


def split_contact(text: str) -> tuple[str, str]:
    """ "张三 13912345678" → ("张三", "13912345678"); "(父)李四:139-1234-5678" → ("(父)李四", …)."""
    compact = "".join(unicodedata.normalize("NFKC", text).split())
    match = _PHONE_IN_TEXT.search(compact)
    if not match:
        return compact[:50], ""
    name = compact[: match.start()] + compact[match.end() :]
    name = name.replace("()", "").strip(_CONTACT_SEPARATORS)
    return name[:50], match.group(0).replace("-", "")[-11:]
