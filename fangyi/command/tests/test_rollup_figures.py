"""A known dataset in the fixtures' county, rolled up, and every figure of the catalogue checked
at village, town and county on two local days (Asia/Shanghai), plus the table by
sub-jurisdiction and a trend series."""

from datetime import date, timedelta

import pytest

from fangyi.command import testing as build
from fangyi.command.figures import FIGURES, FigureKind
from fangyi.command.rollups import refresh_rollups
from fangyi.command.selectors import children_table, figures_for

D1, D2 = build.D1, build.D2
NOW = build.at(D2, 20, 0)
OWN = "own"  # what is held at the town itself (its own checkpoint)

# The figures each place holds itself, written by hand: key -> {place: (day 1, day 2)}.
# Flows: the day's count; levels and snapshots: the count at the end of the day.
# Every key of the catalogue must be here (a figure without an expectation fails).
EXPECTED: dict[str, dict[str, tuple[int, int]]] = {
    # 2 entries in village_a on day 1 (00:10 and 23:50 local), 1 in village_b on day 2;
    # plus the three people entered by the push list... (entries are made directly).
    "ledger.new": {"a": (2, 0), "b": (0, 1)},
    # Snapshot: only the pass on day 2 wrote it; day 1 had no pass.
    "ledger.status.pending": {"a": (0, 2), "b": (0, 1)},
    "ledger.status.verified_home": {},
    "ledger.status.home_quarantine": {},
    "ledger.status.centralized": {},
    "ledger.status.not_local": {},
    "ledger.status.wrong_info": {},
    "ledger.status.left": {},
    "ledger.status.released": {},
    "ledger.status.confirmed": {},
    # One list on day 1 (deadline 18:00): a1 verified on time, a2 verified late on day 2,
    # b1 still open.
    "push.received": {"a": (2, 0), "b": (1, 0)},
    "push.verified": {"a": (1, 1)},
    "push.pending": {"a": (1, 0), "b": (1, 1)},
    "push.overdue": {"a": (1, 0), "b": (1, 1)},
    # a: home quarantine from day 1 (running), another due on day 2 (still running), home
    # monitoring started day 2 and sent to hospital at 19:00; b: centralized from day 1,
    # released at 00:05 on day 2 (its due day).
    "quarantine.active.home_quarantine": {"a": (2, 2)},
    "quarantine.active.centralized": {"b": (1, 0)},
    "quarantine.active.home_monitoring": {},
    "quarantine.started": {"a": (2, 1), "b": (1, 0)},
    "quarantine.released": {"b": (0, 1)},
    "quarantine.due": {"a": (0, 1), "b": (0, 1)},
    # Checks of a's order: day 1 08:00 done, 20:00 missed; day 2 08:00 done with a fever,
    # 19:30 not yet past the grace, 23:00 later tonight (a slot of the day all the same).
    "checks.due": {"a": (2, 3)},
    "checks.missed": {"a": (1, 0)},
    "checks.fever": {"a": (0, 1)},
    # A case in a reported on day 2, two close contacts and one secondary found that day.
    "cases.new": {"a": (0, 1)},
    "contacts.close": {"a": (0, 2)},
    "contacts.secondary": {"a": (0, 1)},
    # village_a's checkpoint: 3 on day 1 (one at 23:30, one received the next morning);
    # the town's own checkpoint: 1 on day 2.
    "checkpoint.registrations": {"a": (3, 0), OWN: (0, 1)},
    "checkpoint.vehicles": {"a": (1, 0), OWN: (0, 1)},
    "checkpoint.people": {"a": (8, 0), OWN: (0, 2)},
    "checkpoint.persuaded": {"a": (1, 0)},
    "checkpoint.fevers": {"a": (1, 0)},
    "checkpoint.quarantined": {OWN: (0, 1)},
    # a: raised and acknowledged on day 1, again on day 2; b: raised 23:59 on day 1, open.
    "alerts.raised": {"a": (1, 1), "b": (1, 0)},
    "alerts.open": {"b": (1, 1)},
    # a's gate: day 1 a staffed shift (one checked in) and an evening one short and nobody
    # in; day 2 a night shift at 22:00 with nobody assigned yet (short, not yet a no-show).
    "shifts.planned": {"a": (2, 1)},
    "shifts.uncovered": {"a": (1, 1)},
    "shifts.no_show": {"a": (1, 0)},
    # a: day 1 one left open past its time, one closed late on day 2; day 2 one cancelled in
    # time and one open, needed tonight.
    "requests.new": {"a": (2, 2)},
    "requests.open": {"a": (2, 2)},
    "requests.overdue": {"a": (2, 1)},
    # b: two filings submitted and approved on day 1, one reopened on day 2; one more
    # submitted on day 2.
    "enterprises.submitted": {"b": (2, 1)},
    "enterprises.approved": {"b": (2, 1)},
}


