"""Staff pool, groups, unavailability and checkpoint demand pages: by role, by scope, bad input."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.checkpoints.testing import make_checkpoint
from fangyi.roster import services
from fangyi.roster.models import CheckpointDemand, DutyRole, StaffMember, Unavailability
from fangyi.roster.testing import SYSTEM, make_small_town, make_staff_member


@pytest.fixture
def small(town, village_a):
    return make_small_town(town, village_a)


def _staff_form(place, **values) -> dict:
    data = {
        "name": "钱多多",
        "role": DutyRole.POLICE,
        "jurisdiction": place.code,
        "phone": "13800138000",
        "user": "",
        "group": "",
        "post": "",
        "max_hours_per_week": "42",
        "max_shifts_per_day": "2",
    }
    return data | values


def _demand_form(**values) -> dict:
    data = {
        "shift_hours": "3",
        "first_shift_hour": "0",
        "people_per_shift": "3",
        "active": "on",
    }
    for role in DutyRole.values:
        data[f"min_{role}"] = "0"
        data[f"night_{role}"] = "0"
    return data | values


# The staff pool -----------------------------------------------------------------------------


def test_it_lists_the_towns_staff_with_counts_by_role(
    client_for, carol, small, django_assert_max_num_queries
):
    client = client_for(carol)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("roster:staff_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-role="police"' in page
    counts = {role: n for role, _label, n in response.context["counts"]}
    assert counts == {"cadre": 5, "police": 5, "doctor": 0, "volunteer": 4, "village_cadre": 5}
    assert response.context["total"] == 19


def test_it_keeps_the_query_count_flat_as_the_pool_grows(
    client_for, carol, small, town, django_assert_max_num_queries
):
    for number in range(30):
        make_staff_member(town, f"新人{number}", DutyRole.CADRE, phone=f"1380013{number:04d}")
    client = client_for(carol)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("roster:staff_list"))
    assert len(response.context["page"]) == 25


def test_it_filters_by_role_and_village(client_for, carol, small, village_a):
    client = client_for(carol)
    response = client.get(reverse("roster:staff_list"), {"role": "police"})
    assert {p.role for p in response.context["page"]} == {"police"}
    response = client.get(reverse("roster:staff_list"), {"place": village_a.code})
    names = {p.jurisdiction_id for p in response.context["page"]}
    assert names == {village_a.code}
    counts = {role: n for role, _label, n in response.context["counts"]}
    assert counts["police"] == 0 and counts["village_cadre"] == 5


def test_it_shows_phones_masked(client_for, carol, town):
    make_staff_member(town, "孙警官", DutyRole.POLICE, phone="13800138000")
    page = client_for(carol).get(reverse("roster:staff_list")).content.decode()
    assert "138****8000" in page and "13800138000" not in page


def test_it_lets_a_village_cadre_read_their_village_only_and_not_edit(
    client_for, alice, small, town
):
    client = client_for(alice)
    response = client.get(reverse("roster:staff_list"))
    assert response.status_code == 200
    assert {p.jurisdiction_id for p in response.context["page"]} == {alice.jurisdiction_id}
    police = next(s for s in small.staff if s.role == DutyRole.POLICE)
    assert client.get(reverse("roster:staff", args=[police.pk])).status_code == 404
    assert client.get(reverse("roster:staff_create")).status_code == 403
    assert client.post(reverse("roster:staff_create"), _staff_form(town)).status_code == 403
    mine = next(s for s in small.staff if s.jurisdiction_id == alice.jurisdiction_id)
    assert client.get(reverse("roster:staff", args=[mine.pk])).status_code == 200
    assert client.get(reverse("roster:staff_edit", args=[mine.pk])).status_code == 403
    assert client.post(reverse("roster:staff_remove", args=[mine.pk])).status_code == 403
    assert StaffMember.objects.get(pk=mine.pk).active


def test_it_hides_another_towns_staff(client_for, frank, small):
    client = client_for(frank)
    person = small.staff[0]
    assert client.get(reverse("roster:staff", args=[person.pk])).status_code == 404
    assert client.get(reverse("roster:staff_edit", args=[person.pk])).status_code == 404
    response = client.post(reverse("roster:staff_remove", args=[person.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert len(client.get(reverse("roster:staff_list")).context["page"]) == 0


def test_it_adds_a_staff_member(client_for, carol, town, small):
    response = client_for(carol).post(
        reverse("roster:staff_create"),
        _staff_form(town, post=str(small.entrance.pk)),
    )
    staff = StaffMember.objects.get(name="钱多多")
    assert response.status_code == 302 and response.url == reverse("roster:staff", args=[staff.pk])
    assert staff.role == "police" and staff.phone == "13800138000"
    assert staff.post == small.entrance


@pytest.mark.parametrize("hours", ["0", "100"])
def test_it_refuses_hours_per_week_out_of_range(client_for, carol, town, hours):
    response = client_for(carol).post(
        reverse("roster:staff_create"), _staff_form(town, max_hours_per_week=hours)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["max_hours_per_week"] == [
        "hours per week run from 1 to 84"
    ]
    assert not StaffMember.objects.filter(name="钱多多").exists()


def test_it_refuses_an_unknown_role_and_a_bad_phone(client_for, carol, town):
    response = client_for(carol).post(
        reverse("roster:staff_create"), _staff_form(town, role="chief", phone="12345")
    )
    errors = response.context["form"].errors
    assert "role" in errors
    assert not StaffMember.objects.exists()
    response = client_for(carol).post(reverse("roster:staff_create"), _staff_form(town, phone="12"))
    assert "phone" in response.context["form"].errors


def test_it_refuses_an_account_on_the_duty_list_already(client_for, carol, town, erin):
    make_staff_member(town, "吴尔", DutyRole.VOLUNTEER, user=erin)
    response = client_for(carol).post(
        reverse("roster:staff_create"), _staff_form(town, user=str(erin.pk))
    )
    assert "user" in response.context["form"].errors  # not offered: no longer a valid choice
    assert StaffMember.objects.filter(user=erin).count() == 1


def test_it_edits_a_staff_member_keeping_the_phone(client_for, carol, town):
    staff = make_staff_member(town, "孙警官", DutyRole.POLICE, phone="13800138000")
    response = client_for(carol).post(
        reverse("roster:staff_edit", args=[staff.pk]),
        _staff_form(town, name="孙警官", phone="", max_shifts_per_day="3"),
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.max_shifts_per_day == 3 and staff.phone == "13800138000"
    response = client_for(carol).post(
        reverse("roster:staff_edit", args=[staff.pk]),
        _staff_form(town, name="孙警官", max_shifts_per_day="9"),
    )
    assert response.context["form"].errors["max_shifts_per_day"] == [
        "shifts per day run from 1 to 4"
    ]


def test_it_removes_someone_from_the_duty_list_and_says_how_many_shifts_were_freed(
    client_for, carol, small
):
    roster = small.roster(timezone.localdate() + timedelta(days=1), days=2)
    services.solve_roster(SYSTEM, roster, time_limit=1)
    person = next(s for s in small.staff if s.assignments.exists())
    count = person.assignments.count()
    response = client_for(carol).post(
        reverse("roster:staff_remove", args=[person.pk]), {"reason": "生病"}, follow=True
    )
    page = response.content.decode()
    assert f"{count} shift" in page and "off the duty list" in page
    person.refresh_from_db()
    assert not person.active and not person.assignments.exists()


# Unavailability -----------------------------------------------------------------------------


def test_it_records_time_off(client_for, carol, small):
    person = small.staff[0]
    response = client_for(carol).post(
        reverse("roster:staff_unavailable", args=[person.pk]),
        {"starts_at": "2026-12-10T08:00", "ends_at": "2026-12-11T08:00", "reason": "探亲"},
    )
    assert response.status_code == 302
    away = Unavailability.objects.get(staff=person)
    assert away.reason == "探亲"
    page = client_for(carol).get(reverse("roster:staff", args=[person.pk])).content.decode()
    assert "探亲" in page


def test_it_refuses_time_off_ending_before_it_starts(client_for, carol, small):
    person = small.staff[0]
    response = client_for(carol).post(
        reverse("roster:staff_unavailable", args=[person.pk]),
        {"starts_at": "2026-12-10T08:00", "ends_at": "2026-12-10T07:00"},
    )
    assert response.status_code == 400
    assert response.context["unavailability_form"].errors["ends_at"] == [
        "the end must be after the start"
    ]
    assert not Unavailability.objects.exists()


def test_it_refuses_time_off_over_a_locked_assignment_and_says_why(client_for, carol, small):
    roster = small.roster(date(2026, 12, 10), days=7)
    police = next(s for s in small.staff if s.role == DutyRole.POLICE)
    shift = roster.shifts.filter(checkpoint=small.entrance).order_by("starts_at").first()
    services.assign_staff(SYSTEM, shift, police)
    response = client_for(carol).post(
        reverse("roster:staff_unavailable", args=[police.pk]),
        {"starts_at": "2026-12-09T20:00", "ends_at": "2026-12-10T12:00", "reason": "病假"},
    )
    assert response.status_code == 400
    (error,) = response.context["unavailability_form"].errors["starts_at"]
    assert "is locked on 青山镇东入口" in error and "unlock or remove it first" in error
    assert error in response.content.decode()
    assert not Unavailability.objects.exists()


# Groups -------------------------------------------------------------------------------------


def test_it_sets_up_a_group_and_refuses_the_same_name_twice(client_for, carol, town):
    client = client_for(carol)
    response = client.post(reverse("roster:groups"), {"town": town.code, "name": "一班"})
    assert response.status_code == 302
    response = client.post(reverse("roster:groups"), {"town": town.code, "name": "一班"})
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["the town has a group of that name already"]


def test_it_does_not_let_a_village_cadre_set_up_groups(client_for, alice, town):
    client = client_for(alice)
    assert client.get(reverse("roster:groups")).status_code == 200
    assert (
        client.post(reverse("roster:groups"), {"town": town.code, "name": "一班"}).status_code
        == 403
    )


# Demand -------------------------------------------------------------------------------------


def test_it_lists_checkpoints_with_their_staffing(
    client_for, carol, small, town, django_assert_max_num_queries
):
    make_checkpoint(town, "青山镇南入口")
    client = client_for(carol)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("roster:demand"))
    page = response.content.decode()
    assert "青山镇东入口" in page and "8 h shifts from 0:00, 2 people each" in page
    assert "police ≥ 1" in page
    assert "青山镇南入口" in page and "not staffed" in page


def test_it_lets_a_village_cadre_read_their_checkpoints_staffing_only(client_for, alice, small):
    client = client_for(alice)
    page = client.get(reverse("roster:demand")).content.decode()
    assert "东村村口" in page and "青山镇东入口" not in page
    assert client.get(reverse("roster:demand_edit", args=[small.gate.pk])).status_code == 403


def test_it_hides_another_towns_checkpoint_demand(client_for, frank, small):
    response = client_for(frank).post(
        reverse("roster:demand_edit", args=[small.entrance.pk]), _demand_form()
    )
    assert response.status_code == 404


def test_it_sets_a_checkpoints_demand(client_for, carol, town):
    checkpoint = make_checkpoint(town, "青山镇南入口")
    response = client_for(carol).post(
        reverse("roster:demand_edit", args=[checkpoint.pk]),
        _demand_form(min_police="1", min_cadre="1", night_doctor="1", first_shift_hour="6"),
    )
    assert response.status_code == 302
    demand = CheckpointDemand.objects.get(checkpoint=checkpoint)
    assert demand.shift_hours == 3 and demand.people_per_shift == 3
    assert demand.first_shift_hour == 6
    assert demand.role_minimums == {"police": 1, "cadre": 1}
    assert demand.night_role_minimums == {"doctor": 1}


@pytest.mark.parametrize("hours", ["0", "100", "5"])
def test_it_refuses_shift_lengths_a_day_does_not_divide_into(client_for, carol, small, hours):
    response = client_for(carol).post(
        reverse("roster:demand_edit", args=[small.entrance.pk]), _demand_form(shift_hours=hours)
    )
    assert response.status_code == 400
    assert "shift_hours" in response.context["form"].errors
    assert CheckpointDemand.objects.get(checkpoint=small.entrance).shift_hours == 8


def test_it_shows_each_demand_error_on_its_field(client_for, carol, small):
    response = client_for(carol).post(
        reverse("roster:demand_edit", args=[small.entrance.pk]),
        _demand_form(
            people_per_shift="2",
            first_shift_hour="24",
            min_police="2",
            min_cadre="1",
            night_doctor="2",
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["first_shift_hour"] == ["the first shift starts at an hour from 0 to 23"]
    assert form.group_errors["role_minimums"] == [
        "the role minimums add up to 3 people, more than the 2 a shift takes"
    ]
    assert form.group_errors["night_role_minimums"]
    page = response.content.decode()
    assert 'data-field="role_minimums"' in page and 'data-field="night_role_minimums"' in page
    assert CheckpointDemand.objects.get(checkpoint=small.entrance).people_per_shift == 2
    assert CheckpointDemand.objects.get(checkpoint=small.entrance).role_minimums == {
        "police": 1,
        "cadre": 1,
    }


def test_it_refuses_negative_minimums_and_too_many_people(client_for, carol, small):
    response = client_for(carol).post(
        reverse("roster:demand_edit", args=[small.entrance.pk]),
        _demand_form(people_per_shift="31", min_police="-1"),
    )
    form = response.context["form"]
    assert form.errors["people_per_shift"] == ["a shift takes 1 to 30 people"]
    assert form.group_errors["role_minimums"] == ["role minimums cannot be negative"]
