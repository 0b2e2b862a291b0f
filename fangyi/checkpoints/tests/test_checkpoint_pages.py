"""Checkpoint setup pages: list, set up, edit, a checkpoint's page; by role and by scope."""

from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangyi.checkpoints.models import Checkpoint, CheckpointKind, CheckpointStatus
from fangyi.checkpoints.services import seal_village
from fangyi.checkpoints.testing import make_checkpoint, make_staff
from fangyi.core.audit import Actor
from fangyi.core.roles import Role
from fangyi.testing import make_user

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def east_gate(village_a):
    return make_checkpoint(
        village_a,
        name="东村北口",
        responsible_person="王守门",
        opens_at=time(6, 0),
        closes_at=time(22, 0),
    )


@pytest.fixture
def west_gate(village_b):
    return make_checkpoint(village_b, name="西村桥头", status=CheckpointStatus.CLOSED)


def _form(jurisdiction, **values) -> dict:
    data = {
        "name": "青山镇高速出口",
        "kind": CheckpointKind.HIGHWAY_EXIT,
        "jurisdiction": jurisdiction.code,
        "location": "G3 青山出口收费站",
        "status": CheckpointStatus.OPEN,
        "opens_at": "",
        "closes_at": "",
        "responsible_unit": "青山镇派出所",
        "responsible_person": "陈所长",
        "responsible_phone": "138 0013 8000",
        "latitude": "",
        "longitude": "",
    }
    return data | values


