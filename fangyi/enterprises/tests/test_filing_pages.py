"""The company's filing pages: my enterprises, the step list (commitment and supplies, plan,
roster with per-row errors and flagged employees, submit), the roster template, the status
after a decision and the daily temperatures; bad inputs and another company's filing (404)."""

import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangyi.core.audit import Actor
from fangyi.core.identity import mask_id_number
from fangyi.core.roles import Role
from fangyi.core.xlsx import write_table
from fangyi.enterprises import services
from fangyi.enterprises.models import Filing, FilingStatus
from fangyi.enterprises.testing import make_enterprise
from fangyi.quarantine.testing import make_order
from fangyi.testing import make_person, make_user, unique_id_number

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
HEADERS = ("姓名", "身份证号", "手机号码", "家庭住址", "14天内行程", "健康状况")
PDF = b"%PDF-1.4\n% a plan\n"


# Builders (shared with the other page tests; make_enterprise is fangyi.enterprises.testing's) ---


def roster_bytes(rows) -> bytes:
    buffer = io.BytesIO()
    write_table(buffer, HEADERS, rows)
    return buffer.getvalue()


def roster_upload(rows, name="花名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, roster_bytes(rows))


def good_rows(n=2):
    return [
        (f"员工{i}", unique_id_number(), f"1390000{i:04d}", "东村1组", "本地", "健康")
        for i in range(n)
    ]


def complete_filing(enterprise, *, rows=None, planned=None) -> Filing:
    """A draft with the commitment, the plan and a roster: ready to submit."""
    filing = services.start_filing(SYSTEM, enterprise)
    services.save_filing(
        SYSTEM,
        filing,
        planned_reopening=planned or timezone.localdate() + timedelta(days=3),
        commitment_signed_by="周经理",
        mask_days=7,
        thermometer_days=7,
        disinfectant_days=7,
        isolation_rooms=1,
    )
    services.attach_plan(SYSTEM, filing, SimpleUploadedFile("预案.pdf", PDF), "预案.pdf")
    services.import_employee_roster(
        SYSTEM, filing, roster_upload(rows or good_rows()), "花名册.xlsx"
    )
    filing.refresh_from_db()
    return filing


@pytest.fixture
def zhou(village_a):
    return make_user("zhou", Role.ENTERPRISE_CONTACT, village_a, "周经理")


@pytest.fixture
def firm(village_a, zhou):
    return make_enterprise(village_a, contacts=[zhou])


@pytest.fixture
def other_firm(village_b):
    wu = make_user("wu", Role.ENTERPRISE_CONTACT, village_b, "吴经理")
    return make_enterprise(village_b, "西村食品厂", contacts=[wu])


def filing_url(filing, name="filing"):
    return reverse(f"enterprises:{name}", kwargs={"external_id": filing.external_id})


# My enterprises ---------------------------------------------------------------------------------


def test_it_lists_only_the_contacts_companies_and_starts_a_filing(
    client_for, zhou, firm, other_firm, village_a, django_assert_max_num_queries
):
    for n in range(3):
        services.start_filing(SYSTEM, make_enterprise(village_a, f"周氏{n}厂", contacts=[zhou]))
    client = client_for(zhou)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("enterprises:mine"))
    assert page.status_code == 200
    assert "青山机械厂" in page.content.decode()
    assert "西村食品厂" not in page.content.decode()

    response = client.post(reverse("enterprises:start_filing", args=[firm.external_id]))
    filing = Filing.objects.get(enterprise=firm)
    assert response.status_code == 302 and response["Location"] == filing_url(filing)
    assert filing.status == FilingStatus.DRAFT
    # Starting again returns the same draft.
    client.post(reverse("enterprises:start_filing", args=[firm.external_id]))
    assert Filing.objects.filter(enterprise=firm).count() == 1


def test_it_refuses_to_start_another_companys_filing(client_for, zhou, other_firm):
    response = client_for(zhou).post(
        reverse("enterprises:start_filing", args=[other_firm.external_id])
    )
    assert response.status_code == 404
    assert not Filing.objects.filter(enterprise=other_firm).exists()


def test_it_lets_the_town_file_on_a_companys_behalf(client_for, carol, firm):
    client = client_for(carol)
    listing = client.get(reverse("enterprises:enterprises")).content.decode()
    assert reverse("enterprises:start_filing", args=[firm.external_id]) in listing
    response = client.post(reverse("enterprises:start_filing", args=[firm.external_id]))
    filing = Filing.objects.get(enterprise=firm)
    assert response["Location"] == filing_url(filing)
    body = client.get(response["Location"]).content.decode()
    assert 'id="filing-form"' in body
    assert reverse("enterprises:enterprise_edit", args=[firm.external_id]) in body


def test_it_sends_town_staff_from_mine_to_the_enterprise_list(client_for, carol):
    response = client_for(carol).get(reverse("enterprises:mine"))
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:enterprises")


