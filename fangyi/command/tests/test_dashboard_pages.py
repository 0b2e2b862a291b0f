"""The command dashboard page, its live partial and its API, on the known dataset of
test_rollup_figures: scoped to the user's jurisdiction, figures read from the rollups."""

import re

import pytest

from fangyi.command import rollups
from fangyi.command import testing as build
from fangyi.command.selectors import figures_for
from fangyi.core.roles import Role
from fangyi.testing import create_jurisdiction, make_user


@pytest.fixture
def rolled_up(county, town, village_a, village_b):
    places = build.known_dataset(county, town, village_a, village_b)
    rollups.refresh_rollups(everything=True, now=build.at(build.D2, 20))
    return places


def test_it_shows_the_towns_figures_and_its_villages(client, carol, town, village_a, rolled_up):
    client.force_login(carol)
    response = client.get(f"/command/?j={town.code}")
    assert response.status_code == 200
    body = response.content.decode()
    assert village_a.name in body
    assert f"?j={village_a.code}" in body  # each village drills down


def test_it_drills_down_into_a_village(client, carol, village_a, rolled_up):
    client.force_login(carol)
    assert client.get(f"/command/?j={village_a.code}").status_code == 200
    assert client.get(f"/command/live/?j={village_a.code}").status_code == 200


def test_it_keeps_a_village_cadre_in_their_village(client, alice, town, village_a, village_b):
    client.force_login(alice)
    assert client.get("/command/").status_code == 200
    assert client.get(f"/command/?j={village_b.code}").status_code == 404
    assert client.get(f"/command/?j={town.code}").status_code == 404
    assert client.get("/command/?j=nonsense").status_code == 404


def test_it_stops_the_drill_down_at_the_village(client, carol, village_a, rolled_up):
    """The rollups fold a group into its village: a group's page would show only zeros."""
    group = create_jurisdiction(village_a.code + "001", "一组")
    client.force_login(carol)
    assert client.get(f"/command/?j={village_a.code}").status_code == 200
    assert client.get(f"/command/?j={group.code}").status_code == 404


def test_it_answers_the_api_with_the_rollup_figures(client, carol, town, rolled_up):
    client.force_login(carol)
    response = client.get(f"/api/v1/command/dashboard?jurisdiction={town.code}&day={build.D2}")
    assert response.status_code == 200
    data = response.json()
    expected = figures_for(town, build.D2)
    by_key = {row["key"]: row for row in data["figures"]}
    assert by_key["checkpoint.registrations"]["value"] == expected.value("checkpoint.registrations")
    assert by_key["checkpoint.registrations"]["value"] > 0
    assert by_key["alerts.open"]["value"] == expected.value("alerts.open")


def test_it_refuses_bad_api_input(client, alice, town):
    client.force_login(alice)
    assert client.get(f"/api/v1/command/dashboard?jurisdiction={town.code}").status_code in (
        403,
        404,
    )
    assert client.get("/api/v1/command/dashboard?day=2026-13-40").status_code in (400, 422)


def test_it_reads_a_constant_number_of_queries(
    client, carol, town, rolled_up, django_assert_max_num_queries
):
    client.force_login(carol)
    with django_assert_max_num_queries(30):
        assert client.get(f"/command/?j={town.code}").status_code == 200


def test_the_breadcrumb_runs_from_the_users_own_jurisdiction(
    client, carol, county, town, village_a, django_assert_max_num_queries, rolled_up
):
    from fangyi.command.views import _breadcrumb

    county_commander = make_user("gina", Role.COUNTY_COMMANDER, county, "葛娜")
    with django_assert_max_num_queries(1):
        chain = _breadcrumb(county_commander, village_a)
    assert [j.code for j in chain] == [county.code, town.code, village_a.code]
    assert [j.code for j in _breadcrumb(carol, village_a)] == [town.code, village_a.code]
    assert [j.code for j in _breadcrumb(carol, town)] == [town.code]
    client.force_login(county_commander)
    body = client.get(f"/command/?j={village_a.code}").content.decode()
    assert f"?j={county.code}" in body and f"?j={town.code}" in body


def test_the_wall_shows_fewer_columns_and_keeps_its_mode_through_the_live_refresh(
    client, carol, town, village_a, rolled_up
):
    from fangyi.command.figures import FIGURES
    from fangyi.command.views import WALL_TABLE_KEYS

    client.force_login(carol)
    wall = client.get(f"/command/?j={town.code}&wall=1").content.decode()
    shown = re.findall(r'<th data-sort="([^"]+)"', wall)
    assert set(shown) == {f.key for f in FIGURES if f.problem} | WALL_TABLE_KEYS
    desk = client.get(f"/command/?j={town.code}").content.decode()
    assert '<th data-sort="enterprises.approved"' in desk  # a level with a value today
    assert "enterprises.approved" not in shown
    assert f'hx-get="/command/live/?j={town.code}&amp;wall=1"' in wall
    live = client.get(f"/command/live/?j={town.code}&wall=1").content.decode()
    assert f"?j={village_a.code}&wall=1" in live  # a drill-down stays on the wall
