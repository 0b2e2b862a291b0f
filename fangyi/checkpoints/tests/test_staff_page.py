"""The staff registration screen: who may open it, what it is given, the suggestions it asks for
(scoped to the checkpoint's town, masked), and the service worker and manifest that make it an
offline, installable page."""

import json
import uuid
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse

from fangyi.checkpoints import services
from fangyi.checkpoints.models import CheckpointStatus
from fangyi.checkpoints.staff_views import register_panel
from fangyi.checkpoints.testing import make_checkpoint, make_staff
from fangyi.core.audit import Actor
from fangyi.core.models import DiseaseProfile
from fangyi.testing import make_person

PAGE = reverse("checkpoints:register")
SUGGEST = reverse("checkpoints:register_suggestions")


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, "东村村口")


@pytest.fixture
def west_gate(village_b):
    return make_checkpoint(village_b, "西村路口")


@pytest.fixture
def far_gate(other_town_village):
    return make_checkpoint(other_town_village, "白水村口")


@pytest.fixture
def staff(village_a):
    return make_staff("sam", village_a, "孙明")


def register(user, checkpoint, plate, people, **values):
    """Store a registration as the phone would send it; `people` are Persons or dicts."""
    passengers = [
        person if isinstance(person, dict) else {"name": person.name, "id_number": person.id_number}
        for person in people
    ]
    outcome = services.record_registration(
        Actor(user=user),
        {
            "id": str(uuid.uuid4()),
            "checkpoint": checkpoint.code,
            "direction": "in",
            "plate": plate,
            "result": "passed",
            "passengers": passengers,
            **values,
        },
    )
    assert outcome.status == "created", outcome.problems
    return outcome.registration


