"""Observation sites and rooms: setting them up (room number specs), occupancy (capacity,
cleaning), moving a person between rooms, and terminal cleaning."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fangyi.core.audit import Actor
from fangyi.core.models import QuarantineKind
from fangyi.quarantine import services
from fangyi.quarantine.models import (
    ObservationSite,
    OrderEvent,
    OrderEventKind,
    QuarantineOrder,
    Room,
    RoomStatus,
)
from fangyi.quarantine.testing import freeze_clock, local_time, make_order, make_site
from fangyi.testing import make_person

SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze_clock(monkeypatch, local_time(date(2020, 2, 1), 6, 0))


@pytest.fixture
def site(town):
    return make_site(town, rooms="101-103")


def room_of(site, number: str) -> Room:
    return site.rooms.get(number=number)


def state(room: Room) -> tuple[str, int]:
    room.refresh_from_db()
    return room.status, room.occupants


def centralize(person, room: Room, **values) -> QuarantineOrder:
    return make_order(person, QuarantineKind.CENTRALIZED, site=room.site, room=room, **values)


def person(village, name: str):
    return make_person(village, name)


def rooms_message(raised: pytest.ExceptionInfo) -> str:
    (message,) = raised.value.message_dict["rooms"]
    return message


# Room numbers --------------------------------------------------------------------------------


def test_it_reads_ranges_and_lists_of_room_numbers():
    assert services.parse_room_numbers("101-103, 201，203、A1") == [
        "101",
        "102",
        "103",
        "201",
        "203",
        "A1",
    ]
    assert services.parse_room_numbers(" 9 - 11 ") == ["9", "10", "11"]
    assert services.parse_room_numbers("") == [] and services.parse_room_numbers(None) == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("120-101", "“120-101” is not a range like 101-120"),
        ("abc-def", "“abc-def” is not a range like 101-120"),
        ("101-", "“101-” is not a range like 101-120"),
        ("101,101", "a room number is listed twice"),
        ("101-105,103", "a room number is listed twice"),
        ("1-502", "at most 500 rooms at a time"),
    ],
)
def test_it_refuses_a_bad_room_spec_saying_why(spec, message):
    with pytest.raises(ValidationError) as raised:
        services.parse_room_numbers(spec)

    assert rooms_message(raised) == message


@pytest.mark.parametrize("spec", ["101－103", "101~103", "101～103", "101—103"])
def test_it_reads_a_range_typed_with_a_chinese_keyboard(spec):
    assert services.parse_room_numbers(spec) == ["101", "102", "103"]


# Sites ---------------------------------------------------------------------------------------


def test_it_sets_up_a_site_with_its_rooms(town, carol):
    site = services.create_site(
        Actor(user=carol),
        town,
        name=" 青山宾馆 ",
        address="青山镇解放路8号",
        person_in_charge="周经理",
        phone="0551-1234567",
        rooms="101-110, 201-205",
        capacity=2,
    )

    assert site.name == "青山宾馆" and site.town == town
    assert site.rooms.count() == 15
    assert set(site.rooms.values_list("capacity", "status", "occupants")) == {
        (2, RoomStatus.FREE, 0)
    }


def test_it_refuses_a_site_without_a_name(town):
    with pytest.raises(ValidationError) as raised:
        services.create_site(SYSTEM, town, name="  ", rooms="101")

    assert raised.value.message_dict == {"name": ["name the site"]}


def test_it_stores_no_site_when_its_rooms_are_refused(town):
    with pytest.raises(ValidationError):
        services.create_site(SYSTEM, town, name="青山宾馆", rooms="120-101")

    assert not Room.objects.exists()
    assert not ObservationSite.objects.exists()


def test_it_adds_rooms_but_not_ones_already_there(site, carol):
    added = services.add_rooms(Actor(user=carol), site, rooms="201-202", capacity=3)

    assert [r.number for r in added] == ["201", "202"]
    with pytest.raises(ValidationError) as raised:
        services.add_rooms(Actor(user=carol), site, rooms="103-105")
    assert rooms_message(raised) == "rooms already at this site: 103"
    assert site.rooms.count() == 5


@pytest.mark.parametrize("capacity", [0, 11, "2"])
def test_it_refuses_a_room_capacity_outside_1_to_10(site, capacity):
    with pytest.raises(ValidationError) as raised:
        services.add_rooms(SYSTEM, site, rooms="301", capacity=capacity)

    assert raised.value.message_dict == {"capacity": ["a room holds 1 to 10 people"]}


def test_it_does_not_let_a_village_cadre_or_another_town_set_up_sites(town, site, alice, frank):
    with pytest.raises(PermissionDenied):
        services.create_site(Actor(user=alice), town, name="东村小学", rooms="1-3")
    with pytest.raises(PermissionDenied):
        services.create_site(Actor(user=frank), town, name="白水宾馆", rooms="1-3")
    with pytest.raises(PermissionDenied):
        services.add_rooms(Actor(user=frank), site, rooms="301")


# Occupancy -----------------------------------------------------------------------------------


def test_it_occupies_a_room(site, village_a):
    room = room_of(site, "101")

    order = centralize(person(village_a, "张三"), room)

    assert order.room == room and order.site == site
    assert state(room) == (RoomStatus.OCCUPIED, 1)


def test_it_refuses_a_full_room(site, village_a):
    room = room_of(site, "101")
    centralize(person(village_a, "张三"), room)

    with pytest.raises(ValidationError) as raised:
        centralize(person(village_a, "李四"), room)

    assert raised.value.message_dict == {"room": ["room 101 is full"]}
    assert state(room) == (RoomStatus.OCCUPIED, 1)
    assert QuarantineOrder.objects.count() == 1


def test_it_puts_two_in_a_double_room_and_refuses_a_third(town, village_a):
    room = make_site(town, rooms="101", capacity=2).rooms.get()

    centralize(person(village_a, "张三"), room)
    centralize(person(village_a, "李四"), room)
    with pytest.raises(ValidationError) as raised:
        centralize(person(village_a, "王五"), room)

    assert raised.value.message_dict == {"room": ["room 101 is full"]}
    assert state(room) == (RoomStatus.OCCUPIED, 2)
    assert QuarantineOrder.objects.count() == 2


def test_it_refuses_a_room_being_cleaned_until_it_is_cleaned(site, village_a, carol):
    room = room_of(site, "101")
    first = centralize(person(village_a, "张三"), room)
    services.transfer_to_hospital(SYSTEM, first, hospital="县医院")
    assert state(room) == (RoomStatus.CLEANING, 0)

    with pytest.raises(ValidationError) as raised:
        centralize(person(village_a, "李四"), room)
    assert raised.value.message_dict == {"room": ["room 101 is being cleaned"]}

    cleaned = services.mark_room_cleaned(Actor(user=carol), room)
    assert cleaned.status == RoomStatus.FREE
    centralize(person(village_a, "李四"), room)
    assert state(room) == (RoomStatus.OCCUPIED, 1)


def test_it_lets_a_centralized_order_wait_for_a_room(site, village_a):
    order = make_order(person(village_a, "张三"), QuarantineKind.CENTRALIZED, site=site)

    assert order.room is None and order.site == site
    assert set(site.rooms.values_list("occupants", flat=True)) == {0}


# Moving between rooms ------------------------------------------------------------------------


def test_it_moves_a_person_to_another_room(site, village_a, carol):
    old, new = room_of(site, "101"), room_of(site, "102")
    order = centralize(person(village_a, "张三"), old)

    moved = services.assign_room(Actor(user=carol), order, new)

    assert moved.room == new
    assert state(old) == (RoomStatus.CLEANING, 0)
    assert state(new) == (RoomStatus.OCCUPIED, 1)
    event = OrderEvent.objects.get(order=order, kind=OrderEventKind.ROOM)
    assert event.details == {"before": "青山宾馆 101", "after": "青山宾馆 102"}
    assert event.actor == carol


def test_it_leaves_a_shared_room_occupied_when_one_moves_out(town, village_a):
    site = make_site(town, rooms="101-102", capacity=2)
    shared, other = room_of(site, "101"), room_of(site, "102")
    order = centralize(person(village_a, "张三"), shared)
    centralize(person(village_a, "李四"), shared)

    services.assign_room(SYSTEM, order, other)

    assert state(shared) == (RoomStatus.OCCUPIED, 1)


def test_it_gives_a_waiting_order_its_room(site, village_a):
    order = make_order(person(village_a, "张三"), QuarantineKind.CENTRALIZED, site=site)

    services.assign_room(SYSTEM, order, room_of(site, "103"))

    order.refresh_from_db()
    assert order.room.number == "103"
    assert OrderEvent.objects.get(order=order, kind=OrderEventKind.ROOM).details["before"] == ""


def test_it_moves_a_person_to_another_site(site, town, village_a):
    order = centralize(person(village_a, "张三"), room_of(site, "101"))
    school = services.create_site(SYSTEM, town, name="青山中学", rooms="1-2")

    services.assign_room(SYSTEM, order, room_of(school, "1"))

    order.refresh_from_db()
    assert order.site == school and order.room.number == "1"
    assert state(room_of(site, "101")) == (RoomStatus.CLEANING, 0)


def test_it_changes_nothing_when_assigning_the_same_room(site, village_a):
    room = room_of(site, "101")
    order = centralize(person(village_a, "张三"), room)

    services.assign_room(SYSTEM, order, room)

    assert state(room) == (RoomStatus.OCCUPIED, 1)
    assert not OrderEvent.objects.filter(kind=OrderEventKind.ROOM).exists()


def test_it_keeps_the_person_in_their_room_when_the_new_one_is_full(site, village_a):
    old, full = room_of(site, "101"), room_of(site, "102")
    order = centralize(person(village_a, "张三"), old)
    centralize(person(village_a, "李四"), full)

    with pytest.raises(ValidationError) as raised:
        services.assign_room(SYSTEM, order, full)

    assert raised.value.message_dict == {"room": ["room 102 is full"]}
    assert state(old) == (RoomStatus.OCCUPIED, 1)  # the move out was rolled back
    assert state(full) == (RoomStatus.OCCUPIED, 1)
    order.refresh_from_db()
    assert order.room == old


def test_it_refuses_a_room_for_home_quarantine_or_an_ended_order(site, village_a):
    home = make_order(make_person(village_a, "张三", current_address="东村"))
    ended = centralize(person(village_a, "李四"), room_of(site, "101"))
    services.transfer_to_hospital(SYSTEM, ended, hospital="县医院")

    for order in (home, ended):
        with pytest.raises(ValidationError) as raised:
            services.assign_room(SYSTEM, order, room_of(site, "102"))
        assert raised.value.message_dict == {
            "room": ["only a running centralized observation gets a room"]
        }
    assert state(room_of(site, "102")) == (RoomStatus.FREE, 0)


def test_it_does_not_let_a_village_cadre_assign_rooms(site, village_a, alice):
    order = make_order(person(village_a, "张三"), QuarantineKind.CENTRALIZED, site=site)

    with pytest.raises(PermissionDenied):
        services.assign_room(Actor(user=alice), order, room_of(site, "101"))


# Cleaning ------------------------------------------------------------------------------------


def test_it_marks_only_a_room_waiting_for_cleaning_as_cleaned(site, village_a):
    free = room_of(site, "101")
    occupied = room_of(site, "102")
    centralize(person(village_a, "张三"), occupied)

    for room in (free, occupied):
        with pytest.raises(ValidationError) as raised:
            services.mark_room_cleaned(SYSTEM, room)
        assert raised.value.message_dict == {
            "room": [f"room {room.number} is not waiting for cleaning"]
        }
    assert state(occupied) == (RoomStatus.OCCUPIED, 1)


def test_it_does_not_let_a_village_cadre_or_another_town_mark_rooms(site, village_a, alice, frank):
    room = room_of(site, "101")
    services.transfer_to_hospital(
        SYSTEM, centralize(person(village_a, "张三"), room), hospital="医院"
    )

    for user in (alice, frank):
        with pytest.raises(PermissionDenied):
            services.mark_room_cleaned(Actor(user=user), room)
    assert state(room) == (RoomStatus.CLEANING, 0)


# Another town's site -------------------------------------------------------------------------


@pytest.fixture
def baishui_room(other_town):
    return services.create_site(SYSTEM, other_town, name="白水宾馆", rooms="1").rooms.get()


def test_it_does_not_let_a_town_fill_another_towns_site(village_a, carol, baishui_room):
    with pytest.raises((PermissionDenied, ValidationError)):
        make_order(
            person(village_a, "张三"),
            QuarantineKind.CENTRALIZED,
            site=baishui_room.site,
            room=baishui_room,
            actor=Actor(user=carol),
        )

    assert state(baishui_room) == (RoomStatus.FREE, 0)


def test_it_does_not_let_a_town_move_a_person_into_another_towns_room(
    site, village_a, carol, baishui_room
):
    order = centralize(person(village_a, "张三"), room_of(site, "101"))

    with pytest.raises((PermissionDenied, ValidationError)):
        services.assign_room(Actor(user=carol), order, baishui_room)

    assert state(baishui_room) == (RoomStatus.FREE, 0)
