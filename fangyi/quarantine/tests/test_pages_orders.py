"""The orders list (filters, search, pages, scope, query count) and putting a person under
quarantine from a ledger entry or a person (the form, its bad inputs, the room select, the
ledger entry's button)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from fangyi.core.models import QuarantineKind
from fangyi.core.roles import Role
from fangyi.ledger.models import Category
from fangyi.ledger.testing import make_entry
from fangyi.quarantine.models import (
    OrderReason,
    OrderStatus,
    QuarantineOrder,
    RoomStatus,
    TeamAssignment,
)
from fangyi.quarantine.testing import (
    freeze_clock,
    local_time,
    make_order,
    make_site,
    make_team,
)
from fangyi.testing import make_person, make_user

FEB_1 = date(2020, 2, 1)
ORDERS = reverse("quarantine:orders")
NEW = reverse("quarantine:order_create")


@pytest.fixture(autouse=True)
def clock(monkeypatch, db):
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def team(town, village_a):
    return make_team(town, village_a)


@pytest.fixture
def entry(village_a):
    person = make_person(village_a, "周八", current_address="东村1组1号")
    return make_entry(
        person,
        Category.RETURNEE,
        proposed_measure=QuarantineKind.CENTRALIZED,
        local_address="东村1组8号",
    )


def names(page) -> list[str]:
    return [row.order.person.name for row in page.context["rows"]]


# The list ------------------------------------------------------------------------------------


@pytest.fixture
def orders(clock, town, village_a, village_b, team):
    made = {
        "甲": make_order(make_person(village_a, "甲"), start_date=FEB_1),
        "乙": make_order(
            make_person(village_a, "乙"), QuarantineKind.HOME_MONITORING, start_date=FEB_1
        ),
        "丙": make_order(make_person(village_b, "丙"), start_date=FEB_1),
    }
    clock.at = local_time(FEB_1 + timedelta(days=6), 20, 0)  # day 7: 乙 due tomorrow
    return made


def test_it_lists_the_running_orders_of_the_town(orders, client_for, carol):
    page = client_for(carol).get(ORDERS)
    assert page.status_code == 200
    assert sorted(names(page)) == ["丙", "乙", "甲"]
    html = page.content.decode()
    assert "day 7 of 14" in html and "day 7 of 7" in html
    assert "****" in html  # phones masked


def test_it_filters_by_village_kind_status_and_name(orders, client_for, carol):
    client = client_for(carol)
    assert sorted(names(client.get(ORDERS, {"village": "999901100202"}))) == ["丙"]
    assert names(client.get(ORDERS, {"kind": "home_monitoring"})) == ["乙"]
    assert names(client.get(ORDERS, {"q": "丙"})) == ["丙"]
    assert names(client.get(ORDERS, {"status": "released"})) == []
    assert names(client.get(ORDERS, {"due": "on", "village": "999901100201"})) == []
    assert sorted(names(client.get(ORDERS, {"missed": "on"}))) == ["丙", "乙", "甲"]


def test_it_finds_orders_due_for_release(orders, clock, client_for, carol):
    clock.at = local_time(FEB_1 + timedelta(days=8), 9, 0)
    page = client_for(carol).get(ORDERS, {"due": "on"})
    assert names(page) == ["乙"]
    assert "due for release" in page.content.decode()


def test_it_shows_a_bad_filter_value_and_ignores_it(orders, client_for, carol):
    page = client_for(carol).get(ORDERS, {"kind": "quarantine-at-the-moon"})
    assert "kind" in page.context["form"].errors
    assert sorted(names(page)) == ["丙", "乙", "甲"]


def test_it_shows_a_village_cadre_her_village_only(orders, client_for, alice):
    client = client_for(alice)
    assert sorted(names(client.get(ORDERS))) == ["乙", "甲"]
    other_village = client.get(ORDERS, {"village": "999901100202"})
    assert "village" in other_village.context["form"].errors  # not hers to choose
    assert "丙" not in names(other_village)
    assert names(client.get(ORDERS, {"q": "丙"})) == []


def test_it_pages_the_list_in_a_fixed_number_of_queries(
    clock, client_for, carol, village_a, team, django_assert_max_num_queries
):
    for i in range(30):
        make_order(make_person(village_a, f"村民{i:02d}"))
    clock.at = local_time(FEB_1 + timedelta(days=1), 9, 0)
    client = client_for(carol)
    client.get(ORDERS)

    with django_assert_max_num_queries(10):
        first = client.get(ORDERS)
    second = client.get(ORDERS, {"page": 2})

    assert len(first.context["rows"]) == 25 and len(second.context["rows"]) == 5
    assert all(row.missed == 2 for row in first.context["rows"])  # day 1's two checks
    assert "Page 1 of 2" in first.content.decode()


# Putting a person under quarantine -----------------------------------------------------------


def test_it_prefills_the_form_from_the_ledger_entry(client_for, carol, entry, team):
    page = client_for(carol).get(NEW, {"entry": entry.external_id})

    assert page.status_code == 200
    form = page.context["form"]
    assert form["kind"].value() == QuarantineKind.CENTRALIZED
    assert form["reason"].value() == OrderReason.LEDGER
    assert form["address"].value() == "东村1组8号"
    assert str(form["start_date"].value()) == "2020-02-01"
    html = page.content.decode()
    assert "assign automatically (least load)" in html
    for role in ("village cadre", "police", "doctor", "town cadre"):
        assert f">{role[0].upper()}{role[1:]}</label>" in html or role in html


def test_it_puts_the_person_of_an_entry_under_quarantine_with_the_chosen_team(
    client_for, carol, entry, team, town
):
    other_doctor = make_user("qian", Role.DOCTOR, town, "钱医生")
    page = client_for(carol).post(
        f"{NEW}?entry={entry.external_id}",
        {
            "kind": QuarantineKind.HOME_QUARANTINE,
            "start_date": "2020-02-01",
            "reason": OrderReason.LEDGER,
            "address": "东村1组8号",
            "door_sealed": "on",
            f"team_{Role.DOCTOR}": str(other_doctor.pk),
        },
    )

    order = QuarantineOrder.objects.get()
    assert page.status_code == 302
    assert page["Location"] == reverse("quarantine:order", args=[order.external_id])
    assert order.ledger_entry == entry and order.reason == OrderReason.LEDGER
    assert order.kind == QuarantineKind.HOME_QUARANTINE and order.address == "东村1组8号"
    assert order.door_sealed and order.door_sealed_by == carol
    team_now = {a.role: a.member for a in TeamAssignment.objects.current()}
    assert team_now[Role.DOCTOR] == other_doctor
    assert team_now[Role.POLICE] == team[Role.POLICE]  # the load rule filled the rest
    entry.refresh_from_db()
    assert entry.status == "home_quarantine"


def test_it_puts_a_person_in_a_free_room_of_a_site(client_for, carol, village_a, town, team):
    site = make_site(town)
    person = make_person(village_a, "吴九")
    room = site.rooms.get(number="103")

    client_for(carol).post(
        f"{NEW}?person={person.external_id}",
        {
            "kind": QuarantineKind.CENTRALIZED,
            "start_date": "2020-02-01",
            "reason": OrderReason.CONTACT,
            "site": str(site.pk),
            "room": str(room.pk),
        },
    )

    order = QuarantineOrder.objects.get()
    assert order.site == site and order.room == room
    room.refresh_from_db()
    assert room.status == RoomStatus.OCCUPIED


def test_it_lists_only_the_free_rooms_of_the_chosen_site(client_for, carol, entry, town, team):
    site = make_site(town, rooms="101-103")
    other = make_site(town, rooms="901")
    make_order(
        make_person(entry.person.jurisdiction, "住客"),
        QuarantineKind.CENTRALIZED,
        site=site,
        room=site.rooms.get(number="102"),
    )

    page = client_for(carol).get(
        NEW, {"entry": entry.external_id, "site": site.pk}, HTTP_HX_REQUEST="true"
    )

    html = page.content.decode()
    assert html.lstrip().startswith('<div class="field')
    assert ">101 (1 of 1 free)<" in html and ">103 (1 of 1 free)<" in html
    assert ">102 " not in html and "901" not in html
    assert other.pk


def test_it_explains_a_centralized_order_without_a_site_and_keeps_the_typing(
    client_for, carol, entry, team
):
    page = client_for(carol).post(
        f"{NEW}?entry={entry.external_id}",
        {
            "kind": QuarantineKind.CENTRALIZED,
            "start_date": "2020-02-01",
            "reason": OrderReason.LEDGER,
            "reason_note": "武汉返乡",
        },
    )

    assert page.status_code == 200
    assert page.context["form"].errors["site"] == ["choose the observation site"]
    assert 'value="武汉返乡"' in page.content.decode()
    assert not QuarantineOrder.objects.exists()


def test_it_refuses_a_start_in_the_future(client_for, carol, entry, team):
    page = client_for(carol).post(
        f"{NEW}?entry={entry.external_id}",
        {"kind": QuarantineKind.HOME_QUARANTINE, "start_date": "2020-02-05", "reason": "ledger"},
    )
    assert page.context["form"].errors["start_date"] == ["an order cannot start in the future"]
    assert not QuarantineOrder.objects.exists()


def test_it_refuses_a_second_running_order_for_one_person(client_for, carol, entry, team):
    first = make_order(entry.person, start_date=FEB_1)

    page = client_for(carol).get(NEW, {"entry": entry.external_id})
    posted = client_for(carol).post(
        f"{NEW}?entry={entry.external_id}",
        {"kind": QuarantineKind.HOME_QUARANTINE, "start_date": "2020-02-01", "reason": "ledger"},
    )

    assert 'id="already-running"' in page.content.decode()
    assert reverse("quarantine:order", args=[first.external_id]) in page.content.decode()
    assert 'id="order-form"' not in page.content.decode()
    assert posted.status_code == 200
    assert QuarantineOrder.objects.count() == 1


def test_it_is_a_404_for_someone_outside_the_users_jurisdiction(
    client_for, carol, other_town_village
):
    stranger = make_person(other_town_village, "外人")
    client = client_for(carol)
    assert client.get(NEW, {"person": stranger.external_id}).status_code == 404
    assert client.get(NEW, {"person": "not-a-uuid"}).status_code == 404
    assert client.get(NEW).status_code == 404


def test_it_lets_only_the_town_order_quarantine(client_for, alice, erin, entry):
    assert client_for(alice).get(NEW, {"entry": entry.external_id}).status_code == 403
    assert client_for(erin).get(NEW, {"entry": entry.external_id}).status_code == 403


# The ledger entry's button -------------------------------------------------------------------


def test_it_offers_the_button_on_the_ledger_entry_until_an_order_runs(
    client_for, carol, alice, entry, team
):
    url = reverse("ledger:entry_detail", args=[entry.external_id])
    before = client_for(carol).get(url).content.decode()
    assert f"{NEW}?entry={entry.external_id}" in before
    assert 'id="put-under-quarantine"' not in client_for(alice).get(url).content.decode()

    order = make_order(entry.person, start_date=FEB_1, ledger_entry=entry)
    after = client_for(carol).get(url).content.decode()

    assert 'id="put-under-quarantine"' not in after
    assert reverse("quarantine:order", args=[order.external_id]) in after
    order.status = OrderStatus.RELEASED
    order.save(update_fields=["status"])
    assert 'id="put-under-quarantine"' in client_for(carol).get(url).content.decode()