def _place_value(key: str, place: str, day: date) -> int:
    values = EXPECTED[key].get(place, (0, 0))
    return {D1: values[0], D2: values[1]}.get(day, 0)


def _expected(key: str, places: list[str], day: date) -> int:
    return sum(_place_value(key, place, day) for place in places)


@pytest.fixture
def dataset(county, town, village_a, village_b):
    return build.known_dataset(county, town, village_a, village_b)


def _expected_previous(figure, places: list[str], day: date) -> int:
    """The figure the day before. The only pass is on D2 (NOW): a snapshot has no earlier
    value there, so it reads as unchanged, not as risen from nothing."""
    if figure.kind == FigureKind.SNAPSHOT:
        return _expected(figure.key, places, day)
    return _expected(figure.key, places, day - timedelta(days=1))


def test_it_checks_every_figure_at_every_level_on_two_days(dataset):
    refresh_rollups(everything=True, now=NOW)
    assert {f.key for f in FIGURES} == set(EXPECTED), "a figure without an expectation"
    levels = {
        "a": ["a"],
        "b": ["b"],
        "town": ["a", "b", OWN],
        "county": ["a", "b", OWN],
    }
    failures = []
    for name, places in levels.items():
        for day in (D1, D2):
            figures = figures_for(dataset[name], day, first=D1)
            for figure in FIGURES:
                got = figures[figure.key]
                want_value = _expected(figure.key, places, day)
                want_previous = _expected_previous(figure, places, day)
                want_total = (
                    sum(_expected(figure.key, places, d) for d in (D1, D2) if d <= day)
                    if figure.kind == FigureKind.FLOW
                    else None
                )
                actual = (got.value, got.previous, got.total)
                if actual != (want_value, want_previous, want_total):
                    failures.append(
                        f"{name} {day} {figure.key}: got {actual}, "
                        f"want {(want_value, want_previous, want_total)}"
                    )
    assert not failures, "\n".join(failures)


def test_it_lists_children_with_the_towns_own_row(dataset):
    refresh_rollups(everything=True, now=NOW)
    failures = []
    for day in (D1, D2):
        rows = children_table(dataset["town"], day)
        # The town's own checkpoint had registrations on day 2 only: no own row on day 1.
        owners = [dataset["a"], dataset["b"]] + ([None] if day == D2 else [])
        assert [row.jurisdiction for row in rows] == owners
        for row, place in zip(rows, ["a", "b", OWN], strict=False):
            for figure in FIGURES:
                want = _expected(figure.key, [place], day)
                change = want - _expected_previous(figure, [place], day)
                got = (row.values[figure.key], row.changes.get(figure.key, 0))
                if got != (want, change):
                    failures.append(f"{day} {place} {figure.key}: got {got}, want {(want, change)}")
    assert not failures, "\n".join(failures)
    # The county's children: the town (all of it) and the other town (nothing).
    county_rows = children_table(dataset["county"], D2)
    assert [row.jurisdiction for row in county_rows] == [dataset["town"]]
    for figure in FIGURES:
        assert county_rows[0].values[figure.key] == _expected(figure.key, ["a", "b", OWN], D2)


def test_it_gives_a_trend_series(dataset):
    refresh_rollups(everything=True, now=NOW)
    figures = figures_for(dataset["town"], D2, first=D1 - timedelta(days=1))
    assert figures.days == [D1 - timedelta(days=1), D1, D2]
    assert figures.series["checkpoint.people"] == [0, 8, 2]
    assert figures.series["push.pending"] == [0, 2, 1]
    assert figures.series["ledger.new"] == [0, 2, 1]
