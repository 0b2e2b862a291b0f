"""The home page's ledger block: what is pending and overdue in the user's jurisdiction."""

import pytest
from django.urls import reverse

from fangyi.ledger.testing import make_entry, make_task
from fangyi.testing import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(village_a, village_b, town):
    late = make_entry(make_person(village_a, "王金水"))
    make_task(late, hours_left=-2)
    soon = make_entry(make_person(village_b, "张伟"))
    make_task(soon, hours_left=5)
    make_entry(make_person(village_a, "李娜"), status="home_quarantine")
    make_entry(make_person(town, "赵无村"))  # not yet dispatched to a village
    return late


def panel(client, user) -> str:
    client.force_login(user)
    page = client.get(reverse("home"), headers={"accept-language": "en"}).content.decode()
    if 'id="ledger-panel"' not in page:
        return ""
    return page.split('id="ledger-panel"', 1)[1].split("</section>", 1)[0]


def figures(block: str) -> dict[str, int]:
    """label → value of each figure in the block."""
    found = {}
    for figure in block.split('<a class="figure')[1:]:
        value = int(figure.split('class="value">', 1)[1].split("<", 1)[0])
        label = figure.split('class="label">', 1)[1].split("<", 1)[0]
        found[label] = value
    return found


def test_it_counts_the_towns_pending_open_and_overdue(client, carol, ledger):
    block = panel(client, carol)
    assert figures(block) == {
        "pending verification": 3,
        "open verification tasks": 2,
        "overdue": 1,
        "done today": 0,
        "not yet dispatched to a village": 1,
    }
    assert "figure late" in block  # overdue work is highlighted


def test_it_counts_only_the_village_for_a_village_cadre(client, alice, ledger):
    assert figures(panel(client, alice)) == {
        "pending verification": 1,
        "open verification tasks": 1,
        "overdue": 1,
        "done today": 0,
    }


def test_it_shows_no_ledger_to_a_role_without_one(client, erin, ledger):
    assert panel(client, erin) == ""


def test_it_answers_in_a_few_queries(client, carol, ledger, django_assert_max_num_queries):
    client.force_login(carol)
    # 13: the page and the ledger panel, plus the alerts and checkpoint-figures panels (one each).
    with django_assert_max_num_queries(14):
        client.get(reverse("home"))
