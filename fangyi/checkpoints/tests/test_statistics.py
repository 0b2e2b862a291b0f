"""Checkpoint statistics: per checkpoint and per day figures, the jurisdiction's totals and the
cumulative totals since the first registration, in a fixed number of queries; the page (date
range, report wording), the home page's panel, and scoping."""

import uuid
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangyi.checkpoints import selectors, services
from fangyi.checkpoints.registration_views import summary_sentence
from fangyi.checkpoints.selectors import Figures
from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.api_auth import token_digest
from fangyi.core.audit import Actor
from fangyi.core.models import ApiToken
from fangyi.testing import unique_id_number

SYSTEM = Actor.system("test")
TODAY = timezone.localdate()


def at_noon(days_ago: int) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    moment = timezone.make_aware(datetime.combine(day, time(12, 0)))
    return min(moment, timezone.now() - timedelta(minutes=1))


def person(temperature: str = "36.5", **values) -> dict:
    return {"name": "赵四", "id_number": unique_id_number(), "temperature": temperature, **values}


def register(checkpoint, days_ago: int = 0, *, people: int = 1, **values):
    data = {
        "id": str(uuid.uuid4()),
        "checkpoint": checkpoint.code,
        "occurred_at": at_noon(days_ago).isoformat(),
        "direction": "in",
        "plate": "皖R·12345",
        "from_place": "合肥市",
        "result": "passed",
        "passengers": [person() for _n in range(people)],
    }
    data.update(values)
    with translation.override("en"):
        outcome = services.record_registration(SYSTEM, data)
    assert outcome.stored, outcome.as_json()
    return outcome.registration


@pytest.fixture
def gates(village_a, village_b, town, other_town_village):
    return {
        "east": make_checkpoint(village_a, "东村村口"),
        "west": make_checkpoint(village_b, "西村村口"),
        "town": make_checkpoint(town, "青山镇东入口", kind="town_entrance"),
        "baishui": make_checkpoint(other_town_village, "白水村口"),
    }


@pytest.fixture
def traffic(gates, village_b):
    """Today and yesterday at 东村, today at 西村, 10 days ago at the town entrance, and
    one at 白水 (another town)."""
    east, west = gates["east"], gates["west"]
    register(east, people=3)  # a car with 3 people
    register(east, plate="", people=1)  # on foot: a person, not a vehicle
    register(east, result="persuaded_back", people=2)
    register(east, plate="", result="persuaded_back", people=1)  # on foot, persuaded back
    register(
        east,
        result="fever_clinic",
        passengers=[person("38.2"), person("36.6", result="passed")],
    )
    register(east, result="home_quarantine", people=2)
    register(east, days_ago=1, people=4)
    register(west, people=2)
    register(gates["town"], days_ago=10, people=5)
    register(gates["baishui"], people=7)
    services.seal_village(
        SYSTEM,
        village_b,
        reason="封村",
        exits=[west],
        starts_at=timezone.now() - timedelta(hours=2),
    )
    just_now = (timezone.now() - timedelta(minutes=1)).isoformat()
    register(west, direction="out", people=1, occurred_at=just_now)  # refused: no pass
    return gates


def test_it_counts_each_figure_per_checkpoint_and_day(carol, traffic):
    stats = selectors.checkpoint_statistics(carol, TODAY - timedelta(days=7), TODAY)

    by_code = {row.checkpoint.code: row for row in stats.checkpoints}
    assert set(by_code) == {traffic[k].code for k in ("east", "west", "town")}  # not 白水
    east = by_code[traffic["east"].code]
    assert stats.days[0] == TODAY and len(stats.days) == 8
    assert east.days[0] == Figures(
        vehicles=4,
        people=11,
        vehicles_persuaded=1,
        people_persuaded=3,
        fevers=1,
        quarantined=2,
        refused=0,
    )
    assert east.days[1] == Figures(vehicles=1, people=4)
    assert east.total.people == 15 and east.total.vehicles == 5
    west = by_code[traffic["west"].code]
    assert west.days[0] == Figures(vehicles=2, people=3, refused=1)
    assert by_code[traffic["town"].code].total == Figures()  # 10 days ago: outside the range
    assert stats.day_totals[0].people == 14 and stats.day_totals[1].people == 4
    assert stats.total.people == 18 and stats.total.refused == 1


def test_it_counts_cumulative_figures_since_the_first_registration(carol, traffic):
    stats = selectors.checkpoint_statistics(
        carol, TODAY - timedelta(days=1), TODAY - timedelta(days=1)
    )

    assert stats.first_day == TODAY - timedelta(days=10)
    assert stats.total == Figures(vehicles=1, people=4)
    # Up to the end of the range: 10 days ago and yesterday, not today.
    assert stats.cumulative == Figures(vehicles=2, people=9)
    today = selectors.checkpoint_statistics(carol, TODAY, TODAY)
    assert today.cumulative.people == 23 and today.cumulative.vehicles == 8


