"""Reading one push-list column: headers, cells, dates, transport, risk, category, contacts."""

from datetime import date, datetime

import pytest
from django.utils.translation import override

from fangyi.ledger.columns import (
    CellError,
    cell_text,
    detect_mapping,
    missing_columns,
    normalize_header,
    parse_category,
    parse_date,
    parse_risk_level,
    parse_transport,
    split_contact,
)

RECEIVED = date(2020, 1, 28)


@pytest.fixture(autouse=True)
def english():
    with override("en"):
        yield


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("身份证号码（必填）", "身份证号码"),
        (" 姓 名 ", "姓名"),
        ("*手机号码:", "手机号码"),
        ("联系电话(本人)", "联系电话"),
        ("【备注】", ""),
        ("ＩＤ_Number", "id_number"),
        (None, ""),
    ],
)
def test_it_normalises_headers(cell, expected):
    assert normalize_header(cell) == expected


def test_it_maps_known_headers_and_the_first_of_two_wins():
    headers = ["序号", "姓 名", "证件号码", "手机", "联系电话", "返乡日期", "车次/航班/车牌", "乱"]
    assert detect_mapping(headers) == {
        "name": 1,
        "id_number": 2,
        "phone": 3,
        "arrival_date": 5,
        "trip_number": 6,
    }


def test_it_names_the_missing_required_columns():
    assert missing_columns({"name": 0, "phone": 1}) == []
    assert missing_columns({"id_number": 1}) == ["姓名"]
    assert missing_columns({"name": 0}) == ["身份证号码 or 手机号码"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  王五 ", "王五"),
        (13912345678.0, "13912345678"),  # a phone typed as a number
        (341721800517001.0, "341721800517001"),  # 15 digits: Excel holds them exactly
        (3.4172119800517e17, "3.4172119800517e+17"),  # 18 digits: refused later, never guessed
        (12.5, "12.5"),
        (7, "7"),
        (date(2020, 1, 25), "2020-01-25"),
        ("'+86 139 1234 5678", "+86 139 1234 5678"),  # Fangyi's own neutralised cell
        ("'=SUM(A1)", "=SUM(A1)"),
        ("'王五", "'王五"),  # an apostrophe Fangyi did not add stays
    ],
)
def test_it_reads_a_cell_as_text(value, expected):
    assert cell_text(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2020-01-25",
        "2020/1/25",
        "2020.1.25",
        "2020年1月25日",
        "2020年01月25",
        "２０２０－０１－２５",
        "2020-01-25 18:30:00",
        "20200125",
        20200125.0,
        43855.0,
        43855,
        "43855",
        "1月25日",
        "1月25",
        date(2020, 1, 25),
        datetime(2020, 1, 25, 18, 30),  # noqa: DTZ001 (calamine gives naive datetimes)
    ],
)
def test_it_reads_every_common_spelling_of_a_date(value):
    assert parse_date(value, RECEIVED) == date(2020, 1, 25)


def test_an_empty_date_is_no_date():
    assert parse_date(None, RECEIVED) is None
    assert parse_date("", RECEIVED) is None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2020-02-30", "does not exist"),
        ("20200230", "does not exist"),
        ("2月30日", "does not exist"),
        ("2020-1-25-3", "not a date Fangyi can read"),
        ("下周一", "not a date Fangyi can read"),
        ("25/1/2020", "not a date Fangyi can read"),  # day first: ambiguous, never guessed
        (4.5e6, "is not a date"),
        (-3.0, "is not a date"),
        ("2019-01-26", "too far"),  # more than a year before the list
        ("2020-02-28", "too far"),  # more than 30 days after it
        (True, "not a date"),
    ],
)
def test_it_refuses_dates_it_cannot_read_without_guessing(value, reason):
    with pytest.raises(CellError, match=reason):
        parse_date(value, RECEIVED)


def test_a_month_and_day_takes_the_year_that_puts_it_before_the_list():
    assert parse_date("12月31日", RECEIVED) == date(2019, 12, 31)
    assert parse_date("2月20日", RECEIVED) == date(2020, 2, 20)  # within the 30 days ahead


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("火车", "rail"),
        ("高铁G1234", "rail"),
        ("飞机", "air"),
        ("长途客车", "coach"),
        ("自驾", "self_drive"),
        ("轮船", "ferry"),
        ("步行", "other"),
        ("", ""),
    ],
)
def test_it_reads_the_transport(text, expected):
    assert parse_transport(text) == expected


def test_it_reads_risk_levels_and_categories():
    assert [parse_risk_level(t) for t in ("高风险", "中", "低风险地区", "未知")] == [
        "high",
        "medium",
        "low",
        "",
    ]
    assert parse_category("次密接", "returnee") == "secondary_contact"
    assert parse_category("密切接触者", "returnee") == "close_contact"
    assert parse_category("境外入境", "returnee") == "inbound"
    assert parse_category("", "fever") == "fever"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张三 13912345678", ("张三", "13912345678")),
        ("张三：+86 139-1234-5678", ("张三", "13912345678")),
        ("（父）李四/13912345678", ("(父)李四", "13912345678")),
        ("李四(139 1234 5678)", ("李四", "13912345678")),
        ("王五", ("王五", "")),
    ],
)
def test_it_splits_a_contact_into_name_and_phone(text, expected):
    assert split_contact(text) == expected
