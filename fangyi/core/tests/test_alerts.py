"""Alerts: the home page's panel of open alerts, the alert list (open / acknowledged), and
acknowledging one; each user sees only the alerts of their jurisdiction."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fangyi.core.alert_views import ALERTS_ON_HOME
from fangyi.core.models import Alert, AlertKind
from fangyi.core.services import raise_alert


def alert(place, message, kind=AlertKind.FEVER, minutes_ago=0, link="/people/") -> Alert:
    raised = raise_alert(kind, jurisdiction=place, message=message, link=link)
    Alert.objects.filter(pk=raised.pk).update(
        raised_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return raised


@pytest.fixture
def alerts(village_a, village_b, other_town_village):
    return {
        "fever": alert(village_a, "东村村口：王五体温38.2℃", minutes_ago=5, link="/x/fever/"),
        "leaving": alert(
            village_a, "东村村口：赵六隔离期外出", AlertKind.QUARANTINE_LEAVING, minutes_ago=1
        ),
        "west": alert(village_b, "西村村口：无通行证", AlertKind.NO_PASS, minutes_ago=3),
        "baishui": alert(other_town_village, "白水村：发热", minutes_ago=2),
    }


def panel_of(page: str) -> str:
    return page.split('id="alerts-panel"', 1)[1].split("</section>", 1)[0]


def test_it_shows_open_alerts_on_the_home_page_newest_first(client_for, carol, alerts):
    page = client_for(carol).get(reverse("home")).content.decode()
    panel = panel_of(page)
    assert panel.index("赵六") < panel.index("西村村口") < panel.index("王五")
    assert "白水村" not in panel
    assert 'href="/x/fever/"' in panel  # each links to its record
    assert 'id="open-alert-count">3<' in panel and "Acknowledge" in panel
    assert page.index('id="alerts-panel"') < page.index("people registered")  # first


def test_it_shows_a_village_only_its_own_alerts(client_for, alice, bob, frank, alerts):
    assert "西村" not in panel_of(client_for(alice).get(reverse("home")).content.decode())
    bobs = panel_of(client_for(bob).get(reverse("home")).content.decode())
    assert "西村村口" in bobs and "王五" not in bobs
    franks = panel_of(client_for(frank).get(reverse("home")).content.decode())
    assert "白水村" in franks and "东村" not in franks and "西村" not in franks


def test_it_leaves_the_panel_out_for_roles_without_alerts(client_for, erin, alerts):
    assert 'id="alerts-panel"' not in client_for(erin).get(reverse("home")).content.decode()


def test_it_links_to_the_full_list_when_there_are_more_than_it_shows(client_for, carol, village_a):
    for n in range(ALERTS_ON_HOME + 2):
        alert(village_a, f"第{n}条", minutes_ago=n)
    panel = panel_of(client_for(carol).get(reverse("home")).content.decode())
    assert panel.count('class="alert-row open"') == ALERTS_ON_HOME
    assert f"All {ALERTS_ON_HOME + 2} open alerts" in panel


def test_it_acknowledges_an_alert(client_for, carol, alerts):
    client = client_for(carol)
    fever = alerts["fever"]
    response = client.post(reverse("alert_acknowledge", args=[fever.pk]), {"next": reverse("home")})
    assert response.status_code == 302 and response.url == reverse("home")
    fever.refresh_from_db()
    assert fever.acknowledged_by == carol and fever.acknowledged_at is not None
    assert "王五" not in panel_of(client.get(reverse("home")).content.decode())
    acknowledged_at = fever.acknowledged_at

    client.post(reverse("alert_acknowledge", args=[fever.pk]))  # twice: nothing changes
    fever.refresh_from_db()
    assert fever.acknowledged_at == acknowledged_at


def test_it_swaps_the_row_when_acknowledged_by_htmx(client_for, alice, alerts):
    response = client_for(alice).post(
        reverse("alert_acknowledge", args=[alerts["leaving"].pk]), HTTP_HX_REQUEST="true"
    )
    row = response.content.decode()
    assert response.status_code == 200 and row.startswith('<li class="alert-row"')
    assert "acknowledged by 李爱丽" in row and "Acknowledge</button>" not in row


def test_it_refuses_to_acknowledge_another_villages_alert_or_without_the_role(
    client_for, bob, frank, dave, alerts
):
    fever = alerts["fever"]
    url = reverse("alert_acknowledge", args=[fever.pk])
    assert client_for(bob).post(url).status_code == 404
    assert client_for(frank).post(url).status_code == 404
    assert client_for(dave).post(url).status_code == 403  # the auditor only reads
    assert client_for(dave).get(url).status_code == 403
    fever.refresh_from_db()
    assert fever.acknowledged_at is None


def test_it_ignores_an_unsafe_next(client_for, carol, alerts):
    response = client_for(carol).post(
        reverse("alert_acknowledge", args=[alerts["fever"].pk]),
        {"next": "https://evil.example/"},
    )
    assert response.url == reverse("alert_list")


def rows_of(page: str) -> str:
    return page.split('id="alert-rows"', 1)[1].split("</ul>", 1)[0]


def test_it_lists_open_and_acknowledged_alerts(client_for, carol, dave, alerts):
    client = client_for(carol)
    client.post(reverse("alert_acknowledge", args=[alerts["fever"].pk]))

    open_rows = rows_of(client.get(reverse("alert_list")).content.decode())
    assert "赵六" in open_rows and "西村村口" in open_rows and "王五" not in open_rows
    done = rows_of(client.get(reverse("alert_list"), {"state": "acknowledged"}).content.decode())
    assert "王五" in done and "赵六" not in done and "acknowledged by 陈可" in done
    every = rows_of(client.get(reverse("alert_list"), {"state": "all"}).content.decode())
    assert every.count('class="alert-row') == 3 and "白水村" not in every
    fevers = rows_of(
        client.get(reverse("alert_list"), {"state": "all", "kind": "fever"}).content.decode()
    )
    assert "王五" in fevers and "赵六" not in fevers
    # Unknown values fall back to the open alerts of every kind.
    odd = client.get(reverse("alert_list"), {"state": "exploded", "kind": "nope"})
    assert rows_of(odd.content.decode()).count('class="alert-row') == 2
    # The auditor reads them, without the button.
    audited = client_for(dave).get(reverse("alert_list")).content.decode()
    assert "赵六" in audited and "Acknowledge</button>" not in audited


def test_it_refuses_the_list_to_roles_without_alerts(client_for, erin, alerts):
    assert client_for(erin).get(reverse("alert_list")).status_code == 403


def test_it_lists_in_a_bounded_number_of_queries(
    client_for, carol, village_a, django_assert_max_num_queries
):
    client = client_for(carol)
    alert(village_a, "一")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("alert_list"))
    for n in range(20):
        alert(village_a, f"第{n}条")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("alert_list"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_lists_and_acknowledges_alerts_in_a_browser(page_for, carol, alerts):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    page = page_for(carol, 360)
    page.goto(reverse("alert_list"))
    expect(page.locator("#alert-rows .alert-row.open")).to_have_count(3)
    screenshot(page, "alert-list-360")
    page.locator("#alert-rows .ack-button").first.click()
    expect(page.locator("#alert-rows .alert-row.open")).to_have_count(2)
    desk = page_for(carol, 1280)
    desk.goto(reverse("alert_list") + "?state=all")
    expect(desk.locator("#alert-rows .alert-row")).to_have_count(3)
    screenshot(desk, "alert-list-1280")
