"""The employee roster: real .xlsx files through the ledger's pipeline, per-row errors, and
screening against quarantine orders, the ledger, tracing, health and whereabouts."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from fangyi.core.audit import Actor
from fangyi.core.models import AuditEntry, QuarantineKind
from fangyi.enterprises import services
from fangyi.enterprises.models import Employee
from fangyi.enterprises.testing import roster_row, write_roster_file
from fangyi.ledger.models import Category, Status
from fangyi.ledger.testing import make_entry
from fangyi.quarantine.testing import make_order, make_site
from fangyi.testing import make_person, unique_id_number, unique_phone
from fangyi.tracing.models import Case, Classification, Contact


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def filing(zhou, factory):
    return services.start_filing(Actor(user=zhou), factory)


def run(user, filing, path: Path):
    return services.import_employee_roster(Actor(user=user), filing, path, path.name)


def good_rows(count: int) -> list[list[object]]:
    return [roster_row(f"员工{i}", unique_id_number(), unique_phone()) for i in range(count)]


def problems(outcome) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.reason) for p in outcome.problems]


def test_it_imports_the_roster_and_keeps_identities_encrypted(zhou, filing, tmp_path):
    number, phone = unique_id_number(), unique_phone()
    path = write_roster_file(
        tmp_path / "花名册.xlsx",
        [roster_row("张 三", number, phone, "东村5组", "本地", "健康"), *good_rows(2)],
        title="青山机械厂复工员工花名册",
    )
    outcome = run(zhou, filing, path)
    assert (outcome.rows, outcome.imported, outcome.flagged, outcome.problems) == (3, 3, 0, [])
    employee = filing.employees.get(source_row=3)  # title on row 1, header on row 2
    assert employee.name == "张三"
    assert employee.id_number == number and employee.phone == phone
    assert bytes(employee.id_number_cipher) != number.encode()
    assert employee.home_address == "东村5组" and employee.health == "健康"
    filing.refresh_from_db()
    assert (filing.employee_count, filing.flagged_count, filing.roster_filename) == (
        3,
        0,
        "花名册.xlsx",
    )
    assert "employee roster imported from 花名册.xlsx: 3 employees" in filing.events.last().message
    audit = AuditEntry.objects.get(action="import")
    assert audit.changes["imported"] == 3 and number not in str(audit.changes)


def test_it_reports_broken_ids_per_row_and_keeps_the_good_rows(zhou, filing, tmp_path):
    good = unique_id_number()
    bad_checksum = good[:17] + ("0" if good[17] != "0" else "1")
    path = write_roster_file(
        tmp_path / "roster.xlsx",
        [
            roster_row("王一", good),
            roster_row("王二", 4.20102e17),  # Excel turned the ID into a number
            roster_row("王三", bad_checksum),
            roster_row("王四", "", unique_phone()),  # a phone is not enough for an employee
            roster_row("", unique_id_number()),
        ],
    )
    outcome = run(zhou, filing, path)
    assert outcome.rows == 5 and outcome.imported == 1
    found = problems(outcome)
    assert [(row, column) for row, column, _reason in found] == [
        (3, "身份证号"),
        (4, "身份证号"),
        (5, "身份证号"),
        (6, "姓名"),
    ]
    assert "turned into a number by Excel" in found[0][2]
    assert f"the last character should be {good[17]}" in found[1][2]
    assert found[0][2] != found[1][2]  # damage is not the same mistake as a checksum
    assert found[2][2] == "an employee's ID number is required"
    assert [p["row"] for p in Employee.objects.get().filing.roster_errors] == [3, 4, 5, 6]


def test_it_says_an_employee_needs_an_id_number(zhou, filing, tmp_path):
    path = write_roster_file(
        tmp_path / "roster.xlsx", [roster_row("王四", "", unique_phone()), *good_rows(1)]
    )
    outcome = run(zhou, filing, path)
    assert problems(outcome) == [(2, "身份证号", "an employee's ID number is required")]


def test_it_merges_the_same_person_twice_and_refuses_one_id_under_two_names(zhou, filing, tmp_path):
    number, other = unique_id_number(), unique_id_number()
    path = write_roster_file(
        tmp_path / "roster.xlsx",
        [
            roster_row("李四", number),
            roster_row("李四", number, unique_phone()),
            roster_row("赵五", other),
            roster_row("钱六", other),
        ],
    )
    outcome = run(zhou, filing, path)
    assert outcome.imported == 2 and outcome.merged == 1
    assert problems(outcome) == [(5, "身份证号", "the same ID number as row 4 (赵五)")]
    li = filing.employees.get(name="李四")
    assert li.phone  # filled from the duplicate row


def test_it_refuses_a_roster_without_an_id_number_column(zhou, filing, tmp_path):
    path = write_roster_file(
        tmp_path / "roster.xlsx", [["王一", unique_phone()]] * 2, headers=("姓名", "手机号码")
    )
    with pytest.raises(ValidationError, match="lacks the column 身份证号"):
        run(zhou, filing, path)


def test_it_refuses_a_table_with_no_known_columns(zhou, filing, tmp_path):
    path = write_roster_file(tmp_path / "roster.xlsx", [["a", "b"]] * 3, headers=("列1", "列2"))
    with pytest.raises(ValidationError, match="no header row found"):
        run(zhou, filing, path)


def test_it_refuses_empty_files(zhou, filing, tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(ValidationError, match="the file is empty"):
        run(zhou, filing, empty)
    header_only = write_roster_file(tmp_path / "header.xlsx", [])
    with pytest.raises(ValidationError, match="no data rows"):
        run(zhou, filing, header_only)


def test_it_refuses_an_oversized_file_and_says_the_limit(zhou, filing, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 4096
    path = write_roster_file(tmp_path / "big.xlsx", good_rows(300))
    assert path.stat().st_size > 4096
    with pytest.raises(ValidationError, match="larger than the limit of"):
        run(zhou, filing, path)
    upload = SimpleUploadedFile("big.xlsx", path.read_bytes())
    with pytest.raises(ValidationError, match="larger than the limit"):
        services.import_employee_roster(Actor(user=zhou), filing, upload, upload.name)


def test_it_imports_an_upload(zhou, filing, tmp_path):
    path = write_roster_file(tmp_path / "roster.xlsx", good_rows(2))
    upload = SimpleUploadedFile("员工.xlsx", path.read_bytes())
    outcome = services.import_employee_roster(Actor(user=zhou), filing, upload, upload.name)
    assert outcome.imported == 2


def test_it_replaces_the_roster_but_loses_nothing_to_an_unusable_file(zhou, filing, tmp_path):
    run(zhou, filing, write_roster_file(tmp_path / "first.xlsx", good_rows(3)))
    second = run(zhou, filing, write_roster_file(tmp_path / "second.xlsx", good_rows(2)))
    assert second.replaced and filing.employees.count() == 2
    empty = tmp_path / "broken.xlsx"
    empty.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ValidationError):
        run(zhou, filing, empty)
    all_bad = run(
        zhou, filing, write_roster_file(tmp_path / "bad.xlsx", [roster_row("王", "123")] * 2)
    )
    assert not all_bad.replaced and all_bad.imported == 0 and len(all_bad.problems) == 2
    filing.refresh_from_db()
    assert filing.employees.count() == filing.employee_count == 2
    assert filing.roster_filename == "second.xlsx" and filing.roster_errors == []


def test_it_refuses_a_roster_for_a_submitted_filing_or_another_company(zhou, wu, filing, tmp_path):
    path = write_roster_file(tmp_path / "roster.xlsx", good_rows(1))
    with pytest.raises(PermissionDenied):
        run(wu, filing, path)
    filing.status = "submitted"
    filing.save()
    with pytest.raises(ValidationError, match="can no longer be changed"):
        run(zhou, filing, path)


def test_it_flags_employees_under_a_measure_on_the_ledger_or_traced(
    zhou, filing, tmp_path, town, village_a, village_b
):
    today = timezone.localdate()
    home = make_person(village_a, "王居家")
    order = make_order(home, start_date=today - timedelta(days=3))
    centralized = make_person(village_b, "李集中")
    make_order(centralized, QuarantineKind.CENTRALIZED, start_date=today, site=make_site(town))
    pending = make_person(village_a, "张待核")
    make_entry(pending, Category.CLOSE_CONTACT)
    arrived = make_person(village_a, "赵返乡")
    make_entry(arrived, Category.RETURNEE, status=Status.VERIFIED_HOME, arrival_date=today)
    released = make_person(village_a, "钱解除")
    make_entry(released, Category.RETURNEE, status=Status.RELEASED, arrival_date=today)
    old_arrival = make_person(village_a, "孙早归")
    make_entry(
        old_arrival,
        Category.RETURNEE,
        status=Status.VERIFIED_HOME,
        arrival_date=today - timedelta(days=30),
    )
    case_person = make_person(village_a, "周病例")
    case = Case.objects.create(
        person=case_person,
        jurisdiction=village_a,
        classification=Classification.CONFIRMED,
        report_date=today,
    )
    contact = make_person(village_b, "吴接触")
    Contact.objects.create(
        case=case,
        person=contact,
        source=case_person,
        degree="close",
        relation="work",
        last_exposure_date=today - timedelta(days=2),
    )
    people = [home, centralized, pending, arrived, released, old_arrival, case_person, contact]
    path = write_roster_file(
        tmp_path / "roster.xlsx",
        [roster_row(p.name, p.id_number) for p in people],
    )
    outcome = run(zhou, filing, path)
    assert outcome.imported == 8 and outcome.flagged == 6
    kinds = {e.name: [f["kind"] for f in e.flags] for e in filing.employees.all()}
    assert kinds == {
        "王居家": ["quarantine"],
        "李集中": ["quarantine"],
        "张待核": ["ledger"],
        "赵返乡": ["ledger"],
        "钱解除": [],
        "孙早归": [],
        "周病例": ["case"],
        "吴接触": ["contact"],
    }
    messages = {e.name: [f["message"] for f in e.flags] for e in filing.employees.all()}
    end = order.planned_end_date
    assert messages["王居家"] == [f"in home quarantine until {end.month}/{end.day}"]
    assert messages["李集中"][0].startswith("in centralized medical observation until")
    assert messages["张待核"] == ["on the screening ledger: close contact, pending verification"]
    assert messages["周病例"] == ["recorded as a case: confirmed"]
    assert messages["吴接触"][0].startswith("close contact of a case, last exposed")
    assert filing.employees.get(name="王居家").person == home


def test_it_writes_flag_dates_as_month_and_day():
    from fangyi.enterprises.roster_import import _day

    assert _day(timezone.localdate().replace(month=2, day=14)) == "2/14"  # zh: 2月14日


def test_it_flags_fever_and_symptoms_but_not_their_denial(zhou, filing, tmp_path):
    healths = {
        "甲": "发热37.8℃",
        "乙": "无发热、咳嗽等症状",
        "丙": "体温正常，干咳",
        "丁": "健康",
        "戊": "体温37.5度",
        "己": "体温36.8℃，无不适",
    }
    path = write_roster_file(
        tmp_path / "roster.xlsx",
        [roster_row(name, unique_id_number(), health=text) for name, text in healths.items()],
    )
    run(zhou, filing, path)
    flags = {e.name: [f["message"] for f in e.flags] for e in filing.employees.all()}
    assert flags["甲"] == ["health column reports 发热、37.8℃"]
    assert flags["乙"] == []
    assert flags["丙"] == ["health column reports 干咳"]
    assert flags["丁"] == [] and flags["己"] == []
    assert flags["戊"] == ["health column reports 37.5℃"]


def test_it_flags_whereabouts_in_a_risk_area(zhou, filing, tmp_path):
    path = write_roster_file(
        tmp_path / "roster.xlsx",
        [
            roster_row("甲", unique_id_number(), whereabouts="1月20日自湖北省武汉市返回"),
            roster_row("乙", unique_id_number(), whereabouts="温州市"),
            roster_row("丙", unique_id_number(), whereabouts="一直在本地"),
        ],
    )
    outcome = run(zhou, filing, path)
    assert outcome.flagged == 2
    flags = {e.name: [f["message"] for f in e.flags] for e in filing.employees.all()}
    assert flags["甲"] == ["14-day whereabouts include 湖北省、武汉市 (high-risk area)"]
    assert flags["乙"] == ["14-day whereabouts include 温州市 (medium-risk area)"]
    assert flags["丙"] == []


def test_it_screens_a_roster_in_a_fixed_number_of_queries(
    zhou, filing, tmp_path, village_a, django_assert_max_num_queries
):
    people = [make_person(village_a, f"员工{i}") for i in range(5)]
    for person in people[:2]:
        make_order(person)
    rows = [roster_row(p.name, p.id_number) for p in people] + good_rows(300)
    path = write_roster_file(tmp_path / "roster.xlsx", rows)
    with django_assert_max_num_queries(30):
        outcome = run(zhou, filing, path)
    assert outcome.imported == 305 and outcome.flagged == 2
