"""The order detail and its actions: what each role sees, another village's order as a 404,
the check grid, the self-report QR code, the team, extend / hospital / change of measure /
room / door seal / link, making up and explaining a missed check, tests, and the doctor's
release with its notice. Each action's bad input is shown on its form, nothing else lost."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from fangyi.core.audit import Actor
from fangyi.core.models import QuarantineKind
from fangyi.core.roles import Role
from fangyi.quarantine.models import (
    CheckStatus,
    NucleicAcidResult,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    QuarantineOrder,
    RoomStatus,
)
from fangyi.quarantine.testing import (
    complete_order,
    freeze_clock,
    local_time,
    make_order,
    make_site,
    make_team,
)
from fangyi.testing import make_person, make_user

FEB_1 = date(2020, 2, 1)


@pytest.fixture(autouse=True)
def clock(monkeypatch, db):
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def team(town, village_a):
    return make_team(town, village_a)


@pytest.fixture
def doctor(team):
    return team[Role.DOCTOR]


@pytest.fixture
def order(clock, village_a, team):
    """张三 at home from 02-01; on day 3 at 09:00 the checks of days 1 and 2 are missed."""
    made = make_order(make_person(village_a, "张三"), start_date=FEB_1)
    clock.at = local_time(FEB_1 + timedelta(days=2), 9, 0)
    return made


def url(name: str, order, **kwargs) -> str:
    return reverse(f"quarantine:{name}", kwargs={"external_id": order.external_id, **kwargs})


def test_it_shows_the_order_with_masked_identity_grid_team_and_timeline(order, client_for, carol):
    page = client_for(carol).get(url("order", order))

    assert page.status_code == 200
    html = page.content.decode()
    person = order.person
    assert person.id_number_masked in html and person.id_number not in html
    assert person.phone_masked in html and person.phone not in html
    assert "day 3 of 14" in html and "2020-02-15" in html
    grid = page.context["grid"]
    assert len(grid) == 14 and grid[2].is_today
    assert [c.state for c in grid[0].cells] == ["missed", "missed"]
    assert html.count('data-state="missed"') == 4
    assert {row["label"] for row in page.context["team"]} == {
        "village cadre",
        "police",
        "doctor",
        "town cadre",
    }
    assert "王村干" in html and "孙医生" in html
    assert page.context["timeline"][-1].title == "ordered"
    assert "checks not recorded" in html


def test_it_shows_the_self_report_link_and_its_qr_code_to_the_team(order, client_for, erin, dave):
    page = client_for(erin).get(url("order", order))

    html = page.content.decode()
    link = reverse("quarantine:self_report", kwargs={"token": order.self_report_token})
    assert f"http://testserver{link}" in html
    assert "<svg" in html
    audited = client_for(dave).get(url("order", order)).content.decode()
    assert link not in audited and "<svg" not in audited


def test_it_is_a_404_for_another_villages_order_and_its_actions(order, client_for, bob, frank):
    check = order.checks.filter(status=CheckStatus.PENDING).first()
    test = order.tests.first()
    for user in (bob, frank):
        client = client_for(user)
        assert client.get(url("order", order)).status_code == 404
        assert client.post(url("order_extend", order), {"days": 3, "reason": "x"}).status_code in (
            403,
            404,
        )
        assert client.post(reverse("quarantine:check_explain", args=[check.pk])).status_code in (
            403,
            404,
        )
    assert (
        client_for(bob).get(reverse("quarantine:check_record", args=[check.pk])).status_code == 404
    )
    assert client_for(frank).get(reverse("quarantine:test_record", args=[test.pk])).status_code in (
        403,
        404,
    )
    order.refresh_from_db()
    assert order.planned_end_date == FEB_1 + timedelta(days=14)


def test_it_reassigns_a_role_of_the_team(order, client_for, carol, town):
    other = make_user("zheng", Role.POLICE, town, "郑警官")

    page = client_for(carol).post(
        url("order_team", order), {"role": Role.POLICE, "member": str(other.pk)}, follow=True
    )

    assert "Team changed." in page.content.decode()
    current = {a.role: a.member for a in order.team.current()}
    assert current[Role.POLICE] == other
    assert OrderEvent.objects.filter(order=order, kind=OrderEventKind.TEAM).exists()


def test_it_refuses_a_member_who_is_not_of_the_role(order, client_for, carol, town):
    doctor = make_user("zhou", Role.DOCTOR, town, "周医生")

    page = client_for(carol).post(
        url("order_team", order), {"role": Role.POLICE, "member": str(doctor.pk)}, follow=True
    )

    assert "Select a valid choice" in page.content.decode()
    assert {a.role: a.member for a in order.team.current()}[Role.POLICE].full_name == "吴警官"


def test_it_extends_the_order_and_explains_a_bad_number_of_days(order, client_for, carol):
    client = client_for(carol)

    bad = client.post(url("order_extend", order), {"days": "0", "reason": "复核"})
    no_reason = client.post(url("order_extend", order), {"days": "3", "reason": ""})
    good = client.post(url("order_extend", order), {"days": "3", "reason": "密接复核"})

    assert bad.context["form"].errors["days"] == ["extend by 1 to 30 days"]
    assert 'value="复核"' in bad.content.decode()
    assert no_reason.context["form"].errors["reason"] == ["say why the order is extended"]
    assert good.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.EXTENDED
    assert order.planned_end_date == FEB_1 + timedelta(days=17)


def test_it_transfers_to_hospital_and_needs_the_hospital(order, client_for, carol):
    client = client_for(carol)

    bad = client.post(url("order_hospital", order), {"hospital": " ", "note": "发热"})
    good = client.post(url("order_hospital", order), {"hospital": "县人民医院", "note": "发热"})

    assert bad.context["form"].errors["hospital"] == ["name the hospital"]
    assert 'value="发热"' in bad.content.decode()
    assert good.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.HOSPITAL and order.hospital == "县人民医院"
    after = client.get(url("order", order)).content.decode()
    assert 'id="action-extend"' not in after and "县人民医院" in after


def test_it_changes_the_measure_to_a_site(order, client_for, carol, town):
    site = make_site(town)
    client = client_for(carol)

    no_site = client.post(url("order_measure", order), {"kind": QuarantineKind.CENTRALIZED})
    moved = client.post(
        url("order_measure", order),
        {"kind": QuarantineKind.CENTRALIZED, "site": str(site.pk), "note": "无独立房间"},
    )

    assert no_site.context["form"].errors["site"] == ["choose the observation site"]
    new = QuarantineOrder.objects.get(previous=order)
    assert moved["Location"] == url("order", new)
    assert new.kind == QuarantineKind.CENTRALIZED and new.site == site
    order.refresh_from_db()
    assert order.status == OrderStatus.MOVED


def test_it_assigns_a_room_at_the_site(clock, client_for, carol, town, village_a, team):
    site = make_site(town)
    order = make_order(make_person(village_a, "李四"), QuarantineKind.CENTRALIZED, site=site)
    room = site.rooms.get(number="104")
    client = client_for(carol)

    page = client.get(url("order_room", order))
    done = client.post(url("order_room", order), {"room": str(room.pk)})

    assert ">青山宾馆 104<" in page.content.decode()
    assert done.status_code == 302
    room.refresh_from_db()
    order.refresh_from_db()
    assert order.room == room and room.status == RoomStatus.OCCUPIED


def test_it_records_the_door_seal_and_renews_the_link(order, client_for, carol, erin):
    old_token = order.self_report_token

    client_for(erin).post(url("order_door", order), {"sealed": "1"})
    client_for(carol).post(url("order_link", order))

    order.refresh_from_db()
    assert order.door_sealed and order.door_sealed_by == erin
    assert order.self_report_token != old_token
    assert client_for(erin).post(url("order_link", order)).status_code == 403


def test_it_makes_up_a_missed_check_late(order, client_for, erin):
    missed = order.checks.get(day=1, slot=1)
    page = client_for(erin).post(
        reverse("quarantine:check_record", args=[missed.pk]),
        {"temperature": "36.7", "method": "phone", "note": "电话补报", "next": url("order", order)},
    )

    assert page["Location"] == url("order", order)
    missed.refresh_from_db()
    assert missed.status == CheckStatus.DONE and missed.late and missed.note == "电话补报"


def test_it_explains_a_missed_check_and_needs_the_reason(order, client_for, erin):
    missed = order.checks.get(day=1, slot=2)
    client = client_for(erin)

    bad = client.post(reverse("quarantine:check_explain", args=[missed.pk]), {"note": ""})
    good = client.post(reverse("quarantine:check_explain", args=[missed.pk]), {"note": "外出核酸"})

    assert bad.context["form"].errors["note"] == ["say why this check was not made"]
    assert good.status_code == 302
    missed.refresh_from_db()
    assert missed.status == CheckStatus.EXPLAINED and missed.note == "外出核酸"
    grid = client.get(url("order", order)).context["grid"]
    assert grid[0].cells[1].state == "explained"


def test_it_records_a_sample_then_its_result(order, client_for, doctor):
    test = order.tests.get(day=1)
    client = client_for(doctor)
    page = reverse("quarantine:test_record", args=[test.pk])

    future = client.post(page, {"result": "sampled", "sampled_at": "2020-02-04T08:00"})
    sampled = client.post(page, {"result": "sampled", "lab": "县疾控"})
    negative = client.post(page, {"result": "negative"})
    again = client.post(page, {"result": "positive"})

    assert future.context["form"].errors["sampled_at"] == [
        "the sample cannot be taken in the future"
    ]
    assert sampled.status_code == 302 and negative.status_code == 302
    assert again.context["form"].errors["result"] == ["this test already has its result"]
    test.refresh_from_db()
    assert test.result == NucleicAcidResult.NEGATIVE and test.lab == "县疾控"


def test_it_lists_what_blocks_a_release_and_refuses_it(order, client_for, doctor):
    client = client_for(doctor)

    detail = client.get(url("order", order))
    refused = client.post(url("order_release", order), {"confirm": "on"})

    assert 'id="release-form"' not in detail.content.decode()
    errors = refused.context["form"].non_field_errors()
    assert any("the period ends on 2020-02-15" in e for e in errors)
    assert any("checks not recorded" in e for e in errors)
    order.refresh_from_db()
    assert order.is_running


def test_it_lets_the_doctor_sign_the_release_off(clock, client_for, doctor, carol, village_a, team):
    order = make_order(make_person(village_a, "王五"), start_date=FEB_1)
    complete_order(order, Actor(doctor))
    clock.at = local_time(FEB_1 + timedelta(days=14), 9, 0)
    client = client_for(doctor)

    detail = client.get(url("order", order)).content.decode()
    unticked = client.post(url("order_release", order), {"note": "期满"})
    released = client.post(url("order_release", order), {"confirm": "on", "note": "期满"})

    assert 'id="release-form"' in detail and 'id="release-ready"' in detail
    assert 'id="release-form"' not in client_for(carol).get(url("order", order)).content.decode()
    assert unticked.context["form"].errors["confirm"] == ["tick the box to sign the release off"]
    assert released.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.RELEASED and order.ended_by == doctor
    after = client.get(url("order", order)).content.decode()
    assert reverse("quarantine:release_notice", args=[order.external_id]) in after
    assert "Renew the link" not in after and 'id="action-extend"' not in after


def test_it_builds_the_detail_in_a_bounded_number_of_queries(
    order, client_for, carol, django_assert_max_num_queries
):
    client = client_for(carol)
    client.get(url("order", order))
    with django_assert_max_num_queries(22):
        client.get(url("order", order))


def test_it_is_a_404_for_a_volunteer_of_another_village(order, client_for, village_b):
    volunteer = make_user("xu", Role.VOLUNTEER, village_b, "徐志愿")
    check = order.checks.get(day=3, slot=1)
    client = client_for(volunteer)
    assert client.get(url("order", order)).status_code == 404
    assert client.get(reverse("quarantine:check_record", args=[check.pk])).status_code == 404