# The step list ---------------------------------------------------------------------------------


def test_it_walks_the_steps_and_submits(client_for, zhou, firm, village_a):
    client = client_for(zhou)
    filing = services.start_filing(SYSTEM, firm)
    page = client.get(filing_url(filing))
    body = page.content.decode()
    assert page.status_code == 200
    assert firm.credit_code in body
    assert "enterprises/enterprise_edit" not in body  # the contact reads the details only
    assert 'id="filing-form"' in body and 'id="submit-filing"' in body

    response = client.post(
        filing_url(filing, "filing_save"),
        {
            "planned_reopening": (timezone.localdate() + timedelta(days=2)).isoformat(),
            "commitment_signed_by": "周建国",
            "commitment": "on",
            "mask_days": "5",
            "thermometer_days": "5",
            "disinfectant_days": "2",
            "isolation_rooms": "1",
        },
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.commitment_signed_by == "周建国" and filing.disinfectant_days == 2
    page = client.get(filing_url(filing)).content.decode()
    assert 'data-field="disinfectant_days"' in page  # the 3-day shortfall is a warning

    response = client.post(
        filing_url(filing, "filing_plan"), {"plan": SimpleUploadedFile("预案.pdf", PDF)}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.plan_filename == "预案.pdf"

    quarantined = make_person(village_a, "钱隔离", id_number=unique_id_number())
    order = make_order(quarantined, start_date=timezone.localdate() - timedelta(days=2))
    rows = [
        *good_rows(2),
        ("钱隔离", quarantined.id_number, "13900001111", "东村3组12号", "本地", "健康"),
        ("孙错号", "110101199003071234", "13900002222", "东村", "本地", "健康"),
    ]
    response = client.post(filing_url(filing, "filing_roster"), {"roster": roster_upload(rows)})
    assert response.status_code == 302
    page = client.get(filing_url(filing)).content.decode()
    filing.refresh_from_db()
    assert filing.employee_count == 3 and filing.flagged_count == 1
    assert 'id="roster-errors"' in page
    assert '<td class="num">5</td>' in page  # the broken ID on sheet row 5 (header on 1)
    assert mask_id_number(quarantined.id_number) in page
    assert quarantined.id_number not in page
    end = order.planned_end_date
    assert f"until {end.month}/{end.day}" in page  # 居家隔离至2月14日 in Chinese

    response = client.post(filing_url(filing, "filing_submit"))
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED
    page = client.get(filing_url(filing)).content.decode()
    assert 'id="submit-filing"' not in page and 'id="filing-form"' not in page


def test_it_lists_what_is_missing_when_submitting_too_early(client_for, zhou, firm):
    filing = services.start_filing(SYSTEM, firm)
    response = client_for(zhou).post(filing_url(filing, "filing_submit"))
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="submit-errors"' in body
    assert "upload the prevention and emergency plan" in body
    assert "import the employee roster" in body
    assert "the commitment must be signed" in body
    filing.refresh_from_db()
    assert filing.status == FilingStatus.DRAFT


def test_it_keeps_what_was_typed_when_the_commitment_is_not_ticked(client_for, zhou, firm):
    filing = services.start_filing(SYSTEM, firm)
    response = client_for(zhou).post(
        filing_url(filing, "filing_save"),
        {
            "commitment_signed_by": "周建国",
            "mask_days": "-1",
            "thermometer_days": "x",
            "disinfectant_days": "3",
            "isolation_rooms": "1",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "tick the commitment to go on" in body
    assert 'data-field="mask_days"' in body and 'data-field="thermometer_days"' in body
    assert 'value="周建国"' in body
    filing.refresh_from_db()
    assert filing.commitment_signed_by == ""


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.exe", b"MZ...", "use a"),
        ("预案.pdf", b"MZ not a pdf", "not really a PDF"),
    ],
)
def test_it_refuses_a_bad_plan(client_for, zhou, firm, name, content, message):
    filing = services.start_filing(SYSTEM, firm)
    response = client_for(zhou).post(
        filing_url(filing, "filing_plan"), {"plan": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    filing.refresh_from_db()
    assert filing.plan_file == ""


def test_it_refuses_a_non_xlsx_roster(client_for, zhou, firm):
    filing = services.start_filing(SYSTEM, firm)
    response = client_for(zhou).post(
        filing_url(filing, "filing_roster"),
        {"roster": SimpleUploadedFile("花名册.pdf", PDF)},
    )
    assert response.status_code == 422
    assert "use a .xlsx file" in response.content.decode()
    assert filing.employees.count() == 0


def test_it_refuses_an_oversized_roster_and_says_the_limit(client_for, zhou, firm, settings):
    settings.IMPORT_MAX_BYTES = 1024
    filing = services.start_filing(SYSTEM, firm)
    big = roster_upload(good_rows(60))
    assert big.size > 1024
    response = client_for(zhou).post(filing_url(filing, "filing_roster"), {"roster": big})
    assert response.status_code == 422
    body = response.content.decode()
    assert "larger than the limit of" in body and "MB" in body
    assert filing.employees.count() == 0


def test_it_shows_the_errors_when_no_row_is_usable(client_for, zhou, firm):
    filing = services.start_filing(SYSTEM, firm)
    rows = [("孙错号", "110101199003071234", "13900002222", "东村", "本地", "健康")] * 2
    response = client_for(zhou).post(
        filing_url(filing, "filing_roster"), {"roster": roster_upload(rows)}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "No row could be imported" in body
    assert 'id="roster-errors"' in body


def test_it_downloads_the_roster_template(client_for, zhou, tmp_path):
    response = client_for(zhou).get(reverse("enterprises:roster_template"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    path = tmp_path / "template.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert tuple(rows[0]) == HEADERS
    assert len(rows) == 2 and rows[1][0] == "张三"


def test_it_serves_the_plan_to_those_who_see_the_filing(client_for, zhou, carol, bob, firm):
    filing = complete_filing(firm)
    url = filing_url(filing, "plan_file")
    response = client_for(carol).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert client_for(bob).get(url).status_code == 404
    assert client_for(zhou).get(url).status_code == 200


def test_it_hides_another_companys_filing(client_for, zhou, other_firm, alice, bob, firm):
    theirs = services.start_filing(SYSTEM, other_firm)
    client = client_for(zhou)
    for name in ("filing", "filing_save", "filing_plan", "filing_roster", "filing_submit"):
        method = client.get if name == "filing" else client.post
        assert method(filing_url(theirs, name)).status_code == 404, name
    # A village cadre reads their own village's filing, not another village's.
    mine = services.start_filing(SYSTEM, firm)
    assert client_for(alice).get(filing_url(mine)).status_code == 200
    assert client_for(alice).get(filing_url(theirs)).status_code == 404
    assert client_for(bob).get(filing_url(mine)).status_code == 404


def test_it_lets_a_village_cadre_read_but_not_edit(client_for, alice, firm):
    filing = services.start_filing(SYSTEM, firm)
    client = client_for(alice)
    body = client.get(filing_url(filing)).content.decode()
    assert 'id="filing-form"' not in body
    assert client.post(filing_url(filing, "filing_submit")).status_code == 403


# After the decision ------------------------------------------------------------------------------


def test_it_shows_the_reasons_and_files_again_after_a_rejection(client_for, zhou, firm, carol):
    filing = complete_filing(firm)
    services.submit_filing(SYSTEM, filing)
    services.reject_filing(Actor(carol), filing, "隔离室不达标，请整改")
    client = client_for(zhou)
    body = client.get(filing_url(filing)).content.decode()
    assert 'id="rejection-reasons"' in body and "隔离室不达标，请整改" in body
    response = client.post(reverse("enterprises:start_filing", args=[firm.external_id]))
    new = Filing.objects.filter(enterprise=firm, status=FilingStatus.DRAFT).get()
    assert response["Location"] == filing_url(new)
    assert new.commitment_signed_by == "周经理"  # carried over from the rejected one


def test_it_reports_temperatures_after_approval(client_for, zhou, firm, carol):
    filing = complete_filing(firm)
    services.submit_filing(SYSTEM, filing)
    services.record_inspection(
        SYSTEM,
        filing,
        inspected_on=timezone.localdate(),
        inspectors="镇工作组",
        findings="符合要求",
        passed=True,
    )
    services.approve_filing(SYSTEM, filing)
    client = client_for(zhou)
    body = client.get(filing_url(filing)).content.decode()
    assert 'id="temperatures"' in body and 'id="mark-reopened"' in body

    assert client.post(filing_url(filing, "filing_reopened")).status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.REOPENED

    today = timezone.localdate().isoformat()
    bad = client.post(
        filing_url(filing, "filing_temperatures"),
        {"day": today, "checked": "10", "fever": "11", "absent": "0"},
    )
    assert bad.status_code == 422
    assert "more people with fever than people checked" in bad.content.decode()
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    bad = client.post(
        filing_url(filing, "filing_temperatures"),
        {"day": future, "checked": "10", "fever": "0"},
    )
    assert bad.status_code == 422 and 'data-field="day"' in bad.content.decode()

    ok = client.post(
        filing_url(filing, "filing_temperatures"),
        {"day": today, "checked": "38", "fever": "0", "absent": "2", "note": ""},
    )
    assert ok.status_code == 302
    body = client.get(filing_url(filing)).content.decode()
    assert f"{date.fromisoformat(today):%Y-%m-%d}" in body and '<td class="num">38</td>' in body
