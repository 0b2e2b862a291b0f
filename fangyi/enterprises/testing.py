"""Builders for enterprise tests, the benchmark and demo data: enterprises, roster files (real
.xlsx written by xlsxwriter), plan files, and filings brought to a given step."""

import itertools
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import xlsxwriter

from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, User
from fangyi.enterprises import services
from fangyi.enterprises.credit_code import compose_credit_code
from fangyi.enterprises.models import Enterprise, EnterpriseSize, Filing, Industry

ROSTER_HEADERS = ("姓名", "身份证号", "手机号码", "家庭住址", "14天内行程", "健康状况")
# The smallest files each plan type's check accepts.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_codes = itertools.count(1)


def make_enterprise(
    jurisdiction: Jurisdiction,
    name: str = "青山机械厂",
    *,
    size: str = EnterpriseSize.SMALL,
    staff_count: int = 40,
    contacts: Sequence[User] = (),
    industry: str = Industry.MANUFACTURING,
    actor: Actor | None = None,
    **values,
) -> Enterprise:
    values.setdefault("credit_code", compose_credit_code("999901", next(_codes)))
    values.setdefault("address", f"{jurisdiction.name}工业路{next(_codes)}号")
    values.setdefault("contact_name", "周经理")
    return services.register_enterprise(
        actor or Actor.system("test"),
        name=name,
        jurisdiction=jurisdiction,
        industry=industry,
        size=size,
        staff_count=staff_count,
        contacts=contacts,
        **values,
    )


def roster_row(
    name: str,
    id_number: object,
    phone: object = "",
    address: str = "东村3组",
    whereabouts: str = "本地",
    health: str = "健康",
) -> list[object]:
    return [name, id_number, phone, address, whereabouts, health]


def write_roster_file(
    path: Path,
    rows: Sequence[Sequence[object]],
    headers: Sequence[str] = ROSTER_HEADERS,
    title: str = "",
) -> Path:
    """A real .xlsx as a company's clerk makes one: `title` (if any) on row 1, headers, rows.
    Numbers stay numbers (an ID typed into a number cell arrives as 4.20102E+17)."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("花名册")
    row_index = 0
    if title:
        sheet.write_string(0, 0, title)
        row_index = 1
    for column, header in enumerate(headers):
        sheet.write_string(row_index, column, header)
    for values in rows:
        row_index += 1
        for column, value in enumerate(values):
            if isinstance(value, int | float) and not isinstance(value, bool):
                sheet.write_number(row_index, column, value)
            elif value not in ("", None):
                sheet.write_string(row_index, column, str(value))
    book.close()
    return path


def write_plan_file(path: Path, content: bytes = PDF_BYTES) -> Path:
    path.write_bytes(content)
    return path


def filing_ready_to_submit(
    actor: Actor, enterprise: Enterprise, tmp_path: Path, rows: Sequence[Sequence[object]]
) -> Filing:
    """A draft with the commitment signed, a 5-day reserve, a plan and a roster of `rows`."""
    filing = services.start_filing(actor, enterprise)
    services.save_filing(
        actor,
        filing,
        planned_reopening=date(2020, 2, 10),
        commitment_signed_by="周经理",
        mask_days=5,
        thermometer_days=5,
        disinfectant_days=5,
        isolation_rooms=1,
    )
    plan = write_plan_file(tmp_path / "预案.pdf")
    services.attach_plan(actor, filing, plan, plan.name)
    roster = write_roster_file(tmp_path / "花名册.xlsx", rows)
    services.import_employee_roster(actor, filing, roster, roster.name)
    filing.refresh_from_db()
    return filing
