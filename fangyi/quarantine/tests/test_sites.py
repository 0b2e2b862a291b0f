"""Observation-site pages: the list with occupancy, setting a site up, a site's room grid,
adding rooms, a cleaned room, by role and by scope; bad room specs refused with the service's
reason and nothing typed lost."""

import re
from datetime import date

import pytest
from django.urls import reverse

from fangyi.core.audit import Actor
from fangyi.core.models import QuarantineKind
from fangyi.core.roles import Role
from fangyi.quarantine import services
from fangyi.quarantine.models import ObservationSite, Room, RoomStatus
from fangyi.quarantine.testing import freeze_clock, local_time, make_order, make_site
from fangyi.testing import make_person, make_user

FEB_1 = date(2020, 2, 1)
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    return freeze_clock(monkeypatch, local_time(FEB_1, 9, 0))


@pytest.fixture
def hotel(town):
    return make_site(town, rooms="101-104, 201-202", capacity=1)


@pytest.fixture
def other_hotel(other_town):
    return services.create_site(SYSTEM, other_town, name="白水招待所", rooms="1-3")


def room(site, number) -> Room:
    return site.rooms.get(number=number)


def put_in(site, number, person) -> object:
    return make_order(
        person, QuarantineKind.CENTRALIZED, site=site, room=room(site, number), address=""
    )


def site_form(in_town, **values) -> dict:
    data = {
        "town": in_town.code,
        "name": "青山中学观察点",
        "address": "青山镇学府路1号",
        "person_in_charge": "周主任",
        "phone": "0551-1234567",
        "rooms": "101-120, 201",
        "capacity": "1",
    }
    return data | values


# The list --------------------------------------------------------------------------------------


def test_it_lists_the_towns_sites_with_rooms_by_status_and_beds_left(
    client_for, carol, hotel, other_hotel, village_a
):
    put_in(hotel, "101", make_person(village_a, "张三"))
    gone = put_in(hotel, "102", make_person(village_a, "李四"))
    services.transfer_to_hospital(SYSTEM, gone, hospital="县人民医院")  # 102 waits for cleaning
    page = client_for(carol).get(reverse("quarantine:site_list")).content.decode()
    assert "青山宾馆" in page
    assert "白水招待所" not in page  # another town's
    assert "4 beds free" in page  # 103, 104, 201, 202 (not 101, full; not 102, being cleaned)
    assert "free 4" in page and "occupied 1" in page and "cleaning 1" in page
    assert "6 rooms" in page and "1 person" in page


def test_it_counts_beds_left_in_shared_rooms(client_for, carol, town, village_a):
    dorm = services.create_site(SYSTEM, town, name="青山宿舍", rooms="1-2", capacity=3)
    put_in(dorm, "1", make_person(village_a, "张三"))
    put_in(dorm, "1", make_person(village_a, "李四"))
    page = client_for(carol).get(reverse("quarantine:site_list")).content.decode()
    assert "4 beds free" in page  # 3 − 2 in room 1, 3 in room 2
    assert "occupied 1" in page and "free 1" in page


def test_it_lists_sites_in_a_fixed_number_of_queries(
    client_for, carol, town, django_assert_max_num_queries
):
    for n in range(6):
        services.create_site(SYSTEM, town, name=f"观察点{n}", rooms="1-5")
    client = client_for(carol)
    client.get(reverse("quarantine:site_list"))  # warm the session and permission caches
    with django_assert_max_num_queries(7):
        response = client.get(reverse("quarantine:site_list"))
    assert len(re.findall(r'href="/quarantine/sites/\d+/"', response.content.decode())) == 6


def test_it_shows_the_town_of_each_site_to_the_county(client_for, county, hotel, other_hotel):
    commander = make_user("county", Role.COUNTY_COMMANDER, county, "县指挥长")
    page = client_for(commander).get(reverse("quarantine:site_list")).content.decode()
    assert "青山宾馆" in page and "白水招待所" in page
    assert "青山镇" in page and "白水镇" in page


def test_it_refuses_the_list_to_a_role_without_sites(client_for, village_a):
    staff = make_user("sam", Role.CHECKPOINT_STAFF, village_a, "孙明")
    assert client_for(staff).get(reverse("quarantine:site_list")).status_code == 403