def test_it_answers_in_three_queries_whatever_the_size(
    carol, traffic, town, django_assert_num_queries
):
    for number in range(20):
        gate = make_checkpoint(town, f"劝返点{number}", kind="persuasion_point")
        register(gate, days_ago=number % 5, people=2)
    carol.has_perm("checkpoints.view_registration")  # the permissions, read once per request
    with django_assert_num_queries(3):
        stats = selectors.checkpoint_statistics(carol, TODAY - timedelta(days=30), TODAY)
    assert len(stats.checkpoints) == 23 and stats.total.people == 63


def test_it_narrows_to_one_checkpoint(carol, traffic):
    stats = selectors.checkpoint_statistics(
        carol, TODAY - timedelta(days=7), TODAY, checkpoint=traffic["west"]
    )
    assert [row.checkpoint for row in stats.checkpoints] == [traffic["west"]]
    assert stats.total == Figures(vehicles=2, people=3, refused=1)
    assert stats.cumulative == stats.total


def test_it_counts_only_what_the_user_may_see(alice, frank, traffic):
    mine = selectors.checkpoint_statistics(alice, TODAY - timedelta(days=7), TODAY)
    assert [row.checkpoint for row in mine.checkpoints] == [traffic["east"]]
    assert mine.cumulative.people == 15
    theirs = selectors.checkpoint_statistics(frank, TODAY - timedelta(days=7), TODAY)
    assert [row.checkpoint for row in theirs.checkpoints] == [traffic["baishui"]]
    assert theirs.cumulative == Figures(vehicles=1, people=7)


def test_it_words_the_summary_as_the_reports_do():
    figures = Figures(
        vehicles=31325,
        people=42718,
        vehicles_persuaded=1203,
        people_persuaded=2811,
        fevers=12,
        quarantined=426,
    )
    with translation.override("en"):
        sentence = summary_sentence("青山镇", TODAY, figures)
    assert "青山镇 has checked 31,325 vehicles and 42,718 people in total" in sentence
    assert "1,203 vehicles and 2,811 people" in sentence and "426 people to quarantine" in sentence


def test_it_shows_the_last_week_by_default_with_the_towns_summary(client_for, carol, traffic):
    response = client_for(carol).get(reverse("checkpoints:statistics"))
    page = response.content.decode()
    assert response.status_code == 200
    stats = response.context["stats"]
    assert (stats.start, stats.end) == (TODAY - timedelta(days=7), TODAY)
    assert "青山镇 has checked 8 vehicles and 23 people in total" in page
    assert f'data-day="{TODAY.isoformat()}"' in page
    assert traffic["east"].name in page and traffic["baishui"].name not in page


def test_it_shows_one_checkpoint_per_day(client_for, carol, traffic):
    response = client_for(carol).get(
        reverse("checkpoints:statistics"),
        {"start": (TODAY - timedelta(days=2)).isoformat(), "checkpoint": traffic["east"].code},
    )
    page = response.content.decode()
    assert response.status_code == 200 and response.context["chosen"] == traffic["east"]
    assert "东村村口 has checked 5 vehicles and 15 people in total" in page
    assert 'id="per-checkpoint"' not in page


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2020-02-10", "end": "2020-02-01"}, "end", "before its start"),
        ({"start": "2020-01-01", "end": "2020-06-01"}, "end", "at most 92 days"),
        ({"start": "yesterday"}, "start", "valid date"),
        ({"checkpoint": "KNOSUCH"}, "checkpoint", "valid choice"),
    ],
)
def test_it_refuses_bad_ranges(client_for, carol, traffic, params, field, message):
    response = client_for(carol).get(reverse("checkpoints:statistics"), params)
    page = response.content.decode()
    assert response.status_code == 200 and "stats" not in response.context
    assert f'data-field="{field}"' in page and message in page


def test_it_refuses_another_towns_checkpoint(client_for, frank, traffic):
    response = client_for(frank).get(
        reverse("checkpoints:statistics"), {"checkpoint": traffic["east"].code}
    )
    assert 'data-field="checkpoint"' in response.content.decode()
    assert "东村村口" not in response.content.decode()


def test_it_refuses_roles_without_the_permission(client_for, erin, traffic):
    assert client_for(erin).get(reverse("checkpoints:statistics")).status_code == 403


