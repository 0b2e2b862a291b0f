"""The roster pages: the list and a new roster, one roster's figures, grid and history, the
solve's progress, publishing, and hand edits of a shift with their immediate validation."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.roster import services
from fangyi.roster.models import (
    Assignment,
    Roster,
    RosterEventKind,
    RosterStatus,
    SolveState,
)
from fangyi.roster.testing import SYSTEM, make_small_town

pytestmark = pytest.mark.django_db

LIST = reverse("roster:rosters")
CREATE = reverse("roster:roster_create")


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def small(town, village_a):
    return make_small_town(town, village_a)


@pytest.fixture
def roster(small):
    return small.roster(tomorrow(), days=3)


@pytest.fixture
def solved(roster):
    services.solve_roster(SYSTEM, roster, time_limit=1)
    roster.refresh_from_db()
    return roster


def page(roster, **query):
    url = reverse("roster:roster", kwargs={"pk": roster.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def first_shift(roster, checkpoint):
    return roster.shifts.filter(checkpoint=checkpoint).order_by("starts_at").first()


# The list and a new roster ------------------------------------------------------------------


def test_it_lists_the_towns_rosters_newest_first_with_their_state(
    client_for, carol, small, django_assert_max_num_queries
):
    older = small.roster(tomorrow(), days=2)
    newer = small.roster(tomorrow() + timedelta(days=5), days=2)
    services.solve_roster(SYSTEM, older, time_limit=1)
    client = client_for(carol)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index(f"/roster/{newer.pk}/") < body.index(f"/roster/{older.pk}/")
    assert "OPTIMAL" in body or "FEASIBLE" in body
    assert 'id="roster-form"' in body


def test_it_creates_a_roster_for_the_users_town(client_for, carol, small, town):
    response = client_for(carol).post(
        CREATE, {"starts_on": tomorrow().isoformat(), "days": 7, "min_rest_hours": 8}
    )
    roster = Roster.objects.get()
    assert response.status_code == 302
    assert response["Location"] == page(roster)
    assert roster.town_id == town.code and roster.days == 7
    assert roster.shifts.count() == 7 * (3 + 3)


@pytest.mark.parametrize("days", [0, 29])
def test_it_refuses_a_roster_of_zero_or_too_many_days_with_a_clear_reason(
    client_for, carol, small, days
):
    response = client_for(carol).post(
        CREATE, {"starts_on": tomorrow().isoformat(), "days": days, "min_rest_hours": 8}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-field="days">a roster covers 1 to 28 days' in body
    assert f'value="{days}"' in body  # what was typed is kept
    assert not Roster.objects.exists()


def test_it_refuses_days_that_overlap_another_roster(client_for, carol, roster):
    response = client_for(carol).post(
        CREATE, {"starts_on": roster.starts_on.isoformat(), "days": 2, "min_rest_hours": 8}
    )
    assert "covers some of these days" in response.content.decode()
    assert Roster.objects.count() == 1


def test_it_shows_alice_her_towns_rosters_read_only(client_for, alice, roster):
    client = client_for(alice)
    body = client.get(LIST).content.decode()
    assert f"/roster/{roster.pk}/" in body
    assert 'id="roster-form"' not in body
    detail = client.get(page(roster)).content.decode()
    assert 'id="solve-form"' not in detail and 'id="publish-form"' not in detail
    assert client.post(CREATE, {"starts_on": tomorrow().isoformat(), "days": 3}).status_code == 403


def test_it_hides_another_towns_roster_from_frank(client_for, frank, roster):
    client = client_for(frank)
    assert f"/roster/{roster.pk}/" not in client.get(LIST).content.decode()
    assert client.get(page(roster)).status_code == 404
    shift = roster.shifts.first()
    assert client.get(reverse("roster:shift", kwargs={"pk": shift.pk})).status_code == 404
    assert (
        client.post(reverse("roster:roster_publish", kwargs={"pk": roster.pk})).status_code == 404
    )


# One roster ---------------------------------------------------------------------------------


def test_it_shows_the_figures_grid_and_history_of_a_solved_roster(
    client_for, carol, small, solved, django_assert_max_num_queries
):
    client = client_for(carol)
    with django_assert_max_num_queries(12):
        response = client.get(page(solved, checkpoint=small.entrance.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert solved.result in body
    assert 'id="week-grid"' in body
    assert body.count('<td class="cell') == 3 * 3  # three days × three 8-hour shifts
    assert ">00–08<" in body and ">08–16<" in body and ">16–24<" in body
    names = {a.staff.name for a in Assignment.objects.filter(shift__checkpoint=small.entrance)}
    assert names and all(name in body for name in names)
    assert "Roster created" in body or "roster created" in body
    assert 'id="solve-form"' in body and 'id="publish-form"' in body


def test_it_marks_a_shift_short_of_people_or_of_a_role(client_for, carol, small, roster):
    body = client_for(carol).get(page(roster, checkpoint=small.entrance.pk)).content.decode()
    assert body.count("cell short") == 9  # nobody on them yet
    assert "short: police 0/1" in body


def test_it_keeps_the_grid_queries_few_for_a_long_roster(
    client_for, carol, small, django_assert_max_num_queries
):
    long = small.roster(tomorrow(), days=28)
    services.solve_roster(SYSTEM, long, time_limit=1)
    client = client_for(carol)
    with django_assert_max_num_queries(12):
        response = client.get(page(long, checkpoint=small.gate.pk, week=4))
    body = response.content.decode()
    assert body.count('<td class="cell') == 7 * 3
    assert 'id="week-picker"' in body


def test_it_shows_a_persons_week(client_for, carol, small, solved, django_assert_max_num_queries):
    person = Assignment.objects.filter(shift__roster=solved).first().staff
    client = client_for(carol)
    with django_assert_max_num_queries(12):
        body = client.get(page(solved, staff=person.pk)).content.decode()
    assert 'id="staff-week"' in body
    shifts = Assignment.objects.filter(staff=person, shift__roster=solved).count()
    assert body.count('class="staff-shift"') == shifts


def test_it_shows_alice_only_her_villages_checkpoints(client_for, alice, small, solved):
    client = client_for(alice)
    body = client.get(page(solved)).content.decode()
    assert small.gate.name in body and small.entrance.name not in body
    assert client.get(page(solved, checkpoint=small.entrance.pk)).status_code == 404
    police = next(s for s in small.staff if s.role == "police")
    assert client.get(page(solved, staff=police.pk)).status_code == 404


def test_it_shows_the_explanation_when_the_roster_cannot_be_met(client_for, carol, small, roster):
    for person in small.staff:
        if person.role == "police":
            services.remove_staff(SYSTEM, person)
    services.solve_roster(SYSTEM, roster, time_limit=1)
    roster.refresh_from_db()
    assert roster.explanation
    body = client_for(carol).get(page(roster)).content.decode()
    assert 'id="explanation"' in body
    assert roster.explanation[0]["message"] in body


def test_it_queues_a_solve_and_the_progress_box_polls_until_done(client_for, carol, roster):
    client = client_for(carol)
    response = client.post(
        reverse("roster:roster_solve", kwargs={"pk": roster.pk}), {"time_limit": 5}
    )
    assert response.status_code == 302
    roster.refresh_from_db()
    assert roster.solve_state == SolveState.QUEUED
    body = client.get(page(roster)).content.decode()
    assert 'id="solve-progress"' in body and 'hx-trigger="every 1s"' in body
    progress = reverse("roster:roster_progress", kwargs={"pk": roster.pk})
    polled = client.get(progress, headers={"HX-Request": "true"})
    assert "HX-Refresh" not in polled and "waiting for the worker" in polled.content.decode()
    Roster.objects.filter(pk=roster.pk).update(solve_state=SolveState.DONE)
    assert client.get(progress, headers={"HX-Request": "true"})["HX-Refresh"] == "true"


def test_it_refuses_a_bad_time_limit(client_for, carol, roster):
    client = client_for(carol)
    response = client.post(
        reverse("roster:roster_solve", kwargs={"pk": roster.pk}), {"time_limit": 0}, follow=True
    )
    assert "greater than or equal to 1" in response.content.decode()
    roster.refresh_from_db()
    assert roster.solve_state == SolveState.IDLE


def test_it_publishes_a_solved_roster_and_refuses_an_empty_one(client_for, carol, small):
    client = client_for(carol)
    empty = small.roster(tomorrow(), days=2)
    url = reverse("roster:roster_publish", kwargs={"pk": empty.pk})
    response = client.post(url, follow=True)
    assert "the roster has nobody on it yet" in response.content.decode()
    services.solve_roster(SYSTEM, empty, time_limit=1)
    response = client.post(url, follow=True)
    assert "Roster published" in response.content.decode()
    empty.refresh_from_db()
    assert empty.status == RosterStatus.PUBLISHED


def test_alice_may_not_solve_publish_or_edit(client_for, alice, small, solved):
    client = client_for(alice)
    shift = first_shift(solved, small.gate)
    assignment = shift.assignments.first()
    refused = [
        reverse("roster:roster_solve", kwargs={"pk": solved.pk}),
        reverse("roster:roster_publish", kwargs={"pk": solved.pk}),
        reverse("roster:shift_assign", kwargs={"pk": shift.pk}),
        reverse("roster:assignment_remove", kwargs={"pk": assignment.pk}),
        reverse("roster:assignment_lock", kwargs={"pk": assignment.pk}),
    ]
    for url in refused:
        assert client.post(url, {"staff": small.staff[0].pk, "time_limit": 1}).status_code == 403
    panel = client.get(reverse("roster:shift", kwargs={"pk": shift.pk})).content.decode()
    assert assignment.staff.name in panel
    assert 'id="add-form"' not in panel and "remove" not in panel.lower().split("</h2>")[1]
    assert Assignment.objects.filter(pk=assignment.pk).exists()


# Hand edits ---------------------------------------------------------------------------------


def shift_url(name, pk):
    return reverse(f"roster:{name}", kwargs={"pk": pk})


def test_it_opens_a_shift_as_a_panel_for_htmx(client_for, carol, small, solved):
    shift = first_shift(solved, small.entrance)
    client = client_for(carol)
    panel = client.get(shift_url("shift", shift.pk), headers={"HX-Request": "true"})
    body = panel.content.decode()
    assert "<html" not in body and 'id="shift-people"' in body and 'id="add-form"' in body
    full = client.get(shift_url("shift", shift.pk)).content.decode()
    assert "<html" in full and 'id="shift-people"' in full


def test_it_checks_a_choice_before_it_is_submitted(client_for, carol, small, roster):
    shift = first_shift(roster, small.entrance)
    police = next(s for s in small.staff if s.role == "police")
    client = client_for(carol)
    check = shift_url("shift_check", shift.pk)
    ok = client.get(check, {"staff": police.pk}, headers={"HX-Request": "true"})
    assert 'data-ok="yes"' in ok.content.decode()
    services.assign_staff(SYSTEM, shift, police)
    later = roster.shifts.filter(checkpoint=small.gate, starts_at=shift.starts_at).first()
    clash = client.get(shift_url("shift_check", later.pk), {"staff": police.pk})
    assert 'data-ok="no"' in clash.content.decode()
    assert "at the same time" in clash.content.decode()


def test_it_refuses_double_booking_by_hand_and_shows_why(client_for, carol, small, roster):
    shift = first_shift(roster, small.entrance)
    same_time = roster.shifts.get(checkpoint=small.gate, starts_at=shift.starts_at)
    cadre = next(s for s in small.staff if s.role == "cadre")
    client = client_for(carol)
    assert client.post(shift_url("shift_assign", shift.pk), {"staff": cadre.pk}).status_code == 302
    response = client.post(
        shift_url("shift_assign", same_time.pk), {"staff": cadre.pk}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f"{cadre.name} is on {small.entrance.name}" in body and "at the same time" in body
    assert f'value="{cadre.pk}" selected' in body  # the choice is kept
    assert not Assignment.objects.filter(shift=same_time).exists()
    assert Assignment.objects.filter(shift=shift, staff=cadre, locked=True).exists()


def test_it_refuses_someone_from_another_town(client_for, carol, small, roster, other_town):
    from fangyi.roster.testing import make_staff_member

    stranger = make_staff_member(other_town, "外镇人")
    shift = first_shift(roster, small.entrance)
    response = client_for(carol).post(shift_url("shift_assign", shift.pk), {"staff": stranger.pk})
    assert response.status_code == 400
    assert "not on this town&#x27;s duty list" in response.content.decode()


def test_it_removes_locks_and_unlocks_by_htmx(client_for, carol, small, solved):
    shift = first_shift(solved, small.gate)
    first = shift.assignments.order_by("pk").first()
    client = client_for(carol)
    hx = {"HX-Request": "true"}
    locked = client.post(shift_url("assignment_lock", first.pk), {"locked": "1"}, headers=hx)
    assert locked["HX-Trigger"] == "roster-changed"
    first.refresh_from_db()
    assert first.locked
    client.post(shift_url("assignment_lock", first.pk), {"locked": "0"}, headers=hx)
    first.refresh_from_db()
    assert not first.locked
    removed = client.post(shift_url("assignment_remove", first.pk), headers=hx)
    assert removed["HX-Trigger"] == "roster-changed"
    assert first.staff.name not in removed.content.decode().split('id="add-form"')[0]
    assert not Assignment.objects.filter(pk=first.pk).exists()
    kinds = set(solved.events.values_list("kind", flat=True))
    assert {RosterEventKind.LOCKED, RosterEventKind.UNASSIGNED} <= kinds
    history = client.get(page(solved)).content.decode()
    assert f"{first.staff.name} off {small.gate.name}" in history


def test_it_refuses_removing_someone_who_checked_in(client_for, carol, small, solved):
    shift = first_shift(solved, small.gate)
    assignment = shift.assignments.first()
    Assignment.objects.filter(pk=assignment.pk).update(checked_in_at=shift.starts_at)
    client = client_for(carol)
    response = client.post(
        shift_url("assignment_remove", assignment.pk), headers={"HX-Request": "true"}
    )
    assert "has checked in to this shift" in response.content.decode()
    assert Assignment.objects.filter(pk=assignment.pk).exists()


def test_it_marks_locked_and_checked_in_people_in_the_grid(client_for, carol, small, solved):
    shift = first_shift(solved, small.gate)
    first, second = list(shift.assignments.order_by("pk"))[:2]
    services.set_locked(SYSTEM, first, True)
    Assignment.objects.filter(pk=second.pk).update(checked_in_at=shift.starts_at)
    body = client_for(carol).get(page(solved, checkpoint=small.gate.pk)).content.decode()
    cell = body.split(f'data-shift="{shift.pk}"')[1].split("</td>")[0]
    assert cell.count("lock-icon") == 1 and cell.count("✓") == 1
    assert first.staff.name in cell and second.staff.name in cell


def test_it_offers_the_first_free_day_for_a_new_roster(client_for, carol, roster):
    body = client_for(carol).get(LIST).content.decode()
    free = roster.ends_on + timedelta(days=1)
    assert f'name="starts_on" value="{free.isoformat()}"' in body
