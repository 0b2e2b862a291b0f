"""`read_table` and `find_header_row`: the safe front door of every import."""

import os
import time
import zipfile

import pytest
import xlsxwriter
from django.utils.translation import override

from fangyi.core.tabular import TableError, find_header_row, read_table

PEOPLE_HEADERS = {"姓名", "身份证号", "联系电话", "返乡日期"}


@pytest.fixture(autouse=True)
def english():
    with override("en"):
        yield


def _xlsx(path, rows: list[list[object]], first_row: int = 0):
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    for r, row in enumerate(rows, start=first_row):
        sheet.write_row(r, 0, row)
    workbook.close()
    return path


def _raises(path, match: str, **kwargs) -> None:
    with pytest.raises(TableError, match=match):
        read_table(path, **kwargs)


def test_it_reads_an_xlsx_and_drops_trailing_empty_rows(tmp_path):
    path = _xlsx(tmp_path / "t.xlsx", [["姓名", "年龄"], ["王金水", 40], ["", ""]])

    assert read_table(path) == [["姓名", "年龄"], ["王金水", 40.0]]


def test_it_refuses_a_file_over_the_size_limit(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" * (300 * 1024))  # 1.2 MB

    _raises(path, r"1\.2 MB.*limit of 1 MB", max_bytes=1024 * 1024)


def test_it_takes_the_size_limit_from_the_settings(tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 10
    path = tmp_path / "t.csv"
    path.write_text("姓名,年龄\n王金水,40\n", encoding="utf-8")

    _raises(path, "limit")


def test_it_refuses_an_empty_file(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(b"")

    _raises(path, "empty")


@pytest.mark.parametrize("rows", [[], [["姓名", "年龄"]], [[""], ["姓名", "年龄"], ["", ""]]])
def test_it_refuses_a_file_without_data_rows(tmp_path, rows):
    _raises(_xlsx(tmp_path / "t.xlsx", rows), "no data rows")


def test_it_refuses_a_csv_with_only_a_header(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("姓名,年龄\n\n", encoding="utf-8")

    _raises(path, "no data rows")


@pytest.mark.parametrize(
    "content",
    [b"just some text\n" * 50, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", os.urandom(4096)],
)
def test_it_refuses_an_xlsx_that_is_not_a_spreadsheet(tmp_path, content):
    path = tmp_path / "t.xlsx"
    path.write_bytes(content)

    _raises(path, "could not be read as a spreadsheet")


def test_it_refuses_a_binary_csv(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(512))

    _raises(path, "not plain text")


def test_it_refuses_a_zip_bomb_named_xlsx(tmp_path):
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))

    _raises(path, "unpack to far more data")


def test_it_refuses_an_xlsx_that_unpacks_beyond_the_total_limit(tmp_path):
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * (500 * 1024))  # 3 MB

    _raises(path, "unpack to far more data", max_bytes=100 * 1024)  # 20 × 100 KB < 3 MB


def test_it_says_an_xlsx_is_password_protected(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 4096)

    _raises(path, "password-protected: open it in Excel, remove the password")


def test_it_passes_an_ole2_xls_on_to_calamine(tmp_path):
    path = tmp_path / "t.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 4096)

    _raises(path, "could not be read as a spreadsheet")  # not "password-protected"


def test_it_refuses_a_zip_without_the_workbook_parts(tmp_path):
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("hello.txt", "hello")

    _raises(path, "could not be read as a spreadsheet")


def test_it_refuses_a_truncated_xlsx(tmp_path):
    whole = _xlsx(tmp_path / "whole.xlsx", [["姓名", "年龄"], ["王金水", 40]]).read_bytes()
    path = tmp_path / "t.xlsx"
    path.write_bytes(whole[: len(whole) // 2])

    _raises(path, "could not be read as a spreadsheet")


def test_it_ignores_a_million_formatted_empty_rows(tmp_path):
    path = tmp_path / "t.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    fmt = workbook.add_format({"bg_color": "#FFFF00"})
    sheet.write_row(0, 0, ["姓名", "年龄"])
    for r in range(1, 6):
        sheet.write_row(r, 0, [f"王{r}", 40 + r])
    for r in range(6, 50_000):
        sheet.set_row(r, 20, fmt)
    sheet.set_column(0, 1, 12, fmt)
    sheet.write_blank(999_999, 0, None, fmt)
    workbook.close()

    started = time.perf_counter()
    rows = read_table(path)

    assert time.perf_counter() - started < 5
    assert len(rows) == 6 and rows[5] == ["王5", 45.0]


def test_it_finds_the_header_below_title_rows(tmp_path):
    path = _xlsx(
        tmp_path / "t.xlsx",
        [
            ["青山镇返乡人员排查台账"],
            ["填报日期：2020年1月28日"],
            ["序号", " 姓名 ", "身份证号", "联系电话"],
            [1, "王金水", "34172119800101008X", "13800000000"],
        ],
    )

    assert find_header_row(read_table(path), PEOPLE_HEADERS) == 2


def test_it_names_the_expected_headers_when_none_is_found():
    rows = [["青山镇返乡人员排查台账"], ["序号", "姓名", "电话"], [1, "王金水", "138"]]

    with pytest.raises(TableError, match="姓名、联系电话、身份证号、返乡日期"):
        find_header_row(rows, PEOPLE_HEADERS)


def test_it_finds_the_header_only_among_the_first_rows():
    rows = [[""]] * 10 + [["姓名", "身份证号"]]

    assert find_header_row(rows, PEOPLE_HEADERS, search_rows=11) == 10
    with pytest.raises(TableError, match="first 10 rows"):
        find_header_row(rows, PEOPLE_HEADERS)


def test_it_reads_merged_cells_as_the_value_in_the_first_cell_only(tmp_path):
    path = tmp_path / "t.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.merge_range(0, 0, 0, 2, "青山镇返乡人员排查台账")
    sheet.write_row(1, 0, ["姓名", "身份证号", "返乡日期"])
    sheet.write_row(2, 0, ["王金水", "34172119800101008X"])
    sheet.write_row(3, 0, ["李四", "341721198001010011"])
    sheet.merge_range(2, 2, 3, 2, "2020-01-25")
    workbook.close()

    rows = read_table(path)

    assert rows[0] == ["青山镇返乡人员排查台账", "", ""]
    assert find_header_row(rows, PEOPLE_HEADERS) == 1
    assert [row[2] for row in rows[2:]] == ["2020-01-25", ""]


def test_it_keeps_leading_empty_rows_and_columns_so_row_numbers_match_excel(tmp_path):
    path = tmp_path / "t.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(2, 1, ["姓名", "身份证号"])  # B3
    sheet.write_row(3, 1, ["王金水", "34172119800101008X"])  # B4
    workbook.close()

    rows = read_table(path)

    assert rows[0] == ["", "", ""] and rows[1] == ["", "", ""]
    assert rows[3][1] == "王金水"  # Excel row 4 = index 3 + 1, column B = index 1
    assert find_header_row(rows, PEOPLE_HEADERS) + 1 == 3


def test_it_keeps_csv_row_numbers_with_leading_blank_lines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(",\n,\n姓名,身份证号\n王金水,34172119800101008X\n", encoding="utf-8")

    assert read_table(path)[3] == ["王金水", "34172119800101008X"]


def test_it_reads_a_gbk_csv_with_chinese_headers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(
        "姓名,身份证号,联系电话\n王金水,34172119800101008X,13800000000\n".encode("gbk")
    )

    assert read_table(path) == [
        ["姓名", "身份证号", "联系电话"],
        ["王金水", "34172119800101008X", "13800000000"],
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_it_reads_utf8_with_or_without_bom_and_gb18030(tmp_path, encoding):
    path = tmp_path / "t.csv"
    path.write_bytes("姓名,籍贯\n王金水,𠮷村\n".encode(encoding))  # 𠮷 is outside GBK

    assert read_table(path) == [["姓名", "籍贯"], ["王金水", "𠮷村"]]


def test_it_refuses_another_suffix(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("姓名,年龄\n", encoding="utf-8")

    _raises(path, r"\.xlsx, \.xls or \.csv.*\.txt")
