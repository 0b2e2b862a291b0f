"""The push-list import pipeline end to end: real files in, people, entries and tasks out.

Each test writes a real file (.xlsx by xlsxwriter, .xls by xlwt, .csv in UTF-8 or GBK), imports it through
`services.create_push_list` + `services.run_import` (fangyi/ledger/testing.py: import_file) and
checks what landed. The lists arrive on 2020-01-28 (testing.RECEIVED).
"""

import csv
import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import xlsxwriter
import xlwt
from django.utils import translation

from fangyi.core import bulk, crypto
from fangyi.core.audit import Actor
from fangyi.core.identity import compose_id_number
from fangyi.core.models import AuditAction, AuditEntry, Person
from fangyi.ledger import importing
from fangyi.ledger.importing import DuplicateFile
from fangyi.ledger.models import (
    EventKind,
    ImportStatus,
    LedgerEntry,
    LedgerEntryEvent,
    PushList,
    VerificationTask,
)
from fangyi.ledger.testing import (
    PUSH_LIST_HEADERS,
    RECEIVED,
    import_file,
    make_entry,
    write_push_list_file,
)
from fangyi.testing import make_person

KEYS = ("name", "id", "phone", "source", "date", "transport", "trip", "address")
COLUMN = dict(zip(KEYS, PUSH_LIST_HEADERS, strict=True))  # key → header text in the file
_serial = itertools.count(1)


def new_id() -> str:
    """A checksum-valid ID number no other test row uses."""
    n = next(_serial)
    return compose_id_number("999901", date(1950, 1, 1) + timedelta(days=n // 900), n % 900 + 1)


def new_phone() -> str:
    return f"137{next(_serial):08d}"


def row(name: str = "王五", id_number: object = None, phone: object = None, **cells) -> list:
    """A data row in PUSH_LIST_HEADERS order; unnamed cells get plausible values."""
    values = {
        "source": "湖北省武汉市",
        "date": "2020-01-25",
        "transport": "火车",
        "trip": "G1234",
        "address": "青山镇东村3组",
        **cells,
    }
    return [
        name,
        new_id() if id_number is None else id_number,
        new_phone() if phone is None else phone,
        values["source"],
        values["date"],
        values["transport"],
        values["trip"],
        values["address"],
    ]


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path) -> Path:
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return settings.UPLOAD_DIR


@pytest.fixture(autouse=True)
def english():
    """Reasons are asserted in English (the msgids); cadres read them in Chinese."""
    with translation.override("en"):
        yield


@pytest.fixture
def actor(carol) -> Actor:
    return Actor(user=carol)


@pytest.fixture
def world(town, village_a, village_b, carol):
    """青山镇 with 东村 and 西村, and carol, its commander, importing."""
    return town


def import_rows(actor, town, tmp_path, rows, title: str = "", name: str = "list.xlsx") -> PushList:
    path = write_push_list_file(tmp_path / name, rows, title=title)
    return import_file(actor, town, path)


def error_map(push_list: PushList) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for problem in push_list.error_rows:
        found.setdefault(problem["row"], []).append((problem["column"], problem["reason"]))
    return found


def assert_counts_add_up(push_list: PushList) -> None:
    assert push_list.status == ImportStatus.DONE
    assert push_list.rows == (
        push_list.imported + push_list.matched + push_list.merged + push_list.errors
    )
    assert VerificationTask.objects.filter(push_list=push_list).count() == (
        push_list.imported + push_list.matched
    )


def person_by_id(number: str) -> Person:
    return Person.objects.get(id_number_index=crypto.blind_index(number, "id_number"))


# Repairs of ID numbers ----------------------------------------------------------------------


def test_it_repairs_id_numbers_that_are_unambiguous(world, actor, tmp_path):
    lower_x = compose_id_number("999901", date(1990, 1, 1), 3)
    while not lower_x.endswith("X"):
        lower_x = compose_id_number("999901", date(1990, 1, 1), int(lower_x[14:17]) + 2)
    full_width = new_id()
    spaced = new_id()
    zero_width = new_id()
    legacy15 = "999901" + "850317" + "123"  # 1985-03-17, sequence 123 (odd: male)
    push_list = import_rows(
        actor,
        world,
        tmp_path,
        [
            row("甲一", lower_x.lower()),
            row(
                "甲二", full_width.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
            ),
            row("甲三", f" {spaced[:6]} {spaced[6:14]} {spaced[14:]} "),
            row("甲四", f"\u200b{zero_width}\ufeff"),
            row("甲五", legacy15),
        ],
    )
    assert push_list.errors == 0, push_list.error_rows
    assert push_list.imported == 5
    assert person_by_id(lower_x).name == "甲一"
    assert person_by_id(full_width).name == "甲二"
    assert person_by_id(spaced).name == "甲三"
    assert person_by_id(zero_width).name == "甲四"
    converted = person_by_id(compose_id_number("999901", date(1985, 3, 17), 123))
    assert (converted.name, converted.birth_date, converted.sex) == ("甲五", date(1985, 3, 17), "M")
    assert converted.id_number.startswith("99990119850317123")
    assert_counts_add_up(push_list)


def test_it_refuses_damaged_id_numbers_row_by_row_and_keeps_the_rest(world, actor, tmp_path):
    good = new_id()
    wrong_check = new_id()
    wrong_check = wrong_check[:17] + ("0" if wrong_check[17] != "0" else "1")
    exact = compose_id_number("999901", date(1980, 5, 17), 17)
    path = tmp_path / "damaged.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, PUSH_LIST_HEADERS)
    cells = [
        ["好人", good],
        ["错校验", wrong_check],
        ["科学计数", "4.20102E+17"],  # Excel showed the number and it was copied as text
        ["数字", 4.20102e17],  # a number cell: digits lost
        ["整数", float(exact[:17] + "0")],  # an 18-digit number cell is a float: never exact
        ["太短", "99990119800517"],
        ["生日错", "999901" + "19801317" + "0015"],
    ]
    for index, (name, id_number) in enumerate(cells, start=1):
        sheet.write(index, 0, name)
        sheet.write(index, 1, id_number)
        sheet.write_string(index, 2, new_phone())
        sheet.write_string(index, 4, "2020-01-25")
    workbook.close()

    push_list = import_file(actor, world, path)

    errors = error_map(push_list)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8]
    assert all(column == COLUMN["id"] for problems in errors.values() for column, _ in problems)
    assert "check character" in errors[3][0][1]
    for excel_row in (4, 5, 6):
        assert "turned into a number by Excel" in errors[excel_row][0][1]
    assert "18 characters" in errors[7][0][1]
    assert "does not exist" in errors[8][0][1]
    assert push_list.error_cells["5"][1] == "4.20102e+17"  # the cell as it was, for the sheet
    # The good row landed; nobody was invented from the damaged numbers.
    assert list(Person.objects.values_list("name", flat=True)) == ["好人"]
    assert (push_list.rows, push_list.imported, push_list.errors) == (7, 1, 6)
    assert_counts_add_up(push_list)


