"""Every bad input of issue 3, through the upload page: a clear message, nothing half-imported.

The files are built the way fangyi/core/tests/test_tabular.py builds them (xlsxwriter, raw bytes,
zipfile); here they go through the whole page → service → pipeline path.
"""

import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from django.urls import reverse

from fangyi.core.audit import Actor
from fangyi.core.models import Person
from fangyi.ledger import services
from fangyi.ledger.models import ImportStatus, LedgerEntry, PushList, VerificationTask
from fangyi.ledger.testing import PUSH_LIST_HEADERS, write_push_list_file
from fangyi.testing import unique_id_number, unique_phone

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06" + b"\0" * 64
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1")  # Excel saves a password-protected .xlsx as OLE2


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path) -> Path:
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return settings.UPLOAD_DIR


@pytest.fixture
def client(client, carol):
    client.force_login(carol)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def person_row(name: str = "王金水", address: str = "青山镇东村3组") -> list[object]:
    return [
        name,
        unique_id_number(),
        unique_phone(),
        "湖北省武汉市",
        "2020-01-25",
        "火车",
        "G1",
        address,
    ]


def upload(client, path: Path):
    form = {
        "source": "county",
        "category": "returnee",
        "received_at": "2020-01-28T08:00",
        "deadline_hours": "24",
        "town": "999901100",
    }
    with path.open("rb") as file:
        return client.post(reverse("ledger:pushlist_upload"), {**form, "file": file})


def assert_refused(response, message: str, uploads: Path) -> None:
    """The form comes back naming the problem, and nothing at all was kept."""
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="file"' in page
    assert message in page
    assert PushList.objects.count() == Person.objects.count() == LedgerEntry.objects.count() == 0
    assert not uploads.exists() or not any(uploads.rglob("*.*"))


def confirm_and_import(client, push_list: PushList) -> PushList:
    """Confirm the detected mapping on the page, then run the import in this thread."""
    response = client.post(
        reverse("ledger:pushlist_mapping", args=[push_list.external_id]),
        {
            **{f"col_{key}": str(index) for key, index in push_list.mapping.items()},
            "action": "import",
        },
    )
    assert response.status_code == 302
    push_list.refresh_from_db()
    services.run_import(Actor(user=push_list.created_by), push_list)
    push_list.refresh_from_db()
    return push_list


def import_through_the_page(client, path: Path) -> PushList:
    response = upload(client, path)
    assert response.status_code == 302, response.content.decode()
    return confirm_and_import(client, PushList.objects.get())


@pytest.mark.parametrize(
    "content",
    [b"just some text, renamed to .xlsx\n" * 40, PNG],
    ids=["text", "png"],
)
def test_it_refuses_a_file_that_is_not_a_spreadsheet(client, uploads, tmp_path, content):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(content)

    assert_refused(upload(client, path), "could not be read as a spreadsheet", uploads)


def test_it_refuses_another_kind_of_file(client, uploads, tmp_path):
    path = tmp_path / "名单.png"
    path.write_bytes(PNG)

    assert_refused(upload(client, path), "use an .xlsx, .xls or .csv file", uploads)


