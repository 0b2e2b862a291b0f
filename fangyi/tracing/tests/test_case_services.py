"""Cases and their trajectory: reporting (once per person), a positive test turning the person
into a case, reclassifying, trajectory entries inside the infectious window, and the pull of
checkpoint registrations. Each bad input is refused with its reason, nothing else lost."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.audit import Actor
from fangyi.core.models import DiseaseProfile
from fangyi.ledger.models import Category, Status
from fangyi.ledger.services import create_entry
from fangyi.quarantine import services as quarantine_services
from fangyi.quarantine.models import CheckMethod
from fangyi.quarantine.testing import make_order, make_team
from fangyi.testing import make_person
from fangyi.tracing import services
from fangyi.tracing.models import Case, Classification, PlaceKind, TrajectoryEntry
from fangyi.tracing.selectors import infectious_window
from fangyi.tracing.tests.builders import SYSTEM, make_case, register_car


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def wang(village_a):
    return make_person(village_a, "王金水", current_address="东村3组12号")


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, "东村村口")


def today():
    return timezone.localdate()


def local(day, hour=10, minute=0):
    return datetime.combine(
        day, datetime.min.time(), tzinfo=timezone.get_current_timezone()
    ).replace(hour=hour, minute=minute)


def messages_of(error: ValidationError) -> dict[str, str]:
    return {key: " ".join(value) for key, value in error.message_dict.items()}


# Reporting -----------------------------------------------------------------------------------


def test_it_reports_a_case_in_the_person_s_jurisdiction_and_marks_the_ledger(carol, wang):
    entry = create_entry(SYSTEM, wang, category=Category.RETURNEE)
    case = services.report_case(
        Actor(user=carol), wang, classification=Classification.CONFIRMED, hospital="县人民医院"
    )
    assert case.jurisdiction_id == wang.jurisdiction_id
    assert case.report_date == today() and case.created_by == carol
    entry.refresh_from_db()
    assert entry.status == Status.CONFIRMED


def test_it_keeps_one_case_per_person_and_reporting_again_changes_the_classification(carol, wang):
    first = make_case(wang, Classification.SUSPECTED, actor=Actor(user=carol))
    entry = create_entry(SYSTEM, wang, category=Category.FEVER)
    again = services.report_case(
        Actor(user=carol), wang, classification=Classification.ASYMPTOMATIC, notes="复核阳性"
    )
    assert again.pk == first.pk and Case.objects.count() == 1
    assert again.classification == Classification.ASYMPTOMATIC
    assert "复核阳性" in again.notes
    entry.refresh_from_db()
    assert entry.status == Status.CONFIRMED


def test_it_does_not_mark_the_ledger_for_a_suspected_case(carol, wang):
    entry = create_entry(SYSTEM, wang, category=Category.FEVER)
    make_case(wang, Classification.SUSPECTED, actor=Actor(user=carol))
    entry.refresh_from_db()
    assert entry.status == Status.PENDING


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"classification": "sick"}, "classification", "choose the classification"),
        ({"report_date": 1}, "report_date", "cannot be in the future"),
        ({"onset_date": 1}, "onset_date", "cannot be after the report date"),
        ({"onset_date": -31}, "onset_date", "at most 30 days before the report"),
    ],
)
def test_it_refuses_a_bad_report_and_stores_nothing(carol, wang, values, field, words):
    arguments = {"classification": Classification.CONFIRMED}
    for key, value in values.items():
        arguments[key] = today() + timedelta(days=value) if key.endswith("date") else value
    with pytest.raises(ValidationError) as refused:
        services.report_case(Actor(user=carol), wang, **arguments)
    assert words in messages_of(refused.value)[field]
    assert not Case.objects.exists()


def test_it_refuses_a_role_without_the_permission_and_another_town(alice, frank, wang):
    with pytest.raises(PermissionDenied):
        services.report_case(Actor(user=alice), wang, classification=Classification.CONFIRMED)
    with pytest.raises(PermissionDenied):
        services.report_case(Actor(user=frank), wang, classification=Classification.CONFIRMED)
    assert not Case.objects.exists()


def test_it_reclassifies_and_refuses_an_unknown_classification(carol, wang):
    case = make_case(wang, Classification.SUSPECTED)
    services.reclassify_case(Actor(user=carol), case, Classification.CLEARED)
    case.refresh_from_db()
    assert case.classification == Classification.CLEARED
    with pytest.raises(ValidationError) as refused:
        services.reclassify_case(Actor(user=carol), case, "better")
    assert "classification" in refused.value.message_dict
    case.refresh_from_db()
    assert case.classification == Classification.CLEARED


def test_it_refuses_reclassifying_for_a_village_cadre(alice, wang):
    case = make_case(wang, Classification.SUSPECTED)
    with pytest.raises(PermissionDenied):
        services.reclassify_case(Actor(user=alice), case, Classification.CONFIRMED)


# A positive test -----------------------------------------------------------------------------


@pytest.fixture
def team(town, village_a):
    return make_team(town, village_a)


def test_a_positive_test_without_fever_makes_an_asymptomatic_case(team, wang):
    order = make_order(wang, start_date=today() - timedelta(days=3))
    test = order.tests.order_by("day").first()
    doctor = Actor(user=team["doctor"])
    quarantine_services.record_test(doctor, test, result="positive", lab="县疾控")
    case = Case.objects.get(person=wang)
    assert case.classification == Classification.ASYMPTOMATIC
    assert case.source_test_id == test.pk and case.onset_date is None
    assert f"day {test.day}" in case.notes


def test_a_positive_test_after_a_fever_makes_a_confirmed_case_with_its_onset(team, wang):
    order = make_order(wang)
    check = order.checks.order_by("due_at").first()
    quarantine_services.record_check(
        Actor(user=team["doctor"]),
        check,
        temperature="38.2",
        method=CheckMethod.DOOR,
        now=check.due_at,
    )
    quarantine_services.record_test(
        Actor(user=team["doctor"]), order.tests.first(), result="positive"
    )
    case = Case.objects.get(person=wang)
    assert case.classification == Classification.CONFIRMED
    assert case.onset_date == min(timezone.localdate(check.due_at), today())


def test_a_positive_test_keeps_a_confirmed_case_confirmed(team, wang):
    make_case(wang, Classification.CONFIRMED)
    order = make_order(wang)
    quarantine_services.record_test(
        Actor(user=team["doctor"]), order.tests.first(), result="positive"
    )
    assert Case.objects.get(person=wang).classification == Classification.CONFIRMED


# The infectious window and the trajectory ----------------------------------------------------


def test_the_window_runs_from_the_profile_s_days_before_onset_to_the_end_of_the_report_day(
    wang,
):
    case = make_case(wang, onset_date=today() - timedelta(days=2))
    start, end = infectious_window(case)
    days = DiseaseProfile.current().infectious_days_before_onset
    assert timezone.localtime(start) == local(today() - timedelta(days=2 + days), 0)
    assert timezone.localtime(end) == local(today() + timedelta(days=1), 0)


def test_it_adds_a_trajectory_entry_in_the_window(carol, wang):
    case = make_case(wang, onset_date=today() - timedelta(days=1))
    entry = services.add_trajectory_entry(
        Actor(user=carol),
        case,
        kind=PlaceKind.MARKET,
        place=" 青山农贸市场 ",
        starts_at=local(today() - timedelta(days=2), 9),
        ends_at=local(today() - timedelta(days=2), 10),
    )
    assert entry.place == "青山农贸市场" and entry.recorded_by == carol


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"place": "  "}, "place", "say where the case was"),
        ({"kind": "moon"}, "kind", "choose the kind of place"),
        ({"starts": (-2, 11), "ends": (-2, 10)}, "ends_at", "the end is before the start"),
        ({"starts": (-9, 9), "ends": (-9, 10)}, "starts_at", "outside the infectious window"),
        ({"starts": None}, "starts_at", "give the time"),
    ],
)
def test_it_refuses_a_bad_trajectory_entry(carol, wang, values, field, words):
    case = make_case(wang, onset_date=today() - timedelta(days=1))
    arguments = {
        "kind": values.get("kind", PlaceKind.MARKET),
        "place": values.get("place", "青山农贸市场"),
        "starts_at": local(today() - timedelta(days=2), 9),
        "ends_at": local(today() - timedelta(days=2), 10),
    }
    for key in ("starts", "ends"):
        if key in values:
            value = values[key]
            arguments[f"{key}_at"] = (
                None if value is None else local(today() + timedelta(days=value[0]), value[1])
            )
    with pytest.raises(ValidationError) as refused:
        services.add_trajectory_entry(Actor(user=carol), case, **arguments)
    assert words in messages_of(refused.value)[field]
    assert not TrajectoryEntry.objects.exists()


def test_the_outside_window_refusal_says_the_window_s_dates(carol, wang):
    case = make_case(wang, onset_date=today() - timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        services.add_trajectory_entry(
            Actor(user=carol),
            case,
            kind=PlaceKind.HOME,
            place="家",
            starts_at=local(today() - timedelta(days=20)),
            ends_at=local(today() - timedelta(days=19)),
        )
    first = (today() - timedelta(days=5)).isoformat()
    assert f"({first} to {today().isoformat()})" in messages_of(refused.value)["starts_at"]


def test_it_pulls_the_window_s_checkpoint_registrations_once(carol, wang, gate):
    inside = register_car(gate, [wang], at=timezone.now() - timedelta(days=1))
    register_car(gate, [wang], plate="皖R54321", at=timezone.now() - timedelta(days=9))
    case = make_case(wang)  # pulls automatically
    pulled = list(case.trajectory.all())
    assert [(e.registration_id, e.kind) for e in pulled] == [(inside.pk, PlaceKind.CHECKPOINT)]
    assert pulled[0].place == "东村村口 皖R·12345 in"
    assert pulled[0].starts_at == pulled[0].ends_at == inside.occurred_at
    assert services.pull_checkpoint_registrations(Actor(user=carol), case) == 0
    later = register_car(gate, [wang], direction="out")
    assert services.pull_checkpoint_registrations(Actor(user=carol), case) == 1
    assert case.trajectory.filter(registration=later).exists()


def test_it_refuses_to_pull_for_a_village_cadre(alice, wang):
    case = make_case(wang)
    with pytest.raises(PermissionDenied):
        services.pull_checkpoint_registrations(Actor(user=alice), case)