def test_it_reports_phones_and_names_it_cannot_use(world, actor, tmp_path):
    push_list = import_rows(
        actor,
        world,
        tmp_path,
        [
            row("短号", phone="1391234567"),
            row("", phone="13912345678"),
            row("好号", phone="+86 139-1234-5679"),
            row("无证无号", id_number="", phone=""),
        ],
    )
    errors = error_map(push_list)
    assert errors[2] == [(COLUMN["phone"], "a mobile number has 11 digits; this one has 10")]
    assert errors[3] == [(COLUMN["name"], "the person's name is empty")]
    assert 4 not in errors
    assert "neither an ID number nor a phone" in errors[5][0][1]
    assert Person.objects.get().phone == "13912345679"
    assert_counts_add_up(push_list)


# Dates ----------------------------------------------------------------------------------------


def test_it_reads_every_common_spelling_of_a_date(world, actor, tmp_path):
    path = tmp_path / "dates.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, PUSH_LIST_HEADERS)
    date_format = workbook.add_format({"num_format": "yyyy/m/d"})
    spellings = [
        ("serial", 43855),  # an Excel serial number: 2020-01-25
        ("dots", "2020.1.25"),
        ("slashes", "2020/1/25"),
        ("monthday", "1月25日"),
        ("compact", "20200125"),
        ("compactnumber", 20200125),
        ("chinese", "2020年1月25日"),
        ("datetime", "2020-01-25 14:30"),
        ("datecell", datetime(2020, 1, 25, tzinfo=UTC)),
        ("blank", None),
    ]
    for index, (name, value) in enumerate(spellings, start=1):
        sheet.write_string(index, 0, name)
        sheet.write_string(index, 1, new_id())
        if isinstance(value, datetime):
            sheet.write_datetime(index, 4, value.replace(tzinfo=None), date_format)
        elif value is not None:
            sheet.write(index, 4, value)
    workbook.close()

    push_list = import_file(actor, world, path)

    assert push_list.errors == 0, push_list.error_rows
    arrivals = dict(LedgerEntry.objects.values_list("person__name", "arrival_date"))
    assert arrivals.pop("blank") is None
    assert set(arrivals.values()) == {date(2020, 1, 25)}
    assert len(arrivals) == len(spellings) - 1


