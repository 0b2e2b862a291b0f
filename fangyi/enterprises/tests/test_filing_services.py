"""Enterprises and their filings, from registration to reopening and daily temperatures."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AuditEntry
from fangyi.enterprises import services
from fangyi.enterprises.credit_code import compose_credit_code
from fangyi.enterprises.models import Filing, FilingStatus, TemperatureSummary
from fangyi.enterprises.testing import (
    filing_ready_to_submit,
    make_enterprise,
    roster_row,
    write_plan_file,
)
from fangyi.testing import make_person, unique_id_number


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def as_(user) -> Actor:
    return Actor(user=user)


def rows(count: int = 3) -> list[list[object]]:
    return [roster_row(f"员工{i}", unique_id_number()) for i in range(count)]


def errors_of(refused) -> dict:
    return refused.value.message_dict


# Enterprises -------------------------------------------------------------------------------


def test_it_registers_an_enterprise_with_a_normalised_code_and_an_encrypted_phone(
    carol, village_a, zhou
):
    code = compose_credit_code("999901", 42)
    enterprise = services.register_enterprise(
        as_(carol),
        name="东村食品厂",
        credit_code=" " + code.lower(),
        address="东村1组",
        jurisdiction=village_a,
        industry="catering",
        size="micro",
        staff_count=8,
        contact_name="周经理",
        contact_phone="139 0000 1234",
        contacts=[zhou],
    )
    assert enterprise.credit_code == code
    assert enterprise.contact_phone == "13900001234"
    assert enterprise.contact_phone_masked == "139****1234"
    assert list(enterprise.contacts.all()) == [zhou]
    audit = AuditEntry.objects.get(object_type="enterprises.enterprise")
    assert "13900001234" not in str(audit.changes)


def test_it_refuses_a_bad_credit_code_and_names_every_bad_field(carol, village_a):
    with pytest.raises(ValidationError) as refused:
        services.register_enterprise(
            as_(carol),
            name="",
            credit_code="91350100M000100Y44",
            address="东村",
            jurisdiction=village_a,
            industry="mining",
            size="huge",
            staff_count=-1,
            contact_name="周",
            contact_phone="12345",
        )
    errors = errors_of(refused)
    assert "should be 3" in errors["credit_code"][0]
    assert set(errors) == {
        "name",
        "credit_code",
        "industry",
        "size",
        "staff_count",
        "contact_phone",
    }


def test_it_refuses_a_credit_code_registered_twice(carol, factory, village_b):
    with pytest.raises(ValidationError) as refused:
        make_enterprise(village_b, "另一家", credit_code=factory.credit_code, actor=as_(carol))
    assert "already registered for 青山机械厂" in errors_of(refused)["credit_code"][0]


def test_it_lets_only_the_town_register_enterprises(alice, zhou, village_a, frank):
    for user in (alice, zhou):
        with pytest.raises(PermissionDenied):
            make_enterprise(village_a, actor=as_(user))
    with pytest.raises(PermissionDenied):
        make_enterprise(village_a, actor=as_(frank))  # another town's commander


def test_it_lets_only_enterprise_contacts_speak_for_an_enterprise(carol, factory, alice):
    with pytest.raises(ValidationError) as refused:
        services.update_enterprise(as_(carol), factory, contacts=[alice])
    assert "only enterprise contact accounts" in errors_of(refused)["contacts"][0]


def test_it_updates_an_enterprise_and_audits_what_changed(carol, factory):
    services.update_enterprise(as_(carol), factory, staff_count=120, size="medium")
    factory.refresh_from_db()
    assert (factory.staff_count, factory.size) == (120, "medium")
    audit = AuditEntry.objects.filter(action="update").get()
    assert audit.changes["staff_count"] == ["40", "120"]


# The company's part ------------------------------------------------------------------------


def test_it_starts_one_current_filing_and_returns_it_again(zhou, factory, carol):
    filing = services.start_filing(as_(zhou), factory)
    assert filing.status == FilingStatus.DRAFT
    assert services.start_filing(as_(carol), factory) == filing
    assert Filing.objects.filter(enterprise=factory).count() == 1
    assert [e.message for e in filing.events.all()] == ["filing started"]


def test_it_refuses_a_contact_of_another_company(wu, factory, alice):
    with pytest.raises(PermissionDenied):
        services.start_filing(as_(wu), factory)
    with pytest.raises(PermissionDenied):  # a village cadre only reads
        services.start_filing(as_(alice), factory)


def test_it_saves_the_reserve_and_warns_of_shortfalls(zhou, factory):
    filing = services.start_filing(as_(zhou), factory)
    services.save_filing(
        as_(zhou),
        filing,
        planned_reopening=None,
        commitment_signed_by=" 周经理 ",
        mask_days=2,
        thermometer_days="3",
        disinfectant_days=7,
        isolation_rooms=0,
    )
    filing.refresh_from_db()
    assert filing.commitment_signed_by == "周经理"
    assert filing.thermometer_days == 3
    assert [w["field"] for w in filing.warnings] == ["mask_days", "isolation_rooms"]
    assert "masks for 2 days: at least 3 days are required" in filing.warnings[0]["message"]


def test_it_refuses_negative_and_fractional_numbers_per_field(zhou, factory):
    filing = services.start_filing(as_(zhou), factory)
    with pytest.raises(ValidationError) as refused:
        services.save_filing(
            as_(zhou),
            filing,
            planned_reopening=None,
            commitment_signed_by="周",
            mask_days=-1,
            thermometer_days="2.5",
            disinfectant_days=None,
            isolation_rooms=5000,
        )
    errors = errors_of(refused)
    assert errors["mask_days"] == ["cannot be negative"]
    assert errors["thermometer_days"] == ["a whole number"]
    assert errors["disinfectant_days"] == ["a whole number"]
    assert errors["isolation_rooms"] == ["at most 1000"]
    filing.refresh_from_db()
    assert filing.mask_days == 0  # nothing saved


def test_it_asks_a_large_firm_for_one_isolation_room_per_100_staff(wu, big_factory):
    filing = services.start_filing(as_(wu), big_factory)
    services.save_filing(
        as_(wu),
        filing,
        planned_reopening=None,
        commitment_signed_by="吴",
        mask_days=5,
        thermometer_days=5,
        disinfectant_days=5,
        isolation_rooms=4,
    )
    assert [w["message"] for w in filing.warnings] == ["4 isolation rooms: at least 5 are required"]


def test_it_keeps_the_plan_under_the_upload_dir_and_replaces_it(
    zhou, factory, tmp_path, upload_dir, django_capture_on_commit_callbacks
):
    filing = services.start_filing(as_(zhou), factory)
    first = write_plan_file(tmp_path / "预案.pdf")
    with django_capture_on_commit_callbacks(execute=True):
        services.attach_plan(as_(zhou), filing, first, first.name)
    stored = Path(filing.plan_file)
    assert stored.parent == upload_dir / "enterprise-plans" and stored.is_file()
    photo = tmp_path / "预案.JPG"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 100)
    with django_capture_on_commit_callbacks(execute=True):
        services.attach_plan(as_(zhou), filing, photo, photo.name)
    assert not stored.exists()
    assert filing.plan_filename == "预案.JPG" and Path(filing.plan_file).suffix == ".jpg"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.exe", b"MZ", "upload the plan as a PDF"),
        ("plan.pdf", b"", "the file is empty"),
        ("plan.pdf", b"MZ\x90\x00 not a pdf", "not really a PDF file"),
        ("plan.docx", b"%PDF-1.4", "not really a DOCX file"),
    ],
)
def test_it_refuses_plans_that_are_not_plans(zhou, factory, tmp_path, name, content, message):
    filing = services.start_filing(as_(zhou), factory)
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValidationError) as refused:
        services.attach_plan(as_(zhou), filing, path, name)
    assert message in refused.value.messages[0]
    assert filing.plan_file == ""


def test_it_refuses_a_plan_over_10_mb_and_says_the_limit(zhou, factory, tmp_path):
    filing = services.start_filing(as_(zhou), factory)
    path = tmp_path / "plan.pdf"
    with path.open("wb") as file:
        file.write(b"%PDF-1.4")
        file.truncate(services.PLAN_MAX_BYTES + 1)
    with pytest.raises(ValidationError) as refused:
        services.attach_plan(as_(zhou), filing, path, path.name)
    assert "larger than the limit of 10 MB" in refused.value.messages[0]


def test_it_refuses_submission_until_signed_planned_and_rostered(zhou, factory):
    filing = services.start_filing(as_(zhou), factory)
    with pytest.raises(ValidationError) as refused:
        services.submit_filing(as_(zhou), filing)
    assert set(errors_of(refused)) == {
        "planned_reopening",
        "commitment_signed_by",
        "plan_file",
        "roster",
    }
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT


def test_it_submits_a_complete_filing_and_then_freezes_it(zhou, factory, tmp_path):
    filing = filing_ready_to_submit(as_(zhou), factory, tmp_path, rows())
    services.submit_filing(as_(zhou), filing)
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED and filing.submitted_by == zhou
    with pytest.raises(ValidationError, match="can no longer be changed"):
        services.save_filing(
            as_(zhou),
            filing,
            planned_reopening=None,
            commitment_signed_by="x",
            mask_days=1,
            thermometer_days=1,
            disinfectant_days=1,
            isolation_rooms=1,
        )
    assert filing.events.last().message == "submitted to the town"


# The town's and the county's part ----------------------------------------------------------


@pytest.fixture
def submitted(zhou, factory, tmp_path):
    filing = filing_ready_to_submit(as_(zhou), factory, tmp_path, rows())
    return services.submit_filing(as_(zhou), filing)


@pytest.fixture
def big_submitted(wu, big_factory, tmp_path):
    filing = filing_ready_to_submit(as_(wu), big_factory, tmp_path, rows())
    return services.submit_filing(as_(wu), filing)


def inspect(user, filing, passed=True):
    return services.record_inspection(
        as_(user),
        filing,
        inspected_on=timezone.localdate(),
        inspectors="刘镇干、孙医生",
        findings="测温点、隔离室已设置",
        passed=passed,
    )


def test_it_approves_a_small_firm_only_after_a_passed_inspection(carol, submitted):
    with pytest.raises(ValidationError, match="record the on-site inspection"):
        services.approve_filing(as_(carol), submitted)
    inspect(carol, submitted, passed=False)
    with pytest.raises(ValidationError, match="was not passed"):
        services.approve_filing(as_(carol), submitted)
    inspect(carol, submitted, passed=True)
    services.approve_filing(as_(carol), submitted, note="同意复工")
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.APPROVED and submitted.decided_by == carol
    assert [e.status for e in submitted.events.all()][-4:] == [
        "submitted",
        "submitted",
        "submitted",
        "approved",
    ]


def test_it_refuses_an_inspection_with_blanks_or_in_the_future(carol, submitted):
    with pytest.raises(ValidationError) as refused:
        services.record_inspection(
            as_(carol),
            submitted,
            inspected_on=timezone.localdate() + timedelta(days=1),
            inspectors=" ",
            findings="",
            passed=True,
        )
    assert set(errors_of(refused)) == {"inspected_on", "inspectors", "findings"}


def test_it_keeps_reviews_to_the_town_holding_the_enterprise(zhou, alice, frank, submitted):
    for user in (zhou, alice, frank):
        with pytest.raises(PermissionDenied):
            inspect(user, submitted)
        with pytest.raises(PermissionDenied):
            services.reject_filing(as_(user), submitted, "不合格")


def test_it_sends_a_large_firm_to_the_county(carol, gina, big_submitted):
    with pytest.raises(ValidationError, match="approved by the county"):
        services.approve_filing(as_(carol), big_submitted)
    services.forward_filing(as_(carol), big_submitted, note="请县里审核")
    assert big_submitted.status == FilingStatus.FORWARDED
    with pytest.raises(PermissionDenied):
        services.approve_filing(as_(carol), big_submitted)
    services.approve_filing(as_(gina), big_submitted)
    big_submitted.refresh_from_db()
    assert big_submitted.status == FilingStatus.APPROVED and big_submitted.decided_by == gina


def test_it_does_not_forward_a_small_firm(carol, submitted):
    with pytest.raises(ValidationError, match="decided by the town"):
        services.forward_filing(as_(carol), submitted)


def test_it_rejects_with_reasons_and_lets_the_company_file_again(carol, zhou, factory, submitted):
    with pytest.raises(ValidationError) as refused:
        services.reject_filing(as_(carol), submitted, "  ")
    assert "reasons" in errors_of(refused)
    services.reject_filing(as_(carol), submitted, "隔离室不达标")
    submitted.refresh_from_db()
    assert submitted.status == FilingStatus.REJECTED
    assert submitted.decision_reason == "隔离室不达标"
    again = services.start_filing(as_(zhou), factory)
    assert again.pk != submitted.pk and again.status == FilingStatus.DRAFT
    # Carried over: the answers, a copy of the plan, and the employees.
    assert again.commitment_signed_by == "周经理" and again.mask_days == 5
    assert again.plan_file != submitted.plan_file and Path(again.plan_file).is_file()
    assert again.employees.count() == submitted.employees.count() == 3
    assert submitted.employees.count() == 3
    services.submit_filing(as_(zhou), again)


def test_it_refuses_deciding_twice(carol, submitted):
    services.reject_filing(as_(carol), submitted, "材料不全")
    with pytest.raises(ValidationError, match="only a submitted filing"):
        services.approve_filing(as_(carol), submitted)


@pytest.fixture
def approved(carol, submitted):
    inspect(carol, submitted)
    return services.approve_filing(as_(carol), submitted)


def test_it_marks_an_approved_filing_reopened(zhou, submitted, carol):
    with pytest.raises(ValidationError, match="only an approved filing"):
        services.mark_reopened(as_(zhou), submitted)
    inspect(carol, submitted)
    services.approve_filing(as_(carol), submitted)
    with pytest.raises(ValidationError):
        services.mark_reopened(as_(zhou), submitted, on=timezone.localdate() + timedelta(days=1))
    services.mark_reopened(as_(zhou), submitted)
    assert submitted.status == FilingStatus.REOPENED
    assert submitted.reopened_on == timezone.localdate()


def test_it_takes_temperatures_only_after_approval(zhou, factory, submitted):
    with pytest.raises(ValidationError, match="once the filing is approved"):
        services.report_temperatures(
            as_(zhou), factory, day=timezone.localdate(), checked=40, fever=0
        )


def test_it_keeps_one_temperature_summary_a_day_and_alerts_a_fever(zhou, factory, approved):
    today = timezone.localdate()
    services.report_temperatures(as_(zhou), factory, day=today, checked=38, fever=0, absent=2)
    assert not Alert.objects.exists()
    services.report_temperatures(as_(zhou), factory, day=today, checked=39, fever=1, absent=1)
    summary = TemperatureSummary.objects.get()
    assert (summary.checked, summary.fever, summary.absent) == (39, 1, 1)
    alert = Alert.objects.get()
    assert alert.kind == "fever" and alert.jurisdiction_id == factory.jurisdiction_id
    assert approved.events.last().message.endswith("(replaces the earlier report)")


def test_it_refuses_impossible_temperature_summaries(zhou, factory, approved, wu):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        services.report_temperatures(
            as_(zhou), factory, day=today + timedelta(days=1), checked=3, fever=5, absent=-1
        )
    assert set(errors_of(refused)) == {"day", "fever", "absent"}
    with pytest.raises(PermissionDenied):
        services.report_temperatures(as_(wu), factory, day=today, checked=3, fever=0)
    assert not TemperatureSummary.objects.exists()


def test_it_audits_every_unmasked_employee_identity(carol, zhou, submitted):
    employee = submitted.employees.first()
    with pytest.raises(PermissionDenied):
        services.reveal_employee_field(as_(zhou), employee, "id_number")
    assert services.reveal_employee_field(as_(carol), employee, "id_number") == employee.id_number
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.actor == carol and entry.changes["field"] == "id_number"
    assert employee.id_number not in entry.object_repr


def test_it_flags_an_employee_matched_to_a_person_under_quarantine(
    zhou, factory, tmp_path, village_a
):
    from fangyi.quarantine.testing import make_order

    person = make_person(village_a, "王金水")
    make_order(person, start_date=timezone.localdate())
    filing = filing_ready_to_submit(
        as_(zhou), factory, tmp_path, [roster_row("王金水", person.id_number), *rows(2)]
    )
    assert filing.flagged_count == 1
    flagged = filing.employees.get(flagged=True)
    assert flagged.person == person
    assert flagged.flags[0]["kind"] == "quarantine"
    assert flagged.flags[0]["message"].startswith("in home quarantine until ")
