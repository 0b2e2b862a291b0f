"""The command dashboard in real Chromium, on the known dataset (fangyi.command.testing) rolled
up at 20:00 on its second day, the clock frozen there: a town commander reads the key figures,
follows an alert to its quarantine order, drills down to a village and back, sorts the table by
a figure, and sees a new alert arrive with the live refresh. Screenshots at 360 and 1920 px
and of the wall mode go to test-output/."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fangyi.command import rollups
from fangyi.command import testing as build
from fangyi.command.views import PHONE_ALERTS
from fangyi.conftest import screenshot
from fangyi.core.models import Alert, AlertKind
from fangyi.core.services import raise_alert
from fangyi.quarantine.models import QuarantineOrder
from fangyi.quarantine.testing import freeze_clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOW = build.at(build.D2, 20)
# Day 2 in 青山镇 (test_rollup_figures' EXPECTED): 2 people at the town's own gate, a case
# with 2 close contacts in 东村, 西村's fever alert still open.
TOWN_FIGURES = {
    "checkpoint.people": "2",
    "checkpoint.registrations": "1",
    "cases.new": "1",
    "contacts.close": "2",
    "alerts.open": "1",
}
# ledger.status.pending on day 2: 东村 2, 西村 1, nothing at the town itself.
SORT_KEY = "ledger.status.pending"


@pytest.fixture
def world(monkeypatch, county, town, village_a, village_b, carol):
    freeze_clock(monkeypatch, NOW)
    places = build.known_dataset(county, town, village_a, village_b)
    rollups.refresh_rollups(everything=True, now=NOW)
    order = QuarantineOrder.objects.get(person__name="李华", status="active")
    raise_alert(
        AlertKind.FEVER,
        jurisdiction=village_a,
        message="李华 体温38.0℃",
        person=order.person,
        link=reverse("quarantine:order", args=[order.external_id]),
        raised_at=build.at(build.D2, 8, 15),
    )
    return {**places, "order": order}


# The figures whose box reaches out of their section's box.
SPILLED_FIGURES = """() => [...document.querySelectorAll(".dash-section .figure")].filter(figure => {
  const box = figure.getBoundingClientRect();
  const section = figure.closest(".dash-section").getBoundingClientRect();
  return box.left < section.left || box.right > section.right;
}).map(figure => figure.dataset.key)"""


def icon_is_served(page) -> bool:
    """Chromium asks for /favicon.ico (a 404 in Django's log, unseen by page events) unless the
    page names its icon."""
    icon = page.locator('link[rel~="icon"]')
    return icon.count() > 0 and page.request.get(icon.first.get_attribute("href")).ok


def failed_responses(page) -> list[str]:
    """Every response of the page with a 4xx or 5xx status, as it happens."""
    failed: list[str] = []
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.status} {response.url}") if response.status >= 400 else None
        ),
    )
    return failed


def row_names(page) -> list[str]:
    return page.locator("#children-table tbody th[scope=row]").all_inner_texts()


def test_it_shows_the_town_and_leads_from_an_alert_to_its_order(
    page_for, live_server, carol, town, village_a, world
):
    page = page_for(carol, 1280)
    failed = failed_responses(page)
    page.goto("/command/")

    expect(page.locator("h1")).to_contain_text("青山镇")
    for key, value in TOWN_FIGURES.items():
        expect(page.locator(f'.figure[data-key="{key}"] .value')).to_have_text(value)
    expect(page.locator(".as-of")).to_contain_text("20:00")
    assert failed == []

    alert = page.locator(".dash-alerts li.alert a", has_text="李华")
    expect(alert).to_be_visible()
    alert.click()
    order_url = reverse("quarantine:order", args=[world["order"].external_id])
    expect(page).to_have_url(live_server.url + order_url)
    expect(page.locator("h1")).to_contain_text("李华")

    page.go_back()
    page.locator("#children-table tbody a", has_text="东村").click()
    expect(page).to_have_url(re.compile(rf"/command/\?j={village_a.code}$"))
    expect(page.locator("h1")).to_contain_text("东村")
    expect(page.locator('.figure[data-key="contacts.close"] .value')).to_have_text("2")
    expect(page.locator(".crumbs strong")).to_have_text("东村")

    page.locator(".crumbs a", has_text="青山镇").click()
    expect(page).to_have_url(re.compile(rf"/command/\?j={town.code}$"))
    expect(page.locator("h1")).to_contain_text("青山镇")
    assert failed == []


def test_it_sorts_the_table_by_a_figure_as_the_server_does(page_for, carol, town, world):
    page = page_for(carol, 1280)
    page.goto("/command/")
    assert row_names(page) == ["东村", "西村", "本级直管"]  # by code, the town's own last
    header = page.locator(f'#children-table th[data-sort="{SORT_KEY}"]')

    header.locator("a").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    descending = row_names(page)
    assert descending[:2] == ["东村", "西村"]
    assert page.url.endswith(f"sort=-{SORT_KEY}")

    header.locator("a").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    ascending = row_names(page)
    assert ascending == list(reversed(descending))
    assert ascending[1:] == ["西村", "东村"]

    # Without JavaScript the header links ask the server for the same orders.
    plain = page.context.new_page()
    plain.route("**/dashboard.js", lambda route: route.abort())
    plain.goto(f"/command/?j={town.code}&sort=-{SORT_KEY}")
    assert row_names(plain) == descending
    expect(plain.locator(f'th[data-sort="{SORT_KEY}"]')).to_have_attribute(
        "aria-sort", "descending"
    )
    plain.locator(f'th[data-sort="{SORT_KEY}"] a').click()
    expect(plain).to_have_url(re.compile(rf"sort={re.escape(SORT_KEY)}$"))
    assert row_names(plain) == ascending


def test_it_shows_a_new_alert_at_the_next_live_refresh(page_for, carol, village_b, world):
    page = page_for(carol, 1280)
    page.clock.install()
    page.goto("/command/")
    live = page.locator("#dashboard-live")
    assert "every 30s" in live.get_attribute("hx-trigger")
    expect(live.locator(".dash-alerts")).not_to_contain_text("赵四")

    raise_alert(AlertKind.FEVER, jurisdiction=village_b, message="赵四 体温38.5℃")
    page.clock.run_for(31_000)

    expect(live.locator(".dash-alerts li.alert").first).to_contain_text("赵四 体温38.5℃")
    expect(page.locator("h1")).to_have_count(1)  # swapped in place, not reloaded


def test_it_keeps_a_client_side_order_through_the_live_refresh(page_for, carol, world):
    page = page_for(carol, 1280)
    page.clock.install()
    page.goto("/command/")
    header = page.locator(f'#children-table th[data-sort="{SORT_KEY}"]')
    header.locator("a").click()
    header.locator("a").click()
    ascending = row_names(page)

    with page.expect_response(re.compile(r"/command/live/")) as refreshed:
        page.clock.run_for(31_000)
    assert f"sort={SORT_KEY}" in refreshed.value.url
    expect(page.locator(f'#children-table th[data-sort="{SORT_KEY}"]')).to_have_attribute(
        "aria-sort", "ascending"
    )
    assert row_names(page) == ascending


@pytest.mark.parametrize(
    ("width", "query", "name"),
    [
        (360, "", "command-dashboard-360"),
        (1920, "", "command-dashboard-1920"),
        (1920, "&wall=1", "command-dashboard-wall-1920"),
    ],
)
def test_it_fits_a_phone_a_desk_and_a_wall(page_for, carol, town, world, width, query, name):
    page = page_for(carol, width)
    failed = failed_responses(page)
    page.goto(f"/command/?j={town.code}{query}")
    expect(page.locator('.figure[data-key="checkpoint.people"] .value')).to_have_text("2")
    page.wait_for_load_state("networkidle")
    screenshot(page, name)

    assert failed == []
    assert icon_is_served(page)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow} px wide at {width} px"
    assert page.evaluate(SPILLED_FIGURES) == []
    if query:
        size = page.locator('.figure[data-key="checkpoint.people"] .value').evaluate(
            "el => parseFloat(getComputedStyle(el).fontSize)"
        )
        assert size >= 40, f"wall figures at {size} px cannot be read across a room"
        expect(page.locator(".topbar")).to_be_hidden()


def test_a_phone_lists_the_first_alerts_and_links_to_the_rest(page_for, carol, village_b, world):
    for n in range(4):
        raise_alert(
            AlertKind.FEVER,
            jurisdiction=village_b,
            message=f"西村 第{n}人 体温38.{n}℃",
            raised_at=build.at(build.D2, 9, n),
        )
    open_alerts = Alert.objects.filter(acknowledged_at=None).count()
    assert open_alerts > PHONE_ALERTS
    phone = page_for(carol, 360)
    phone.goto("/command/")
    listed = phone.locator(".dash-todo li.alert")
    expect(listed).to_have_count(open_alerts)
    assert sum(listed.nth(i).is_visible() for i in range(open_alerts)) == PHONE_ALERTS
    more = phone.locator(".dash-todo li.all-alerts a")
    expect(more).to_contain_text(str(open_alerts))
    more.click()
    phone.wait_for_url("**/alerts/")
    desk = page_for(carol, 1280)
    desk.goto("/command/")
    for i in range(open_alerts):
        expect(desk.locator(".dash-todo li.alert").nth(i)).to_be_visible()