def test_it_refuses_dates_that_do_not_exist_or_are_implausible(world, actor, tmp_path):
    push_list = import_rows(
        actor,
        world,
        tmp_path,
        [
            row("二月三十", date="2020-02-30"),
            row("十三月", date="2020.13.1"),
            row("去年以前", date="2018-01-25"),
            row("乱写", date="前天"),
            row("月日", date="2月30日"),
            row("正常", date="1月20日"),
        ],
    )
    errors = error_map(push_list)
    assert sorted(errors) == [2, 3, 4, 5, 6]
    assert all(problems[0][0] == COLUMN["date"] for problems in errors.values())
    assert "does not exist" in errors[2][0][1]
    assert "does not exist" in errors[3][0][1]
    assert "too far" in errors[4][0][1]
    assert "not a date" in errors[5][0][1]
    assert LedgerEntry.objects.get().arrival_date == date(2020, 1, 20)
    assert_counts_add_up(push_list)


def test_a_month_and_day_after_the_list_date_belong_to_last_year(world, actor, tmp_path):
    push_list = import_rows(actor, world, tmp_path, [row("跨年", date="12月30日")])
    assert LedgerEntry.objects.get(push_list=push_list).arrival_date == date(2019, 12, 30)


# Row numbers, title rows, counts --------------------------------------------------------------


def test_it_numbers_rows_as_excel_shows_them_below_title_rows(world, actor, tmp_path):
    path = tmp_path / "titled.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.merge_range(0, 0, 0, 7, "青山镇返乡人员协查名单")
    sheet.write_string(1, 0, "推送日期：2020年1月28日")
    sheet.write_row(2, 0, PUSH_LIST_HEADERS)
    sheet.write_row(3, 0, row("好一"))
    sheet.write_row(4, 0, row("坏一", id_number="123"))
    # Row 6 is left empty: it is neither counted nor reported.
    sheet.write_row(6, 0, row("坏二", phone="12345"))
    sheet.write_row(7, 0, row("好二"))
    workbook.close()

    push_list = import_file(actor, world, path)

    assert push_list.header_row == 2
    assert sorted(error_map(push_list)) == [5, 7]
    assert set(push_list.error_cells) == {"5", "7"}
    assert push_list.error_cells["5"][0] == "坏一"
    assert (push_list.rows, push_list.imported, push_list.errors) == (4, 2, 2)
    rows = set(VerificationTask.objects.values_list("source_row", flat=True))
    assert rows == {4, 8}
    assert_counts_add_up(push_list)


def test_it_imports_csv_in_utf8_and_gbk(world, actor, tmp_path):
    for encoding, name in (("utf-8-sig", "utf8.csv"), ("gbk", "gbk.csv")):
        path = tmp_path / name
        with path.open("w", encoding=encoding, newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["协查名单（县指挥部）"])
            writer.writerow(PUSH_LIST_HEADERS)
            writer.writerow(row(f"{encoding}甲", address="青山镇西村5组", date="2020/1/24"))
            writer.writerow(row(f"{encoding}乙", id_number="4.20102E+17"))
        push_list = import_file(actor, world, path)
        assert (push_list.rows, push_list.imported, push_list.errors) == (2, 1, 1)
        assert [p["row"] for p in push_list.error_rows] == [4]
        entry = LedgerEntry.objects.get(person__name=f"{encoding}甲")
        assert (entry.jurisdiction_id, entry.arrival_date) == ("999901100202", date(2020, 1, 24))
        assert entry.transport == "rail" and entry.trip_number == "G1234"


