"""Recording a registration: idempotency, the checks on what staff typed, and the disease
profile's rules (fever, arrival from a risk area, leaving quarantine, sealed exits)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fangyi.checkpoints import services
from fangyi.checkpoints.models import (
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Passenger,
    Registration,
    Result,
)
from fangyi.checkpoints.services import OutcomeStatus
from fangyi.checkpoints.testing import make_checkpoint, make_staff
from fangyi.core import crypto
from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind, DiseaseProfile, Person
from fangyi.ledger.models import Category, LedgerEntry, Status
from fangyi.ledger.services import create_entry
from fangyi.quarantine.models import OrderStatus
from fangyi.quarantine.testing import make_order
from fangyi.testing import make_person, unique_id_number


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, "东村村口")


@pytest.fixture
def staff(village_a):
    return make_staff("gatekeeper", village_a, "王守")


@pytest.fixture
def actor(staff):
    return Actor(user=staff, ip_address="10.0.0.8")


def payload(at: Checkpoint, **values) -> dict:
    """A car coming in at checkpoint `at` with one passenger, normal temperature, passed."""
    data = {
        "id": str(uuid.uuid4()),
        "checkpoint": at.code,
        "direction": "in",
        "plate": "皖R·12345",
        "from_place": "合肥市",
        "result": "passed",
        "passengers": [{"name": "赵四", "id_number": unique_id_number(), "temperature": "36.5"}],
    }
    data.update(values)
    return data


def record(actor, data):
    with translation.override("en"):
        return services.record_registration(actor, data)


def test_it_stores_a_registration_with_its_passengers_encrypted(actor, gate):
    number = unique_id_number()
    outcome = record(
        actor,
        payload(
            gate, passengers=[{"name": "赵四", "id_number": number, "phone": "+86 139 0000 1111"}]
        ),
    )
    assert outcome.status == OutcomeStatus.CREATED
    registration = Registration.objects.get(external_id=outcome.external_id)
    assert registration.plate == "皖R12345" and registration.plate_display == "皖R·12345"
    assert registration.jurisdiction_id == gate.jurisdiction_id
    assert registration.people_count == 1 and registration.fever_count == 0
    assert registration.local_date == timezone.localdate(registration.occurred_at)
    passenger = registration.passengers.get()
    assert passenger.id_number == number and passenger.phone == "13900001111"
    assert number.encode() not in bytes(passenger.id_number_cipher)
    assert passenger.id_number_masked == f"{number[:4]}{'*' * 10}{number[-4:]}"


def test_it_stores_a_uuid_once_however_often_it_is_sent(actor, gate):
    data = payload(gate)
    first = record(actor, data)
    again = record(actor, data)
    changed = record(actor, {**data, "plate": "浙G·D12345"})  # a retry never overwrites
    assert first.status == OutcomeStatus.CREATED
    assert again.status == changed.status == OutcomeStatus.DUPLICATE
    assert Registration.objects.count() == 1 and Passenger.objects.count() == 1
    assert Registration.objects.get().plate == "皖R12345"


def test_it_answers_duplicate_for_a_stored_uuid_even_when_the_retry_no_longer_validates(
    actor, gate
):
    data = payload(gate)
    record(actor, data)
    gate.status = CheckpointStatus.OPEN
    assert record(actor, {**data, "plate": "XX"}).status == OutcomeStatus.DUPLICATE


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"plate": "皖R1234"}, "plate", "7 characters"),
        ({"plate": "AR12345"}, "plate", "province character"),
        ({"plate": "皖R12O45"}, "plate", "I or O"),
        ({"direction": "sideways"}, "direction", "in or out"),
        ({"result": "refused"}, "result", "result"),
        ({"checkpoint": "K999999"}, "checkpoint", "no checkpoint"),
        ({"id": "not-a-uuid"}, "id", "UUID"),
        ({"passengers": []}, "passengers", "at least one"),
        ({"occurred_at": "2999-01-01T08:00:00+08:00"}, "occurred_at", "future"),
        ({"occurred_at": "yesterday"}, "occurred_at", "not a time"),
    ],
)
def test_it_rejects_what_cannot_be_right_naming_the_field(actor, gate, change, field, words):
    outcome = record(actor, payload(gate, **change))
    assert outcome.status == OutcomeStatus.REJECTED
    assert not Registration.objects.exists()
    messages = {p.field: p.message for p in outcome.problems}
    assert field in messages and words in messages[field], messages


@pytest.mark.parametrize(
    ("typed", "words", "suggestion"),
    [
        ("373", "did you mean 37.3", "37.3"),
        ("33.5", "between 34.0 and 43.0", ""),
        ("43.5", "between 34.0 and 43.0", ""),
        ("hot", "not a temperature", ""),
    ],
)
def test_it_refuses_impossible_temperatures_offering_the_likely_one(
    actor, gate, typed, words, suggestion
):
    data = payload(
        gate, passengers=[{"name": "赵四", "phone": "13900001111", "temperature": typed}]
    )
    outcome = record(actor, data)
    assert outcome.status == OutcomeStatus.REJECTED
    (problem,) = outcome.problems
    assert problem.field == "passengers.0.temperature"
    assert words in problem.message and problem.suggestion == suggestion


def test_it_reports_every_problem_at_once(actor, gate):
    data = payload(
        gate,
        plate="皖R1",
        passengers=[
            {"name": "", "phone": "12345", "temperature": "36.6"},
            {"name": "钱五", "id_number": "110101199003071234", "temperature": "380"},
        ],
    )
    outcome = record(actor, data)
    fields = {p.field for p in outcome.problems}
    assert {"plate", "passengers.0.name", "passengers.0.phone", "passengers.1.id_number"} <= fields
    assert "passengers.1.temperature" in fields


def test_it_gives_its_reasons_in_chinese(actor, gate):
    with translation.override("zh-hans"):
        outcome = services.record_registration(actor, payload(gate, plate="皖R1234"))
    (problem,) = outcome.problems
    assert "7" in problem.message and "车牌" in problem.message


def test_it_lands_the_good_rows_of_a_batch_and_returns_the_bad_one_with_its_reason(actor, gate):
    good = [payload(gate) for _ in range(3)]
    bad = payload(gate, plate="皖R·1234")
    with translation.override("en"):
        outcomes = services.record_registrations(actor, [good[0], bad, good[1], good[2], "junk"])
    assert [o.status for o in outcomes] == ["created", "rejected", "created", "created", "rejected"]
    assert outcomes[1].external_id == bad["id"] and outcomes[1].problems[0].field == "plate"
    assert Registration.objects.count() == 3
    with translation.override("en"):
        replayed = services.record_registrations(actor, [*good, bad])
    assert [o.status for o in replayed] == ["duplicate"] * 3 + ["rejected"]
    assert Registration.objects.count() == 3


def test_it_refuses_a_batch_that_is_not_a_list_or_too_long(actor, gate):
    too_many = [payload(gate)] * (services.MAX_BATCH + 1)
    with translation.override("en"):
        with pytest.raises(ValidationError, match="list"):
            services.record_registrations(actor, {"id": 1})
        with pytest.raises(ValidationError, match="at most"):
            services.record_registrations(actor, too_many)


def test_it_only_lets_staff_register_at_checkpoints_of_their_jurisdiction(
    actor, village_b, erin, gate
):
    elsewhere = make_checkpoint(village_b, "西村村口")
    outcome = record(actor, payload(elsewhere))
    assert outcome.status == OutcomeStatus.REJECTED and outcome.problems[0].field == "checkpoint"
    with pytest.raises(PermissionDenied):
        services.record_registration(Actor(user=erin), payload(gate))


def test_it_raises_a_fever_alert_and_puts_a_stranger_on_the_ledger(actor, gate, town):
    number = unique_id_number()
    data = payload(gate, passengers=[{"name": "孙发", "id_number": number, "temperature": "37.8"}])
    outcome = record(actor, data)
    assert outcome.status == OutcomeStatus.CREATED
    assert any("fever" in notice for notice in outcome.notices)
    passenger = Passenger.objects.get()
    assert passenger.fever and passenger.person is not None
    assert passenger.person.id_number == number
    entry = LedgerEntry.objects.get(person=passenger.person, category=Category.FEVER)
    assert entry.jurisdiction_id == gate.jurisdiction_id and "37.8" in entry.symptoms
    assert passenger.ledger_entry == entry
    alert = Alert.objects.get(kind=AlertKind.FEVER)
    assert alert.jurisdiction_id == gate.jurisdiction_id and "37.8" in alert.message
    assert str(outcome.registration.external_id) in alert.link
    assert Registration.objects.get().fever_count == 1
    # The town command sees it: the town's scope holds the village's alerts.
    assert Alert.objects.within(town.code).open().count() == 1


def test_it_follows_the_profiles_fever_threshold_not_a_constant(actor, gate):
    profile = DiseaseProfile.objects.get(pk=DiseaseProfile.current().pk)
    profile.fever_threshold = Decimal("38.0")
    profile.save()
    data = payload(
        gate, passengers=[{"name": "孙发", "phone": "13900002222", "temperature": "37.5"}]
    )
    record(actor, data)
    assert not Passenger.objects.get().fever and not Alert.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_it_proposes_home_quarantine_for_a_local_resident_from_a_risk_area(actor, gate, village_a):
    resident = make_person(village_a, "周回")
    data = payload(
        gate,
        from_place="湖北省武汉市",
        passengers=[
            {"name": "周回", "person_id": str(resident.external_id), "temperature": "36.4"}
        ],
    )
    outcome = record(actor, data)
    entry = LedgerEntry.objects.get(person=resident)
    assert entry.category == Category.RETURNEE and entry.proposed_measure == "home_quarantine"
    assert entry.risk_level == "high" and entry.source_area == "湖北省武汉市"
    assert entry.trip_number == "皖R·12345" and entry.transport == "self_drive"
    assert entry.status == Status.PENDING
    assert any("home quarantine" in notice for notice in outcome.notices)


def test_it_proposes_centralized_observation_for_a_visitor_without_a_local_home(
    actor, gate, other_town_village
):
    visitor = make_person(other_town_village, "吴客")  # lives in another town
    data = payload(
        gate,
        from_place="温州市",
        passengers=[{"name": "吴客", "id_number": visitor.id_number, "temperature": "36.4"}],
    )
    record(actor, data)
    entry = LedgerEntry.objects.get(person=visitor)
    assert entry.proposed_measure == "centralized" and entry.risk_level == "medium"
    assert entry.jurisdiction_id == gate.jurisdiction_id  # the checkpoint's village takes them


def test_it_puts_nobody_on_the_ledger_for_a_trip_from_a_safe_place_or_one_turned_back(actor, gate):
    record(actor, payload(gate, from_place="合肥市"))
    record(actor, payload(gate, from_place="武汉市", result="persuaded_back"))
    assert not LedgerEntry.objects.exists()
    assert Registration.objects.filter(result=Result.PERSUADED_BACK).get().persuaded_count == 1


def test_it_records_the_staffs_quarantine_decision_on_the_ledger(actor, gate):
    record(actor, payload(gate, from_place="合肥市", result="centralized"))
    entry = LedgerEntry.objects.get()
    assert entry.proposed_measure == "centralized"
    assert Registration.objects.get().quarantined_count == 1


def test_it_flags_and_alerts_a_person_under_quarantine_trying_to_leave(actor, gate, village_a):
    resident = make_person(village_a, "郑隔")
    make_order(resident)
    data = payload(
        gate,
        direction="out",
        passengers=[{"name": "郑隔", "id_number": resident.id_number, "temperature": "36.5"}],
    )
    outcome = record(actor, data)
    assert Passenger.objects.get().leaving_quarantine
    assert Alert.objects.get().kind == AlertKind.QUARANTINE_LEAVING
    assert any("under quarantine" in notice for notice in outcome.notices)
    # Coming home is not leaving.
    record(actor, {**data, "id": str(uuid.uuid4()), "direction": "in"})
    assert Alert.objects.count() == 1


def test_it_reads_quarantine_from_running_orders_not_from_the_ledger_status(actor, gate, village_a):
    # Given a ledger entry saying "home quarantine" but no order, and someone whose order ended
    noted = make_person(village_a, "钱账")
    create_entry(
        Actor.system("test"),
        noted,
        category=Category.CLOSE_CONTACT,
        status=Status.HOME_QUARANTINE,
    )
    released = make_person(village_a, "孙满")
    order = make_order(released)
    order.status = OrderStatus.RELEASED
    order.save(update_fields=["status"])
    # When both leave
    data = payload(
        gate,
        direction="out",
        passengers=[
            {"name": "钱账", "id_number": noted.id_number, "temperature": "36.5"},
            {"name": "孙满", "id_number": released.id_number, "temperature": "36.6"},
        ],
    )
    record(actor, data)
    # Then neither is flagged: the order is the record of who is under quarantine
    assert not Passenger.objects.filter(leaving_quarantine=True).exists()
    assert not Alert.objects.filter(kind=AlertKind.QUARANTINE_LEAVING).exists()


def test_it_keeps_a_registration_at_a_closed_checkpoint_and_says_so(actor, gate):
    Checkpoint.objects.filter(pk=gate.pk).update(status=CheckpointStatus.CLOSED)
    outcome = record(actor, payload(gate))
    assert outcome.status == OutcomeStatus.CREATED
    assert "closed" in outcome.registration.conflict and outcome.as_json()["conflict"]


def test_it_notes_a_registration_outside_the_opening_hours(actor, village_a):
    from datetime import time

    daytime = make_checkpoint(village_a, "白天卡点", opens_at=time(8), closes_at=time(18))
    night = timezone.localtime().replace(hour=2, minute=0) - timedelta(days=1)
    outcome = record(actor, payload(daytime, occurred_at=night.isoformat()))
    assert "opening hours" in outcome.registration.conflict


class TestSealedExit:
    @pytest.fixture
    def lockdown(self, carol, village_a, gate):
        return services.seal_village(
            Actor(user=carol), village_a, reason="出现确诊病例", exits=[gate]
        )

    @pytest.fixture
    def holder(self, village_a):
        return make_person(village_a, "冯证")

    def issue(self, carol, lockdown, person, **values):
        now = timezone.now()
        values.setdefault("valid_from", now - timedelta(hours=1))
        values.setdefault("valid_until", now + timedelta(hours=8))
        return services.issue_pass(Actor(user=carol), lockdown, person, reason="就医", **values)

    def crossing(self, gate, holder, pass_code=""):
        return payload(
            gate,
            direction="out",
            passengers=[
                {"name": holder.name, "id_number": holder.id_number, "pass_code": pass_code}
            ],
        )

    def test_it_lets_a_valid_pass_through(self, actor, gate, carol, lockdown, holder):
        travel_pass = self.issue(carol, lockdown, holder)
        outcome = record(actor, self.crossing(gate, holder, travel_pass.code.lower()))
        assert outcome.status == OutcomeStatus.CREATED
        assert Passenger.objects.get().travel_pass == travel_pass

    def test_it_refuses_without_a_pass_and_still_records_the_attempt(
        self, actor, gate, lockdown, holder
    ):
        outcome = record(actor, self.crossing(gate, holder))
        assert outcome.status == OutcomeStatus.REFUSED
        assert "no pass" in outcome.notices[0] and "东村" in outcome.notices[0]
        registration = Registration.objects.get()
        assert registration.result == Result.REFUSED
        assert registration.passengers.get().result == Result.REFUSED
        assert Alert.objects.get().kind == AlertKind.NO_PASS

    @pytest.mark.parametrize(
        ("kind", "words"),
        [
            ("expired", "is valid from"),
            ("revoked", "revoked"),
            ("someone_else", "belongs to"),
            ("unknown", "is not a pass of"),
        ],
    )
    def test_it_refuses_a_pass_that_is_not_valid_here_now_for_this_person(
        self, actor, gate, carol, village_a, lockdown, holder, kind, words
    ):
        now = timezone.now()
        if kind == "expired":
            code = self.issue(
                carol,
                lockdown,
                holder,
                valid_from=now - timedelta(days=2),
                valid_until=now - timedelta(days=1),
            ).code
        elif kind == "revoked":
            code = services.revoke_pass(Actor(user=carol), self.issue(carol, lockdown, holder)).code
        elif kind == "someone_else":
            code = self.issue(carol, lockdown, make_person(village_a, "别人")).code
        else:
            code = "PXXXXXXX"
        outcome = record(actor, self.crossing(gate, holder, code))
        assert outcome.status == OutcomeStatus.REFUSED
        assert words in " ".join(outcome.notices)

    def test_it_stops_checking_passes_once_the_lockdown_is_lifted(
        self, actor, gate, carol, lockdown, holder
    ):
        services.lift_lockdown(Actor(user=carol), lockdown, note="解除")
        gate.refresh_from_db()
        assert gate.status == CheckpointStatus.OPEN
        assert record(actor, self.crossing(gate, holder)).status == OutcomeStatus.CREATED


def test_it_takes_a_travellers_self_registration_by_its_code_once(actor, gate):
    number = unique_id_number()
    own = services.submit_self_registration(
        gate,
        {
            "name": "钱旅",
            "id_number": number,
            "phone": "13900003333",
            "is_local": False,
            "from_place": "湖北省孝感市",
            "transport": "rail",
            "trip_number": "g1234",
        },
    )
    data = payload(
        gate, plate="", passengers=[{"self_code": own.code.lower(), "temperature": "36.7"}]
    )
    outcome = record(actor, data)
    assert outcome.status == OutcomeStatus.CREATED
    passenger = Passenger.objects.get()
    assert passenger.name == "钱旅" and passenger.id_number == number
    assert passenger.risk_level == "high"  # from the traveller's own "coming from"
    entry = LedgerEntry.objects.get(person__id_number_index=crypto.blind_index(number, "id_number"))
    assert entry.proposed_measure == "centralized"  # not local
    own.refresh_from_db()
    assert own.registration == outcome.registration
    again = record(actor, {**data, "id": str(uuid.uuid4())})
    assert again.status == OutcomeStatus.REJECTED and "already used" in again.problems[0].message


def test_it_never_creates_a_second_person_for_someone_it_knows(actor, gate, village_a):
    resident = make_person(village_a, "陈熟")
    data = payload(
        gate, passengers=[{"name": "陈熟", "phone": resident.phone, "temperature": "38.2"}]
    )
    record(actor, data)
    assert Person.objects.count() == 1
    assert Passenger.objects.get().person == resident


def test_seal_village_refuses_bad_requests(carol, village_a, village_b, gate):
    other = make_checkpoint(village_b, "西村村口", kind=CheckpointKind.VILLAGE_ENTRANCE)
    actor = Actor(user=carol)
    now = timezone.now()
    with pytest.raises(ValidationError) as no_exits:
        services.seal_village(actor, village_a, reason="x", exits=[])
    with pytest.raises(ValidationError) as wrong_exit:
        services.seal_village(actor, village_a, reason="x", exits=[other])
    with pytest.raises(ValidationError) as backwards:
        services.seal_village(
            actor, village_a, reason="x", exits=[gate], starts_at=now, planned_end_at=now
        )
    assert "exits" in no_exits.value.message_dict and "exits" in wrong_exit.value.message_dict
    assert "planned_end_at" in backwards.value.message_dict
    services.seal_village(actor, village_a, reason="x", exits=[gate])
    with pytest.raises(ValidationError) as twice:
        services.seal_village(actor, village_a, reason="x", exits=[gate])
    assert "village" in twice.value.message_dict


def test_it_sends_a_feverish_arrival_from_a_risk_area_to_the_ledger_once_as_a_fever_patient(
    actor, gate
):
    data = payload(
        gate,
        from_place="湖北省武汉市",
        result="fever_clinic",
        passengers=[{"name": "孙发", "phone": "13900004444", "temperature": "38.1"}],
    )
    record(actor, data)
    entry = LedgerEntry.objects.get()  # no second, returnee entry proposing quarantine
    assert entry.category == Category.FEVER and entry.proposed_measure == ""
    assert entry.source_area == "湖北省武汉市" and entry.risk_level == "high"
    assert Passenger.objects.get().ledger_entry == entry
