"""`write_table`: every export's .xlsx, streamed, with formula injection neutralised."""

import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from python_calamine import CalamineWorkbook

from fangyi.core.xlsx import neutralize, write_table


def read_back(target) -> list[list[object]]:
    return CalamineWorkbook.from_filelike(target).get_sheet_by_index(0).to_python()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+86 139", "'+86 139"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("王五", "王五"),
        ("a=b", "a=b"),
        (-1, -1),  # numbers are data, never formulas
        (None, None),
    ],
)
def test_it_neutralises_text_that_a_spreadsheet_would_run(value, expected):
    assert neutralize(value) == expected


def test_it_writes_a_title_headers_and_typed_cells(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    target = io.BytesIO()
    count = write_table(
        target,
        ["姓名", "身份证号码", "人数", "返乡日期", "登记时间", "已核实", "备注"],
        [
            [
                "王五",
                "99990119800517001X",
                3,
                date(2020, 1, 25),
                datetime(2020, 1, 27, 16, 30, tzinfo=UTC),
                True,
                "=1+1",
            ],
            ["李四", "341721800517001", None, None, None, False, ""],
        ],
        title="青山镇排查台账",
    )
    assert count == 2
    target.seek(0)
    rows = read_back(target)
    assert rows[0][0] == "青山镇排查台账"
    assert rows[1] == ["姓名", "身份证号码", "人数", "返乡日期", "登记时间", "已核实", "备注"]
    # Long digit strings stay text (never numbers that lose digits); dates in the town's time.
    assert rows[2][:3] == ["王五", "99990119800517001X", 3]
    assert rows[2][3] == date(2020, 1, 25)
    assert rows[2][4] == datetime(2020, 1, 28, 0, 30)  # noqa: DTZ001 (Excel has no zones)
    assert rows[2][5:] == [True, "'=1+1"]
    assert rows[3][:2] == ["李四", "341721800517001"]
    assert rows[3][2:5] == ["", "", ""]
    target.seek(0)
    with zipfile.ZipFile(target) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no cell is a formula


def test_it_streams_rows_from_a_generator_to_a_path(tmp_path):
    path = tmp_path / "big.xlsx"
    rows = ([f"人{i}", i] for i in range(20_000))
    assert write_table(str(path), ["姓名", "序号"], rows) == 20_000
    read = read_back(path.open("rb"))
    assert len(read) == 20_001
    assert read[-1] == ["人19999", 19999]


def test_it_writes_a_workbook_a_strict_reader_accepts(tmp_path, recwarn):
    """openpyxl parses the OOXML strictly (Excel and WPS are stricter still about bad XML)."""
    import openpyxl

    path = tmp_path / "strict.xlsx"
    write_table(
        str(path),
        ["姓名", "备注"],
        [["王<五>", " a & b \x01"], ["李四", "x" * 300]],
        title="台账",
        column_widths=[12, 40],
        sheet_name="排查台账/青山镇",
    )
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert not [w for w in recwarn if "openpyxl" in str(w.filename)]
    assert sheet.title == "排查台账 青山镇"  # "/" may not appear in a sheet name
    assert sheet["A1"].value == "台账" and sheet["A1"].font.b
    assert sheet["A2"].font.b and sheet["B2"].value == "备注"
    assert sheet.freeze_panes == "A3"  # the header stays in view
    assert sheet.column_dimensions["B"].width == 40
    # Markup and the ampersand are text; a control character (illegal in XML) is dropped.
    assert sheet["A3"].value == "王<五>"
    assert sheet["B3"].value == " a & b "
    assert sheet["B4"].value == "x" * 300


def test_it_refuses_more_rows_than_a_sheet_holds(tmp_path, monkeypatch):
    monkeypatch.setattr("fangyi.core.xlsx.MAX_ROWS", 3)
    with pytest.raises(ValueError, match="more rows"):
        write_table(str(tmp_path / "big.xlsx"), ["n"], ([i] for i in range(5)))