def test_it_imports_a_legacy_xls_with_excel_dates_and_numbers(world, actor, tmp_path):
    """An .xls as old Excel and WPS save it (written by xlwt): cells typed as numbers and dates."""
    path = tmp_path / "协查名单.xls"
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("名单", cell_overwrite_ok=True)
    sheet.write(0, 0, "协查名单（县指挥部）")
    for column, header in enumerate(PUSH_LIST_HEADERS):
        sheet.write(1, column, header)
    good = row("王小丫", address="青山镇西村5组")
    for column, value in enumerate(good):
        sheet.write(2, column, value)
    sheet.write(2, 2, 13912345678)  # the phone typed as a number
    sheet.write(2, 4, 43853, xlwt.easyxf(num_format_str="yyyy-mm-dd"))  # 2020-01-23, a date cell
    for column, value in enumerate(row("李大", id_number="")):
        sheet.write(3, column, value)
    sheet.write(3, 1, 420106199001020111.0)  # an 18-digit ID typed as a number: digits lost
    book.save(str(path))

    push_list = import_file(actor, world, path)

    assert (push_list.rows, push_list.imported, push_list.errors) == (2, 1, 1)
    assert [(p["row"], p["column"]) for p in push_list.error_rows] == [(4, "身份证号码")]
    entry = LedgerEntry.objects.get(person__name="王小丫")
    assert entry.person.phone == "13912345678"
    assert (entry.jurisdiction_id, entry.arrival_date) == ("999901100202", date(2020, 1, 23))


# Matching, merging, assignment ----------------------------------------------------------------


def test_it_matches_by_id_then_by_name_and_phone_else_creates(world, actor, village_b, tmp_path):
    by_id = make_person(village_b, "张伟", id_number=new_id(), phone="13900000001")
    no_id = make_person(village_b, "李娜", id_number="", phone="13900000002")
    same_phone_other_name = make_person(village_b, "王芳", id_number="", phone="13900000003")

    push_list = import_rows(
        actor,
        world,
        tmp_path,
        [
            row("张卫", by_id.id_number, "13800000000"),  # a typo in the name: the ID decides
            row("李娜", new_id(), "139 0000 0002"),  # the ID is new, name + phone known
            row("刘洋", new_id(), "13900000003"),  # the phone is known, the name is not
            row("陈晨", new_id(), new_phone()),
        ],
    )

    assert (push_list.imported, push_list.matched, push_list.errors) == (2, 2, 0)
    assert Person.objects.count() == 5
    tasks = {
        t.source_row: t.entry.person_id for t in VerificationTask.objects.select_related("entry")
    }
    assert tasks[2] == by_id.pk
    assert tasks[3] == no_id.pk
    assert tasks[4] not in (same_phone_other_name.pk, by_id.pk, no_id.pk)
    # A matched person keeps the village where they live, whatever the pushed address says.
    assert LedgerEntry.objects.get(person=by_id).jurisdiction_id == village_b.code
    assert_counts_add_up(push_list)


def test_it_does_not_match_by_phone_someone_whose_id_number_differs(
    world, actor, tmp_path, village_a
):
    known = make_person(village_a, "赵六", id_number=new_id(), phone="13900000011")
    push_list = import_rows(actor, world, tmp_path, [row("赵六", new_id(), "13900000011")])
    assert (push_list.imported, push_list.matched) == (1, 0)
    assert Person.objects.exclude(pk=known.pk).get().name == "赵六"


def test_it_merges_duplicates_within_the_file_and_reports_them(world, actor, tmp_path):
    twice = new_id()
    family_phone = new_phone()
    push_list = import_rows(
        actor,
        world,
        tmp_path,
        [
            row("孙七", twice, family_phone, trip=""),
            row("孙七", twice.lower(), "", trip="K88"),  # same ID: fills the blank trip number
            row("孙七", "", family_phone),  # no ID, same name and phone
            row("孙八", new_id(), family_phone),  # a relative sharing the phone: a new person
            row("周九", new_id(), "123"),  # an error is not merged
            row("孙七", twice, family_phone),
        ],
    )
    assert push_list.merged_rows == [
        {"row": 3, "into": 2},
        {"row": 4, "into": 2},
        {"row": 7, "into": 2},
    ]
    assert (push_list.rows, push_list.imported, push_list.merged, push_list.errors) == (6, 2, 3, 1)
    entry = LedgerEntry.objects.get(person__name="孙七")
    assert entry.trip_number == "K88"
    assert_counts_add_up(push_list)


