"""'My people today' and recording a check from it (htmx): a volunteer on a team records at
the door; the bad inputs (373, a future slot, a released order, an unknown symptom) come back
as the service's words on the form with what was typed; a double tap is one record."""

import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse

from fangyi.core.models import Alert, AlertKind, QuarantineKind
from fangyi.core.roles import Role
from fangyi.quarantine import services
from fangyi.quarantine.models import CheckMethod, CheckStatus, FollowUp
from fangyi.quarantine.testing import (
    complete_order,
    freeze_clock,
    local_time,
    make_order,
    set_profile,
)
from fangyi.testing import make_person, make_user

FEB_1 = date(2020, 2, 1)
MINE = reverse("quarantine:mine")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def clock(monkeypatch, db):
    """Orders are opened on Saturday 2020-02-01 06:00; the tests move on to day 3."""
    set_profile(team_roles=["village_cadre", "police", "doctor", "volunteer"])
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def team(town, village_a, alice, erin):
    return {
        Role.VILLAGE_CADRE: alice,
        Role.POLICE: make_user("wu", Role.POLICE, town, "吴警官"),
        Role.DOCTOR: make_user("sun", Role.DOCTOR, town, "孙医生"),
        Role.VOLUNTEER: erin,
    }


@pytest.fixture
def zhang(village_a, team):
    return make_order(make_person(village_a, "张三"), team=team, start_date=FEB_1)


@pytest.fixture
def li(village_a, team):
    return make_order(
        make_person(village_a, "李四"), team=team, start_date=FEB_1, address="东村5组2号"
    )


def slot(order, day: int, number: int) -> FollowUp:
    return order.checks.get(day=day, slot=number)


def record(order, day: int, number: int, temperature: str = "36.5") -> None:
    check = slot(order, day, number)
    services.record_check(
        services.Actor.system("test"),
        check,
        temperature=temperature,
        method=CheckMethod.DOOR,
        now=check.due_at,
    )


def post_check(client, check: FollowUp, **values):
    data = {"temperature": "36.6", "method": "door", "client_id": str(uuid.uuid4())}
    data.update(values)
    return client.post(reverse("quarantine:check_record", args=[check.pk]), data, **HTMX)


def test_it_lists_the_members_people_overdue_first_with_the_slots_due_today(
    clock, client_for, erin, zhang, li
):
    for day, number in ((1, 1), (1, 2), (2, 1), (2, 2)):
        record(zhang, day, number)
    record(li, 1, 1)  # li's 1/16:00 and both of day 2 are missed
    clock.at = local_time(FEB_1 + timedelta(days=2), 9, 0)

    page = client_for(erin).get(MINE)

    assert page.status_code == 200
    cards = page.context["cards"]
    assert [c.name for c in cards] == ["李四", "张三"]
    assert [s.state for s in cards[0].slots] == ["missed", "missed", "missed", "due", "later"]
    assert [s.state for s in cards[1].slots] == ["due", "later"]
    assert cards[1].day_number == 3 and cards[1].days == 14
    assert cards[1].last_temperature is not None
    html = page.content.decode()
    assert "day 3 of 14" in html
    assert "東村" not in html and "东村5组2号" in html
    assert cards[0].phone_masked in html and "****" in cards[0].phone_masked
    assert html.count('class="button record"') == 5  # 3 make-ups for li, 1 each due now
    assert page.context["overdue"] == 1


def test_it_shows_only_orders_where_the_user_is_a_current_member(
    clock, client_for, village_a, bob, erin, zhang
):
    yan = make_user("yan", Role.VOLUNTEER, village_a, "颜志愿")
    other = make_order(make_person(village_a, "王五"), start_date=FEB_1)  # yan: the least load
    services.reassign_member(services.Actor.system("test"), zhang, Role.VOLUNTEER, yan)

    names = [c.name for c in client_for(erin).get(MINE).context["cards"]]

    assert names == []
    assert other.person.name not in client_for(erin).get(MINE).content.decode()


