"""Contact candidates: the other people of vehicles the case person was registered in during
the infectious window, and people at the same address; scoped to what the user may see."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.audit import Actor
from fangyi.testing import make_person, unique_id_number
from fangyi.tracing import services
from fangyi.tracing.models import Relation
from fangyi.tracing.selectors import contact_candidates, find_candidate
from fangyi.tracing.tests.builders import make_case, register_car


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def wang(village_a):
    return make_person(village_a, "王金水", current_address="东村3组12号")


@pytest.fixture
def li(village_a):
    return make_person(village_a, "李娜")


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, "东村村口")


def names(candidates) -> dict[str, str]:
    return {c.name: c.relation for c in candidates}


def yesterday(hours: int = 0):
    return timezone.now() - timedelta(days=1, hours=hours)


def test_it_suggests_fellow_passengers_of_the_window_s_vehicle_registrations(carol, wang, li, gate):
    sun_number = unique_id_number()
    inside = register_car(
        gate, [wang, li, {"name": "孙八", "id_number": sun_number}], at=yesterday()
    )
    register_car(gate, [wang, li], plate="皖R77777", at=yesterday(5))  # li again: once
    qian = make_person(gate.jurisdiction, "钱七")
    register_car(gate, [wang, qian], plate="皖R66666", at=timezone.now() - timedelta(days=12))
    zhou = make_person(gate.jurisdiction, "周九")
    register_car(gate, [wang, zhou], plate="", at=yesterday())  # on foot: no vehicle
    case = make_case(wang)

    candidates = contact_candidates(carol, case)
    assert names(candidates) == {"李娜": Relation.VEHICLE, "孙八": Relation.VEHICLE}
    li_suggestion, sun = candidates
    assert li_suggestion.person == li and li_suggestion.registration == inside
    assert li_suggestion.reason.startswith("same vehicle 皖R·12345 at 东村村口, ")
    assert li_suggestion.last_exposure_date == inside.local_date
    assert (
        sun.person is None and sun.masked_identity == f"{sun_number[:4]}**********{sun_number[-4:]}"
    )


def test_a_passenger_known_since_by_id_number_is_offered_as_that_person(carol, wang, gate):
    number = unique_id_number()
    register_car(gate, [wang, {"name": "孙八", "id_number": number}], at=yesterday())
    sun = make_person(gate.jurisdiction, "孙八", id_number=number)
    case = make_case(wang)
    (candidate,) = contact_candidates(carol, case)
    assert candidate.person == sun and candidate.person_visible


def test_it_suggests_people_at_the_same_address(carol, wang, village_a, group_a1):
    wife = make_person(group_a1, "王妻", household_address="东村3组12号")
    make_person(village_a, "邻居", current_address="东村3组13号")
    case = make_case(wang)
    (candidate,) = contact_candidates(carol, case)
    assert (candidate.person, candidate.relation) == (wife, Relation.HOUSEHOLD)
    assert candidate.reason == "same address: 东村3组12号"
    assert candidate.key == f"person:{wife.external_id}"


def test_it_leaves_out_the_existing_contacts_and_the_case_person(carol, wang, li, gate):
    register_car(gate, [wang, li], at=yesterday())
    case = make_case(wang)
    services.add_contact(Actor(user=carol), case, li, degree="close", relation="vehicle")
    assert contact_candidates(carol, case) == []


def test_it_offers_only_what_the_user_may_see(
    carol, frank, wang, gate, other_town, other_town_village
):
    far_gate = make_checkpoint(other_town, "白水收费站", kind="highway_exit")
    stranger = make_person(other_town_village, "吴十")
    register_car(far_gate, [wang, stranger], at=yesterday())
    make_person(other_town_village, "远亲", current_address="东村3组12号")
    case = make_case(wang)
    assert contact_candidates(carol, case) == []
    # The other town sees its own registration and its own people.
    assert names(contact_candidates(frank, case)) == {
        "吴十": Relation.VEHICLE,
        "远亲": Relation.HOUSEHOLD,
    }
    assert find_candidate(carol, case, f"person:{stranger.external_id}") is None