def test_two_rows_that_turn_out_to_be_one_known_person_are_merged(
    world, actor, tmp_path, village_a
):
    known = make_person(village_a, "吴十", id_number=new_id(), phone="13900000021")
    other_phone_row = row("吴十", known.id_number, "13900000099")
    phone_only_row = row("吴十", "", "13900000021")
    push_list = import_rows(actor, world, tmp_path, [other_phone_row, phone_only_row])
    # In the file they look like two people; in the database they are one.
    assert (push_list.matched, push_list.merged, push_list.imported) == (1, 1, 0)
    assert push_list.merged_rows == [{"row": 3, "into": 2}]
    assert_counts_add_up(push_list)


def test_it_assigns_a_village_named_in_the_address_else_leaves_it_to_the_town(
    world, actor, tmp_path, village_a, village_b
):
    push_list = import_rows(
        actor,
        world,
        tmp_path,
        [
            row("东一", address="青山镇东村3组12号"),
            row("西一", address="西村"),
            row("两村", address="东村西村交界处"),  # names two villages equally: ambiguous
            row("无村", address="青山镇街道88号"),
            row("空址", address=""),
        ],
    )
    places = dict(LedgerEntry.objects.values_list("person__name", "jurisdiction_id"))
    assert places == {
        "东一": village_a.code,
        "西一": village_b.code,
        "两村": world.code,
        "无村": world.code,
        "空址": world.code,
    }
    people = dict(Person.objects.values_list("name", "jurisdiction_id"))
    assert people == places
    assert LedgerEntry.objects.unassigned().count() == 3
    assert_counts_add_up(push_list)


def test_it_reuses_the_entry_of_a_known_person_for_the_same_reason(
    world, actor, tmp_path, village_a
):
    known = make_person(village_a, "郑十一", id_number=new_id(), phone=new_phone())
    entry = make_entry(known, status="verified_home", notes="已核实")
    push_list = import_rows(actor, world, tmp_path, [row("郑十一", known.id_number)])

    assert (push_list.matched, push_list.imported) == (1, 0)
    assert LedgerEntry.objects.get() == entry
    entry.refresh_from_db()
    assert (entry.status, entry.notes, entry.push_list_id) == ("verified_home", "已核实", None)
    task = VerificationTask.objects.get()
    assert (task.entry, task.push_list, task.source_row, task.result) == (entry, push_list, 2, "")
    event = LedgerEntryEvent.objects.get(entry=entry)
    assert (event.kind, event.actor_id, event.actor_username) == (
        EventKind.PUSHED,
        actor.user.pk,
        "carol",
    )
    assert event.changes == {"push_list": push_list.name}


def test_a_known_person_pushed_for_another_reason_gets_a_new_entry(
    world, actor, tmp_path, village_a
):
    known = make_person(village_a, "冯十二", id_number=new_id(), phone=new_phone())
    make_entry(known, category="fever")
    push_list = import_rows(actor, world, tmp_path, [row("冯十二", known.id_number)])
    created = LedgerEntry.objects.get(person=known, category="returnee")
    assert created.push_list == push_list
    assert created.jurisdiction_id == village_a.code


def test_it_writes_new_people_entries_and_tasks_completely(world, actor, tmp_path, village_a):
    number = compose_id_number("999901", date(1992, 2, 29), 24)
    push_list = import_rows(
        actor,
        world,
        tmp_path,
        [
            [
                "钱 多多",
                number,
                "8613912340000",
                "湖北省武汉市",
                "2020年1月23日",
                "自驾",
                "鄂A·12345",
                "青山镇东村2组",
            ]
        ],
    )
    person = Person.objects.get()
    assert (person.name, person.id_number, person.phone) == ("钱多多", number, "13912340000")
    assert (person.birth_date, person.sex, person.phone_last4) == (date(1992, 2, 29), "F", "0000")
    assert (person.name_initials, person.current_address) == ("qdd", "青山镇东村2组")
    assert person.jurisdiction_id == village_a.code
    assert person.external_id and person.created_at
    entry = LedgerEntry.objects.get()
    assert (entry.status, entry.category, entry.push_list) == ("pending", "returnee", push_list)
    assert (entry.arrival_date, entry.transport, entry.trip_number) == (
        date(2020, 1, 23),
        "self_drive",
        "鄂A·12345",
    )
    assert (entry.source_area, entry.local_address) == ("湖北省武汉市", "青山镇东村2组")
    assert entry.external_id and entry.status_changed_at
    # Written rows read back through the ORM exactly like ones it wrote.
    assert Person.objects.filter(birth_date=date(1992, 2, 29)).exists()
    assert LedgerEntry.objects.filter(created_at__lte=datetime.now().astimezone()).exists()
    task = VerificationTask.objects.get()
    assert (task.entry, task.source_row, task.verified_by) == (entry, 2, None)
    audit = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert audit.changes["rows"] == 1 and audit.jurisdiction_code == world.code
    # Keys come from the table's own sequence: the next ORM insert does not collide.
    later = make_person(village_a, "后来人")
    assert later.pk > person.pk


