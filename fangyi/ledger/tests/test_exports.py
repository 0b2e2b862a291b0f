"""Ledger and feedback-sheet exports: standard columns, masking by role, formula neutralising,
the audit entry, and the download views' scoping."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from python_calamine import CalamineWorkbook

from fangyi.core.audit import Actor
from fangyi.core.models import AuditAction, AuditEntry
from fangyi.core.roles import Role
from fangyi.ledger import services
from fangyi.ledger.exports import export_feedback, export_ledger, ledger_headers
from fangyi.ledger.models import LedgerEntry, VerificationTask
from fangyi.ledger.testing import import_file, make_entry, write_push_list_file
from fangyi.testing import make_person, make_user


@pytest.fixture(autouse=True)
def english():
    """Headers and labels are compared in English (the msgids); pages are asked for English."""
    with translation.override("en"):
        yield


def read_xlsx(source) -> list[list[object]]:
    if isinstance(source, bytes):
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(source))
    else:
        workbook = CalamineWorkbook.from_path(str(source))
    return workbook.get_sheet_by_index(0).to_python()


def column(rows: list[list[object]], header: str) -> list[object]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def tina(town):
    """A town cadre: exports the ledger but may not export full ID numbers and phones."""
    return make_user("tina", Role.TOWN_CADRE, town, "唐娜")


@pytest.fixture
def ledger(village_a, village_b, group_a1, town, other_town_village, alice):
    wang = make_person(village_a, "王金水", id_number="999901198005170017", phone="13912345678")
    entry = make_entry(
        wang,
        source_area="湖北省武汉市",
        risk_level="high",
        arrival_date=date(2020, 1, 23),
        transport="rail",
        trip_number="G1234",
        local_address="东村3组12号",
        local_contact="王大山",
        responsible_cadre=alice,
        notes='=HYPERLINK("http://evil.example","click")',
    )
    entry.local_contact_phone = "13800001111"
    entry.save()
    return {
        "wang": entry,
        "li": make_entry(make_person(group_a1, "李娜"), category="close_contact"),
        "zhang": make_entry(make_person(village_b, "张伟"), status="home_quarantine"),
        "town": make_entry(make_person(town, "赵六")),
        "other": make_entry(make_person(other_town_village, "刘洋")),
    }


def test_it_writes_the_standard_columns_with_labels_and_masks_for_a_town_cadre(
    tmp_path, ledger, tina
):
    target = tmp_path / "ledger.xlsx"

    count = export_ledger(Actor(user=tina), LedgerEntry.objects.visible_to(tina), target)

    rows = read_xlsx(target)
    assert count == 4 == len(rows) - 1
    assert rows[0] == ledger_headers()
    wang = next(row for row in rows if row[1] == "王金水")
    by_header = dict(zip(rows[0], wang, strict=True))
    assert by_header["ID number"] == "9999**********0017"
    assert by_header["phone"] == "139****5678"
    assert by_header["local contact and phone"] == "王大山 138****1111"
    assert by_header["risk level of the source area"] == "high risk"
    assert by_header["transport"] == "rail"
    assert by_header["arrival date"] == date(2020, 1, 23)
    assert by_header["village (community)"] == "东村"
    assert by_header["category"] == "returnee from a risk area"
    assert by_header["status"] == "pending verification"
    assert by_header["responsible cadre"] == "李爱丽"
    assert by_header["sex"] == "male"
    assert column(rows, "No.") == [1, 2, 3, 4]
    villages = dict(zip(column(rows, "name"), column(rows, "village (community)"), strict=True))
    assert villages["李娜"] == "东村"  # a group's entry shows its village
    assert villages["赵六"].startswith("not assigned")
    assert "刘洋" not in villages
    text = repr(rows)
    assert "999901198005170017" not in text and "13912345678" not in text


def test_it_exports_full_identity_for_a_town_commander(tmp_path, ledger, carol):
    target = tmp_path / "ledger.xlsx"

    export_ledger(Actor(user=carol), LedgerEntry.objects.visible_to(carol), target)

    rows = read_xlsx(target)
    wang = next(row for row in rows if row[1] == "王金水")
    assert "999901198005170017" in wang
    assert "13912345678" in wang
    assert "王大山 13800001111" in wang


def test_it_masks_for_a_commander_who_asks_for_a_masked_export(tmp_path, ledger, carol):
    target = tmp_path / "ledger.xlsx"

    export_ledger(
        Actor(user=carol), LedgerEntry.objects.visible_to(carol), target, full_identity=False
    )

    assert "999901198005170017" not in repr(read_xlsx(target))
    assert AuditEntry.objects.get(action=AuditAction.EXPORT).changes["identity"] == "masked"


def test_it_neutralises_formulas_in_text_cells(tmp_path, ledger, carol):
    target = tmp_path / "ledger.xlsx"
    ledger["zhang"].trip_number = "+86 1234"
    ledger["zhang"].symptoms = "@SUM(A1)"
    ledger["zhang"].save()

    export_ledger(Actor(user=carol), LedgerEntry.objects.visible_to(carol), target)

    rows = read_xlsx(target)
    notes = dict(zip(column(rows, "name"), column(rows, "notes"), strict=True))
    assert notes["王金水"] == "'" + '=HYPERLINK("http://evil.example","click")'
    zhang = next(row for row in rows if row[1] == "张伟")
    assert "'+86 1234" in zhang and "'@SUM(A1)" in zhang


def test_it_writes_one_audit_entry_per_export(tmp_path, ledger, tina):
    before = AuditEntry.objects.count()

    export_ledger(
        Actor(user=tina, ip_address="10.0.0.8"),
        LedgerEntry.objects.visible_to(tina),
        tmp_path / "ledger.xlsx",
        description="status=pending",
    )

    assert AuditEntry.objects.count() == before + 1
    audit = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (audit.actor, audit.object_type, audit.jurisdiction_code, audit.ip_address) == (
        tina,
        "ledger.ledgerentry",
        "999901100",
        "10.0.0.8",
    )
    assert audit.changes == {"rows": 4, "identity": "masked", "description": "status=pending"}


def test_it_exports_into_a_binary_file_object(ledger, carol):
    buffer = io.BytesIO()

    count = export_ledger(Actor(user=carol), LedgerEntry.objects.visible_to(carol), buffer)

    assert count == 4
    assert len(read_xlsx(buffer.getvalue())) == 5


# The download view --------------------------------------------------------------------------


def download(client, user, url, params=None):
    client.force_login(user)
    response = client.get(url, params or {}, headers={"accept-language": "en"})
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return response, body


def test_it_exports_only_the_rows_the_user_sees(client, ledger, alice):
    response, body = download(client, alice, reverse("ledger:export"))

    assert response.status_code == 200
    rows = read_xlsx(body)
    assert sorted(column(rows, "name")) == sorted(["王金水", "李娜"])
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    # masked: village cadres reveal one person at a time, they do not export in full
    assert "999901198005170017" not in repr(rows)
    audit = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (audit.actor, audit.jurisdiction_code, audit.changes["rows"]) == (
        alice,
        "999901100201",
        2,
    )


def test_it_applies_the_list_pages_filters(client, ledger, carol):
    response, body = download(client, carol, reverse("ledger:export"), {"village": "999901100202"})
    assert column(read_xlsx(body), "name") == ["张伟"]
    assert "%E8%A5%BF%E6%9D%91" in response["Content-Disposition"]  # 西村 in the file name

    _response, body = download(
        client, carol, reverse("ledger:export"), {"category": "close_contact"}
    )
    assert column(read_xlsx(body), "name") == ["李娜"]

    _response, body = download(
        client, carol, reverse("ledger:export"), {"status": "home_quarantine"}
    )
    assert column(read_xlsx(body), "name") == ["张伟"]
    audit = AuditEntry.objects.filter(action=AuditAction.EXPORT).first()
    assert audit.changes["description"] == "status=home_quarantine"


def test_it_refuses_users_without_the_export_permission(client, ledger, erin, dave):
    # A volunteer has no ledger at all; an auditor reads it but takes no copies.
    for user in (erin, dave):
        response, _body = download(client, user, reverse("ledger:export"))
        assert response.status_code == 403, user
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_it_sends_anonymous_users_to_log_in(client, ledger):
    response = client.get(reverse("ledger:export"))
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


# The feedback sheet -------------------------------------------------------------------------


@pytest.fixture
def pushed(tmp_path, town, village_a, village_b, carol):
    path = write_push_list_file(
        tmp_path / "推送名单.xlsx",
        [
            [
                "王五",
                "999901198001010016",
                "13900000001",
                "湖北武汉",
                "2020-01-25",
                "火车",
                "",
                "青山镇东村3组",
            ],
            [
                "赵四",
                "999901198001020011",
                "13900000002",
                "湖北孝感",
                "2020-01-26",
                "自驾",
                "",
                "青山镇西村",
            ],
            ["钱七", "4.20102E+17", "13900000003", "湖北黄冈", "2020-01-26", "", "", "青山镇"],
            [
                "孙八",
                "999901198001030017",
                "13900000004",
                "湖北武汉",
                "2020-01-27",
                "",
                "",
                "青山镇",
            ],
        ],
        title="青山镇大数据推送名单",
    )
    return import_file(Actor(user=carol), town, path)


def test_it_writes_one_feedback_row_per_pushed_person_with_results(tmp_path, pushed, alice, carol):
    task = VerificationTask.objects.get(push_list=pushed, entry__person__name="王五")
    services.verify_task(
        Actor(user=alice), task, result="already_screened", status="verified_home", note="在家"
    )
    target = tmp_path / "feedback.xlsx"

    count = export_feedback(Actor(user=carol), pushed, target)

    rows = read_xlsx(target)
    assert pushed.name in rows[0][0]  # the title names the list
    header, data = rows[1], rows[2:]
    assert count == 3 == len(data)
    assert [row[0] for row in data] == [3, 4, 6]  # rows as Excel shows them (title, header)
    wang = dict(zip(header, data[0], strict=True))
    assert wang["name"] == "王五"
    assert wang["ID number"] == "999901198001010016"  # carol may export full identity
    assert wang["village (community)"] == "东村"
    assert wang["verification result"] == "already screened"
    assert wang["verified?"] == "verified"
    assert wang["status"] == "verified at home"
    assert wang["note"] == "在家"
    assert wang["verified by"] == "李爱丽"
    assert isinstance(wang["verified at"], type(timezone.localtime().replace(tzinfo=None)))
    zhao = dict(zip(header, data[1], strict=True))
    # the list arrived in 2020: its 24-hour deadline is long past
    assert (zhao["verification result"], zhao["verified?"]) == ("", "overdue")
    assert zhao["verified by"] == ""
    audit = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert (audit.object_type, audit.object_id, audit.jurisdiction_code) == (
        "ledger.pushlist",
        str(pushed.external_id),
        "999901100",
    )


def test_it_says_not_verified_before_the_deadline_and_masks_for_a_town_cadre(
    tmp_path, town, village_a, carol, tina
):
    path = write_push_list_file(
        tmp_path / "today.xlsx",
        [["王五", "999901198001010016", "13900000001", "湖北", "", "", "", "东村"]],
    )
    push_list = import_file(
        Actor(user=carol), town, path, received=timezone.now() - timedelta(hours=1)
    )
    target = tmp_path / "feedback.xlsx"

    export_feedback(Actor(user=tina), push_list, target)

    header, row = read_xlsx(target)[1:3]
    values = dict(zip(header, row, strict=True))
    assert values["verified?"] == "not verified"
    assert values["ID number"] == "9999**********0016"
    assert values["phone"] == "139****0001"


def test_it_downloads_the_feedback_sheet_for_the_town_only(client, pushed, carol, frank, alice):
    url = reverse("ledger:pushlist_feedback", args=[pushed.external_id])

    response, body = download(client, carol, url)
    assert response.status_code == 200
    assert len(read_xlsx(body)) == 2 + 3
    assert "attachment" in response["Content-Disposition"]

    assert download(client, frank, url)[0].status_code == 404
    assert download(client, alice, url)[0].status_code == 403