def test_it_records_a_check_tapped_at_the_door(clock, client_for, erin, zhang):
    clock.at = local_time(FEB_1, 8, 5)
    check = slot(zhang, 1, 1)
    client = client_for(erin)
    form = client.get(reverse("quarantine:check_record", args=[check.pk]), **HTMX)
    assert form.status_code == 200
    client_id = form.context["form"]["client_id"].value()
    assert uuid.UUID(str(client_id))
    assert 'inputmode="decimal"' in form.content.decode()
    for symptom in ("发热", "干咳", "乏力"):
        assert symptom in form.content.decode()

    done = post_check(client, check, temperature="36.4", client_id=str(client_id))

    assert done.status_code == 200
    assert 'data-state="done"' in done.content.decode()
    assert "36.4 °C" in done.content.decode()
    check.refresh_from_db()
    assert check.status == CheckStatus.DONE
    assert check.checked_by == erin and check.method == CheckMethod.DOOR
    assert str(check.temperature) == "36.4"
    assert not Alert.objects.exists()


def test_it_counts_a_double_tap_once(clock, client_for, erin, zhang):
    clock.at = local_time(FEB_1, 8, 5)
    check = slot(zhang, 1, 1)
    client = client_for(erin)
    same = str(uuid.uuid4())

    first = post_check(client, check, temperature="36.4", client_id=same)
    second = post_check(client, check, temperature="36.4", client_id=same)

    assert "already recorded" not in first.content.decode()
    assert "already recorded" in second.content.decode()
    assert FollowUp.objects.filter(client_id=same).count() == 1
    assert FollowUp.objects.filter(status=CheckStatus.DONE).count() == 1


def test_it_shows_a_fever_red_and_raises_the_alert(clock, client_for, erin, zhang):
    clock.at = local_time(FEB_1, 8, 5)

    done = post_check(client_for(erin), slot(zhang, 1, 1), temperature="38.2", symptoms=["干咳"])

    html = done.content.decode()
    assert 'data-fever="yes"' in html and "fever" in html
    assert "The doctor and the town are alerted." in html
    assert set(Alert.objects.values_list("kind", flat=True)) == {AlertKind.FEVER, AlertKind.SYMPTOM}


def test_it_says_373_is_impossible_and_keeps_what_was_typed(clock, client_for, erin, zhang):
    clock.at = local_time(FEB_1, 8, 5)
    check = slot(zhang, 1, 1)

    page = post_check(client_for(erin), check, temperature="373", symptoms=["干咳"], method="phone")

    assert page.status_code == 200
    errors = page.context["form"].errors
    assert errors["temperature"] == ["373 °C is impossible: did you mean 37.3?"]
    html = page.content.decode()
    assert 'value="373"' in html
    assert 'value="干咳" ' in html and "checked" in html.split('value="干咳"')[1][:40]
    assert 'value="phone" ' in html and "checked" in html.split('value="phone"')[1][:40]
    check.refresh_from_db()
    assert check.status == CheckStatus.PENDING
    assert not Alert.objects.exists()


def test_it_names_an_unknown_symptom_with_the_ones_to_choose_from(clock, client_for, erin, zhang):
    clock.at = local_time(FEB_1, 8, 5)

    page = post_check(client_for(erin), slot(zhang, 1, 1), symptoms=["头晕"])

    (message,) = page.context["form"].errors["symptoms"]
    assert message.startswith("unknown symptom 头晕: choose from 发热、干咳")
    assert slot(zhang, 1, 1).status == CheckStatus.PENDING


def test_it_refuses_a_slot_not_due_yet(clock, client_for, erin, zhang):
    clock.at = local_time(FEB_1, 8, 5)
    later = slot(zhang, 2, 1)

    page = post_check(client_for(erin), later)

    assert page.status_code == 200
    (message,) = page.context["form"].non_field_errors()
    assert "is not due yet: it can be recorded from 02-02 06:00" in message
    assert 'value="36.6"' in page.content.decode()
    assert slot(zhang, 2, 1).status == CheckStatus.PENDING


