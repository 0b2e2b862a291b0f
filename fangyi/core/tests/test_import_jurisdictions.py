"""`fangyi import_jurisdictions FILE`: the division-code table from .xlsx or .csv (UTF-8 or GBK)."""

import io
import os

import pytest
import xlsxwriter
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.translation import override

from fangyi.core.models import AuditAction, AuditEntry, Jurisdiction, JurisdictionLevel, User


def _run(path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with override("en"):
        call_command("import_jurisdictions", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _run_failing(path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with override("en"), pytest.raises(SystemExit) as exit_info:
        call_command("import_jurisdictions", str(path), stdout=out, stderr=err)
    return exit_info.value.code, out.getvalue(), err.getvalue()


def _xlsx(path, rows: list[list[object]]):
    """Write rows to the first sheet; ints and floats become numeric cells, as typed in Excel."""
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("区划")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif value is not None:
                sheet.write_string(r, c, value)
    workbook.close()
    return path


def _names() -> dict[str, str]:
    return dict(Jurisdiction.objects.values_list("code", "name"))


GOOD_ROWS = [
    ["代码", "名称"],
    ["999901", "示范县"],
    ["999901100000", "青山镇"],  # the statistics bureau's 12-digit padded form of a town
    [999901100201, "东村"],  # typed as a number
    ["999901100202", " 西村 "],
    [999901100201001, "东村一组"],
]


def test_it_imports_a_real_xlsx_file(db, tmp_path):
    path = _xlsx(tmp_path / "区划.xlsx", GOOD_ROWS)

    out, err = _run(path)

    assert _names() == {
        "999901": "示范县",
        "999901100": "青山镇",
        "999901100201": "东村",
        "999901100202": "西村",
        "999901100201001": "东村一组",
    }
    assert "5 created, 0 updated, 0 rows with errors" in out
    assert err == ""


def test_it_builds_the_tree_from_the_codes(db, tmp_path):
    _run(_xlsx(tmp_path / "区划.xlsx", GOOD_ROWS))

    group = Jurisdiction.objects.get(code="999901100201001")
    assert group.level == JurisdictionLevel.GROUP
    assert group.parent.code == "999901100201"
    assert group.parent.parent.code == "999901100"
    assert group.parent.parent.level == JurisdictionLevel.TOWN
    assert group.parent.parent.parent.code == "999901"
    assert Jurisdiction.objects.get(code="999901").parent is None


def test_it_audits_the_import(db, tmp_path):
    _run(_xlsx(tmp_path / "区划.xlsx", GOOD_ROWS))

    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.changes == {"created": 5, "updated": 0}
    assert entry.actor is None
    assert entry.actor_username


def test_it_reads_a_gbk_csv(db, tmp_path):
    path = tmp_path / "区划.csv"
    path.write_bytes(
        "代码,名称\r\n999901,示范县\r\n999901100,青山镇\r\n999901100201,东村\r\n".encode("gbk")
    )

    _run(path)

    assert _names() == {"999901": "示范县", "999901100": "青山镇", "999901100201": "东村"}


def test_it_reads_a_utf8_csv_with_a_byte_order_mark(db, tmp_path):
    path = tmp_path / "区划.csv"
    path.write_bytes("代码,名称\n999901,示范县\n999901100000,青山镇\n".encode("utf-8-sig"))

    _run(path)

    assert _names() == {"999901": "示范县", "999901100": "青山镇"}


def test_it_accepts_the_statistics_bureaus_header(db, tmp_path):
    path = tmp_path / "区划.csv"
    path.write_text("统计用区划代码,单位名称\n999901000000,示范县\n", encoding="utf-8")

    _run(path)

    assert _names() == {"999901": "示范县"}


BAD_ROWS = [
    ["代码", "名称"],  # row 1
    ["999901", "示范县"],  # row 2
    ["999901100", "青山镇"],  # row 3
    ["9999011002O1", "坏村"],  # row 4: letter O, not a digit
    ["99990110020", "短码村"],  # row 5: 11 digits
    ["999901100203", ""],  # row 6: no name
    ["999901102201", "无主村"],  # row 7: town 999901102 is unknown
    [None, None],  # row 8: blank, skipped
    [999901100201, "东村"],  # row 9
]


def test_it_reports_bad_rows_by_their_excel_row_number_and_lands_the_good_ones(db, tmp_path):
    path = _xlsx(tmp_path / "区划.xlsx", BAD_ROWS)

    code, out, err = _run_failing(path)

    assert code == 1
    assert "3 created, 0 updated, 4 rows with errors" in out
    lines = err.strip().splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("row 4, column code") and "9999011002O1" in lines[0]
    assert lines[1].startswith("row 5, column code") and "99990110020" in lines[1]
    assert lines[2].startswith("row 6, column name") and "empty" in lines[2]
    assert lines[3].startswith("row 7, column code") and "999901102" in lines[3]
    assert _names() == {"999901": "示范县", "999901100": "青山镇", "999901100201": "东村"}


def test_it_reports_a_csv_line_that_lacks_the_name_column(db, tmp_path):
    path = tmp_path / "区划.csv"
    path.write_text("代码,名称\n999901,示范县\n999901100\n\n999901101,白水镇\n", encoding="utf-8")

    code, _out, err = _run_failing(path)

    assert code == 1
    assert err.strip().splitlines() == ["row 3, column name: the name is empty"]
    assert _names() == {"999901": "示范县", "999901101": "白水镇"}


def test_it_renames_on_reimport_without_duplicating(db, tmp_path):
    _run(_xlsx(tmp_path / "v1.xlsx", GOOD_ROWS))
    renamed = [row if row[0] != 999901100201 else [999901100201, "东村社区"] for row in GOOD_ROWS]

    out, _err = _run(_xlsx(tmp_path / "v2.xlsx", renamed))

    assert "0 created, 5 updated" in out
    assert Jurisdiction.objects.count() == 5
    assert Jurisdiction.objects.get(code="999901100201").name == "东村社区"
    assert Jurisdiction.objects.get(code="999901100201001").parent_id == "999901100201"


def test_it_adds_children_to_an_earlier_import(db, tmp_path):
    _run(_xlsx(tmp_path / "v1.xlsx", GOOD_ROWS[:3]))

    _run(_xlsx(tmp_path / "v2.xlsx", [["名称", "代码"], ["南村", "999901100203"]]))

    assert Jurisdiction.objects.get(code="999901100203").parent_id == "999901100"


def test_it_refuses_a_text_file(db, tmp_path):
    path = tmp_path / "区划.txt"
    path.write_text("代码,名称\n999901,示范县\n", encoding="utf-8")

    with override("en"), pytest.raises(CommandError, match=r"\.xlsx, \.xls or \.csv.*\.txt"):
        call_command("import_jurisdictions", str(path))

    assert Jurisdiction.objects.count() == 0


def test_it_refuses_random_bytes_named_xlsx(db, tmp_path):
    path = tmp_path / "区划.xlsx"
    path.write_bytes(os.urandom(4096))

    with override("en"), pytest.raises(CommandError, match="could not be read as a spreadsheet"):
        call_command("import_jurisdictions", str(path))

    assert Jurisdiction.objects.count() == 0


def test_it_refuses_a_file_without_the_expected_columns(db, tmp_path):
    path = _xlsx(tmp_path / "people.xlsx", [["姓名", "身份证号"], ["王金水", "34172119800101008X"]])

    with override("en"), pytest.raises(CommandError, match="代码"):
        call_command("import_jurisdictions", str(path))


def test_it_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("import_jurisdictions", str(tmp_path / "nowhere.csv"))


def test_it_imports_an_uploaded_file_in_the_admin(client, county, tmp_path):
    admin_user = User.objects.create_superuser("root", password="x" * 12)
    client.force_login(admin_user)
    path = tmp_path / "codes.csv"
    path.write_text(
        "代码,名称\n999901100000,青山镇\n999901100201,东湾村\n12ab,坏行\n", encoding="utf-8"
    )
    with path.open("rb") as upload:
        response = client.post(reverse("admin:core_jurisdiction_import"), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert Jurisdiction.objects.filter(code__in=["999901100", "999901100201"]).count() == 2
    assert "12ab" in page and ">4<" in page  # the bad row is listed with its row number
    assert AuditEntry.objects.filter(action=AuditAction.IMPORT, actor=admin_user).exists()


def test_it_refuses_the_admin_upload_to_users_who_may_not_edit_jurisdictions(
    client, carol, tmp_path
):
    carol.is_staff = True
    carol.save(update_fields=["is_staff"])
    client.force_login(carol)
    assert client.get(reverse("admin:core_jurisdiction_import")).status_code == 403
