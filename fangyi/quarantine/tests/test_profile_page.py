"""The disease profile page: the rules for everyone logged in, the form for the county command
(core.change_diseaseprofile), each bad field refused with its reason and nothing else lost,
the change audited, orders already open keeping their schedule."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fangyi.core.audit import Actor
from fangyi.core.models import AuditAction, AuditEntry, DiseaseProfile
from fangyi.core.profile_services import update_disease_profile
from fangyi.core.roles import Role
from fangyi.quarantine.testing import freeze_clock, local_time, make_order
from fangyi.testing import make_person, make_user

URL = "/quarantine/profile/"


@pytest.fixture
def commander(county):
    return make_user("county", Role.COUNTY_COMMANDER, county, "县指挥长")


def profile_form(**values) -> dict:
    data = {
        "name": "新型冠状病毒肺炎",
        "fever_threshold": "37.3",
        "symptoms": "发热，干咳、乏力",
        "home_quarantine_days": "14",
        "centralized_days": "7",
        "home_monitoring_days": "7",
        "after_centralized_kind": "home_monitoring",
        "after_centralized_days": "3",
        "test_days": "1, 2, 3, 5, 7",
        "checks_per_day": "2",
        "check_times": "8:00，16:30",
        "missed_check_grace_minutes": "120",
        "team_roles": ["village_cadre", "police", "doctor", "volunteer"],
        "close_contact_kind": "centralized",
        "secondary_contact_kind": "home_quarantine",
        "infectious_days_before_onset": "4",
        "lockdown_days": "14",
        "risk_areas": "湖北省 high\n上海市浦东新区 中\n\n温州市",
    }
    return data | values


def test_it_is_the_url_of_the_profile_page():
    assert reverse("quarantine:profile") == URL


def test_it_shows_the_rules_read_only_to_everyone_logged_in(client_for, erin):
    response = client_for(erin).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "37.3 °C" in page
    assert "发热、干咳" in page and "湖北省" in page and "温州市" in page
    assert "08:00、16:00" in page and "day 1、day 4、day 7、day 14" in page
    assert "village cadre、police、doctor、town cadre" in page
    assert "orders already running keep their schedule" in page
    assert "profile-form" not in page


def test_it_asks_for_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_it_refuses_a_change_from_a_town_commander(client_for, carol):
    client = client_for(carol)
    assert "profile-form" not in client.get(URL).content.decode()
    assert client.post(URL, profile_form(fever_threshold="37.0")).status_code == 403
    assert DiseaseProfile.current().fever_threshold == Decimal("37.3")
    assert not AuditEntry.objects.filter(object_type="core.diseaseprofile").exists()


def test_it_saves_the_countys_change_and_audits_it(client_for, commander):
    client = client_for(commander)
    form = client.get(URL).content.decode()
    assert 'id="profile-form"' in form
    assert "发热, 干咳, 乏力, 咽痛" in form  # the list as comma-separated text
    assert "湖北省 high" in form  # risk areas as lines
    response = client.post(URL, profile_form(), REMOTE_ADDR="10.9.8.7")
    assert response.status_code == 302 and response["Location"] == URL
    profile = DiseaseProfile.objects.get(pk=1)
    assert profile.symptoms == ["发热", "干咳", "乏力"]
    assert profile.test_days == [1, 2, 3, 5, 7]
    assert profile.check_times == ["08:00", "16:30"]
    assert profile.team_roles == ["village_cadre", "doctor", "police", "volunteer"]
    assert profile.risk_areas == [
        {"name": "湖北省", "level": "high"},
        {"name": "上海市浦东新区", "level": "medium"},
        {"name": "温州市", "level": "high"},
    ]
    assert (profile.centralized_days, profile.after_centralized_days) == (7, 3)
    entry = AuditEntry.objects.get(object_type="core.diseaseprofile")
    assert entry.action == AuditAction.UPDATE and entry.actor == commander
    assert entry.ip_address == "10.9.8.7" and entry.jurisdiction_code == "999901"
    assert entry.changes["centralized_days"] == [14, 7]
    assert entry.changes["check_times"] == [["08:00", "16:00"], ["08:00", "16:30"]]
    assert "fever_threshold" not in entry.changes  # unchanged fields are not listed
    page = client.get(URL).content.decode()
    assert "new orders follow these rules" in page
    assert "16:30" in page and "上海市浦东新区" in page


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"fever_threshold": "40.0"}, "fever_threshold", "between 36.0 and 39.0"),
        ({"fever_threshold": "hot"}, "fever_threshold", "Enter a number."),
        ({"check_times": "08:00"}, "check_times", "give one time for each check of the day"),
        ({"check_times": "08:00, noon"}, "check_times", "not a time of day: noon"),
        ({"check_times": "08:00, 25:00"}, "check_times", "a list of times of day"),
        ({"test_days": "1, 4, x"}, "test_days", "not a day number: x"),
        ({"test_days": "1, 90"}, "test_days", "a list of day numbers from 1 to 60"),
        ({"symptoms": " ，、"}, "symptoms", "This field is required."),
        ({"team_roles": []}, "team_roles", "This field is required."),
        ({"team_roles": ["doctor", "auditor"]}, "team_roles", "Select a valid choice."),
        ({"risk_areas": "湖北省 hgh"}, "risk_areas", "line 1: “hgh” is not a level"),
        ({"after_centralized_days": "0"}, "after_centralized_days", "give both what follows"),
        ({"home_quarantine_days": "0"}, "home_quarantine_days", "greater than or equal to 1"),
    ],
)
def test_it_refuses_a_bad_field_with_its_reason_and_keeps_the_rest(
    client_for, commander, values, field, reason
):
    response = client_for(commander).post(URL, profile_form(name="新冠 2022 版", **values))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-field="{field}"' in page
    assert reason in page
    assert 'value="新冠 2022 版"' in page  # what was typed is kept
    assert 'id="profile-edit" open' in page
    assert DiseaseProfile.objects.get(pk=1).name == "新型冠状病毒肺炎"
    assert not AuditEntry.objects.filter(object_type="core.diseaseprofile").exists()


def test_it_keeps_the_schedule_of_orders_already_running(monkeypatch, commander, village_a):
    freeze_clock(monkeypatch, local_time(date(2020, 2, 1), 6, 0))
    before = make_order(make_person(village_a, "张三"))
    update_disease_profile(Actor(user=commander), home_quarantine_days=7, test_days=[1, 7])
    after = make_order(make_person(village_a, "李四"))
    assert before.days == 14 and before.checks.count() == 28
    assert list(before.tests.values_list("day", flat=True)) == [1, 4, 7, 14]
    assert after.days == 7 and list(after.tests.values_list("day", flat=True)) == [1, 7]


# The service on its own --------------------------------------------------------------------------


def test_it_refuses_the_service_to_a_role_without_the_permission(carol):
    with pytest.raises(PermissionDenied):
        update_disease_profile(Actor(user=carol), fever_threshold=Decimal("37.0"))


def test_it_refuses_every_bad_field_at_once_and_saves_nothing(commander):
    with pytest.raises(ValidationError) as raised:
        update_disease_profile(
            Actor(user=commander),
            fever_threshold=Decimal("35.0"),
            test_days=[0],
            team_roles=["nobody"],
            name="新名字",
        )
    assert {"fever_threshold", "test_days", "team_roles"} <= set(raised.value.message_dict)
    assert DiseaseProfile.current().name == "新型冠状病毒肺炎"
    assert not AuditEntry.objects.exists()


def test_it_refuses_an_unknown_field(commander):
    with pytest.raises(TypeError):
        update_disease_profile(Actor(user=commander), quarantine_days=10)


def test_it_writes_no_audit_entry_when_nothing_changed(commander):
    update_disease_profile(Actor(user=commander), fever_threshold=Decimal("37.3"), lockdown_days=14)
    assert not AuditEntry.objects.exists()


def test_it_makes_the_change_visible_to_the_next_reader_at_once(commander):
    assert DiseaseProfile.current().fever_threshold == Decimal("37.3")
    update_disease_profile(Actor(user=commander), fever_threshold=Decimal("37.5"))
    assert DiseaseProfile.current().fever_threshold == Decimal("37.5")


# In real Chromium --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_and_edits_the_profile_on_a_phone_and_a_desk(page_for, county, town):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    commander = make_user("county", Role.COUNTY_COMMANDER, county, "县指挥长")
    cadre = make_user("vc", Role.VILLAGE_CADRE, town, "王村干")
    page = page_for(cadre, 360)
    page.goto(URL)
    expect(page.locator("#profile-rules")).to_contain_text("37.3")
    expect(page.locator("#profile-form")).to_have_count(0)
    screenshot(page, "quarantine-profile-360")

    page = page_for(commander, 360)
    page.goto(URL)
    page.click("#profile-edit summary")
    page.fill("#id_check_times", "08:00")
    page.fill("#id_centralized_days", "7")
    page.click("#profile-form button.primary")
    expect(page.locator('.error[data-field="check_times"]')).to_be_visible()
    expect(page.locator("#id_centralized_days")).to_have_value("7")
    screenshot(page, "quarantine-profile-error-360")
    page.fill("#id_check_times", "08:00, 16:00")
    page.click("#profile-form button.primary")
    expect(page.locator("#profile-rules")).to_contain_text("7")
    assert DiseaseProfile.objects.get(pk=1).centralized_days == 7

    desk = page_for(commander, 1280)
    desk.goto(URL)
    desk.click("#profile-edit summary")
    screenshot(desk, "quarantine-profile-1280")