def config_of(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="register-config" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def suggestions(client, user, checkpoint, q=""):
    client.force_login(user)
    return client.get(SUGGEST, {"checkpoint": checkpoint.code, "q": q})


# The page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "alice"])
def test_it_opens_the_page_for_checkpoint_staff_and_village_cadres(client, request, gate, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Choose your checkpoint" in response.content.decode()
    assert [cp["code"] for cp in config_of(response)["checkpoints"]] == [gate.code]
    # The nav link leads here.
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert f'href="{PAGE}"' in home.content.decode()


@pytest.mark.parametrize("who", ["erin", "dave"])
def test_it_refuses_volunteers_and_auditors(client, request, gate, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(PAGE).status_code == 403
    assert client.get(SUGGEST, {"checkpoint": gate.code}).status_code == 403
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert f'href="{PAGE}"' not in home.content.decode()


def test_it_sends_anonymous_visitors_to_the_login(client, gate):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_suggestions_answer_a_lapsed_session_without_setting_a_csrf_cookie(client, gate):
    """A redirect would render the login page for the page's fetch, and its fresh CSRF cookie
    would replace the one of the login form the staff is filling in at the same time."""
    response = client.get(SUGGEST, {"checkpoint": gate.code}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 401
    assert response.json()["detail"] == "请重新登录。"
    assert "csrftoken" not in response.cookies


def test_it_lists_only_the_checkpoints_the_user_may_register_at(
    client, staff, carol, gate, west_gate, far_gate
):
    client.force_login(staff)
    codes = [cp["code"] for cp in config_of(client.get(PAGE))["checkpoints"]]
    assert codes == [gate.code]
    client.force_login(carol)  # the town: both villages, not the other town
    codes = {cp["code"] for cp in config_of(client.get(PAGE))["checkpoints"]}
    assert codes == {gate.code, west_gate.code}


def test_it_gives_the_page_the_profiles_fever_threshold_and_the_sealed_exits(
    client, staff, gate, village_a
):
    profile = DiseaseProfile.current()
    profile.fever_threshold = Decimal("37.5")
    profile.save()
    exit_gate = make_checkpoint(village_a, "东村北口", status=CheckpointStatus.SEALED_EXIT)
    client.force_login(staff)
    config = config_of(client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en"))
    assert config["fever"] == "37.5"
    assert (config["low"], config["high"]) == ("34.0", "43.0")
    sealed = {cp["code"]: cp["sealed"] for cp in config["checkpoints"]}
    assert sealed == {gate.code: False, exit_gate.code: True}
    assert config["urls"]["batch"] == "/api/v1/checkpoints/registrations/batch"
    assert [r["value"] for r in config["results"]] == [
        "passed",
        "persuaded_back",
        "fever_clinic",
        "home_quarantine",
        "centralized",
    ]
    assert config["text"]["login"].startswith("Your login has expired")


def test_it_puts_the_common_provinces_first_and_the_rest_behind_more(client, staff, gate):
    client.force_login(staff)
    response = client.get(PAGE)
    html = response.content.decode()
    keys = response.context["common_provinces"]
    assert keys.startswith("皖浙鄂")
    more = response.context["more_provinces"]
    assert "藏" in more and "藏" not in keys
    assert sorted(keys + more) == sorted(
        "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
    )
    assert 'id="province-more"' in html


# Suggestions --------------------------------------------------------------------------------


def test_it_suggests_recent_plates_with_their_people_masked(client, staff, gate, village_a):
    wang = make_person(village_a, "王金水")
    li = make_person(village_a, "李娜")
    register(staff, gate, "皖R12345", [wang, li])
    register(staff, gate, "", [li])  # on foot: no plate, one more passage for her
    stranger_id = "110101199003071233"
    stranger = {"name": "外地客", "id_number": stranger_id, "phone": "13900001111"}
    register(staff, gate, "浙G·D12345", [stranger])

    response = suggestions(client, staff, gate)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    data = response.json()
    plates = {p["plate"]: p for p in data["plates"]}
    assert list(plates) == ["浙GD12345", "皖R12345"]  # newest first
    local = plates["皖R12345"]
    assert local["display"] == "皖R·12345"
    assert [p["name"] for p in local["passengers"]] == ["王金水", "李娜"]
    assert local["passengers"][0]["person_id"] == str(wang.external_id)
    assert local["passengers"][0]["id_masked"] == wang.id_number_masked
    # A stranger is suggested by name, never with a person to reuse, and masked.
    (visitor,) = plates["浙GD12345"]["passengers"]
    assert visitor["person_id"] == ""
    assert visitor["id_masked"] == "1101**********1233"
    assert visitor["phone_masked"] == "139****1111"
    body = response.content.decode()
    for clear in (wang.id_number, wang.phone, li.id_number, stranger_id, "13900001111"):
        assert clear not in body
    # The frequent residents, for typing offline: the locals who passed here, most often first.
    assert [(p["name"], p["times"]) for p in data["people"]] == [("李娜", 2), ("王金水", 1)]
    assert data["people"][0]["initials"] == "ln"


def test_it_matches_residents_by_name_pinyin_and_phone_tail(
    client, staff, gate, village_a, group_a1
):
    wang = make_person(village_a, "王金水", phone="13812345678")
    make_person(group_a1, "李娜")
    for query in ("王金", "wjs", "wangjin", "5678", "13812345678", wang.id_number):
        people = suggestions(client, staff, gate, query).json()["people"]
        assert [p["name"] for p in people] == ["王金水"], query
        assert people[0]["phone_masked"] == "138****5678"
    assert suggestions(client, staff, gate, "赵").json()["people"] == []


def test_it_matches_plates_as_typed(client, staff, gate, village_a):
    register(staff, gate, "皖R12345", [make_person(village_a, "王金水")])
    register(staff, gate, "皖A99999", [make_person(village_a, "李娜")])
    for query in ("r123", "皖R·123", "12345"):
        plates = suggestions(client, staff, gate, query).json()["plates"]
        assert [p["plate"] for p in plates] == ["皖R12345"], query


def test_it_never_suggests_another_towns_people_or_another_checkpoints_plates(
    client, staff, carol, gate, west_gate, far_gate, village_b, other_town_village, frank
):
    # Another town's resident, even one who drove through this checkpoint.
    liu = make_person(other_town_village, "刘洋", phone="13811112222")
    register(staff, gate, "皖R11111", [liu])
    zhang = make_person(village_b, "张伟")
    register(carol, west_gate, "皖R22222", [zhang])
    register(frank, far_gate, "皖R33333", [make_person(other_town_village, "刘德")])

    data = suggestions(client, staff, gate).json()
    assert [p["plate"] for p in data["plates"]] == ["皖R11111"]
    assert data["plates"][0]["passengers"][0]["person_id"] == ""  # not of this town
    assert [p["name"] for p in data["people"]] == []
    for query in ("刘", "liu", "2222", "13811112222", "R3333"):
        found = suggestions(client, staff, gate, query).json()
        assert found["people"] == [], query
        assert all(p["plate"] == "皖R11111" for p in found["plates"]), query

    # 西村's plates are not 东村's, even for the town commander who sees both.
    carol_sees = suggestions(client, carol, gate).json()
    assert [p["plate"] for p in carol_sees["plates"]] == ["皖R11111"]
    # The same town's people are residents here (a village entrance sees the neighbours pass).
    assert [p["name"] for p in suggestions(client, staff, gate, "张伟").json()["people"]] == [
        "张伟"
    ]


@pytest.mark.parametrize("who", ["frank", "bob"])
def test_it_answers_404_for_a_checkpoint_the_user_cannot_see(client, request, gate, who):
    user = request.getfixturevalue(who)
    assert suggestions(client, user, gate).status_code == 404


def test_it_answers_404_for_an_unknown_checkpoint(client, staff, gate):
    client.force_login(staff)
    assert client.get(SUGGEST, {"checkpoint": "KNOPE99"}).status_code == 404
    assert client.get(SUGGEST).status_code == 404


def test_it_suggests_in_a_bounded_number_of_queries(
    client, staff, gate, village_a, django_assert_max_num_queries
):
    for n in range(12):
        register(
            staff,
            gate,
            f"皖R{n:05d}",
            [make_person(village_a, "王金水"), make_person(village_a, "李娜")],
        )
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        data = client.get(SUGGEST, {"checkpoint": gate.code}).json()
    assert len(data["plates"]) == 12
    assert all(len(p["passengers"]) == 2 for p in data["plates"])


# The service worker and the manifest -------------------------------------------------------------


def test_it_serves_the_service_worker_under_checkpoints(client):
    response = client.get(reverse("checkpoints:service_worker"))  # public: no login needed
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    assert reverse("checkpoints:service_worker").startswith("/checkpoints/")
    body = response.content.decode()
    assert f'const PAGE = "{PAGE}";' in body
    for asset in ("/static/checkpoints/register.js", "/static/vendor/htmx.min.js"):
        assert asset in body
    assert 'const VERSION = "' in body and "{{" not in body


def test_it_serves_an_installable_manifest(client):
    response = client.get(reverse("checkpoints:manifest"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == PAGE
    assert manifest["scope"] == "/checkpoints/"
    assert manifest["display"] == "standalone"
    assert manifest["short_name"] == "Register"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_it_links_the_manifest_from_the_page(client, staff, gate):
    client.force_login(staff)
    html = client.get(PAGE).content.decode()
    assert f'<link rel="manifest" href="{reverse("checkpoints:manifest")}">' in html
    assert "<script>" not in html  # the CSP allows no inline script: the config is JSON


def test_it_offers_checkpoint_staff_a_home_panel_leading_to_the_screen(staff, alice):
    panel = register_panel(staff)
    assert panel is not None
    assert f'href="{PAGE}"' in render_to_string(panel.template, {"data": panel.context})
    assert register_panel(alice) is None  # a cadre has her own home page
