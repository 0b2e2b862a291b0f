"""The quarantine board page (/quarantine/): the town by village, a village cadre's village
only, the auditor read-only, the htmx refresh, a fixed number of queries; the nav link."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from fangyi.core.models import AlertKind, QuarantineKind
from fangyi.core.services import raise_alert
from fangyi.quarantine.testing import (
    complete_order,
    freeze_clock,
    local_time,
    make_order,
    make_team,
)
from fangyi.testing import make_person

FEB_1 = date(2020, 2, 1)
BOARD = reverse("quarantine:board")


@pytest.fixture(autouse=True)
def clock(monkeypatch, db):
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def world(clock, town, village_a, village_b):
    make_team(town, village_a)
    east = make_order(make_person(village_a, "东村甲"), start_date=FEB_1)
    make_order(make_person(village_a, "东村乙"), QuarantineKind.HOME_MONITORING, start_date=FEB_1)
    west = make_order(make_person(village_b, "西村丙"), start_date=FEB_1)
    complete_order(east)
    clock.at = local_time(FEB_1 + timedelta(days=14), 9, 0)  # east and west due today
    raise_alert(
        AlertKind.FEVER,
        jurisdiction=village_b,
        message="西村丙 has a fever: 38.1 °C",
        person=west.person,
        link=reverse("quarantine:order", args=[west.external_id]),
    )
    return {"east": east, "west": west}


def test_it_shows_the_town_by_village_with_links(world, client_for, carol):
    page = client_for(carol).get(BOARD)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-code="999901100201"' in html and 'data-code="999901100202"' in html
    assert "东村甲" in html and "西村丙" in html
    assert "西村丙 has a fever: 38.1 °C" in html
    assert f"{reverse('quarantine:orders')}?village=999901100202&amp;due=on" in html
    assert f"{reverse('quarantine:orders')}?missed=on" in html
    assert page.context["board"].total.running == 3
    assert 'hx-trigger="every 60s"' in html


def test_it_shows_a_village_cadre_her_village_only(world, client_for, alice):
    page = client_for(alice).get(BOARD)

    html = page.content.decode()
    assert "东村甲" in html and "东村乙" in html
    assert "西村丙" not in html and "38.1" not in html
    assert 'data-code="999901100202"' not in html
    assert page.context["board"].total.running == 2


def test_it_gives_another_town_nothing_of_this_one(world, client_for, frank):
    page = client_for(frank).get(BOARD)
    assert page.context["board"].total.running == 0
    assert "东村" not in page.content.decode()


def test_it_shows_the_auditor_the_board_without_actions(world, client_for, dave):
    page = client_for(dave).get(BOARD)
    assert page.status_code == 200
    assert page.context["board"].total.running == 3
    main = page.content.decode().split('<main class="page">')[1].split("</main>")[0]
    assert "<form" not in main


def test_it_answers_the_htmx_refresh_with_the_board_alone(world, client_for, carol):
    page = client_for(carol).get(BOARD, HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert html.lstrip().startswith('<div id="board"')
    assert "<html" not in html


def test_it_refuses_an_account_without_the_permission(world, client_for, town):
    from fangyi.checkpoints.testing import make_staff

    staff = make_staff("sam", town, "孙明")
    assert client_for(staff).get(BOARD).status_code == 403


def test_it_links_the_board_from_the_menu(world, client_for, carol, erin):
    from fangyi.checkpoints.testing import make_staff

    assert f'href="{BOARD}"' in client_for(carol).get("/").content.decode()
    staff = make_staff("sam2", carol.jurisdiction, "孙明")
    assert f'href="{BOARD}"' not in client_for(staff).get("/").content.decode()


def test_it_builds_the_board_page_in_a_fixed_number_of_queries(
    world, client_for, carol, village_a, village_b, django_assert_max_num_queries
):
    client = client_for(carol)
    client.get(BOARD)
    for i in range(20):
        make_order(make_person(village_a if i % 2 else village_b, f"村民{i}"))

    with django_assert_max_num_queries(16):
        page = client.get(BOARD)

    assert page.context["board"].total.running == 23