def test_it_refuses_a_check_on_a_released_order(clock, client_for, erin, team, zhang):
    complete_order(zhang)
    clock.at = local_time(FEB_1 + timedelta(days=14), 9, 0)
    services.release_order(services.Actor(team[Role.DOCTOR]), zhang)
    cancelled = zhang.checks.filter(status=CheckStatus.CANCELLED).first() or slot(zhang, 14, 2)

    page = post_check(client_for(erin), cancelled)

    (message,) = page.context["form"].non_field_errors()
    assert "no more checks are recorded" in message
    assert client_for(erin).get(MINE).context["cards"] == []


def test_it_is_a_404_for_a_check_of_another_village(clock, client_for, bob, zhang):
    check = slot(zhang, 1, 1)
    response = post_check(client_for(bob), check)
    assert response.status_code == 404
    assert slot(zhang, 1, 1).status == CheckStatus.PENDING


def test_it_gives_an_auditor_no_record_button_and_no_recording(clock, client_for, dave, zhang):
    clock.at = local_time(FEB_1, 8, 5)
    check = slot(zhang, 1, 1)
    client = client_for(dave)

    detail = client.get(reverse("quarantine:order", args=[zhang.external_id]))
    refused = post_check(client, check)

    assert detail.status_code == 200
    html = detail.content.decode()
    assert reverse("quarantine:check_record", args=[check.pk]) not in html
    assert "Renew the link" not in html and 'id="release-form"' not in html
    assert 'id="door-toggle"' not in html and "Change the measure" not in html
    assert refused.status_code == 403
    assert slot(zhang, 1, 1).status == CheckStatus.PENDING


def test_it_works_without_javascript(clock, client_for, erin, zhang):
    clock.at = local_time(FEB_1, 8, 5)
    check = slot(zhang, 1, 1)
    client = client_for(erin)

    page = client.get(reverse("quarantine:check_record", args=[check.pk]))
    done = client.post(
        reverse("quarantine:check_record", args=[check.pk]),
        {"temperature": "36.5", "method": "door", "client_id": str(uuid.uuid4()), "next": MINE},
    )

    assert page.status_code == 200 and 'id="slot-' in page.content.decode()
    assert done.status_code == 302 and done["Location"] == MINE
    assert slot(zhang, 1, 1).status == CheckStatus.DONE


def test_it_lists_mine_in_a_fixed_number_of_queries(
    clock, client_for, village_a, team, erin, django_assert_max_num_queries
):
    for i in range(12):
        make_order(make_person(village_a, f"村民{i}"), team=team, start_date=FEB_1)
    clock.at = local_time(FEB_1 + timedelta(days=1), 9, 0)
    client = client_for(erin)
    client.get(MINE)  # warm the session and the profile

    with django_assert_max_num_queries(8):
        page = client.get(MINE)

    assert len(page.context["cards"]) == 12


def test_it_shows_the_home_panel_to_a_team_member(clock, client_for, erin, zhang, li):
    clock.at = local_time(FEB_1 + timedelta(days=1), 9, 0)  # day 1 missed, day 2 08:00 due

    home = client_for(erin).get("/")

    html = home.content.decode()
    assert 'id="quarantine-panel"' in html
    assert "2 people to check now (2 overdue)" in html
    assert reverse("quarantine:mine") in html


def test_it_gives_home_panel_town_figures_to_the_commander(clock, client_for, carol, zhang):
    html = client_for(carol).get("/").content.decode()
    assert 'id="quarantine-panel"' in html and "under quarantine now" in html
    assert "people to check now" not in html


def test_it_keeps_the_kind_order_for_centralized_people_too(
    clock, client_for, town, village_a, team, erin
):
    from fangyi.quarantine.testing import make_site

    site = make_site(town)
    order = make_order(
        make_person(village_a, "赵六"),
        QuarantineKind.CENTRALIZED,
        site=site,
        room=site.rooms.get(number="102"),
        team=team,
        start_date=FEB_1,
    )
    (card,) = client_for(erin).get(MINE).context["cards"]
    assert card.external_id == order.external_id
    assert card.place == "青山宾馆 102"
