"""GET /api/v1/tracing/cases/{id}/chain: the chain as the case page draws it, by session or
token, scoped (another village's or town's case is a 404), without ID numbers."""

import uuid

import pytest

from fangyi.core.api_auth import token_digest
from fangyi.core.models import ApiToken
from fangyi.testing import make_person
from fangyi.tracing import services
from fangyi.tracing.tests.builders import SYSTEM, make_case


def chain_url(case, hops: int | None = None) -> str:
    url = f"/api/v1/tracing/cases/{case.external_id}/chain"
    return url if hops is None else f"{url}?hops={hops}"


@pytest.fixture
def chain(village_a, village_b):
    wang = make_person(village_a, "王金水")
    li = make_person(village_a, "李娜")
    zhang = make_person(village_b, "张伟")
    case = make_case(wang)
    services.add_contact(SYSTEM, case, li, degree="close", relation="work")
    services.add_contact(SYSTEM, case, zhang, degree="secondary", relation="household", source=li)
    return {"case": case, "wang": wang, "li": li, "zhang": zhang}


def test_it_is_in_the_openapi_schema(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/tracing/cases/{external_id}/chain" in paths


def test_it_returns_the_chain_with_statuses_and_degrees(client_for, carol, chain):
    response = client_for(carol).get(chain_url(chain["case"]))
    assert response.status_code == 200
    data = response.json()
    assert data["case"]["id"] == str(chain["case"].external_id)
    assert data["case"]["classification"] == "confirmed"
    nodes = {n["name"]: n for n in data["nodes"]}
    assert set(nodes) == {"王金水", "李娜", "张伟"}
    assert nodes["王金水"] | {"id": ""} == {
        "id": "",
        "name": "王金水",
        "status": "case",
        "classification": "confirmed",
        "hop": 0,
    }
    assert nodes["张伟"]["status"] == "traced" and nodes["张伟"]["hop"] == 2
    ids = {n["name"]: n["id"] for n in data["nodes"]}
    assert sorted((e["source"], e["target"], e["degree"]) for e in data["edges"]) == sorted(
        [
            (ids["王金水"], ids["李娜"], "close"),
            (ids["李娜"], ids["张伟"], "secondary"),
        ]
    )
    text = response.content.decode()
    for person in ("wang", "li", "zhang"):
        assert chain[person].id_number not in text and chain[person].phone not in text


def test_hops_limit_the_depth_and_are_bounded(client_for, carol, chain):
    client = client_for(carol)
    one = client.get(chain_url(chain["case"], 1)).json()
    assert {n["name"] for n in one["nodes"]} == {"王金水", "李娜"}
    assert client.get(chain_url(chain["case"], 0)).status_code == 422
    assert client.get(chain_url(chain["case"], 9)).status_code == 422


def test_it_is_a_404_outside_the_jurisdiction_and_for_an_unknown_case(
    client_for, bob, frank, chain
):
    for user in (bob, frank):
        response = client_for(user).get(chain_url(chain["case"]))
        assert response.status_code == 404 and "王金水" not in response.content.decode()
    missing = f"/api/v1/tracing/cases/{uuid.uuid4()}/chain"
    assert client_for(bob).get(missing).status_code == 404


def test_it_answers_a_bearer_token_and_refuses_without_one(client, alice, chain):
    ApiToken.objects.create(user=alice, name="phone", digest=token_digest("alice-token"))
    response = client.get(chain_url(chain["case"]), HTTP_AUTHORIZATION="Bearer alice-token")
    assert response.status_code == 200 and len(response.json()["nodes"]) == 3
    assert client.get(chain_url(chain["case"])).status_code == 401


def test_a_role_without_tracing_is_refused(client_for, erin, chain):
    assert client_for(erin).get(chain_url(chain["case"])).status_code == 403
