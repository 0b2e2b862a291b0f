"""Check slots: record_check (idempotent, refused inputs, fever/symptom alerts, late), the
missed-check sweep, making up and explaining a missed slot, and the self-report link service."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind
from fangyi.core.roles import Role
from fangyi.quarantine import services
from fangyi.quarantine.models import CheckMethod, CheckStatus, FollowUp, OrderEvent, OrderEventKind
from fangyi.quarantine.testing import (
    complete_order,
    freeze_clock,
    local_time,
    make_order,
    set_profile,
)
from fangyi.testing import make_person, make_user

FEB_1 = date(2020, 2, 1)
FEB_2 = date(2020, 2, 2)
SYSTEM = Actor.system("test")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch):
    """2020-02-01 06:00 in the town, when the order is made (first check due at 08:00)."""
    return freeze_clock(monkeypatch, local_time(FEB_1, 6, 0))


@pytest.fixture
def zhang(village_a):
    return make_person(village_a, "张三", current_address="东村3组12号")


@pytest.fixture
def order(clock, zhang):
    return make_order(zhang)


def slot(order, day: int, number: int) -> FollowUp:
    return order.checks.get(day=day, slot=number)


def record(actor, check, temperature="36.6", *, at, **values):
    values.setdefault("method", CheckMethod.DOOR)
    return services.record_check(actor, check, temperature=temperature, now=at, **values)


def message_of(raised: pytest.ExceptionInfo, key: str) -> str:
    (message,) = raised.value.message_dict[key]
    return message


# Recording -----------------------------------------------------------------------------------


def test_it_stores_what_was_measured_how_and_by_whom(order, alice):
    morning = slot(order, 1, 1)

    outcome = record(
        Actor(user=alice),
        morning,
        "36.8",
        symptoms=["乏力"],
        method=CheckMethod.PHONE,
        note="电话询问",
        reported_by="本人",
        at=local_time(FEB_1, 8, 10),
    )

    assert outcome.duplicate is False
    morning.refresh_from_db()
    assert morning.status == CheckStatus.DONE
    assert morning.temperature == Decimal("36.8")
    assert morning.symptoms == ["乏力"]
    assert morning.method == CheckMethod.PHONE
    assert morning.checked_by == alice and morning.checked_at == local_time(FEB_1, 8, 10)
    assert morning.note == "电话询问" and morning.reported_by == "本人"
    assert morning.late is False
    assert slot(order, 1, 2).status == CheckStatus.PENDING  # only that slot


def test_it_answers_a_retry_with_the_same_client_id_as_a_duplicate(order, alice):
    client_id = uuid.uuid4()
    first = record(
        Actor(user=alice), slot(order, 1, 1), "36.5", client_id=client_id, at=local_time(FEB_1, 8)
    )

    again = record(
        Actor(user=alice),
        slot(order, 1, 1),
        "38.9",
        client_id=str(client_id),
        at=local_time(FEB_1, 9),
    )
    elsewhere = record(
        Actor(user=alice), slot(order, 1, 2), "38.9", client_id=client_id, at=local_time(FEB_1, 16)
    )

    assert again.duplicate and elsewhere.duplicate
    assert again.check.pk == elsewhere.check.pk == first.check.pk
    stored = slot(order, 1, 1)
    assert stored.temperature == Decimal("36.5") and stored.checked_at == local_time(FEB_1, 8)
    assert slot(order, 1, 2).status == CheckStatus.PENDING
    assert not Alert.objects.exists()  # the 38.9 was never stored


def test_it_refuses_a_client_id_that_is_not_a_uuid(order):
    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, slot(order, 1, 1), client_id="abc", at=local_time(FEB_1, 8))

    assert message_of(raised, "client_id") == "not a valid id"


def test_it_refuses_a_check_of_an_order_that_has_ended(order, clock):
    clock.advance(hours=3)  # 09:00
    services.transfer_to_hospital(SYSTEM, order, hospital="县人民医院")

    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, slot(order, 1, 1), at=local_time(FEB_1, 9, 5))

    assert message_of(raised, "order") == (
        "this order ended on 2020-02-01 (transferred to hospital): no more checks are recorded"
    )
    assert slot(order, 1, 1).status == CheckStatus.PENDING


def test_it_refuses_a_check_of_a_released_order(clock, zhang, town):
    order = complete_order(make_order(zhang))
    clock.at = local_time(date(2020, 2, 15), 9)
    services.release_order(Actor(user=make_user("sun", Role.DOCTOR, town, "孙医生")), order)

    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, slot(order, 14, 2), at=local_time(date(2020, 2, 15), 9))

    assert "(released): no more checks are recorded" in message_of(raised, "order")


def test_it_refuses_a_slot_not_open_yet(order):
    morning = slot(order, 1, 1)  # due 08:00, open from 06:00

    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, morning, at=local_time(FEB_1, 5, 59))

    assert message_of(raised, "check") == (
        "day 1, check 1 (08:00) is not due yet: it can be recorded from 02-01 06:00"
    )
    assert slot(order, 1, 1).status == CheckStatus.PENDING
    record(SYSTEM, morning, at=local_time(FEB_1, 6, 0))  # the 06:00 visit is fine
    assert slot(order, 1, 1).status == CheckStatus.DONE


def test_it_refuses_a_slot_days_ahead(order):
    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, slot(order, 3, 1), at=local_time(FEB_1, 8))

    assert "day 3, check 1 (08:00) is not due yet" in message_of(raised, "check")


def test_it_refuses_a_slot_already_recorded(order):
    record(SYSTEM, slot(order, 1, 1), "36.5", at=local_time(FEB_1, 8))

    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, slot(order, 1, 1), "37.9", at=local_time(FEB_1, 8, 30))

    assert message_of(raised, "check") == "day 1, check 1 (08:00) is already done"
    assert slot(order, 1, 1).temperature == Decimal("36.5")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("33.9", "33.9 °C is impossible: a temperature is between 34.0 and 43.0"),
        ("43.1", "43.1 °C is impossible: a temperature is between 34.0 and 43.0"),
        ("373", "373 °C is impossible: did you mean 37.3?"),
        ("abc", "“abc” is not a temperature"),
        ("", "enter the temperature"),
        (None, "enter the temperature"),
    ],
)
def test_it_refuses_an_impossible_or_missing_temperature(order, typed, expected):
    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, slot(order, 1, 1), typed, at=local_time(FEB_1, 8))

    assert message_of(raised, "temperature") == expected
    assert slot(order, 1, 1).status == CheckStatus.PENDING


@pytest.mark.parametrize(
    ("typed", "stored"), [("34", "34.0"), ("43", "43.0"), ("37,2", "37.2"), ("36.55", "36.6")]
)
def test_it_accepts_the_edges_and_phone_keypad_forms(order, typed, stored):
    record(SYSTEM, slot(order, 1, 1), typed, at=local_time(FEB_1, 8))

    assert slot(order, 1, 1).temperature == Decimal(stored)


def test_it_refuses_an_unknown_symptom(order):
    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, slot(order, 1, 1), symptoms=["干咳", "头晕"], at=local_time(FEB_1, 8))

    message = message_of(raised, "symptoms")
    assert message.startswith("unknown symptom 头晕: choose from 发热、干咳")
    assert slot(order, 1, 1).status == CheckStatus.PENDING
    assert not Alert.objects.exists()


def test_it_takes_symptoms_typed_as_one_line(order):
    record(SYSTEM, slot(order, 1, 1), symptoms="干咳，乏力,干咳", at=local_time(FEB_1, 8))

    assert slot(order, 1, 1).symptoms == ["干咳", "乏力"]


@pytest.mark.parametrize("method", ["telepathy", "", CheckMethod.SELF_REPORT])
def test_it_refuses_an_unknown_method_or_the_self_report_one(order, method):
    # Self-reports come through submit_self_report (the link), never as a team's record.
    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, slot(order, 1, 1), method=method, at=local_time(FEB_1, 8))

    assert message_of(raised, "method") == "choose how the check was made"


def test_it_refuses_a_client_id_already_used_for_another_orders_check(order, village_a):
    other = make_order(make_person(village_a, "李四", current_address="东村1组"))
    client_id = uuid.uuid4()
    record(SYSTEM, slot(order, 1, 1), client_id=client_id, at=local_time(FEB_1, 8))

    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, slot(other, 1, 1), client_id=client_id, at=local_time(FEB_1, 8))

    assert message_of(raised, "client_id") == "this id was used for another check"
    assert slot(other, 1, 1).status == CheckStatus.PENDING


# Who may record ------------------------------------------------------------------------------


def test_it_lets_the_villages_cadre_and_volunteer_record(order, alice, erin):
    record(Actor(user=alice), slot(order, 1, 1), at=local_time(FEB_1, 8))
    record(Actor(user=erin), slot(order, 1, 2), at=local_time(FEB_1, 16))

    assert slot(order, 1, 2).checked_by == erin


def test_it_does_not_let_another_village_record(order, bob):
    with pytest.raises(PermissionDenied):
        record(Actor(user=bob), slot(order, 1, 1), at=local_time(FEB_1, 8))

    assert slot(order, 1, 1).status == CheckStatus.PENDING


def test_it_does_not_let_an_auditor_record(order, dave):
    with pytest.raises(PermissionDenied):
        record(Actor(user=dave), slot(order, 1, 1), at=local_time(FEB_1, 8))


# Alerts --------------------------------------------------------------------------------------


def test_it_raises_a_fever_alert_in_the_orders_village_linking_the_order(order, village_a):
    record(SYSTEM, slot(order, 1, 2), "37.3", at=local_time(FEB_1, 16))

    alert = Alert.objects.get()
    assert alert.kind == AlertKind.FEVER
    assert alert.jurisdiction == village_a and alert.person == order.person
    assert alert.link == f"/quarantine/orders/{order.external_id}/"
    assert alert.message == (
        "张三 under home quarantine has a fever: 37.3 °C (day 1, check 2 (16:00))"
    )


def test_it_raises_no_alert_below_the_threshold(order):
    record(SYSTEM, slot(order, 1, 1), "37.2", at=local_time(FEB_1, 8))

    assert not Alert.objects.exists()


def test_it_takes_the_fever_threshold_from_the_profile(order):
    set_profile(fever_threshold=Decimal("37.5"))

    record(SYSTEM, slot(order, 1, 1), "37.4", at=local_time(FEB_1, 8))
    record(SYSTEM, slot(order, 1, 2), "37.5", at=local_time(FEB_1, 16))

    assert list(Alert.objects.values_list("kind", flat=True)) == [AlertKind.FEVER]


def test_it_raises_a_symptom_alert(order, village_a):
    record(SYSTEM, slot(order, 1, 1), "36.5", symptoms=["干咳", "咽痛"], at=local_time(FEB_1, 8))

    alert = Alert.objects.get()
    assert alert.kind == AlertKind.SYMPTOM and alert.jurisdiction == village_a
    assert "reports 干咳、咽痛" in alert.message
    assert alert.link == services.order_link(order)


def test_it_raises_both_alerts_for_a_fever_with_symptoms(order):
    record(SYSTEM, slot(order, 1, 1), "38.5", symptoms=["发热"], at=local_time(FEB_1, 8))

    assert sorted(Alert.objects.values_list("kind", flat=True)) == ["fever", "symptom"]


# Late, missed, made up, explained ------------------------------------------------------------


def test_it_marks_a_record_after_the_grace_as_late(order):
    record(SYSTEM, slot(order, 1, 1), at=local_time(FEB_1, 10, 0))  # exactly the grace
    record(SYSTEM, slot(order, 1, 2), at=local_time(FEB_1, 18, 1))

    assert slot(order, 1, 1).late is False
    assert slot(order, 1, 2).late is True


def test_it_marks_overdue_slots_of_running_orders_missed_with_one_alert_each(
    clock, zhang, village_a
):
    first = make_order(zhang)
    second = make_order(make_person(village_a, "李四", current_address="东村1组"))

    marked = services.sweep_missed_checks(now=local_time(FEB_2, 10, 1))

    # Day 1 08:00 and 16:00, day 2 08:00 for each.
    assert marked == 6
    for order in (first, second):
        assert list(order.checks.filter(status=CheckStatus.MISSED).values_list("day", "slot")) == [
            (1, 1),
            (1, 2),
            (2, 1),
        ]
        assert slot(order, 2, 2).status == CheckStatus.PENDING
    alerts = Alert.objects.filter(kind=AlertKind.MISSED_CHECK)
    assert sorted(a.person.name for a in alerts) == ["张三", "李四"]
    alert = alerts.get(person=zhang)
    assert alert.jurisdiction == village_a
    assert alert.link == services.order_link(first)
    assert alert.message == (
        "张三: day 1, check 1 (08:00)、day 1, check 2 (16:00)、day 2, check 1 (08:00) "
        "not recorded; make it up"
    )


def test_it_sweeps_nothing_twice(order):
    services.sweep_missed_checks(now=local_time(FEB_1, 10, 1))

    assert services.sweep_missed_checks(now=local_time(FEB_1, 10, 30)) == 0
    assert Alert.objects.filter(kind=AlertKind.MISSED_CHECK).count() == 1


def test_it_leaves_slots_within_their_grace_and_recorded_ones(order):
    record(SYSTEM, slot(order, 1, 1), at=local_time(FEB_1, 8))

    assert services.sweep_missed_checks(now=local_time(FEB_1, 18, 0)) == 0  # 16:00 + 2 h
    assert slot(order, 1, 1).status == CheckStatus.DONE
    assert slot(order, 1, 2).status == CheckStatus.PENDING


def test_it_does_not_sweep_orders_that_have_ended(order, clock):
    clock.advance(hours=3)  # 09:00: the 08:00 slot is past, not cancelled
    services.transfer_to_hospital(SYSTEM, order, hospital="县人民医院")

    assert services.sweep_missed_checks(now=local_time(FEB_1, 12)) == 0
    assert slot(order, 1, 1).status == CheckStatus.PENDING
    assert not Alert.objects.exists()


def test_it_lets_a_missed_slot_be_made_up_late(order, alice):
    services.sweep_missed_checks(now=local_time(FEB_1, 10, 1))

    record(Actor(user=alice), slot(order, 1, 1), "36.4", at=local_time(FEB_1, 11))

    made_up = slot(order, 1, 1)
    assert made_up.status == CheckStatus.DONE and made_up.late is True
    assert made_up.temperature == Decimal("36.4")


def test_it_explains_a_missed_slot_with_a_note(order, clock, alice):
    services.sweep_missed_checks(now=local_time(FEB_1, 10, 1))
    clock.at = local_time(FEB_1, 11)

    services.explain_check(Actor(user=alice), slot(order, 1, 1), "  送县医院采样，未在家  ")

    explained = slot(order, 1, 1)
    assert explained.status == CheckStatus.EXPLAINED
    assert explained.note == "送县医院采样，未在家"
    assert explained.checked_by == alice and explained.checked_at == local_time(FEB_1, 11)
    with pytest.raises(ValidationError) as raised:
        record(SYSTEM, explained, at=local_time(FEB_1, 12))
    assert message_of(raised, "check") == "day 1, check 1 (08:00) is already explained"


def test_it_refuses_an_explanation_without_a_note(order, clock):
    clock.at = local_time(FEB_1, 11)

    with pytest.raises(ValidationError) as raised:
        services.explain_check(SYSTEM, slot(order, 1, 1), "   ")

    assert message_of(raised, "note") == "say why this check was not made"
    assert slot(order, 1, 1).status == CheckStatus.PENDING


def test_it_refuses_to_explain_a_slot_not_due_yet(order):
    with pytest.raises(ValidationError):
        services.explain_check(SYSTEM, slot(order, 2, 1), "提前说明")


def test_it_does_not_let_another_village_explain(order, clock, bob):
    clock.at = local_time(FEB_1, 11)

    with pytest.raises(PermissionDenied):
        services.explain_check(Actor(user=bob), slot(order, 1, 1), "不在家")


# The self-report link ------------------------------------------------------------------------


def test_it_finds_the_order_by_its_token_only(order):
    token = order.self_report_token

    assert len(token) >= 24
    assert services.find_order_by_token(token) == order
    assert services.find_order_by_token(f"  {token} ") == order
    assert services.find_order_by_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert services.find_order_by_token("") is None
    assert services.find_order_by_token(None) is None
    assert services.find_order_by_token("x" * 65) is None


def test_it_gives_each_order_its_own_token(order, village_a):
    other = make_order(make_person(village_a, "李四", current_address="东村1组"))

    assert other.self_report_token != order.self_report_token
    assert services.find_order_by_token(other.self_report_token) == other


def test_it_kills_the_old_link_when_renewed(order, carol):
    old = order.self_report_token

    renewed = services.renew_self_report_link(Actor(user=carol), order)

    assert services.find_order_by_token(old) is None
    assert services.find_order_by_token(renewed.self_report_token) == order
    assert OrderEvent.objects.filter(order=order, kind=OrderEventKind.LINK).exists()


def test_it_fills_the_slot_open_now_from_a_self_report(order):
    check = services.submit_self_report(
        order.self_report_token,
        temperature="36.7",
        symptoms=[],
        reported_by="妻子",
        now=local_time(FEB_1, 7, 40),
    )

    assert (check.day, check.slot) == (1, 1)
    stored = slot(order, 1, 1)
    assert stored.status == CheckStatus.DONE and stored.method == CheckMethod.SELF_REPORT
    assert stored.checked_by is None and stored.reported_by == "妻子"
    assert stored.temperature == Decimal("36.7") and stored.late is False


def test_it_fills_the_evening_slot_once_it_opens(order):
    check = services.submit_self_report(
        order.self_report_token, temperature="36.6", now=local_time(FEB_1, 14, 30)
    )

    assert (check.day, check.slot) == (1, 2)


def test_it_makes_up_the_morning_slot_from_a_late_morning_report(order):
    check = services.submit_self_report(
        order.self_report_token, temperature="36.6", now=local_time(FEB_1, 11, 0)
    )

    assert (check.day, check.slot) == (1, 1) and check.late is True


def test_it_raises_the_fever_alert_from_a_self_report(order):
    services.submit_self_report(
        order.self_report_token, temperature="38.1", now=local_time(FEB_1, 8)
    )

    assert Alert.objects.get().kind == AlertKind.FEVER


def test_it_refuses_a_bad_temperature_from_a_self_report(order):
    with pytest.raises(ValidationError) as raised:
        services.submit_self_report(
            order.self_report_token, temperature="365", now=local_time(FEB_1, 8)
        )

    assert "did you mean 36.5" in message_of(raised, "temperature")
    assert slot(order, 1, 1).status == CheckStatus.PENDING


def test_it_refuses_a_self_report_with_a_wrong_token(order):
    with pytest.raises(ValidationError) as raised:
        services.submit_self_report("guessed-token", temperature="36.5", now=local_time(FEB_1, 8))

    assert message_of(raised, "token") == "this link is not valid"


def test_it_refuses_a_self_report_after_the_order_ended(order, clock):
    clock.advance(hours=1)
    services.transfer_to_hospital(SYSTEM, order, hospital="县人民医院")

    with pytest.raises(ValidationError) as raised:
        services.submit_self_report(
            order.self_report_token, temperature="36.5", now=local_time(FEB_1, 8)
        )

    assert message_of(raised, "token") == "this quarantine has ended: the link no longer works"


def test_it_refuses_a_self_report_after_the_link_expired(order):
    expires = order.self_report_expires_at()
    assert expires == local_time(date(2020, 2, 16))  # the end of the release day, 02-15

    with pytest.raises(ValidationError) as raised:
        services.submit_self_report(order.self_report_token, temperature="36.5", now=expires)

    assert message_of(raised, "token") == "this link has expired"


def test_it_says_when_the_next_check_opens_when_none_is_due(clock, zhang):
    clock.at = local_time(FEB_1, 3, 0)
    order = make_order(zhang)

    with pytest.raises(ValidationError) as raised:
        services.submit_self_report(
            order.self_report_token, temperature="36.5", now=local_time(FEB_1, 5, 0)
        )

    assert message_of(raised, "token") == "no check is due now: the next one is at 02-01 08:00"


def test_it_says_when_no_more_checks_are_due(order):
    complete_order(order)

    with pytest.raises(ValidationError) as raised:
        services.submit_self_report(
            order.self_report_token, temperature="36.5", now=local_time(date(2020, 2, 15), 9)
        )

    assert message_of(raised, "token") == "no more checks are due"


def test_it_answers_a_self_report_retry_without_recording_it_twice(order):
    client_id = uuid.uuid4()
    first = services.submit_self_report(
        order.self_report_token, temperature="36.5", client_id=client_id, now=local_time(FEB_1, 8)
    )

    again = services.submit_self_report(
        order.self_report_token, temperature="36.5", client_id=client_id, now=local_time(FEB_1, 8)
    )

    assert again.pk == first.pk
    assert order.checks.filter(status=CheckStatus.DONE).count() == 1


def test_it_does_not_file_todays_self_report_under_an_earlier_days_slot(order):
    services.sweep_missed_checks(now=local_time(FEB_2, 7, 0))  # day 1's two checks missed
    services.submit_self_report(
        order.self_report_token, temperature="36.5", now=local_time(FEB_2, 8, 0)
    )

    with pytest.raises(ValidationError):
        services.submit_self_report(
            order.self_report_token, temperature="36.5", now=local_time(FEB_2, 8, 1)
        )

    assert order.checks.filter(day=1, status=CheckStatus.MISSED).count() == 2