def test_it_asks_for_a_login(client):
    response = client.get(reverse("quarantine:site_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# Setting a site up ------------------------------------------------------------------------------


def test_it_sets_a_site_up_with_its_rooms(client_for, carol, town):
    client = client_for(carol)
    form = client.get(reverse("quarantine:site_create")).content.decode()
    assert 'type="hidden" name="town"' in form  # a town's commander does not choose the town
    response = client.post(reverse("quarantine:site_create"), site_form(town, capacity="2"))
    site = ObservationSite.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("quarantine:site", args=[site.pk])
    assert site.town == town and site.person_in_charge == "周主任"
    assert sorted(site.rooms.values_list("number", flat=True)) == sorted(
        [str(n) for n in range(101, 121)] + ["201"]
    )
    assert set(site.rooms.values_list("capacity", flat=True)) == {2}
    page = client.get(response["Location"]).content.decode()
    assert "Site 青山中学观察点 is set up with 21 rooms." in page


@pytest.mark.parametrize(
    ("rooms", "reason"),
    [
        ("120-101", "“120-101” is not a range like 101-120"),
        ("101-105, 103", "a room number is listed twice"),
        ("1-900", "at most 500 rooms at a time"),
        ("A-C", "“A-C” is not a range like 101-120"),
    ],
)
def test_it_refuses_a_bad_room_list_and_keeps_what_was_typed(
    client_for, carol, town, rooms, reason
):
    response = client_for(carol).post(
        reverse("quarantine:site_create"), site_form(town, rooms=rooms)
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-field="rooms">Rooms：{reason}' in page
    assert 'value="青山中学观察点"' in page and 'value="周主任"' in page
    assert f'value="{rooms}"' in page
    assert not ObservationSite.objects.exists()


@pytest.mark.parametrize(
    ("capacity", "reason"),
    [
        ("0", "a room holds 1 to 10 people"),
        ("11", "a room holds 1 to 10 people"),
        ("two", "Enter a whole number."),
    ],
)
def test_it_refuses_a_bad_capacity(client_for, carol, town, capacity, reason):
    response = client_for(carol).post(
        reverse("quarantine:site_create"), site_form(town, capacity=capacity)
    )
    assert reason in response.content.decode()
    assert not ObservationSite.objects.exists()


def test_it_refuses_a_site_without_a_name_or_rooms(client_for, carol, town):
    response = client_for(carol).post(
        reverse("quarantine:site_create"), site_form(town, name=" ", rooms="")
    )
    page = response.content.decode()
    assert 'data-field="name"' in page and 'data-field="rooms"' in page
    assert not ObservationSite.objects.exists()


def test_it_refuses_a_site_in_another_town(client_for, carol, town, other_town):
    response = client_for(carol).post(
        reverse("quarantine:site_create"), site_form(town, town=other_town.code)
    )
    assert "that town does not exist or is outside your jurisdiction" in response.content.decode()
    assert not ObservationSite.objects.exists()


def test_it_lets_the_county_choose_the_town(client_for, county, town, other_town):
    commander = make_user("county", Role.COUNTY_COMMANDER, county, "县指挥长")
    client = client_for(commander)
    form = client.get(reverse("quarantine:site_create")).content.decode()
    assert "<select" in form and "白水镇" in form
    client.post(reverse("quarantine:site_create"), site_form(town, town=other_town.code))
    assert ObservationSite.objects.get().town == other_town


def test_it_refuses_setting_up_to_an_auditor(client_for, dave, town):
    client = client_for(dave)
    assert client.get(reverse("quarantine:site_list")).status_code == 200
    assert client.get(reverse("quarantine:site_create")).status_code == 403
    assert client.post(reverse("quarantine:site_create"), site_form(town)).status_code == 403
    assert not ObservationSite.objects.exists()


# A site's page ---------------------------------------------------------------------------------


def test_it_shows_the_room_grid_with_who_is_where_and_their_day(
    client_for, carol, hotel, village_a, clock
):
    zhang = make_person(village_a, "张三")
    put_in(hotel, "101", zhang)
    clock.at = local_time(date(2020, 2, 3), 9, 0)
    page = client_for(carol).get(reverse("quarantine:site", args=[hotel.pk])).content.decode()
    assert 'data-number="101" data-status="occupied"' in page
    assert 'data-number="102" data-status="free"' in page
    assert "张三" in page and "day 3 of 14" in page
    assert zhang.id_number not in page and zhang.id_number_masked not in page
    assert page.index("floor 1") < page.index('data-number="101"') < page.index("floor 2")
    assert page.index('data-number="104"') < page.index('data-number="201"')


def test_it_flags_an_occupant_due_for_release(client_for, carol, hotel, village_a, clock):
    put_in(hotel, "101", make_person(village_a, "张三"))
    clock.at = local_time(date(2020, 2, 15), 9, 0)
    page = client_for(carol).get(reverse("quarantine:site", args=[hotel.pk])).content.decode()
    assert "due for release" in page


def test_it_hides_the_name_of_someone_the_user_may_not_see(
    client_for, carol, hotel, other_town_village
):
    put_in(hotel, "101", make_person(other_town_village, "刘洋"))
    page = client_for(carol).get(reverse("quarantine:site", args=[hotel.pk])).content.decode()
    assert 'data-number="101" data-status="occupied"' in page
    assert "刘洋" not in page
    assert "1 person of another village" in page


def test_it_gives_404_for_another_towns_site_and_room(client_for, frank, hotel, village_a):
    gone = put_in(hotel, "101", make_person(village_a, "张三"))
    services.transfer_to_hospital(SYSTEM, gone, hospital="县人民医院")
    client = client_for(frank)
    assert client.get(reverse("quarantine:site", args=[hotel.pk])).status_code == 404
    response = client.post(
        reverse("quarantine:site_add_rooms", args=[hotel.pk]),
        {"add-rooms": "301", "add-capacity": "1"},
    )
    assert response.status_code == 404
    cleaning = room(hotel, "101")
    assert client.post(reverse("quarantine:room_cleaned", args=[cleaning.pk])).status_code == 404
    cleaning.refresh_from_db()
    assert cleaning.status == RoomStatus.CLEANING
    assert not hotel.rooms.filter(number="301").exists()


def test_it_shows_an_auditor_the_grid_without_actions(client_for, dave, hotel, village_a):
    gone = put_in(hotel, "101", make_person(village_a, "张三"))
    services.transfer_to_hospital(SYSTEM, gone, hospital="县人民医院")
    page = client_for(dave).get(reverse("quarantine:site", args=[hotel.pk])).content.decode()
    assert 'data-status="cleaning"' in page
    assert "add-rooms-form" not in page and "room_cleaned" not in page
    assert "/cleaned/" not in page


def test_it_adds_rooms(client_for, carol, hotel):
    client = client_for(carol)
    response = client.post(
        reverse("quarantine:site_add_rooms", args=[hotel.pk]),
        {"add-rooms": "301-305", "add-capacity": "2"},
    )
    assert response.status_code == 302
    assert hotel.rooms.filter(number__startswith="3", capacity=2).count() == 5
    assert "5 rooms added: 301…305" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("rooms", "reason"),
    [
        ("104-106", "rooms already at this site: 104"),
        ("306-301", "“306-301” is not a range like 101-120"),
        ("301, 301", "a room number is listed twice"),
    ],
)
def test_it_refuses_bad_rooms_to_add_and_keeps_the_page(client_for, carol, hotel, rooms, reason):
    response = client_for(carol).post(
        reverse("quarantine:site_add_rooms", args=[hotel.pk]),
        {"add-rooms": rooms, "add-capacity": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert reason in page
    assert f'value="{rooms}"' in page
    assert 'id="add-rooms" open' in page
    assert 'data-number="101"' in page  # the grid is still there
    assert hotel.rooms.count() == 6


def test_it_marks_a_cleaned_room_free(client_for, carol, hotel, village_a):
    gone = put_in(hotel, "101", make_person(village_a, "张三"))
    services.transfer_to_hospital(SYSTEM, gone, hospital="县人民医院")
    client = client_for(carol)
    page = client.get(reverse("quarantine:site", args=[hotel.pk])).content.decode()
    cleaning = room(hotel, "101")
    action = reverse("quarantine:room_cleaned", args=[cleaning.pk])
    assert f'action="{action}"' in page
    response = client.post(action)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#room-{cleaning.pk}")
    cleaning.refresh_from_db()
    assert cleaning.status == RoomStatus.FREE
    assert "Room 101 is cleaned and free." in client.get(response["Location"]).content.decode()


def test_it_refuses_to_clean_a_room_not_waiting_for_it(client_for, carol, hotel, village_a):
    put_in(hotel, "101", make_person(village_a, "张三"))
    client = client_for(carol)
    response = client.post(reverse("quarantine:room_cleaned", args=[room(hotel, "101").pk]))
    assert (
        "room 101 is not waiting for cleaning" in client.get(response["Location"]).content.decode()
    )
    assert room(hotel, "101").status == RoomStatus.OCCUPIED
    assert (
        client.get(reverse("quarantine:room_cleaned", args=[room(hotel, "101").pk])).status_code
        == 405
    )


def test_it_lists_the_staff_on_site(client_for, carol, hotel, town):
    nurse = make_user("nurse", Role.DOCTOR, town, "钱护士")
    hotel.staff.add(nurse)
    page = client_for(carol).get(reverse("quarantine:site", args=[hotel.pk])).content.decode()
    assert "钱护士" in page and "doctor" in page


def test_it_changes_the_staff_on_site(client_for, carol, hotel, town, other_town):
    nurse = make_user("nurse", Role.DOCTOR, town, "钱护士")
    outsider = make_user("outsider", Role.DOCTOR, other_town, "外镇医生")
    make_user("gate", Role.CHECKPOINT_STAFF, town, "卡口员")
    client = client_for(carol)
    page = client.get(reverse("quarantine:site", args=[hotel.pk])).content.decode()
    assert "钱护士" in page and "外镇医生" not in page and "卡口员" not in page
    url = reverse("quarantine:site_staff", args=[hotel.pk])
    assert client.post(url, {"staff-staff": [nurse.pk]}).status_code == 302
    assert list(hotel.staff.all()) == [nurse]
    response = client.post(url, {"staff-staff": [outsider.pk]})
    assert response.status_code == 200 and list(hotel.staff.all()) == [nurse]


# The admin: read-only and scoped --------------------------------------------------------------


@pytest.mark.parametrize(
    "model", ["observationsite", "room", "quarantineorder", "followup", "nucleicacidtest"]
)
def test_it_lists_the_quarantine_models_read_only_in_the_admin(
    client, carol, hotel, other_hotel, village_a, model
):
    order = put_in(hotel, "101", make_person(village_a, "张三"))
    carol.is_staff = True
    carol.save(update_fields=["is_staff"])
    client.force_login(carol)
    response = client.get(reverse(f"admin:quarantine_{model}_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "白水招待所" not in page  # another town's site, or its rooms
    assert "张三" not in page and order.person.id_number not in page
    assert client.get(reverse(f"admin:quarantine_{model}_add")).status_code == 403


def test_it_shows_an_order_in_the_admin_without_an_id_number_and_hides_other_towns(
    client, carol, frank, hotel, village_a, other_hotel
):
    order = put_in(hotel, "101", make_person(village_a, "张三"))
    for user in (carol, frank):
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    client.force_login(carol)
    url = reverse("admin:quarantine_quarantineorder_change", args=[order.pk])
    page = client.get(url).content.decode()
    assert "集中医学观察" in page or "centralized" in page
    assert order.person.id_number not in page and order.person.id_number_masked not in page
    assert (
        client.get(reverse("admin:quarantine_observationsite_change", args=[hotel.pk])).status_code
        == 200
    )
    client.force_login(frank)
    assert client.get(url).status_code == 302  # "not found": back to the admin index


# In real Chromium --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_sites_and_the_room_grid_on_a_phone_and_a_desk(page_for, town, village_a):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    carol = make_user("carol", Role.TOWN_COMMANDER, town, "陈可")
    hotel = make_site(town, rooms="101-108, 201-206", capacity=1)
    services.create_site(SYSTEM, town, name="青山中学宿舍", rooms="1-10", capacity=4)
    for number, name in [("101", "张三"), ("102", "李四"), ("105", "王五"), ("201", "赵六")]:
        put_in(hotel, number, make_person(village_a, name))
    gone = put_in(hotel, "103", make_person(village_a, "钱七"))
    services.transfer_to_hospital(SYSTEM, gone, hospital="县人民医院")

    page = page_for(carol, 360)
    page.goto(reverse("quarantine:site_list"))
    expect(page.locator("#site-rows li")).to_have_count(2)
    screenshot(page, "quarantine-sites-360")
    page.click("#site-rows a:has-text('青山宾馆')")
    expect(page.locator(".room")).to_have_count(14)
    screenshot(page, "quarantine-site-360")
    page.click("#room-grid .room-cleaning button.cleaned")  # 103 was cleaned
    expect(page.locator('.room[data-number="103"]')).to_have_attribute("data-status", "free")
    page.click("#add-rooms summary")
    page.fill("#id_add-rooms", "208-201")
    page.click("#add-rooms-form button.primary")
    expect(page.locator('#add-rooms-form .error[data-field="rooms"]')).to_be_visible()
    expect(page.locator("#id_add-rooms")).to_have_value("208-201")
    screenshot(page, "quarantine-site-bad-rooms-360")

    desk = page_for(carol, 1280)
    desk.goto(reverse("quarantine:site_list"))
    screenshot(desk, "quarantine-sites-1280")
    desk.goto(reverse("quarantine:site", args=[hotel.pk]))
    screenshot(desk, "quarantine-site-1280")
    desk.goto(reverse("quarantine:site_create"))
    screenshot(desk, "quarantine-site-form-1280")
