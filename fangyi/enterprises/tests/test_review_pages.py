"""The town's review pages: the queue (oldest first, flagged counts, "to the county"), a filing's
review page (employees flagged first, masked, revealed with core.reveal_identity and audited),
an on-site inspection, approve / reject with reasons / forward, and the county's decision."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.core.identity import mask_id_number
from fangyi.core.models import AuditAction, AuditEntry
from fangyi.core.roles import Role
from fangyi.enterprises import services
from fangyi.enterprises.models import EnterpriseSize, FilingStatus
from fangyi.enterprises.tests.test_filing_pages import (
    SYSTEM,
    complete_filing,
    filing_url,
    good_rows,
    make_enterprise,
)
from fangyi.quarantine.testing import make_order
from fangyi.testing import make_person, make_user, unique_id_number

pytestmark = pytest.mark.django_db


def submitted(village, name, rows=None, **values):
    enterprise = make_enterprise(village, name, **values)
    filing = complete_filing(enterprise, rows=rows)
    services.submit_filing(SYSTEM, filing)
    filing.refresh_from_db()
    return filing


def _inspect(client, filing, passed="yes"):
    return client.post(
        filing_url(filing, "inspect"),
        {
            "inspected_on": timezone.localdate().isoformat(),
            "inspectors": "镇工作组 陈可",
            "findings": "测温点、隔离室已设",
            "passed": passed,
        },
    )


def test_it_lists_the_queue_oldest_first_with_flags_and_sizes(
    client_for, carol, village_a, village_b, django_assert_max_num_queries
):
    first = submitted(village_a, "东村纸箱厂")
    person = make_person(village_a, "钱隔离", id_number=unique_id_number())
    make_order(person, start_date=timezone.localdate() - timedelta(days=1))
    rows = [*good_rows(1), ("钱隔离", person.id_number, "13900001111", "东村", "本地", "健康")]
    second = submitted(village_b, "西村电子厂", size=EnterpriseSize.LARGE, rows=rows)
    services.start_filing(SYSTEM, make_enterprise(village_a, "还在草稿厂"))
    client = client_for(carol)
    with django_assert_max_num_queries(9):
        page = client.get(reverse("enterprises:queue"))
    body = page.content.decode()
    assert page.status_code == 200
    assert body.index("东村纸箱厂") < body.index("西村电子厂")
    assert "还在草稿厂" not in body
    assert "to the county" in body and "1 flagged" in body
    assert str(second.external_id) in body and str(first.external_id) in body


def test_it_keeps_the_review_from_village_cadres_and_contacts(client_for, alice, village_a):
    zhou = make_user("zhou", Role.ENTERPRISE_CONTACT, village_a, "周经理")
    filing = submitted(village_a, "东村纸箱厂", contacts=[zhou])
    for user in (alice, zhou):
        client = client_for(user)
        assert client.get(reverse("enterprises:queue")).status_code == 403
        assert client.get(filing_url(filing, "review")).status_code == 403
        assert client.post(filing_url(filing, "decide"), {"decision": "approve"}).status_code == 403
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED


def test_it_shows_employees_flagged_first_and_masked_and_reveals_with_audit(
    client_for, carol, village_a, django_assert_max_num_queries
):
    person = make_person(village_a, "钱隔离", id_number=unique_id_number())
    make_order(person, start_date=timezone.localdate() - timedelta(days=1))
    rows = [*good_rows(3), ("钱隔离", person.id_number, "13900001111", "东村", "本地", "健康")]
    filing = submitted(village_a, "东村纸箱厂", rows=rows)
    client = client_for(carol)
    with django_assert_max_num_queries(11):
        page = client.get(filing_url(filing, "review"))
    body = page.content.decode()
    assert page.status_code == 200
    assert body.index("钱隔离") < body.index("员工0")  # flagged first
    assert mask_id_number(person.id_number) in body and person.id_number not in body
    assert "Show full" in body

    flagged = filing.employees.get(flagged=True)
    url = reverse("enterprises:employee_reveal", args=[filing.external_id, flagged.pk, "id_number"])
    response = client.post(url)
    assert response.status_code == 200 and person.id_number in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    assert entry.actor == carol and entry.object_type == "enterprises.employee"
    assert client.post(url.replace("id_number", "home_address")).status_code == 404


def test_it_refuses_reveal_to_roles_without_it_and_other_towns(client_for, frank, village_a, dave):
    filing = submitted(village_a, "东村纸箱厂")
    employee = filing.employees.first()
    url = reverse("enterprises:employee_reveal", args=[filing.external_id, employee.pk, "phone"])
    assert client_for(frank).get(filing_url(filing, "review")).status_code == 404
    assert client_for(frank).post(url).status_code == 404
    assert client_for(dave).post(url).status_code == 403  # the auditor cannot review or reveal
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_it_inspects_and_approves_a_small_firm(client_for, carol, village_a):
    filing = submitted(village_a, "东村纸箱厂")
    client = client_for(carol)
    # Approving before the inspection is refused with the service's reason.
    early = client.post(filing_url(filing, "decide"), {"decision": "approve"})
    assert early.status_code == 422
    assert "record the on-site inspection before approving" in early.content.decode()

    bad = client.post(filing_url(filing, "inspect"), {"inspected_on": "", "passed": "yes"})
    assert bad.status_code == 422 and 'data-field="inspectors"' in bad.content.decode()
    assert _inspect(client, filing).status_code == 302
    assert filing.inspections.count() == 1

    response = client.post(filing_url(filing, "decide"), {"decision": "approve", "reasons": ""})
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED
    assert 'id="decide"' not in client.get(filing_url(filing, "review")).content.decode()


def test_it_refuses_a_rejection_without_reasons(client_for, carol, village_a):
    filing = submitted(village_a, "东村纸箱厂")
    client = client_for(carol)
    response = client.post(filing_url(filing, "decide"), {"decision": "reject", "reasons": "  "})
    assert response.status_code == 422
    assert "say why the filing is rejected" in response.content.decode()
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED

    response = client.post(
        filing_url(filing, "decide"), {"decision": "reject", "reasons": "应急预案缺少联系人"}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.REJECTED
    assert filing.decision_reason == "应急预案缺少联系人"


def test_it_forwards_a_large_firm_and_the_county_decides(client_for, carol, county, village_a):
    filing = submitted(village_a, "东村电子厂", size=EnterpriseSize.LARGE, staff_count=120)
    client = client_for(carol)
    body = client.get(filing_url(filing, "review")).content.decode()
    assert 'id="forward"' in body and 'id="approve"' not in body
    assert client.post(filing_url(filing, "decide"), {"decision": "forward"}).status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.FORWARDED
    # The town waits for the county: no decision buttons, listed "with the county".
    assert 'id="decide"' not in client.get(filing_url(filing, "review")).content.decode()
    assert 'id="with-county"' in client.get(reverse("enterprises:queue")).content.decode()

    commander = make_user("gao", Role.COUNTY_COMMANDER, county, "高县长")
    county_client = client_for(commander)
    queue = county_client.get(reverse("enterprises:queue")).content.decode()
    assert "东村电子厂" in queue
    response = county_client.post(
        filing_url(filing, "decide"), {"decision": "approve", "reasons": "同意复工"}
    )
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED and filing.decided_by == commander


def test_it_refuses_the_town_forwarding_a_small_firm(client_for, carol, village_a):
    filing = submitted(village_a, "东村纸箱厂")
    response = client_for(carol).post(filing_url(filing, "decide"), {"decision": "forward"})
    assert response.status_code == 422
    assert "decided by the town" in response.content.decode()


def test_it_refuses_an_unknown_decision(client_for, carol, village_a):
    filing = submitted(village_a, "东村纸箱厂")
    response = client_for(carol).post(filing_url(filing, "decide"), {"decision": "delete"})
    assert response.status_code == 422
    filing.refresh_from_db()
    assert filing.status == FilingStatus.SUBMITTED


def test_it_lets_another_town_see_nothing(client_for, frank, village_a):
    filing = submitted(village_a, "东村纸箱厂")
    client = client_for(frank)
    assert "东村纸箱厂" not in client.get(reverse("enterprises:queue")).content.decode()
    for name in ("review", "inspect", "decide"):
        method = client.get if name == "review" else client.post
        assert method(filing_url(filing, name)).status_code == 404, name