def test_it_shows_todays_figures_on_the_home_page(client_for, carol, traffic):
    page = client_for(carol).get(reverse("home")).content.decode()
    panel = page.split('id="checkpoint-figures"', 1)[1].split("</section>", 1)[0]
    assert '<span class="value">14</span><span class="label">people checked' in panel
    assert "青山镇 has checked 8 vehicles and 23 people in total" in panel


def test_it_leaves_the_panel_out_when_there_is_nothing_to_show(client_for, carol, erin, gates):
    assert 'id="checkpoint-figures"' not in client_for(carol).get(reverse("home")).content.decode()
    register(gates["east"])
    assert 'id="checkpoint-figures"' not in client_for(erin).get(reverse("home")).content.decode()


# The API ---------------------------------------------------------------------------------------

STATISTICS_API = "/api/v1/checkpoints/statistics"


def bearer(user, secret: str) -> dict:
    ApiToken.objects.create(user=user, name="report", digest=token_digest(secret))
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_the_api_gives_per_checkpoint_per_day_figures_and_totals(client, carol, traffic):
    response = client.get(STATISTICS_API, **bearer(carol, "carol-token"))

    assert response.status_code == 200
    body = response.json()
    assert body["start"] == (TODAY - timedelta(days=7)).isoformat()
    assert [day["date"] for day in body["days"]][-1] == TODAY.isoformat()  # oldest first
    assert body["days"][-1]["people"] == 14 and body["total"]["people"] == 18
    assert body["cumulative"] == {
        "vehicles": 8,
        "people": 23,
        "vehicles_persuaded": 1,
        "people_persuaded": 3,
        "fevers": 1,
        "quarantined": 2,
        "refused": 1,
    }
    east = next(c for c in body["checkpoints"] if c["code"] == traffic["east"].code)
    assert east["days"][-1]["vehicles"] == 4 and east["days"][-2]["people"] == 4
    assert east["total"]["people"] == 15 and len(east["days"]) == 8
    assert traffic["baishui"].code not in {c["code"] for c in body["checkpoints"]}


def test_the_api_narrows_to_a_checkpoint_and_a_range(client, carol, traffic):
    code = traffic["west"].code.lower()  # as typed
    params = {"start": TODAY.isoformat(), "end": TODAY.isoformat(), "checkpoint": code}
    body = client.get(STATISTICS_API, params, **bearer(carol, "carol-token")).json()
    assert [c["code"] for c in body["checkpoints"]] == [traffic["west"].code]
    assert body["total"]["refused"] == 1 and len(body["days"]) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2020-02-10", "end": "2020-02-01"},
        {"start": "2020-01-01", "end": "2020-06-01"},
        {"checkpoint": "KNOSUCH"},
        {"start": "tomorrow"},
    ],
)
def test_the_api_refuses_bad_parameters(client, carol, traffic, params):
    response = client.get(STATISTICS_API, params, **bearer(carol, "carol-token"))
    assert response.status_code == 422


def test_the_api_is_scoped_and_needs_the_permission(client, frank, erin, traffic):
    other = client.get(
        STATISTICS_API, {"checkpoint": traffic["east"].code}, **bearer(frank, "frank-token")
    )
    assert other.status_code == 422
    franks = client.get(STATISTICS_API, **bearer(frank, "frank-2")).json()
    assert franks["cumulative"]["people"] == 7
    assert client.get(STATISTICS_API, **bearer(erin, "erin-token")).status_code == 403
    assert client.get(STATISTICS_API).status_code == 401


# In real Chromium --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_the_statistics_and_the_home_panels(page_for, carol, traffic):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    page = page_for(carol, 360)  # logged in: the home page
    expect(page.locator("#checkpoint-figures [data-figure=people] .value")).to_have_text("14")
    expect(page.locator("#alerts-panel .alert-row.open")).to_have_count(2)  # fever, no pass
    screenshot(page, "home-panels-360")
    page.locator("#alerts-panel .ack-button").first.click()  # htmx swaps the row
    expect(page.locator("#alerts-panel .alert-row.open")).to_have_count(1)

    page.goto(reverse("checkpoints:statistics"))
    expect(page.locator("#per-day tbody tr")).to_have_count(8)
    expect(page.locator("#summary")).to_contain_text("23")
    screenshot(page, "statistics-360")
    page.click(f"#per-checkpoint a:text('{traffic['east'].name}')")
    expect(page.locator("#per-checkpoint")).to_have_count(0)
    expect(page.locator("#per-day tfoot td").first).to_have_text("5")

    desk = page_for(carol, 1280)
    screenshot(desk, "home-panels-1280")
    desk.goto(reverse("checkpoints:statistics"))
    screenshot(desk, "statistics-1280")