def test_it_refuses_an_empty_file(client, uploads, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(b"")

    response = upload(client, path)

    # Django's own FileField check comes first; either way the cadre reads "empty".
    assert_refused(response, "empty", uploads)


def test_it_refuses_a_spreadsheet_with_only_a_header(client, uploads, tmp_path):
    path = write_push_list_file(tmp_path / "名单.xlsx", [])

    assert_refused(upload(client, path), "the file has no data rows", uploads)


def test_it_asks_to_remove_the_password_of_a_protected_xlsx(client, uploads, tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(OLE2 + b"\0" * 4096)

    assert_refused(upload(client, path), "the file is password-protected", uploads)


def test_it_refuses_a_truncated_xlsx(client, uploads, tmp_path):
    whole = write_push_list_file(tmp_path / "whole.xlsx", [person_row()] * 3).read_bytes()
    path = tmp_path / "名单.xlsx"
    path.write_bytes(whole[: len(whole) // 2])

    assert_refused(upload(client, path), "could not be read as a spreadsheet", uploads)


def test_it_refuses_a_zip_bomb_named_xlsx(client, uploads, tmp_path):
    path = tmp_path / "名单.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert path.stat().st_size < 100 * 1024

    assert_refused(upload(client, path), "unpack to far more data", uploads)


def test_it_refuses_a_file_over_the_size_limit(client, uploads, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 2048
    path = write_push_list_file(tmp_path / "名单.xlsx", [person_row() for _ in range(50)])
    assert path.stat().st_size > 2048

    assert_refused(upload(client, path), "larger than the limit of", uploads)


def test_it_refuses_a_file_without_a_recognisable_header(client, uploads, tmp_path):
    path = write_push_list_file(
        tmp_path / "名单.xlsx", [["王金水", "武汉"]] * 3, headers=["人员", "地方"]
    )

    assert_refused(upload(client, path), "no header row found in the first 10 rows", uploads)


def test_it_finds_the_header_below_title_rows_and_counts_rows_as_excel_does(
    client, carol, town, village_a, tmp_path
):
    path = tmp_path / "名单.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.merge_range(0, 0, 0, 7, "青山镇返乡人员协查名单")
    sheet.write_row(1, 0, ["填报日期：2020年1月28日"])
    sheet.write_row(3, 0, PUSH_LIST_HEADERS)  # row 3 left empty, the header on row 4
    sheet.write_row(4, 0, person_row("王一"))
    sheet.write_row(5, 0, ["李坏", "4.20102E+17", "", "", "", "", "", ""])
    workbook.close()

    response = upload(client, path)
    page = client.get(response.url).content.decode()
    assert 'id="header-row">row 4 of the sheet' in page

    push_list = confirm_and_import(client, PushList.objects.get())

    assert (push_list.status, push_list.rows, push_list.imported) == (ImportStatus.DONE, 2, 1)
    assert push_list.error_rows[0]["row"] == 6
    page = client.get(reverse("ledger:pushlist_detail", args=[push_list.external_id]))
    assert '<td class="num">6</td><td>身份证号码</td>' in page.content.decode()


def test_it_names_the_missing_required_columns(client, uploads, tmp_path):
    headers = ["身份证号码", "手机号码", "来源地"]
    path = write_push_list_file(
        tmp_path / "名单.xlsx", [[unique_id_number(), unique_phone(), "武汉"]] * 2, headers
    )
    response = upload(client, path)
    push_list = PushList.objects.get()
    assert "Not found in the file yet: 姓名." in client.get(response.url).content.decode()

    response = client.post(
        reverse("ledger:pushlist_mapping", args=[push_list.external_id]),
        {"col_id_number": "0", "col_phone": "1", "action": "import"},
    )

    assert "the file lacks required columns: 姓名" in response.content.decode()
    push_list.refresh_from_db()
    assert push_list.status == ImportStatus.AWAITING_MAPPING
    assert Person.objects.count() == LedgerEntry.objects.count() == 0


def test_it_names_the_identifying_columns_when_both_are_missing(client, uploads, tmp_path):
    path = write_push_list_file(
        tmp_path / "名单.xlsx",
        [["王金水", "武汉", "2020-01-25"]] * 2,
        ["姓名", "来源地", "返乡时间"],
    )
    upload(client, path)
    push_list = PushList.objects.get()

    response = client.post(
        reverse("ledger:pushlist_mapping", args=[push_list.external_id]),
        {"col_name": "0", "col_source_area": "1", "action": "import"},
    )

    assert "the file lacks required columns: 身份证号码 or 手机号码" in response.content.decode()
    assert Person.objects.count() == 0


def test_it_reports_the_rows_under_a_merged_cell_as_empty(client, town, village_a, tmp_path):
    path = tmp_path / "名单.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, PUSH_LIST_HEADERS)
    for r in range(1, 5):
        row = person_row(f"王{r}")
        if r in (2, 3):  # Excel keeps only the top-left value of a merged area
            sheet.write_row(r, 1, row[1:])
        else:
            sheet.write_row(r, 0, row)
    sheet.merge_range(2, 0, 3, 0, "王合并")  # 姓名 of rows 3 and 4 merged into one cell
    workbook.close()

    push_list = import_through_the_page(client, path)

    assert (push_list.rows, push_list.imported, push_list.errors) == (4, 3, 1)
    assert push_list.error_rows == [
        {"row": 4, "column": "姓名", "reason": "the person's name is empty"}
    ]
    assert VerificationTask.objects.filter(push_list=push_list).count() == 3


def test_it_imports_quickly_despite_a_million_formatted_empty_rows(
    client, town, village_a, tmp_path
):
    path = tmp_path / "名单.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    grey = workbook.add_format({"bg_color": "#EEEEEE", "border": 1})
    sheet.write_row(0, 0, PUSH_LIST_HEADERS)
    for r in range(1, 4):
        sheet.write_row(r, 0, person_row(f"王{r}"))
    for r in range(4, 50_000):
        sheet.set_row(r, 18, grey)
    sheet.set_column(0, 7, 14, grey)
    for col in range(8):
        sheet.write_blank(999_999, col, None, grey)  # the last row Excel offers, formatted
    workbook.close()

    started = time.perf_counter()
    push_list = import_through_the_page(client, path)

    assert time.perf_counter() - started < 10
    assert (push_list.rows, push_list.imported, push_list.errors) == (3, 3, 0)
