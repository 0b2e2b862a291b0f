"""The counts page (filed, awaiting, approved, reopened, rejected by village and by industry, for
the user's jurisdiction; reopened firms missing today's temperatures) and the enterprise list
and register / edit pages (the credit code's check character validated)."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.enterprises import services
from fangyi.enterprises.credit_code import compose_credit_code
from fangyi.enterprises.models import Enterprise, EnterpriseSize, Industry
from fangyi.enterprises.tests.test_filing_pages import SYSTEM, complete_filing, make_enterprise

pytestmark = pytest.mark.django_db


def _approved(enterprise, reopen=False):
    filing = complete_filing(enterprise)
    services.submit_filing(SYSTEM, filing)
    services.record_inspection(
        SYSTEM,
        filing,
        inspected_on=timezone.localdate(),
        inspectors="镇工作组",
        findings="符合",
        passed=True,
    )
    services.approve_filing(SYSTEM, filing)
    if reopen:
        services.mark_reopened(SYSTEM, filing)
    return filing


@pytest.fixture
def world(village_a, village_b, other_town_village):
    a_draft = make_enterprise(village_a, "东村草稿厂")
    services.start_filing(SYSTEM, a_draft)
    a_waiting = make_enterprise(village_a, "东村等待厂", industry=Industry.CATERING)
    services.submit_filing(SYSTEM, complete_filing(a_waiting))
    a_reopened = make_enterprise(village_a, "东村复工厂")
    _approved(a_reopened, reopen=True)
    b_approved = make_enterprise(village_b, "西村批准厂")
    _approved(b_approved)
    b_rejected = make_enterprise(village_b, "西村驳回厂", industry=Industry.CATERING)
    filing = complete_filing(b_rejected)
    services.submit_filing(SYSTEM, filing)
    services.reject_filing(SYSTEM, filing, "材料不全")
    services.start_filing(SYSTEM, b_rejected)  # a new draft after the rejection
    elsewhere = make_enterprise(other_town_village, "白水厂")
    _approved(elsewhere, reopen=True)
    return {"reopened": a_reopened, "elsewhere": elsewhere}


def _row(body: str, table: str, key: str) -> list[int]:
    section = body.split(f'id="{table}"')[1].split("</table>")[0]
    row = section.split(f'data-key="{key}"')[1].split("</tr>")[0]
    return [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row)]


def test_it_counts_by_village_and_industry_for_the_town(
    client_for, carol, world, village_a, village_b, django_assert_max_num_queries
):
    client = client_for(carol)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("enterprises:counts"))
    body = response.content.decode()
    assert response.status_code == 200
    # enterprises, filed, awaiting, approved, reopened, rejected
    assert _row(body, "by-village", village_a.code) == [3, 2, 1, 1, 1, 0]
    assert _row(body, "by-village", village_b.code) == [2, 2, 0, 1, 0, 1]
    assert _row(body, "by-industry", Industry.CATERING) == [2, 2, 1, 0, 0, 1]
    assert _row(body, "by-industry", Industry.MANUFACTURING) == [3, 2, 0, 2, 1, 0]
    assert "白水厂" not in body  # another town
    missing = body.split('id="missing-temperatures"')[1]
    assert "东村复工厂" in missing


def test_it_counts_only_the_village_for_a_village_cadre(client_for, alice, world, village_b):
    body = client_for(alice).get(reverse("enterprises:counts")).content.decode()
    assert f'data-key="{village_b.code}"' not in body
    assert "西村批准厂" not in body


def test_it_drops_a_firm_from_missing_once_it_reports(client_for, carol, world):
    reopened = world["reopened"]
    services.report_temperatures(SYSTEM, reopened, day=timezone.localdate(), checked=30, fever=0)
    body = client_for(carol).get(reverse("enterprises:counts")).content.decode()
    assert "东村复工厂" not in body.split('id="missing-temperatures"')[1]
    assert "Every reopened enterprise has reported today." in body


# The enterprise list and register / edit ---------------------------------------------------------


def test_it_lists_enterprises_with_their_latest_filing(
    client_for, carol, bob, world, django_assert_max_num_queries
):
    client = client_for(carol)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("enterprises:enterprises")).content.decode()
    assert "东村复工厂" in body and "西村驳回厂" in body and "白水厂" not in body
    assert "reopened" in body
    bob_body = client_for(bob).get(reverse("enterprises:enterprises")).content.decode()
    assert "西村批准厂" in bob_body and "东村复工厂" not in bob_body


def _form(village, **values):
    data = {
        "name": "青山新厂",
        "credit_code": compose_credit_code("999901", 4242),
        "address": "东村工业路1号",
        "jurisdiction": village.code,
        "industry": Industry.RETAIL,
        "size": EnterpriseSize.MICRO,
        "staff_count": "6",
        "contact_name": "马老板",
        "contact_phone": "13800138009",
    }
    data.update(values)
    return data


def test_it_registers_an_enterprise(client_for, carol, village_a):
    response = client_for(carol).post(reverse("enterprises:enterprise_new"), _form(village_a))
    assert response.status_code == 302
    enterprise = Enterprise.objects.get(name="青山新厂")
    assert enterprise.jurisdiction == village_a and enterprise.contact_phone == "13800138009"


def test_it_explains_a_bad_check_character(client_for, carol, village_a):
    good = compose_credit_code("999901", 4242)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client_for(carol).post(
        reverse("enterprises:enterprise_new"), _form(village_a, credit_code=wrong)
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-field="credit_code"' in body
    assert f"the 18th character of the unified social credit code should be {good[-1]}" in body
    assert 'value="青山新厂"' in body  # nothing typed is lost
    assert not Enterprise.objects.filter(name="青山新厂").exists()


def test_it_refuses_a_village_outside_the_town_and_a_duplicate_code(
    client_for, carol, village_a, other_town_village
):
    client = client_for(carol)
    response = client.post(
        reverse("enterprises:enterprise_new"), _form(other_town_village, name="外镇厂")
    )
    assert response.status_code == 422
    assert "outside your jurisdiction" in response.content.decode()
    existing = make_enterprise(village_a, "老厂")
    response = client.post(
        reverse("enterprises:enterprise_new"), _form(village_a, credit_code=existing.credit_code)
    )
    assert response.status_code == 422
    assert 'data-field="credit_code"' in response.content.decode()


def test_it_edits_an_enterprise_and_keeps_the_phone_when_empty(client_for, carol, village_a):
    enterprise = make_enterprise(village_a, "老厂", contact_phone="13800138007")
    url = reverse("enterprises:enterprise_edit", args=[enterprise.external_id])
    client = client_for(carol)
    assert client.get(url).status_code == 200
    data = _form(village_a, name="老厂（新）", credit_code=enterprise.credit_code, contact_phone="")
    assert client.post(url, data).status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.name == "老厂（新）" and enterprise.contact_phone == "13800138007"


def test_it_keeps_register_and_edit_from_villages_and_other_towns(
    client_for, alice, frank, village_a
):
    enterprise = make_enterprise(village_a, "老厂")
    url = reverse("enterprises:enterprise_edit", args=[enterprise.external_id])
    assert client_for(alice).get(reverse("enterprises:enterprise_new")).status_code == 403
    assert client_for(alice).get(url).status_code == 403
    assert client_for(frank).get(url).status_code == 404
