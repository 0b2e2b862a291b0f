"""The quarantine API: a check recorded once whatever the retries, refused with reasons in the
caller's language, scoped to the caller's jurisdiction; and the team's list of what is due."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from fangyi.checkpoints.testing import make_staff
from fangyi.core.api_auth import token_digest
from fangyi.core.models import Alert, AlertKind, ApiToken
from fangyi.core.roles import Role
from fangyi.quarantine.models import CheckMethod, CheckStatus, FollowUp, OrderStatus
from fangyi.quarantine.testing import make_order, make_team
from fangyi.testing import make_person

CHECKS = "/api/v1/quarantine/checks"
DUE = "/api/v1/quarantine/due"


def bearer(user, language: str | None = "en") -> dict:
    secret = f"token-{user.username}"
    ApiToken.objects.get_or_create(
        user=user, name="phone", defaults={"digest": token_digest(secret)}
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    return headers


@pytest.fixture
def order(town, village_a, alice):
    make_team(town, village_a)
    return make_order(make_person(village_a, "王金水"), team={Role.VILLAGE_CADRE: alice})


def slot_due_now(order, minutes_ago: int = 10) -> FollowUp:
    """Given: the order's first slot due a few minutes ago, every other slot hours away."""
    now = timezone.now()
    first, *rest = order.checks.order_by("due_at")
    first.due_at = now - timedelta(minutes=minutes_ago)
    for n, check in enumerate(rest, start=1):
        check.due_at = now + timedelta(hours=3 + 8 * n)
    FollowUp.objects.bulk_update([first, *rest], ["due_at"])
    return first


def body(for_order, check, **values) -> dict:
    data = {
        "client_id": str(uuid.uuid4()),
        "order": str(for_order.external_id),
        "day": check.day,
        "slot": check.slot,
        "temperature": "36.5",
        "symptoms": [],
        "method": "door",
    }
    return data | values


def post(client, data, headers):
    return client.post(CHECKS, data, content_type="application/json", **headers)


def problems(response) -> dict[str, dict]:
    assert response.json()["status"] == "rejected"
    return {p["field"]: p for p in response.json()["problems"]}


