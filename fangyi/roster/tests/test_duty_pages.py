"""My shifts (check-in, check-out, swap requests), the town's swap approvals and hours worked:
by role, by scope, in and out of the check-in window, bad swaps."""

from dataclasses import dataclass
from datetime import date

import pytest
from django.urls import reverse

from fangyi.core.models import User
from fangyi.core.roles import Role
from fangyi.quarantine.testing import freeze_clock, local_time
from fangyi.roster import services
from fangyi.roster.models import (
    Assignment,
    DutyRole,
    Roster,
    Shift,
    StaffMember,
    SwapRequest,
    SwapStatus,
)
from fangyi.roster.testing import SYSTEM, SmallTown, make_small_town, make_staff_member
from fangyi.testing import make_user

DAY = date(2026, 12, 10)


@dataclass
class Duty:
    small: SmallTown
    roster: Roster
    me: StaffMember  # erin's staff record, a police officer
    colleague: StaffMember  # 李警官, with an account
    spare: StaffMember  # a police officer of the pool with no shift
    morning: Assignment  # mine: entrance 12/10 08:00–16:00
    night: Assignment  # mine: entrance 12/11 00:00–08:00
    theirs: Assignment  # colleague: entrance 12/11 16:00–24:00
    colleague_user: User


def _entrance_shift(roster: Roster, small: SmallTown, day: date, hour: int) -> Shift:
    return roster.shifts.get(checkpoint=small.entrance, starts_at=local_time(day, hour))


@pytest.fixture
def duty(town, village_a, erin) -> Duty:
    small = make_small_town(town, village_a)
    me = make_staff_member(town, "王警官", DutyRole.POLICE, user=erin)
    colleague_user = make_user("lijing", Role.POLICE, town, "李警官")
    colleague = make_staff_member(town, "李警官", DutyRole.POLICE, user=colleague_user)
    roster = small.roster(DAY, days=7)
    morning_shift = _entrance_shift(roster, small, DAY, 8)
    morning = services.assign_staff(SYSTEM, morning_shift, me)
    cadre = next(s for s in small.staff if s.role == DutyRole.CADRE)
    services.assign_staff(SYSTEM, morning_shift, cadre)
    night = services.assign_staff(SYSTEM, _entrance_shift(roster, small, date(2026, 12, 11), 0), me)
    theirs = services.assign_staff(
        SYSTEM, _entrance_shift(roster, small, date(2026, 12, 11), 16), colleague
    )
    services.publish_roster(SYSTEM, roster)
    spare = next(s for s in small.staff if s.role == DutyRole.POLICE)
    return Duty(small, roster, me, colleague, spare, morning, night, theirs, colleague_user)


# My shifts ----------------------------------------------------------------------------------


def test_it_shows_my_shifts_with_who_else_is_on_them(
    client_for, erin, duty, monkeypatch, django_assert_max_num_queries
):
    freeze_clock(monkeypatch, local_time(DAY, 6))
    client = client_for(erin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("roster:mine"))
    assert response.status_code == 200
    page = response.content.decode()
    rows = response.context["duty"].upcoming
    assert [row.assignment.pk for row in rows] == [duty.morning.pk, duty.night.pk]
    assert f'data-assignment="{duty.theirs.pk}"' not in page
    cadre = next(s for s in duty.small.staff if s.role == DutyRole.CADRE)
    assert rows[0].colleagues == [f"{cadre.name}（cadre）"]
    assert cadre.name in page and "青山镇东入口" in page and "08:00–16:00" in page
    assert "My shifts" in page  # the nav link for staff
    assert not rows[0].can_check_in  # 06:00: the window opens at 07:30


