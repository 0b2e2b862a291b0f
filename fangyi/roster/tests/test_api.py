"""The roster API: a staff member's upcoming shifts and check-in/out from the phone (someone
else's assignment a 404 unless the user may edit the roster; refusals a 400 with the reason),
and a roster's figures, scoped to the user's jurisdiction."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fangyi.core.api_auth import token_digest
from fangyi.core.models import ApiToken
from fangyi.quarantine.testing import freeze_clock
from fangyi.roster import services
from fangyi.roster.models import Assignment
from fangyi.roster.testing import SYSTEM, make_small_town, make_staff_member

MINE = "/api/v1/roster/mine"


def bearer(user, language: str | None = "en") -> dict:
    secret = f"token-{user.username}"
    ApiToken.objects.get_or_create(
        user=user, name="phone", defaults={"digest": token_digest(secret)}
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    return headers


def check_in_url(assignment) -> str:
    return f"/api/v1/roster/assignments/{assignment.pk}/check-in"


def check_out_url(assignment) -> str:
    return f"/api/v1/roster/assignments/{assignment.pk}/check-out"


@pytest.fixture
def small(town, village_a):
    return make_small_town(town, village_a)


@pytest.fixture
def erin_on_duty(small, erin, village_a):
    """Given: erin (a volunteer's account) on the duty list, put by hand on the village gate's
    first shift of a 3-day roster from tomorrow (00:00–08:00), beside another volunteer."""
    staff = make_staff_member(village_a, "吴尔", "volunteer", user=erin)
    roster = small.roster(timezone.localdate() + timedelta(days=1), days=3)
    shift = roster.shifts.filter(checkpoint=small.gate).order_by("starts_at").first()
    mine = services.assign_staff(SYSTEM, shift, staff)
    other = next(p for p in small.staff if p.role == "volunteer")
    services.assign_staff(SYSTEM, shift, other)
    return mine


@pytest.fixture
def published(erin_on_duty):
    services.publish_roster(SYSTEM, erin_on_duty.shift.roster)
    return erin_on_duty


def at(monkeypatch, assignment, minutes_after_start: int):
    return freeze_clock(
        monkeypatch, assignment.shift.starts_at + timedelta(minutes=minutes_after_start)
    )


def test_it_publishes_the_endpoints_in_the_openapi_schema(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert {
        MINE,
        "/api/v1/roster/assignments/{assignment_id}/check-in",
        "/api/v1/roster/assignments/{assignment_id}/check-out",
        "/api/v1/roster/{roster_id}",
    } <= set(paths)
    assert paths[MINE]["get"]["tags"] == ["roster"]


# My shifts ----------------------------------------------------------------------------------


def test_it_lists_my_upcoming_shifts_of_published_rosters_only(
    client, erin_on_duty, erin, monkeypatch
):
    at(monkeypatch, erin_on_duty, -120)  # two hours before (check-in opens 30 minutes before)
    assert client.get(MINE, **bearer(erin)).json() == []  # not published yet

    services.publish_roster(SYSTEM, erin_on_duty.shift.roster)
    rows = client.get(MINE, **bearer(erin)).json()

    assert [row["assignment"] for row in rows] == [erin_on_duty.pk]
    row = rows[0]
    assert row["checkpoint_name"] == "东村村口" and row["roster"] == erin_on_duty.shift.roster_id
    assert row["label"] == services.shift_label(erin_on_duty.shift)
    assert row["checked_in_at"] is None and row["can_check_in"] is False


def test_it_lists_nothing_for_someone_not_on_the_duty_list(client, published, alice):
    assert client.get(MINE, **bearer(alice)).json() == []


def test_it_refuses_a_window_out_of_range(client, published, erin):
    response = client.get(MINE + "?days=29", **bearer(erin))
    assert response.status_code == 422
    assert "1 to 28 days" in response.json()["detail"]


def test_it_reads_my_shifts_in_a_fixed_number_of_queries(
    client, published, erin, small, django_assert_max_num_queries
):
    roster = published.shift.roster
    later = roster.shifts.filter(checkpoint=small.gate).order_by("starts_at")[3]  # day 2
    services.assign_staff(SYSTEM, later, published.staff)
    headers = bearer(erin)
    client.get(MINE, **headers)  # the token is looked up once, then cached (5 s)

    with django_assert_max_num_queries(2):
        rows = client.get(MINE, **headers).json()

    assert len(rows) == 2


def test_it_needs_a_token(client, published):
    assert client.get(MINE).status_code == 401


# Check-in -----------------------------------------------------------------------------------


def test_it_checks_in_and_out_of_my_shift(client, monkeypatch, published, erin):
    clock = at(monkeypatch, published, 5)

    response = client.post(check_in_url(published), **bearer(erin))

    assert response.status_code == 200
    assert response.json()["checked_in_at"] is not None
    assert response.json()["can_check_out"] is True
    again = client.post(check_in_url(published), **bearer(erin))  # twice is once
    assert again.status_code == 200
    published.refresh_from_db()
    assert published.checked_in_at == published.shift.starts_at + timedelta(minutes=5)

    clock.at = published.shift.ends_at
    out = client.post(check_out_url(published), **bearer(erin))

    assert out.status_code == 200 and out.json()["checked_out_at"] is not None
    published.refresh_from_db()
    assert published.hours_worked == pytest.approx(8 - 5 / 60)


def test_it_says_why_a_check_in_is_refused(client, monkeypatch, erin_on_duty, erin):
    at(monkeypatch, erin_on_duty, 5)
    response = client.post(check_in_url(erin_on_duty), **bearer(erin))
    assert response.status_code == 400
    assert response.json()["detail"] == "this roster is not published yet"

    services.publish_roster(SYSTEM, erin_on_duty.shift.roster)
    at(monkeypatch, erin_on_duty, -120)
    early = client.post(check_in_url(erin_on_duty), **bearer(erin))
    assert early.status_code == 400
    assert "check-in opens 30 minutes before the shift" in early.json()["detail"]

    out = client.post(check_out_url(erin_on_duty), **bearer(erin))
    assert out.status_code == 400 and out.json()["detail"] == "check in first"

    at(monkeypatch, erin_on_duty, 8 * 60)
    over = client.post(check_in_url(erin_on_duty), **bearer(erin))
    assert over.status_code == 400 and over.json()["detail"] == "this shift is over"
    erin_on_duty.refresh_from_db()
    assert erin_on_duty.checked_in_at is None


def test_it_hides_someone_elses_assignment(client, monkeypatch, published, alice, bob, frank, erin):
    at(monkeypatch, published, 5)
    other = Assignment.objects.filter(shift=published.shift).exclude(pk=published.pk).get()

    for user in (erin, alice, bob, frank):  # alice sees the gate but may not edit rosters
        assert client.post(check_in_url(other), **bearer(user)).status_code == 404
    assert (
        client.post("/api/v1/roster/assignments/999999/check-in", **bearer(erin)).status_code == 404
    )
    other.refresh_from_db()
    assert other.checked_in_at is None


def test_it_lets_the_town_check_someone_in(client, monkeypatch, published, carol):
    at(monkeypatch, published, 5)

    response = client.post(check_in_url(published), **bearer(carol))

    assert response.status_code == 200
    published.refresh_from_db()
    assert published.checked_in_at is not None


# Roster figures -----------------------------------------------------------------------------


def test_it_reports_the_figures_of_the_last_solve(client, small, carol):
    roster = small.roster(timezone.localdate() + timedelta(days=1), days=3)
    services.solve_roster(SYSTEM, roster, time_limit=1)
    roster.refresh_from_db()

    body = client.get(f"/api/v1/roster/{roster.pk}", **bearer(carol)).json()

    assert body["id"] == roster.pk and body["town"] == roster.town_id
    assert body["town_name"] == "青山镇"
    assert body["starts_on"] == roster.starts_on.isoformat() and body["days"] == 3
    assert (body["status"], body["solve_state"]) == ("draft", "done")
    assert body["result"] == roster.result in ("OPTIMAL", "FEASIBLE")
    assert body["objective"] == roster.objective and body["bound"] == roster.bound
    assert body["gap"] == roster.gap
    assert body["uncovered"] == roster.uncovered
    assert body["shifts"] == roster.shifts.count()
    assert body["assignments"] == Assignment.objects.filter(shift__roster=roster).count()
    assert body["explanation"] == [{"message": e["message"]} for e in roster.explanation]


def test_it_is_a_404_outside_the_jurisdiction(client, small, frank):
    roster = small.roster(timezone.localdate() + timedelta(days=1), days=3)

    response = client.get(f"/api/v1/roster/{roster.pk}", **bearer(frank))

    assert response.status_code == 404
    assert client.get("/api/v1/roster/999999", **bearer(frank)).status_code == 404
