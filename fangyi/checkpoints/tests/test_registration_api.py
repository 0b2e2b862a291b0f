"""The registration API: one registration or a batch, idempotent by UUID, scoped, masked."""

import uuid

import pytest

from fangyi.checkpoints import services
from fangyi.checkpoints.models import Registration
from fangyi.checkpoints.testing import make_checkpoint, make_staff
from fangyi.core.api_auth import token_digest
from fangyi.core.models import ApiToken
from fangyi.testing import unique_id_number

REGISTRATIONS = "/api/v1/checkpoints/registrations"
BATCH = "/api/v1/checkpoints/registrations/batch"


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, "东村村口")


@pytest.fixture
def staff(village_a):
    return make_staff("gatekeeper", village_a)


@pytest.fixture
def token(staff):
    ApiToken.objects.create(user=staff, name="phone", digest=token_digest("staff-token"))
    return {"HTTP_AUTHORIZATION": "Bearer staff-token", "HTTP_ACCEPT_LANGUAGE": "en"}


def car(checkpoint, **values) -> dict:
    data = {
        "id": str(uuid.uuid4()),
        "checkpoint": checkpoint.code,
        "direction": "in",
        "plate": "皖R12345",
        "result": "passed",
        "passengers": [
            {"name": "赵四", "id_number": unique_id_number(), "temperature": 36.5},
            {"name": "赵五", "phone": "13900001111", "temperature": "36.7"},
        ],
    }
    data.update(values)
    return data


def post(client, url, body, headers):
    return client.post(url, body, content_type="application/json", **headers)


def test_it_publishes_the_checkpoint_endpoints_in_the_openapi_schema(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {REGISTRATIONS, BATCH, "/api/v1/checkpoints"} <= set(paths)
    assert "/api/v1/checkpoints/self-registrations/{code}" in paths


def test_it_creates_once_and_answers_a_retry_as_duplicate(client, gate, token):
    body = car(gate)
    first = post(client, REGISTRATIONS, body, token)
    retry = post(client, REGISTRATIONS, body, token)
    assert first.status_code == 201 and first.json()["status"] == "created"
    assert retry.status_code == 200 and retry.json()["status"] == "duplicate"
    assert Registration.objects.count() == 1
    assert Registration.objects.get().passengers.count() == 2


def test_it_answers_422_with_each_problem_and_stores_nothing(client, gate, token):
    body = car(gate, plate="皖R1234")
    body["passengers"][0]["temperature"] = "373"
    response = post(client, REGISTRATIONS, body, token)
    assert response.status_code == 422
    problems = {p["field"]: p for p in response.json()["problems"]}
    assert set(problems) == {"plate", "passengers.0.temperature"}
    assert problems["passengers.0.temperature"]["suggestion"] == "37.3"
    assert not Registration.objects.exists()


def test_it_lands_a_batchs_good_rows_and_answers_each_by_id(client, gate, token):
    good, bad = car(gate), car(gate, direction="")
    response = post(client, BATCH, {"registrations": [good, bad, {"junk": True}]}, token)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["id"], r["status"]) for r in results[:2]] == [
        (good["id"], "created"),
        (bad["id"], "rejected"),
    ]
    assert results[1]["problems"][0]["field"] == "direction"
    assert results[2]["status"] == "rejected"
    replay = post(client, BATCH, {"registrations": [good, good]}, token).json()["results"]
    assert [r["status"] for r in replay] == ["duplicate", "duplicate"]
    assert Registration.objects.count() == 1


def test_it_refuses_an_oversized_batch_whole(client, gate, token):
    body = {"registrations": [car(gate) for _ in range(services.MAX_BATCH + 1)]}
    response = post(client, BATCH, body, token)
    assert response.status_code == 422 and "at most" in response.json()["detail"]
    assert not Registration.objects.exists()


def test_it_needs_authentication_and_the_right_role(client, gate, erin):
    assert post(client, REGISTRATIONS, car(gate), {}).status_code == 401
    client.force_login(erin)  # a volunteer
    assert post(client, REGISTRATIONS, car(gate), {}).status_code == 403
    assert not Registration.objects.exists()


def test_it_treats_another_villages_checkpoint_as_unknown(client, village_b, token):
    elsewhere = make_checkpoint(village_b, "西村村口")
    response = post(client, REGISTRATIONS, car(elsewhere), token)
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "checkpoint"


def test_it_lists_registrations_in_scope_masked(client, gate, village_b, token, bob):
    number = unique_id_number()
    body = car(gate)
    body["passengers"][0]["id_number"] = number
    post(client, REGISTRATIONS, body, token)
    items = client.get(REGISTRATIONS, **token).json()["items"]
    assert [i["plate"] for i in items] == ["皖R·12345"]
    assert items[0]["passengers"][0]["id_number"] == f"{number[:4]}{'*' * 10}{number[-4:]}"
    assert number not in client.get(REGISTRATIONS, **token).content.decode()
    client.force_login(bob)  # 西村's cadre sees none of 东村's
    assert client.get(REGISTRATIONS).json()["items"] == []


def test_it_lists_the_checkpoints_a_user_may_register_at(client, gate, village_b, token):
    make_checkpoint(village_b, "西村村口")
    listed = client.get("/api/v1/checkpoints", **token).json()
    assert [c["name"] for c in listed] == ["东村村口"]


def test_it_shows_a_self_registration_to_staff_of_the_same_town_only(
    client, gate, token, frank, other_town_village
):
    number = unique_id_number()
    own = services.submit_self_registration(
        gate,
        {
            "name": "钱旅",
            "id_number": number,
            "phone": "13900003333",
            "from_place": "孝感市",
            "transport": "rail",
        },
    )
    url = f"/api/v1/checkpoints/self-registrations/{own.code.lower()}"
    found = client.get(url, **token).json()
    assert found["name"] == "钱旅" and found["usable"] and not found["used"]
    assert found["id_number"] != number and number[-4:] in found["id_number"]
    make_staff("elsewhere", other_town_village)
    client.force_login(frank)  # another town's commander (may not register here)
    assert client.get(url).status_code in (403, 404)
    other_staff = make_staff("elsewhere2", other_town_village)
    client.force_login(other_staff)
    assert client.get(url).status_code == 404


def test_it_costs_the_same_queries_for_a_full_car_as_for_one_person(client, gate, token):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count: int) -> int:
        body = car(gate)
        body["passengers"] = [
            {"name": f"乘客{n}", "id_number": unique_id_number(), "temperature": "36.6"}
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            assert post(client, REGISTRATIONS, body, token).status_code == 201
        return len(captured)

    queries_for(1)  # warm: the disease profile is read once per process
    one, seven = queries_for(1), queries_for(7)
    assert one == seven and one <= 10
