"""GET /api/v1/command/briefings and /briefings/{id}: the briefings within the user's reach as
stored, a 404 that does not tell another town's briefing from none, a 403 for a role without
the briefings, a 422 for a malformed day."""

from datetime import timedelta

import pytest

from fangyi.command import services
from fangyi.command import testing as build
from fangyi.core.audit import Actor

URL = "/api/v1/command/briefings"
NOW = build.at(build.D2 + timedelta(days=1), 7)


@pytest.fixture
def briefings(county, town, other_town, village_a, village_b, carol, frank):
    build.known_dataset(county, town, village_a, village_b)
    first = services.generate_briefing(Actor(carol), town, build.D1, now=NOW)
    services.save_notes(Actor(carol), first, "已逐村回访")
    services.publish_briefing(Actor(carol), first)
    second = services.generate_briefing(Actor(carol), town, build.D2, now=NOW, refresh=False)
    elsewhere = services.generate_briefing(
        Actor(frank), other_town, build.D2, now=NOW, refresh=False
    )
    return {"first": first, "second": second, "elsewhere": elsewhere}


def get(client, user, path="", **params):
    client.force_login(user)
    return client.get(URL + path, params, HTTP_ACCEPT_LANGUAGE="en")


def test_it_lists_the_briefings_in_reach_newest_first(client, carol, town, briefings):
    response = get(client, carol)
    assert response.status_code == 200
    rows = response.json()
    assert [row["id"] for row in rows] == [briefings["second"].pk, briefings["first"].pk]
    assert rows[1]["status"] == "published" and rows[1]["published_at"]
    assert rows[0]["jurisdiction_code"] == town.code and rows[0]["day"] == build.D2.isoformat()
    assert "content" not in rows[0]
    only = get(client, carol, day=build.D1.isoformat()).json()
    assert [row["id"] for row in only] == [briefings["first"].pk]
    assert get(client, carol, jurisdiction="999999").json() == []
    assert len(get(client, carol, limit=1).json()) == 1


def test_it_gives_a_briefing_as_stored(client, carol, briefings):
    first = briefings["first"]
    response = get(client, carol, f"/{first.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["commander_notes"] == "已逐村回访"
    assert data["content"] == first.content
    figures = {row["key"]: row for row in data["content"]["figures"]}
    assert figures["checkpoint.registrations"]["value"] > 0


def test_it_answers_another_towns_briefing_as_unknown(client, carol, briefings):
    other = get(client, carol, f"/{briefings['elsewhere'].pk}")
    unknown = get(client, carol, "/999999")
    assert other.status_code == unknown.status_code == 404
    assert other.json() == unknown.json()
    assert briefings["elsewhere"].pk not in [row["id"] for row in get(client, carol).json()]


def test_it_refuses_a_role_without_the_briefings(client, erin, briefings):
    assert get(client, erin).status_code == 403
    assert get(client, erin, f"/{briefings['first'].pk}").status_code == 403


def test_a_village_cadre_sees_no_town_briefing(client, alice, briefings):
    """Briefings are written for towns and counties: none is within a village."""
    assert get(client, alice).json() == []
    assert get(client, alice, f"/{briefings['first'].pk}").status_code == 404


def test_it_refuses_a_malformed_day(client, carol, briefings):
    response = get(client, carol, day="2026-13-01")
    assert response.status_code == 422
    assert "YYYY-MM-DD" in response.json()["detail"]
