"""check_rollups against the known dataset: clean after a full pass, a tampered cell and an old
correction found, a window pass leaving older days alone, snapshots keeping their day."""

from datetime import timedelta

import pytest

from fangyi.checkpoints.models import Registration
from fangyi.command import testing as build
from fangyi.command.models import DailyFigure
from fangyi.command.rollups import check_rollups, refresh_rollups
from fangyi.command.selectors import figures_for
from fangyi.command.tests.test_rollup_figures import D1, D2, NOW
from fangyi.ledger.models import LedgerEntry

D4 = D2 + timedelta(days=2)
LATER = build.at(D4, 10)


@pytest.fixture
def dataset(county, town, village_a, village_b):
    return build.known_dataset(county, town, village_a, village_b)


def _cell(day, code, metric) -> int:
    return (
        DailyFigure.objects.filter(day=day, jurisdiction_id=code, metric=metric)
        .values_list("value", flat=True)
        .first()
        or 0
    )


def test_it_finds_nothing_after_a_full_refresh(dataset):
    refresh_rollups(everything=True, now=NOW)
    assert check_rollups() == []
    refresh_rollups(everything=True, now=LATER)
    assert check_rollups() == []


def test_it_finds_a_tampered_cell(dataset):
    refresh_rollups(everything=True, now=NOW)
    village = dataset["a"].code
    DailyFigure.objects.filter(day=D1, jurisdiction_id=village, metric="checkpoint.people").update(
        value=13
    )
    differences = check_rollups()
    assert [(d.day, d.jurisdiction, d.metric, d.stored, d.recomputed) for d in differences] == [
        (D1, village, "checkpoint.people", 13, 8)
    ]


def test_it_finds_a_tampered_running_count_twice(dataset):
    refresh_rollups(everything=True, now=NOW)
    village = dataset["b"].code
    DailyFigure.objects.filter(day=D1, jurisdiction_id=village, metric="alerts.open").update(
        value=3
    )
    found = {(d.day, d.jurisdiction, d.metric, d.stored, d.recomputed) for d in check_rollups()}
    assert found == {
        (D1, village, "alerts.open", 3, 1),  # the day's change recomputed
        (D2, village, "alerts.open", 3, 1),  # the running count against the open alerts
    }


def test_it_reports_an_old_correction_until_a_full_refresh(dataset):
    refresh_rollups(everything=True, now=LATER)
    village, town = dataset["a"].code, dataset["town"].code
    # A registration of day 1 (three days before) corrected: 3 people were 5.
    Registration.objects.filter(plate="湘A12345").update(people_count=5)
    refresh_rollups(now=LATER + timedelta(minutes=1))  # today and yesterday only
    assert _cell(D1, village, "checkpoint.people") == 8, "a window pass left day 1 alone"
    found = {(d.day, d.jurisdiction, d.metric, d.stored, d.recomputed) for d in check_rollups()}
    assert found == {
        (D1, village, "checkpoint.people", 8, 10),
        (D1, town, "checkpoint.people", 8, 10),
        (D1, dataset["county"].code, "checkpoint.people", 8, 10),
    }
    refresh_rollups(everything=True, now=LATER + timedelta(minutes=2))
    assert check_rollups() == []
    assert _cell(D1, town, "checkpoint.people") == 10


def test_it_keeps_a_past_days_snapshot(dataset):
    refresh_rollups(everything=True, now=NOW)
    LedgerEntry.objects.filter(person__name="甲一").update(status="verified_home")
    refresh_rollups(everything=True, now=LATER)
    village = dataset["a"]
    on_d2 = figures_for(village, D2)
    assert (on_d2.value("ledger.status.pending"), on_d2.value("ledger.status.verified_home")) == (
        2,
        0,
    )
    # Day 3 had no pass: it shows day 2's snapshot; day 4 the new one.
    on_d4 = figures_for(village, D4, first=D2)
    assert on_d4.series["ledger.status.pending"] == [2, 2, 1]
    assert on_d4.series["ledger.status.verified_home"] == [0, 0, 1]
    assert on_d4["ledger.status.verified_home"].previous == 0
    assert check_rollups() == []


def test_it_counts_days_whose_only_data_is_a_push_list_or_a_shift(county, town, village_a):
    # The list was received on day 1 but its people were entered on day 2; a roster's first
    # shift is on day 1 too: a full pass must still start on day 1.
    entry = build.entry_at(village_a, build.at(D2, 9))
    push = build.push_list(town, build.at(D1, 8), build.at(D2, 18), "县推送")
    build.task(push, entry)
    gate = build.checkpoint(village_a, "东村村口")
    build.published_shifts(town, gate, D1, [(build.at(D1, 8), build.at(D1, 16), 1, 0, 0)])
    refresh_rollups(everything=True, now=NOW)
    on_d1 = figures_for(village_a, D1)
    assert on_d1.value("push.received") == 1
    assert on_d1.value("shifts.planned") == 1
    assert on_d1.value("shifts.uncovered") == 1
    assert check_rollups() == []


def test_it_finds_nothing_when_rows_changed_after_the_last_pass(dataset):
    # After the pass at 20:00: a missed check made up, an open request delivered, an approved
    # filing reopened. The check compares with the raw rows as they stood at the pass.
    from fangyi.enterprises.models import Filing, FilingEvent
    from fangyi.quarantine.models import FollowUp
    from fangyi.volunteers.models import RequestEvent, ServiceRequest

    refresh_rollups(everything=True, now=NOW)
    after = NOW + timedelta(hours=1)
    FollowUp.objects.filter(due_at=build.at(D1, 20)).update(
        status="done", checked_at=after, temperature="36.6", late=True
    )
    request = ServiceRequest.objects.get(household_name="丁户")
    RequestEvent.objects.create(request=request, at=after, actor_username="t", status="done")
    ServiceRequest.objects.filter(pk=request.pk).update(status="done")
    filing = Filing.objects.get(enterprise__name="甲厂")
    FilingEvent.objects.create(
        filing=filing, at=after, actor_username="t", status="reopened", message="reopened"
    )
    Filing.objects.filter(pk=filing.pk).update(status="reopened")
    assert check_rollups() == []
    # As of later, a new pass picks them all up and agrees again.
    refresh_rollups(everything=True, now=after + timedelta(minutes=1))
    assert check_rollups() == []
    village_b = dataset["b"]
    assert figures_for(village_b, D2).value("enterprises.approved") == 0
    assert figures_for(dataset["a"], D2).value("requests.open") == 1