def test_it_imports_a_local_contact_category_and_risk_columns(world, actor, tmp_path):
    headers = (*PUSH_LIST_HEADERS, "本地联系人及电话", "人员类型", "来源地风险等级", "备注")
    path = write_push_list_file(
        tmp_path / "wide.xlsx",
        [[*row("褚十三"), "褚父 13912349999", "密切接触者", "高风险", "同车厢"]],
        headers=headers,
    )
    import_file(actor, world, path)
    entry = LedgerEntry.objects.get()
    assert (entry.local_contact, entry.local_contact_phone) == ("褚父", "13912349999")
    assert (entry.category, entry.risk_level, entry.notes) == ("close_contact", "high", "同车厢")


# Idempotency and atomicity --------------------------------------------------------------------


def counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        LedgerEntry.objects.count(),
        LedgerEntryEvent.objects.count(),
        VerificationTask.objects.count(),
    )


def test_importing_the_same_file_again_changes_nothing(world, actor, tmp_path):
    path = write_push_list_file(tmp_path / "once.xlsx", [row("一"), row("二"), row("三", "bad")])
    first = import_file(actor, world, path)
    before = counts()

    with pytest.raises(DuplicateFile) as raised:
        import_file(actor, world, path)

    assert raised.value.earlier == first
    assert counts() == before
    assert PushList.objects.count() == 1


def test_a_copy_queued_before_the_first_import_ran_is_refused_when_it_runs(world, actor, tmp_path):
    from fangyi.ledger import services

    path = write_push_list_file(tmp_path / "twice.xlsx", [row("甲"), row("乙")])
    first = services.create_push_list(
        actor, town=world, upload=path, original_filename="a.xlsx", received_at=RECEIVED
    )
    second = services.create_push_list(
        actor, town=world, upload=path, original_filename="b.xlsx", received_at=RECEIVED
    )
    services.run_import(actor, first)
    before = counts()
    with pytest.raises(DuplicateFile):
        services.run_import(actor, second)
    second.refresh_from_db()
    assert second.status == ImportStatus.FAILED
    assert counts() == before


def test_an_error_while_writing_leaves_nothing_behind(
    world, actor, tmp_path, monkeypatch, village_a
):
    known = make_person(village_a, "已知", id_number=new_id(), phone=new_phone())
    make_entry(known)
    before = counts()
    real_insert = bulk.insert_rows

    def failing_insert(model, columns, rows):
        if model is VerificationTask:
            raise RuntimeError("disk full")
        return real_insert(model, columns, rows)

    monkeypatch.setattr(importing, "insert_rows", failing_insert)
    path = write_push_list_file(tmp_path / "boom.xlsx", [row("新人"), row("已知", known.id_number)])

    with pytest.raises(RuntimeError):
        import_file(actor, world, path)

    assert counts() == before
    push_list = PushList.objects.get()
    assert (push_list.status, push_list.imported, push_list.rows) == (ImportStatus.FAILED, 0, 0)
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT).exists()
    # Once the fault is gone, the same file imports (the failed attempt does not block it).
    monkeypatch.setattr(importing, "insert_rows", real_insert)
    again = import_file(actor, world, path)
    assert (again.imported, again.matched) == (1, 1)


def test_a_large_list_lands_in_batches_with_consistent_counts(world, actor, tmp_path, village_a):
    known = [
        make_person(village_a, f"老{i}", id_number=new_id(), phone=new_phone()) for i in range(5)
    ]
    rows = [row(f"新{i}") for i in range(2500)]
    rows += [row(p.name, p.id_number) for p in known]
    rows += [rows[0], rows[1], row("坏", "12")]
    push_list = import_rows(actor, world, tmp_path, rows)
    assert (push_list.rows, push_list.imported, push_list.matched) == (2508, 2500, 5)
    assert (push_list.merged, push_list.errors) == (2, 1)
    assert LedgerEntry.objects.count() == 2505
    assert_counts_add_up(push_list)
