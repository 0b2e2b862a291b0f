"""GET /api/v1/command/dashboard on the known dataset (fangyi.command.testing), rolled up at
20:00 on its second day: the figures of the user's own jurisdiction, a 404 that does not tell
an unknown code from one out of reach, a 403 for a role without the dashboard, a 422 for a
malformed or future day."""

from datetime import timedelta

import pytest

from fangyi.command import rollups
from fangyi.command import testing as build
from fangyi.core.api_auth import token_digest
from fangyi.core.models import ApiToken
from fangyi.core.roles import Role
from fangyi.quarantine.testing import freeze_clock
from fangyi.testing import make_user

URL = "/api/v1/command/dashboard"
NOW = build.at(build.D2, 20)


@pytest.fixture
def rolled_up(monkeypatch, county, town, village_a, village_b):
    freeze_clock(monkeypatch, NOW)
    places = build.known_dataset(county, town, village_a, village_b)
    rollups.refresh_rollups(everything=True, now=NOW)
    return places


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")


def figures(response) -> dict[str, dict]:
    return {row["key"]: row for row in response.json()["figures"]}


def test_it_gives_the_figures_of_the_users_own_jurisdiction(client, carol, town, rolled_up):
    response = get(client, carol, day=build.D2.isoformat())

    assert response.status_code == 200
    body = response.json()
    assert body["jurisdiction_code"] == town.code
    assert body["day"] == build.D2.isoformat()
    by_key = figures(response)
    # Day 2 in the town: 2 people at its own checkpoint, 8 at 东村's the day before.
    people = by_key["checkpoint.people"]
    assert (people["value"], people["previous"], people["change"]) == (2, 8, -6)
    assert people["total"] == 10
    assert by_key["cases.new"]["value"] == 1
    assert by_key["contacts.close"]["value"] == 2
    assert by_key["alerts.open"]["value"] == 1
    assert by_key["alerts.open"]["total"] is None  # a snapshot has no running total
    assert by_key["ledger.new"]["value"] == 1


def test_it_defaults_to_today_and_gives_each_village_a_row(
    client, carol, town, village_a, village_b, rolled_up
):
    response = get(client, carol, jurisdiction=town.code)

    assert response.status_code == 200
    body = response.json()
    assert body["day"] == build.D2.isoformat()  # the frozen clock's local day
    rows = {row["code"]: row for row in body["children"]}
    assert set(rows) == {village_a.code, village_b.code, None}  # None: the town's own gate
    assert rows[village_b.code]["name"] == "西村"
    assert rows[village_b.code]["values"]["ledger.new"] == 1
    assert rows[None]["values"]["checkpoint.people"] == 2
    assert body["checkpoints_open"]["open"] == 2
    assert body["as_of"] is not None


def test_it_drills_down_to_a_village_below_the_user(client, carol, village_a, rolled_up):
    response = get(client, carol, jurisdiction=village_a.code, day=build.D1.isoformat())

    assert response.status_code == 200
    assert response.json()["jurisdiction_name"] == "东村"
    assert figures(response)["checkpoint.people"]["value"] == 8


def test_it_answers_an_unknown_code_and_one_out_of_reach_alike(
    client, carol, alice, other_town, village_b, rolled_up
):
    unknown = get(client, carol, jurisdiction="999901100299")
    nonsense = get(client, carol, jurisdiction="nonsense")
    elsewhere = get(client, carol, jurisdiction=other_town.code)
    above = get(client, alice, jurisdiction="999901100")
    neighbour = get(client, alice, jurisdiction=village_b.code)

    answers = [unknown, nonsense, elsewhere, above, neighbour]
    assert [r.status_code for r in answers] == [404] * 5
    assert {r.content for r in answers} == {unknown.content}
    assert unknown.json() == {"detail": "No such jurisdiction within your reach."}


def test_it_refuses_a_role_without_the_dashboard(client, erin, village_a, rolled_up):
    gate = make_user("gate", Role.CHECKPOINT_STAFF, village_a, "门卫")

    assert get(client, erin).status_code == 403
    assert get(client, gate, jurisdiction=village_a.code).status_code == 403
    # A refusal tells nothing about the code either.
    assert get(client, gate, jurisdiction="nonsense").status_code == 403


def test_it_refuses_a_malformed_day_with_a_clear_message(client, carol, rolled_up):
    for day in ("2026-13-40", "1.12.2026", "yesterday"):
        response = get(client, carol, day=day)
        assert response.status_code == 422, day
        assert response.json() == {"detail": "The day must be a date as YYYY-MM-DD."}

    client.force_login(carol)
    chinese = client.get(URL, {"day": "2026-13-40"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese.json() == {"detail": "日期格式须为 YYYY-MM-DD。"}


def test_it_refuses_a_day_in_the_future(client, carol, rolled_up):
    tomorrow = build.D2 + timedelta(days=1)

    response = get(client, carol, day=tomorrow.isoformat())

    assert response.status_code == 422
    assert response.json() == {"detail": "the day cannot be in the future"}
    assert get(client, carol, day=build.D2.isoformat()).status_code == 200


def test_it_needs_a_login_or_a_token(client, carol, town, rolled_up):
    assert client.get(URL).status_code == 401

    ApiToken.objects.create(user=carol, name="wall", digest=token_digest("wall-token"))
    response = client.get(URL, {"day": build.D2}, HTTP_AUTHORIZATION="Bearer wall-token")

    assert response.status_code == 200
    assert response.json()["jurisdiction_code"] == town.code
