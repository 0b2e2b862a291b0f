"""Responsible teams (四对一): the load rule that fills each role when an order is opened, the
hand-picked members it keeps, and reassign_member."""

from collections import Counter
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fangyi.core.audit import Actor
from fangyi.core.models import QuarantineKind
from fangyi.core.roles import Role
from fangyi.quarantine import services
from fangyi.quarantine.models import OrderEvent, OrderEventKind, OrderReason
from fangyi.quarantine.testing import (
    freeze_clock,
    local_time,
    make_order,
    make_team,
    set_profile,
)
from fangyi.testing import make_person, make_user

SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze_clock(monkeypatch, local_time(date(2020, 2, 1), 6, 0))


@pytest.fixture
def team(town, village_a):
    return make_team(town, village_a)


def villagers(village, n: int, prefix: str = "村民") -> list:
    return [make_person(village, f"{prefix}{i}", current_address="东村") for i in range(n)]


def open_for(people, actor: Actor = SYSTEM, **values) -> list:
    return services.open_orders(
        actor,
        [
            services.OrderRequest(
                person=p, kind=QuarantineKind.HOME_QUARANTINE, reason=OrderReason.OTHER, **values
            )
            for p in people
        ],
    )


def member(order, role: str):
    found = order.team.current().filter(role=role).first()
    return found.member if found else None


def test_it_gives_each_order_one_member_of_each_team_role(team, village_a):
    (order,) = open_for(villagers(village_a, 1))

    assert {a.role: a.member for a in order.team.current()} == team
    assert order.team.count() == 4


def test_it_spreads_a_batch_evenly_between_two_doctors(team, town, village_a):
    second = make_user("qian", Role.DOCTOR, town, "钱医生")

    orders = open_for(villagers(village_a, 6))

    doctors = [member(o, Role.DOCTOR) for o in orders]
    assert Counter(doctors) == {team[Role.DOCTOR]: 3, second: 3}
    assert doctors == [team[Role.DOCTOR], second] * 3  # round-robin by load


def test_it_gives_new_orders_to_the_less_loaded_member_until_they_catch_up(team, town, village_a):
    busy = team[Role.DOCTOR]
    open_for(villagers(village_a, 5, "早"))  # all five to the only doctor
    fresh = make_user("qian", Role.DOCTOR, town, "钱医生")

    orders = open_for(villagers(village_a, 7))

    # 5 to the fresh doctor; at 5–5 the earlier account; then the fresh one again.
    assert [member(o, Role.DOCTOR) for o in orders] == [fresh] * 5 + [busy, fresh]


def test_it_counts_load_across_separate_orders(team, town, village_a):
    second = make_user("qian", Role.DOCTOR, town, "钱医生")

    doctors = [member(make_order(p), Role.DOCTOR) for p in villagers(village_a, 4)]

    assert doctors == [team[Role.DOCTOR], second, team[Role.DOCTOR], second]


def test_it_does_not_count_orders_that_have_ended(team, town, village_a):
    for order in open_for(villagers(village_a, 3, "早")):
        services.transfer_to_hospital(SYSTEM, order, hospital="县医院")
    second = make_user("qian", Role.DOCTOR, town, "钱医生")

    orders = open_for(villagers(village_a, 2))

    assert [member(o, Role.DOCTOR) for o in orders] == [team[Role.DOCTOR], second]


def test_it_prefers_the_most_local_member_whatever_the_load(town, village_a, village_b):
    town_level = make_user("vc_town", Role.VILLAGE_CADRE, town, "镇驻村干部")  # earlier account
    own = make_user("vc_east", Role.VILLAGE_CADRE, village_a, "东村干部")

    east = open_for(villagers(village_a, 3))
    west = open_for(villagers(village_b, 2, "西"))

    assert [member(o, Role.VILLAGE_CADRE) for o in east] == [own, own, own]
    # 西村 has no cadre of its own: the town-level one covers it.
    assert [member(o, Role.VILLAGE_CADRE) for o in west] == [town_level, town_level]


def test_it_spreads_by_load_among_members_at_the_same_level(town, village_a):
    first = make_user("vc_east1", Role.VILLAGE_CADRE, village_a, "东村干部甲")
    second = make_user("vc_east2", Role.VILLAGE_CADRE, village_a, "东村干部乙")
    make_user("vc_town", Role.VILLAGE_CADRE, town, "镇驻村干部")

    orders = open_for(villagers(village_a, 4))

    assert [member(o, Role.VILLAGE_CADRE) for o in orders] == [first, second, first, second]


def test_it_never_picks_a_member_of_another_village_or_town(
    village_a, village_b, group_a1, other_town, alice, bob
):
    make_user("doc_baishui", Role.DOCTOR, other_town, "白水医生")

    orders = open_for(
        [*villagers(village_a, 2), make_person(group_a1, "一组人", current_address="一组")]
    )

    assert [member(o, Role.VILLAGE_CADRE) for o in orders] == [alice, alice, alice]
    assert all(member(o, Role.DOCTOR) is None for o in orders)


def test_it_leaves_a_role_with_nobody_available_empty(town, village_a):
    doctor = make_user("sun", Role.DOCTOR, town, "孙医生")
    retired = make_user("retired", Role.POLICE, town, "退休警官")
    retired.is_active = False
    retired.save(update_fields=["is_active"])

    (order,) = open_for(villagers(village_a, 1))

    assert {a.role: a.member for a in order.team.current()} == {Role.DOCTOR: doctor}


