from fangyi.core.models import AuditAction, AuditEntry, Person
from fangyi.testing import make_person


def test_it_publishes_the_openapi_schema(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/people" in schema["paths"]
    assert "/api/v1/people/{person_id}/reveal" in schema["paths"]


def test_it_lists_people_masked(client, alice, village_a):
    person = make_person(village_a, "王金水")
    client.force_login(alice)
    item = client.get("/api/v1/people", {"q": "wjs"}).json()["items"][0]
    assert (item["name"], item["id_number"], item["phone"]) == (
        "王金水",
        person.id_number_masked,
        person.phone_masked,
    )


def test_it_reveals_through_the_api_and_audits_it(client, alice, village_a):
    person = make_person(village_a)
    client.force_login(alice)
    response = client.post(
        f"/api/v1/people/{person.external_id}/reveal",
        {"field": "phone"},
        content_type="application/json",
    )
    assert response.json() == {"field": "phone", "value": person.phone}
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL, actor=alice).count() == 1


def test_it_refuses_reveal_to_the_auditor_with_403(client, dave, village_a):
    person = make_person(village_a)
    client.force_login(dave)
    response = client.post(
        f"/api/v1/people/{person.external_id}/reveal",
        {"field": "phone"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert person.phone not in response.content.decode()


def test_it_creates_a_person_or_names_every_bad_field(client, alice, village_a, village_b):
    client.force_login(alice)
    bad = client.post(
        "/api/v1/people",
        {"name": "", "jurisdiction_code": village_a.code, "id_number": "123", "phone": "12"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert set(bad.json()["detail"]) == {"name", "id_number", "phone"}
    outside = client.post(
        "/api/v1/people",
        {"name": "刘小红", "jurisdiction_code": village_b.code},
        content_type="application/json",
    )
    assert outside.status_code == 403
    good = client.post(
        "/api/v1/people",
        {"name": "刘小红", "jurisdiction_code": village_a.code, "phone": "13800138000"},
        content_type="application/json",
    )
    assert good.status_code == 201 and good.json()["phone"] == "138****8000"
    assert Person.objects.count() == 1
