"""Filings and daily temperatures over the JSON API: scoped, masked, validated."""

import pytest
from django.utils import timezone

from fangyi.core.audit import Actor
from fangyi.enterprises import services
from fangyi.enterprises.models import TemperatureSummary
from fangyi.enterprises.testing import filing_ready_to_submit, roster_row
from fangyi.quarantine.testing import make_order
from fangyi.testing import make_person, unique_id_number


def post(client, url: str, body: dict):
    return client.post(url, body, content_type="application/json")


@pytest.fixture
def filed(zhou, carol, factory, tmp_path, village_a):
    """青山机械厂 (东村) submitted with 3 employees, one in home quarantine."""
    person = make_person(village_a, "王金水")
    make_order(person)
    rows = [
        roster_row("王金水", person.id_number),
        *[roster_row(f"员工{i}", unique_id_number()) for i in range(2)],
    ]
    filing = filing_ready_to_submit(Actor(user=zhou), factory, tmp_path, rows)
    return services.submit_filing(Actor(user=zhou), filing)


@pytest.fixture
def approved(carol, filed):
    services.record_inspection(
        Actor(user=carol),
        filed,
        inspected_on=timezone.localdate(),
        inspectors="刘镇干",
        findings="合格",
        passed=True,
    )
    return services.approve_filing(Actor(user=carol), filed)


def test_it_publishes_the_enterprise_paths(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/enterprises/filings",
        "/api/v1/enterprises/filings/{filing_id}",
        "/api/v1/enterprises/{enterprise_id}/temperatures",
    ):
        assert path in paths, path


def test_it_lists_the_filings_a_user_may_see(
    client_for, zhou, wu, alice, bob, carol, frank, filed, django_assert_max_num_queries
):
    for user, expected in ((zhou, 1), (alice, 1), (carol, 1), (wu, 0), (bob, 0), (frank, 0)):
        client = client_for(user)
        with django_assert_max_num_queries(8):
            body = client.get("/api/v1/enterprises/filings").json()
        assert body["count"] == expected, user.username
    item = client_for(carol).get("/api/v1/enterprises/filings").json()["items"][0]
    assert item["status"] == "submitted" and item["flagged_count"] == 1
    assert item["enterprise_name"] == "青山机械厂" and item["employee_count"] == 3


def test_it_filters_filings_by_status(client_for, carol, filed):
    client = client_for(carol)
    assert client.get("/api/v1/enterprises/filings?status=draft").json()["count"] == 0
    assert client.get("/api/v1/enterprises/filings?status=draft,submitted").json()["count"] == 1


def test_it_shows_a_filing_with_its_flagged_employees_masked(client_for, carol, filed):
    response = client_for(carol).get(f"/api/v1/enterprises/filings/{filed.external_id}")
    assert response.status_code == 200
    body = response.json()
    assert [e["name"] for e in body["flagged_employees"]] == ["王金水"]
    employee = filed.employees.get(name="王金水")
    shown = body["flagged_employees"][0]
    assert shown["id_number"] == employee.id_number_masked != employee.id_number
    assert shown["flags"][0]["kind"] == "quarantine"
    assert employee.id_number not in response.content.decode()
    assert body["events"][0]["message"] == "submitted to the town"


def test_it_hides_another_villages_filing(client_for, bob, wu, frank, filed):
    for user in (bob, wu, frank):
        response = client_for(user).get(f"/api/v1/enterprises/filings/{filed.external_id}")
        assert response.status_code == 404, user.username


def test_it_refuses_roles_without_enterprise_access(client_for, erin, filed):
    assert client_for(erin).get("/api/v1/enterprises/filings").status_code == 403


def test_it_takes_the_daily_temperature_summary(client_for, zhou, factory, approved):
    url = f"/api/v1/enterprises/{factory.external_id}/temperatures"
    day = timezone.localdate().isoformat()
    response = post(client_for(zhou), url, {"day": day, "checked": 38, "fever": 0, "absent": 2})
    assert response.status_code == 201, response.content
    assert response.json()["checked"] == 38
    again = post(client_for(zhou), url, {"day": day, "checked": 40, "fever": 1})
    assert again.status_code == 201
    assert TemperatureSummary.objects.get().checked == 40


def test_it_refuses_an_impossible_summary_naming_the_fields(client_for, zhou, factory, approved):
    url = f"/api/v1/enterprises/{factory.external_id}/temperatures"
    response = post(
        client_for(zhou), url, {"day": timezone.localdate().isoformat(), "checked": 3, "fever": 5}
    )
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["problems"]] == ["fever"]
    assert not TemperatureSummary.objects.exists()


def test_it_refuses_temperatures_before_approval(client_for, zhou, factory, filed):
    url = f"/api/v1/enterprises/{factory.external_id}/temperatures"
    response = post(
        client_for(zhou), url, {"day": timezone.localdate().isoformat(), "checked": 3, "fever": 0}
    )
    assert response.status_code == 422


def test_it_hides_another_companys_enterprise_and_refuses_readers(
    client_for, wu, alice, factory, approved
):
    url = f"/api/v1/enterprises/{factory.external_id}/temperatures"
    body = {"day": timezone.localdate().isoformat(), "checked": 3, "fever": 0}
    assert post(client_for(wu), url, body).status_code == 404
    assert post(client_for(alice), url, body).status_code == 403