def test_it_keeps_hand_picked_members(team, town, village_a):
    open_for(villagers(village_a, 2, "早"))
    chosen = make_user("qian", Role.DOCTOR, town, "钱医生")
    open_for(villagers(village_a, 3, "中"), team={Role.DOCTOR: chosen})  # chosen: load 3

    (order,) = open_for(villagers(village_a, 1), team={Role.DOCTOR: chosen})

    assert member(order, Role.DOCTOR) == chosen  # though busier than the other doctor
    assert member(order, Role.POLICE) == team[Role.POLICE]  # the rest by the rule
    assert order.team.current().count() == 4


def test_it_follows_the_profiles_team_roles(town, village_a, erin):
    set_profile(team_roles=["village_cadre", "volunteer"])
    cadre = make_user("vc_east", Role.VILLAGE_CADRE, village_a, "东村干部")
    make_user("sun", Role.DOCTOR, town, "孙医生")

    (order,) = open_for(villagers(village_a, 1))

    assert {a.role: a.member for a in order.team.current()} == {
        Role.VILLAGE_CADRE: cadre,
        Role.VOLUNTEER: erin,
    }


def test_it_refuses_a_hand_picked_member_of_the_wrong_role(team, village_a, alice):
    with pytest.raises(ValidationError):
        open_for(villagers(village_a, 1), team={Role.DOCTOR: alice})


def test_it_refuses_a_hand_picked_member_from_another_town(team, village_a, other_town):
    outsider = make_user("doc_baishui", Role.DOCTOR, other_town, "白水医生")

    with pytest.raises(ValidationError):
        open_for(villagers(village_a, 1), team={Role.DOCTOR: outsider})


def test_it_does_not_silently_drop_a_hand_picked_member_of_another_role(team, village_a, erin):
    try:
        (order,) = open_for(villagers(village_a, 1), team={Role.VOLUNTEER: erin})
    except ValidationError:
        return  # refused with a reason: fine
    assert member(order, Role.VOLUNTEER) == erin


# Reassignment --------------------------------------------------------------------------------


def test_it_reassigns_a_member_keeping_the_history(team, town, village_a, carol):
    order = make_order(villagers(village_a, 1)[0])
    before = order.team.current().get(role=Role.DOCTOR)
    replacement = make_user("qian", Role.DOCTOR, town, "钱医生")

    assignment = services.reassign_member(Actor(user=carol), order, Role.DOCTOR, replacement)

    before.refresh_from_db()
    assert before.ended_at is not None and before.member == team[Role.DOCTOR]
    assert assignment.member == replacement and assignment.assigned_by == carol
    assert member(order, Role.DOCTOR) == replacement
    assert order.team.filter(role=Role.DOCTOR).count() == 2  # who was responsible when
    event = OrderEvent.objects.get(order=order, kind=OrderEventKind.TEAM)
    assert event.details == {"role": "doctor", "before": "孙医生", "after": "钱医生"}
    assert event.actor == carol


def test_it_fills_an_empty_role_by_reassignment(town, village_a, carol):
    order = make_order(villagers(village_a, 1)[0])  # nobody in any role
    doctor = make_user("sun", Role.DOCTOR, town, "孙医生")

    services.reassign_member(Actor(user=carol), order, Role.DOCTOR, doctor)

    assert member(order, Role.DOCTOR) == doctor
    assert OrderEvent.objects.get(kind=OrderEventKind.TEAM).details["before"] == ""


def test_it_moves_the_load_with_a_reassignment(team, town, village_a):
    order = make_order(villagers(village_a, 1, "早")[0])
    second = make_user("qian", Role.DOCTOR, town, "钱医生")
    services.reassign_member(SYSTEM, order, Role.DOCTOR, second)

    (new,) = open_for(villagers(village_a, 1))

    assert member(new, Role.DOCTOR) == team[Role.DOCTOR]  # second has the one order now


def test_it_changes_nothing_when_reassigning_the_current_member(team, village_a):
    order = make_order(villagers(village_a, 1)[0])

    services.reassign_member(SYSTEM, order, Role.DOCTOR, team[Role.DOCTOR])

    assert order.team.count() == 4
    assert not OrderEvent.objects.filter(kind=OrderEventKind.TEAM).exists()


def test_it_refuses_a_member_of_the_wrong_role(team, village_a, alice):
    order = make_order(villagers(village_a, 1)[0])

    with pytest.raises(ValidationError) as raised:
        services.reassign_member(SYSTEM, order, Role.DOCTOR, alice)

    assert raised.value.message_dict == {"member": ["李爱丽 is not a doctor"]}
    assert member(order, Role.DOCTOR) == team[Role.DOCTOR]


def test_it_refuses_a_member_from_another_village(team, village_a, bob):
    order = make_order(villagers(village_a, 1)[0])

    with pytest.raises(ValidationError) as raised:
        services.reassign_member(SYSTEM, order, Role.VILLAGE_CADRE, bob)

    assert raised.value.message_dict == {"member": ["赵博 does not work in this village"]}
    assert member(order, Role.VILLAGE_CADRE) == team[Role.VILLAGE_CADRE]
    assert order.team.count() == 4


def test_it_refuses_an_inactive_member(team, town, village_a):
    order = make_order(villagers(village_a, 1)[0])
    gone = make_user("gone", Role.DOCTOR, town, "离职医生")
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    with pytest.raises(ValidationError):
        services.reassign_member(SYSTEM, order, Role.DOCTOR, gone)


def test_it_does_not_let_a_village_cadre_change_the_team(team, town, village_a, alice):
    order = make_order(villagers(village_a, 1)[0])

    with pytest.raises(PermissionDenied):
        services.reassign_member(
            Actor(user=alice), order, Role.DOCTOR, make_user("qian", Role.DOCTOR, town)
        )


def test_it_does_not_let_another_town_change_the_team(team, village_a, frank):
    order = make_order(villagers(village_a, 1)[0])

    with pytest.raises(PermissionDenied):
        services.reassign_member(Actor(user=frank), order, Role.DOCTOR, team[Role.DOCTOR])