def test_it_lists_the_checkpoints_of_the_users_jurisdiction(client, carol, east_gate, west_gate):
    client.force_login(carol)
    response = client.get(reverse("checkpoints:checkpoint_list"), **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "东村北口" in page and "西村桥头" in page
    assert "06:00–22:00" in page and "王守门" in page
    assert "village entrance" in page and "closed" in page


def test_it_shows_a_village_cadre_only_their_villages_checkpoints(
    client, alice, east_gate, west_gate
):
    client.force_login(alice)
    page = client.get(reverse("checkpoints:checkpoint_list"), **EN).content.decode()
    assert "东村北口" in page
    assert "西村桥头" not in page


def test_it_filters_by_village_and_status(client, carol, village_b, east_gate, west_gate):
    client.force_login(carol)
    url = reverse("checkpoints:checkpoint_list")
    page = client.get(url, {"village": village_b.code}, **EN).content.decode()
    assert "西村桥头" in page and "东村北口" not in page
    page = client.get(url, {"status": "open"}, **EN).content.decode()
    assert "东村北口" in page and "西村桥头" not in page
    page = client.get(url, {"status": "sealed_exit"}, **EN).content.decode()
    assert "No checkpoint matches these filters." in page


def test_it_lists_in_a_fixed_number_of_queries(client, carol, village_a, village_b):
    client.force_login(carol)
    url = reverse("checkpoints:checkpoint_list")
    make_checkpoint(village_a, name="一号卡口")
    client.get(url, **EN)  # the permissions are cached from here on
    with CaptureQueriesContext(connection) as few:
        client.get(url, **EN)
    for n in range(8):
        make_checkpoint(village_b if n % 2 else village_a, name=f"卡口{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, **EN)
    assert response.content.decode().count('href="/checkpoints/K') == 9
    assert len(many) == len(few)


def test_it_forbids_a_volunteer(client, erin, east_gate):
    client.force_login(erin)
    code = east_gate.code
    for name in ("checkpoint_detail", "poster_pdf", "poster_png", "checkpoint_edit"):
        assert client.get(reverse(f"checkpoints:{name}", args=[code])).status_code == 403
    assert client.get(reverse("checkpoints:checkpoint_list")).status_code == 403
    assert client.get(reverse("checkpoints:checkpoint_create")).status_code == 403


def test_it_hides_another_villages_checkpoint(client, bob, east_gate):
    client.force_login(bob)
    for name in ("checkpoint_detail", "poster_pdf", "poster_png"):
        response = client.get(reverse(f"checkpoints:{name}", args=[east_gate.code]))
        assert response.status_code == 404, name


def test_it_hides_another_towns_checkpoint_from_its_commander(client, frank, east_gate):
    client.force_login(frank)
    url = reverse("checkpoints:checkpoint_edit", args=[east_gate.code])
    assert client.get(url).status_code == 404
    assert client.post(url, _form(east_gate.jurisdiction, name="改名")).status_code == 404
    east_gate.refresh_from_db()
    assert east_gate.name == "东村北口"


def test_it_answers_404_for_an_unknown_code(client, carol):
    client.force_login(carol)
    assert client.get("/checkpoints/KZZZZZZ/").status_code == 404


def test_it_lets_checkpoint_staff_read_but_not_set_up(client, village_a, east_gate):
    staff = make_staff("staff1", village_a)
    client.force_login(staff)
    response = client.get(reverse("checkpoints:checkpoint_detail", args=[east_gate.code]), **EN)
    assert response.status_code == 200
    assert 'id="edit-checkpoint"' not in response.content.decode()
    assert client.get(reverse("checkpoints:checkpoint_create")).status_code == 403
    url = reverse("checkpoints:checkpoint_edit", args=[east_gate.code])
    assert client.post(url, _form(east_gate.jurisdiction)).status_code == 403


def test_it_sets_up_a_checkpoint(client, carol, town):
    client.force_login(carol)
    response = client.post(reverse("checkpoints:checkpoint_create"), _form(town), **EN)
    checkpoint = Checkpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("checkpoints:checkpoint_detail", args=[checkpoint.code])
    assert checkpoint.name == "青山镇高速出口"
    assert checkpoint.kind == CheckpointKind.HIGHWAY_EXIT
    assert checkpoint.jurisdiction_id == town.code
    assert checkpoint.responsible_phone == "13800138000"
    assert checkpoint.is_round_the_clock
    assert checkpoint.status == CheckpointStatus.OPEN


def test_it_offers_only_the_users_town_and_villages(client, carol, village_a, other_town_village):
    client.force_login(carol)
    page = client.get(reverse("checkpoints:checkpoint_create"), **EN).content.decode()
    assert f'value="{village_a.code}"' in page
    assert f'value="{other_town_village.code}"' not in page
    assert 'value="999901"' not in page  # the county
    assert 'value="sealed_exit"' not in page  # set by a lockdown, not by hand


def test_it_keeps_what_was_typed_on_a_bad_phone(client, carol, town):
    client.force_login(carol)
    data = _form(town, responsible_phone="1380013", name="镇东入口")
    response = client.post(reverse("checkpoints:checkpoint_create"), data, **EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="responsible_phone"' in page
    assert "11 digits" in page
    assert 'value="镇东入口"' in page and 'value="1380013"' in page
    assert not Checkpoint.objects.exists()


def test_it_asks_for_both_hours_or_neither(client, carol, town):
    client.force_login(carol)
    response = client.post(
        reverse("checkpoints:checkpoint_create"), _form(town, opens_at="07:00"), **EN
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="closes_at"' in page and "give both hours" in page
    assert 'value="07:00"' in page
    assert not Checkpoint.objects.exists()


@pytest.mark.parametrize(
    "field,value",
    [("latitude", "123.5"), ("opens_at", "25:00"), ("name", ""), ("kind", "tollbooth")],
)
def test_it_refuses_impossible_values(client, carol, town, field, value):
    client.force_login(carol)
    response = client.post(
        reverse("checkpoints:checkpoint_create"), _form(town, **{field: value}), **EN
    )
    assert response.status_code == 200
    assert f'data-field="{field}"' in response.content.decode()
    assert not Checkpoint.objects.exists()


def test_it_refuses_a_county_level_place(client, county, town):
    commander = make_user("cc", Role.COUNTY_COMMANDER, county)
    client.force_login(commander)
    page = client.get(reverse("checkpoints:checkpoint_create"), **EN).content.decode()
    assert f'value="{town.code}"' in page and f'value="{county.code}"' not in page
    response = client.post(reverse("checkpoints:checkpoint_create"), _form(county), **EN)
    assert response.status_code == 200
    assert 'data-field="jurisdiction"' in response.content.decode()
    assert not Checkpoint.objects.exists()


def test_it_refuses_a_village_of_another_town(client, carol, other_town_village):
    client.force_login(carol)
    response = client.post(
        reverse("checkpoints:checkpoint_create"), _form(other_town_village), **EN
    )
    assert response.status_code == 200
    assert 'data-field="jurisdiction"' in response.content.decode()
    assert not Checkpoint.objects.exists()


def test_it_edits_a_checkpoint(client, carol, east_gate):
    client.force_login(carol)
    url = reverse("checkpoints:checkpoint_edit", args=[east_gate.code])
    page = client.get(url, **EN).content.decode()
    assert 'value="东村北口"' in page and 'value="06:00"' in page
    data = _form(
        east_gate.jurisdiction,
        name="东村北口卡点",
        kind=CheckpointKind.VILLAGE_ENTRANCE,
        opens_at="",
        closes_at="",
        status=CheckpointStatus.CLOSED,
    )
    response = client.post(url, data, **EN)
    assert response.status_code == 302
    east_gate.refresh_from_db()
    assert east_gate.name == "东村北口卡点"
    assert east_gate.is_round_the_clock
    assert east_gate.status == CheckpointStatus.CLOSED


def test_it_keeps_the_typed_values_when_an_edit_is_wrong(client, carol, east_gate):
    client.force_login(carol)
    url = reverse("checkpoints:checkpoint_edit", args=[east_gate.code])
    data = _form(east_gate.jurisdiction, name="新名字", closes_at="20:00", opens_at="")
    response = client.post(url, data, **EN)
    assert response.status_code == 200
    assert 'value="新名字"' in response.content.decode()
    east_gate.refresh_from_db()
    assert east_gate.name == "东村北口"


def test_it_leaves_a_sealed_exit_sealed(client, carol, village_a, east_gate):
    seal_village(Actor.system("test"), village_a, reason="确诊病例", exits=[east_gate])
    client.force_login(carol)
    url = reverse("checkpoints:checkpoint_edit", args=[east_gate.code])
    page = client.get(url, **EN).content.decode()
    assert 'name="status"' not in page and 'id="sealed-note"' in page
    response = client.post(url, _form(village_a, name="东村北口", status="open"), **EN)
    assert response.status_code == 302
    east_gate.refresh_from_db()
    assert east_gate.status == CheckpointStatus.SEALED_EXIT


def test_it_shows_a_checkpoint_with_its_status_and_posters(client, alice, village_a, east_gate):
    seal_village(Actor.system("test"), village_a, reason="确诊病例", exits=[east_gate])
    client.force_login(alice)
    response = client.get(reverse("checkpoints:checkpoint_detail", args=[east_gate.code]), **EN)
    page = response.content.decode()
    assert "sealed-village exit" in page and 'id="sealed-note"' in page
    assert "东村 sealed since" in page
    assert reverse("checkpoints:poster_pdf", args=[east_gate.code]) in page
    assert reverse("checkpoints:poster_png", args=[east_gate.code]) in page
    assert f"http://testserver/checkpoints/self/{east_gate.code}/" in page
    assert "青山镇 东村" in page and "06:00–22:00" in page
    assert 'id="edit-checkpoint"' not in page  # a village cadre does not set checkpoints up


def test_it_links_the_list_from_the_menu(client, carol, erin):
    client.force_login(carol)
    url = reverse("checkpoints:checkpoint_list")
    assert f'href="{url}"' in client.get(reverse("home"), **EN).content.decode()
    client.force_login(erin)
    assert f'href="{url}"' not in client.get(reverse("home"), **EN).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 1280])
def test_it_shows_the_pages_on_a_phone_and_a_desktop(page_for, carol, village_a, width):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    make_checkpoint(village_a, name="东村北口", responsible_person="王守门")
    page = page_for(carol, width)
    page.goto(reverse("checkpoints:checkpoint_list"))
    expect(page.locator("#checkpoint-rows li")).to_have_count(1)
    screenshot(page, f"checkpoint-list-{width}")
    page.click("#add-checkpoint")
    page.fill("#id_name", "青山镇高速出口")
    page.select_option("#id_kind", "highway_exit")
    page.select_option("#id_jurisdiction", "999901100")
    page.fill("#id_opens_at", "07:00")
    page.fill("#id_responsible_phone", "12345")
    page.click("button.primary")
    expect(page.locator("[data-field=responsible_phone]")).to_be_visible()
    expect(page.locator("[data-field=closes_at]")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("青山镇高速出口")
    screenshot(page, f"checkpoint-form-errors-{width}")
    page.fill("#id_closes_at", "21:00")
    page.fill("#id_responsible_phone", "13800138000")
    page.click("button.primary")
    expect(page.locator("#checkpoint-facts")).to_contain_text("07:00–21:00")
    screenshot(page, f"checkpoint-detail-{width}")
    with page.expect_download() as download:
        page.evaluate("document.querySelector('#poster-pdf').setAttribute('download', '')")
        page.click("#poster-pdf")
    assert download.value.path().read_bytes().startswith(b"%PDF-")