def test_it_keeps_the_query_count_flat_with_many_shifts(
    client_for, erin, duty, town, monkeypatch, django_assert_max_num_queries
):
    freeze_clock(monkeypatch, local_time(DAY, 6))
    later = Roster.objects.create(
        town=town, starts_on=date(2026, 12, 12), days=7, status="published"
    )
    for day in range(12, 19):
        shift = Shift.objects.create(
            roster=later,
            checkpoint=duty.small.gate,
            starts_at=local_time(date(2026, 12, day), 9),
            ends_at=local_time(date(2026, 12, day), 12),
            needed=2,
        )
        Assignment.objects.create(shift=shift, staff=duty.me)
        Assignment.objects.create(shift=shift, staff=duty.spare)
    client = client_for(erin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("roster:mine"))
    assert len(response.context["duty"].upcoming) == 9


def test_it_leaves_out_draft_rosters(client_for, erin, duty, town, monkeypatch):
    freeze_clock(monkeypatch, local_time(DAY, 6))
    Roster.objects.filter(pk=duty.roster.pk).update(status="draft")
    response = client_for(erin).get(reverse("roster:mine"))
    assert response.context["duty"].upcoming == []
    assert "No shift ahead on a published roster." in response.content.decode()


def test_it_tells_someone_off_the_duty_list_so(client_for, carol, duty):
    response = client_for(carol).get(reverse("roster:mine"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "You are not on a duty list." in page
    assert reverse("roster:mine") not in page.split("<main")[0]  # no nav link without a record


def test_it_refuses_check_in_before_the_window(client_for, erin, duty, monkeypatch):
    freeze_clock(monkeypatch, local_time(DAY, 7, 10))
    response = client_for(erin).post(
        reverse("roster:check_in", args=[duty.morning.pk]), follow=True
    )
    assert "check-in opens 30 minutes before the shift, at 07:30" in response.content.decode()
    duty.morning.refresh_from_db()
    assert duty.morning.checked_in_at is None


def test_it_checks_in_and_out_and_totals_the_hours(client_for, erin, duty, monkeypatch):
    clock = freeze_clock(monkeypatch, local_time(DAY, 7, 45))
    client = client_for(erin)
    row = client.get(reverse("roster:mine")).context["duty"].upcoming[0]
    assert row.can_check_in and not row.can_check_out
    response = client.post(reverse("roster:check_in", args=[duty.morning.pk]), follow=True)
    assert "Checked in at 07:45" in response.content.decode()
    row = response.context["duty"].upcoming[0]
    assert row.can_check_out and not row.can_check_in and not row.can_swap
    clock.at = local_time(DAY, 16, 15)
    response = client.post(reverse("roster:check_out", args=[duty.morning.pk]), follow=True)
    assert "Checked out at 16:15" in response.content.decode()
    duty.morning.refresh_from_db()
    assert duty.morning.hours_worked == 8.5
    mine = response.context["duty"]
    assert mine.hours_this_week == 8.5 and mine.hours_shown == 8.5
    assert [row.assignment.pk for row in mine.past] == [duty.morning.pk]


def test_it_refuses_check_out_before_check_in(client_for, erin, duty, monkeypatch):
    freeze_clock(monkeypatch, local_time(DAY, 9))
    response = client_for(erin).post(
        reverse("roster:check_out", args=[duty.morning.pk]), follow=True
    )
    assert "check in first" in response.content.decode()


def test_it_does_not_let_anyone_check_in_for_someone_else(client_for, erin, duty, monkeypatch):
    freeze_clock(monkeypatch, local_time(date(2026, 12, 11), 16))
    client = client_for(erin)
    assert client.post(reverse("roster:check_in", args=[duty.theirs.pk])).status_code == 404
    assert client.get(reverse("roster:swap_request", args=[duty.theirs.pk])).status_code == 404
    duty.theirs.refresh_from_db()
    assert duty.theirs.checked_in_at is None


# Swap requests ------------------------------------------------------------------------------


def test_it_asks_for_a_swap_and_lets_me_withdraw_it(client_for, erin, duty, monkeypatch):
    freeze_clock(monkeypatch, local_time(DAY, 6))
    client = client_for(erin)
    url = reverse("roster:swap_request", args=[duty.night.pk])
    form = client.get(url).context["form"]
    assert duty.me not in form.fields["with_staff"].queryset
    assert duty.colleague in form.fields["with_staff"].queryset
    response = client.post(url, {"with_staff": duty.spare.pk, "reason": "家里有事"})
    assert response.status_code == 302
    swap = SwapRequest.objects.get()
    assert swap.with_staff == duty.spare and swap.status == SwapStatus.REQUESTED
    page = client.get(reverse("roster:mine")).content.decode()
    assert f"swap with {duty.spare.name} waiting for the town" in page
    client.post(reverse("roster:swap_withdraw", args=[swap.pk]))
    swap.refresh_from_db()
    assert swap.status == SwapStatus.WITHDRAWN


def test_it_offers_the_colleagues_shifts_to_take_in_exchange(client_for, erin, duty, monkeypatch):
    freeze_clock(monkeypatch, local_time(DAY, 6))
    client = client_for(erin)
    url = reverse("roster:swap_request", args=[duty.night.pk])
    response = client.get(url, {"with_staff": duty.colleague.pk}, HTTP_HX_REQUEST="true")
    choices = list(response.context["form"].fields["their_assignment"].queryset)
    assert choices == [duty.theirs]
    assert "青山镇东入口 12/11 16:00–00:00" in response.content.decode()


def test_it_refuses_a_swap_with_someone_already_on_shift(client_for, erin, duty, monkeypatch):
    freeze_clock(monkeypatch, local_time(DAY, 6))
    gate_night = duty.roster.shifts.get(
        checkpoint=duty.small.gate, starts_at=local_time(date(2026, 12, 11), 0)
    )
    services.assign_staff(SYSTEM, gate_night, duty.colleague)
    response = client_for(erin).post(
        reverse("roster:swap_request", args=[duty.night.pk]), {"with_staff": duty.colleague.pk}
    )
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert any("李警官 is on 东村村口 12/11 00:00–08:00 at the same time" in e for e in errors)
    assert errors[0] in response.content.decode()
    assert not SwapRequest.objects.exists()


def test_it_refuses_a_swap_of_a_started_shift_and_an_unknown_colleague(
    client_for, erin, duty, frank, monkeypatch, other_town
):
    freeze_clock(monkeypatch, local_time(DAY, 9))
    client = client_for(erin)
    url = reverse("roster:swap_request", args=[duty.morning.pk])
    response = client.post(url, {"with_staff": duty.spare.pk})
    assert "this shift has started" in response.context["form"].non_field_errors()
    stranger = make_staff_member(other_town, "外镇人", DutyRole.POLICE)
    response = client.post(url, {"with_staff": stranger.pk})
    assert "with_staff" in response.context["form"].errors
    assert not SwapRequest.objects.exists()


# Approvals ----------------------------------------------------------------------------------


@pytest.fixture
def swap(duty) -> SwapRequest:
    return services.request_swap(
        SYSTEM, duty.night, duty.colleague, their_assignment=duty.theirs, reason="换班"
    )


def test_it_lists_pending_swaps_for_the_town(
    client_for, carol, swap, django_assert_max_num_queries
):
    client = client_for(carol)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("roster:swaps"))
    page = response.content.decode()
    assert "王警官" in page and "李警官" in page and "换班" in page
    assert "青山镇东入口 12/11 00:00–08:00" in page and "12/11 16:00–00:00" in page


def test_it_approves_a_swap(client_for, carol, duty):
    swap = services.request_swap(SYSTEM, duty.night, duty.spare)
    response = client_for(carol).post(
        reverse("roster:swap_decide", args=[swap.pk]),
        {"decision": "approve", "note": "同意"},
        follow=True,
    )
    assert "The swap is approved" in response.content.decode()
    swap.refresh_from_db()
    assert swap.status == SwapStatus.APPROVED and swap.decision_note == "同意"
    duty.night.refresh_from_db()
    assert duty.night.staff == duty.spare


def test_it_approves_a_swap_with_a_shift_in_exchange(client_for, carol, duty, swap):
    client_for(carol).post(
        reverse("roster:swap_decide", args=[swap.pk]), {"decision": "approve", "note": "同意"}
    )
    swap.refresh_from_db()
    assert swap.status == SwapStatus.APPROVED
    duty.night.refresh_from_db()
    assert duty.night.staff == duty.colleague
    assert Assignment.objects.filter(shift=duty.theirs.shift, staff=duty.me).exists()


def test_it_rejects_a_swap_with_a_note(client_for, carol, swap):
    client_for(carol).post(
        reverse("roster:swap_decide", args=[swap.pk]), {"decision": "reject", "note": "人手不够"}
    )
    swap.refresh_from_db()
    assert swap.status == SwapStatus.REJECTED and swap.decision_note == "人手不够"


def test_it_shows_why_a_swap_cannot_be_approved(client_for, carol, duty, swap):
    gate_night = duty.roster.shifts.get(
        checkpoint=duty.small.gate, starts_at=local_time(date(2026, 12, 11), 0)
    )
    services.assign_staff(SYSTEM, gate_night, duty.colleague)
    response = client_for(carol).post(
        reverse("roster:swap_decide", args=[swap.pk]), {"decision": "approve"}, follow=True
    )
    page = response.content.decode()
    assert "The swap cannot be approved" in page and "at the same time" in page
    swap.refresh_from_db()
    assert swap.status == SwapStatus.REQUESTED


def test_it_refuses_a_decision_that_is_neither(client_for, carol, swap):
    response = client_for(carol).post(
        reverse("roster:swap_decide", args=[swap.pk]), {"decision": "maybe"}, follow=True
    )
    assert "Choose approve or reject." in response.content.decode()
    swap.refresh_from_db()
    assert swap.status == SwapStatus.REQUESTED


def test_it_keeps_approvals_to_the_town(client_for, alice, erin, frank, swap):
    assert client_for(alice).get(reverse("roster:swaps")).status_code == 403
    assert (
        client_for(erin)
        .post(reverse("roster:swap_decide", args=[swap.pk]), {"decision": "approve"})
        .status_code
        == 403
    )
    response = client_for(frank).post(
        reverse("roster:swap_decide", args=[swap.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404
    assert client_for(frank).get(reverse("roster:swaps")).context["swaps"] == []
    swap.refresh_from_db()
    assert swap.status == SwapStatus.REQUESTED


def test_it_does_not_let_a_colleague_withdraw_my_swap(client, duty, swap):
    client.force_login(duty.colleague_user)
    assert client.post(reverse("roster:swap_withdraw", args=[swap.pk])).status_code == 404


# Hours worked -------------------------------------------------------------------------------


def test_it_totals_hours_per_person(
    client_for, carol, erin, duty, monkeypatch, django_assert_max_num_queries
):
    services.check_in(SYSTEM, duty.morning, now=local_time(DAY, 7, 50))
    services.check_out(SYSTEM, duty.morning, now=local_time(DAY, 15, 50))
    # The next day at 17:00: my night shift and the colleague's 16:00 one are no-shows.
    freeze_clock(monkeypatch, local_time(date(2026, 12, 11), 17))
    client = client_for(carol)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("roster:hours"), {"roster": duty.roster.pk})
    people = {p.name: p for p in response.context["people"]}
    me = people["王警官"]
    assert (me.shifts, me.planned, me.worked, me.nights, me.no_shows) == (2, 16, 8, 1, 1)
    them = people["李警官"]
    assert (them.shifts, them.worked, them.no_shows) == (1, 0, 1)
    assert response.context["totals"]["shifts"] == 4


def test_it_hides_another_towns_hours_and_rejects_bad_ids(client_for, carol, frank, erin, duty):
    url = reverse("roster:hours")
    assert client_for(frank).get(url, {"roster": duty.roster.pk}).status_code == 404
    assert client_for(carol).get(url, {"roster": "abc"}).status_code == 404
    assert client_for(carol).get(url).status_code == 200
    assert client_for(erin).get(url, {"roster": duty.roster.pk}).status_code == 403