def test_it_publishes_the_endpoints_in_the_openapi_schema(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert {CHECKS, DUE} <= set(schema["paths"])
    assert schema["paths"][CHECKS]["post"]["tags"] == ["quarantine"]


def test_it_records_once_and_answers_a_retry_as_duplicate(client, order, alice):
    check = slot_due_now(order)
    data = body(order, check, temperature=36.5, note="门口测")

    first = post(client, data, bearer(alice))
    retry = post(client, data | {"temperature": "39.0"}, bearer(alice))

    assert first.status_code == 201
    created = first.json()
    assert created["status"] == "created"
    assert created["check"]["client_id"] == data["client_id"]
    assert created["check"]["order"] == str(order.external_id)
    assert (created["check"]["day"], created["check"]["slot"]) == (check.day, check.slot)
    assert created["check"]["temperature"] == "36.5"
    assert created["check"]["status"] == CheckStatus.DONE
    assert created["check"]["method"] == CheckMethod.DOOR
    assert created["check"]["checked_by"] == "李爱丽"
    assert created["check"]["fever"] is False
    assert retry.status_code == 200
    assert retry.json()["status"] == "duplicate"
    assert retry.json()["check"] == created["check"]  # nothing changed: still 36.5
    check.refresh_from_db()
    assert (str(check.temperature), check.note, check.checked_by) == ("36.5", "门口测", alice)
    assert FollowUp.objects.filter(status=CheckStatus.DONE).count() == 1
    assert not Alert.objects.exists()


def test_it_alerts_the_town_for_a_fever(client, order, alice, village_a):
    check = slot_due_now(order)

    response = post(client, body(order, check, temperature="38.1", method="phone"), bearer(alice))

    assert response.status_code == 201 and response.json()["check"]["fever"] is True
    assert Alert.objects.get().kind == AlertKind.FEVER


def test_it_suggests_37_3_for_373_and_stores_nothing(client, order, alice):
    check = slot_due_now(order)

    response = post(client, body(order, check, temperature=373), bearer(alice))

    assert response.status_code == 422
    problem = problems(response)["temperature"]
    assert "did you mean 37.3" in problem["message"]
    assert problem["suggestion"] == "37.3"
    check.refresh_from_db()
    assert (check.status, check.temperature, check.client_id) == (CheckStatus.PENDING, None, None)


def test_it_explains_in_chinese_without_an_accept_language(client, order, alice):
    check = slot_due_now(order)

    response = post(client, body(order, check, temperature="373"), bearer(alice, language=None))

    assert "不可能" in problems(response)["temperature"]["message"]


def test_it_names_each_bad_field(client, order, alice):
    check = slot_due_now(order)
    headers = bearer(alice)
    cases = {
        "client_id": body(order, check, client_id="not-a-uuid"),
        "method": body(order, check, method="self_report"),
        "slot": body(order, check, day=99),
        "symptoms": body(order, check, symptoms=["头疼得厉害"]),
        "temperature": body(order, check, temperature=""),
    }
    for field, data in cases.items():
        response = post(client, data, headers)
        assert response.status_code == 422, field
        assert field in problems(response), response.json()
    assert not FollowUp.objects.filter(status=CheckStatus.DONE).exists()


def test_it_refuses_a_future_slot(client, order, alice):
    slot_due_now(order)
    later = order.checks.order_by("-due_at").first()

    response = post(client, body(order, later), bearer(alice))

    assert response.status_code == 422
    assert "not due yet" in problems(response)["check"]["message"]
    later.refresh_from_db()
    assert later.status == CheckStatus.PENDING


def test_it_refuses_a_check_for_a_released_order(client, order, alice):
    check = slot_due_now(order)
    order.status, order.ended_at = OrderStatus.RELEASED, timezone.now()
    order.save(update_fields=["status", "ended_at"])

    response = post(client, body(order, check), bearer(alice))

    assert response.status_code == 422
    assert "no more checks are recorded" in problems(response)["order"]["message"]


def test_it_refuses_an_id_used_for_another_orders_check(client, order, alice, village_a):
    check = slot_due_now(order)
    other = make_order(make_person(village_a, "李四"))
    other_check = slot_due_now(other)
    data = body(order, check)
    post(client, data, bearer(alice))

    response = post(client, body(other, other_check, client_id=data["client_id"]), bearer(alice))

    assert response.status_code == 422 and "client_id" in problems(response)
    other_check.refresh_from_db()
    assert other_check.status == CheckStatus.PENDING


def test_it_answers_404_for_another_villages_order_or_an_unknown_one(client, order, bob):
    check = slot_due_now(order)
    headers = bearer(bob)

    for data in (
        body(order, check),
        body(order, check, order=str(uuid.uuid4())),
        body(order, check, order="nonsense"),
    ):
        response = post(client, data, headers)
        assert response.status_code == 404, data["order"]
        assert "王金水" not in response.content.decode()
    check.refresh_from_db()
    assert check.status == CheckStatus.PENDING


def test_it_answers_403_to_a_role_that_may_not_record(client, order, dave, village_a):
    check = slot_due_now(order)
    staff = make_staff("gatekeeper", village_a)

    for user in (dave, staff):
        assert post(client, body(order, check), bearer(user)).status_code == 403
    assert post(client, body(order, check), {}).status_code == 401
    check.refresh_from_db()
    assert check.status == CheckStatus.PENDING


def test_it_lets_the_town_record_for_any_of_its_villages(client, order, carol):
    check = slot_due_now(order)

    assert post(client, body(order, check), bearer(carol)).status_code == 201


# Due now -------------------------------------------------------------------------------------


def test_it_lists_what_the_users_team_must_do(client, order, alice, bob):
    check = slot_due_now(order)

    response = client.get(DUE, **bearer(alice))

    assert response.status_code == 200
    [card] = response.json()
    assert card["order"] == str(order.external_id)
    assert (card["name"], card["day_number"], card["days"]) == ("王金水", 1, 14)
    assert "*" in card["phone"]
    assert card["overdue"] is False
    first = card["slots"][0]
    assert (first["day"], first["slot"], first["state"]) == (check.day, check.slot, "due")
    assert client.get(DUE, **bearer(bob)).json() == []  # not on that team


def test_it_shows_a_missed_slot_first_and_as_missed(client, order, alice, village_a):
    slot_due_now(order)
    late = make_order(make_person(village_a, "李四"), team={Role.VILLAGE_CADRE: alice})
    slot_due_now(late, minutes_ago=180)

    cards = client.get(DUE, **bearer(alice)).json()

    assert [c["name"] for c in cards] == ["李四", "王金水"]
    assert cards[0]["overdue"] is True and cards[0]["slots"][0]["state"] == "missed"


def test_it_reads_the_list_as_of_another_date(client, order, alice):
    slot_due_now(order)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.get(f"{DUE}?date={tomorrow.isoformat()}", **bearer(alice))

    [card] = response.json()
    assert card["day_number"] == 2
    assert client.get(f"{DUE}?date=2001-01-01", **bearer(alice)).status_code == 422
    assert client.get(f"{DUE}?date=tomorrow", **bearer(alice)).status_code == 422


def test_it_answers_403_to_a_role_without_quarantine_access(client, order, village_a):
    staff = make_staff("gatekeeper", village_a)
    assert client.get(DUE, **bearer(staff)).status_code == 403
    assert client.get(DUE).status_code == 401


def test_it_reads_the_list_in_a_fixed_number_of_queries(
    client, order, alice, village_a, django_assert_max_num_queries
):
    for name in ("李四", "赵五", "钱六", "孙七"):
        slot_due_now(make_order(make_person(village_a, name), team={Role.VILLAGE_CADRE: alice}))
    headers = bearer(alice)
    client.get(DUE, **headers)  # the token and the permissions are cached from here

    with django_assert_max_num_queries(4):
        response = client.get(DUE, **headers)

    assert len(response.json()) == 5
