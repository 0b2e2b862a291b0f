"""The public self-report link: no account, no JavaScript, nothing shown but the masked name;
unknown, guessed, used-up and expired links refused; a double tap is one check."""

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind, RateLimitHit
from fangyi.quarantine import services
from fangyi.quarantine.models import CheckMethod, CheckStatus, FollowUp, OrderStatus
from fangyi.quarantine.testing import freeze_clock, local_time, make_order, make_team
from fangyi.testing import make_person


@pytest.fixture(autouse=True)
def midday(monkeypatch):
    """Today at noon: a slot due minutes or hours ago is still today's, whenever the suite runs
    (shortly after midnight it was yesterday's, and the page said so)."""
    return freeze_clock(monkeypatch, local_time(timezone.localdate(), 12))


@pytest.fixture
def person(village_a):
    return make_person(village_a, "张三丰", current_address="东村3组12号")


@pytest.fixture
def order(person, town, village_a):
    make_team(town, village_a)
    return make_order(person)


def url(token: str) -> str:
    return reverse("quarantine:self_report", kwargs={"token": token})


def anonymous(address: str = "203.0.113.20", **kwargs) -> Client:
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en", **kwargs)


def slot_due_now(order, minutes_ago: int = 10) -> FollowUp:
    """Given: the order's first slot due a few minutes ago, every other slot hours away (so
    the test does not depend on the time of day it runs at)."""
    now = timezone.now()
    first, *rest = order.checks.order_by("due_at")
    first.due_at = now - timedelta(minutes=minutes_ago)
    for n, check in enumerate(rest, start=1):
        check.due_at = now + timedelta(hours=3 + 8 * n)
    FollowUp.objects.bulk_update([first, *rest], ["due_at"])
    return first


def no_slot_due(order) -> FollowUp:
    """Given: the next slot is 5 hours away (it opens 2 hours before), the rest later."""
    now = timezone.now()
    checks = list(order.checks.order_by("due_at"))
    for n, check in enumerate(checks):
        check.due_at = now + timedelta(hours=5 + 8 * n)
    FollowUp.objects.bulk_update(checks, ["due_at"])
    return checks[0]


def report(**values) -> dict:
    data = {"temperature": "36.5", "reporter": "self", "client_id": str(uuid.uuid4())}
    return data | values


def test_it_shows_the_check_due_now_with_only_the_masked_name(order, person):
    slot_due_now(order)

    response = anonymous().get(url(order.self_report_token))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="self-report-form"' in page
    assert "张**" in page and "day 1 of 14" in page
    assert 'inputmode="decimal"' in page
    assert "Now due: the check of today" in page
    for symptom in ("发热", "干咳", "乏力"):
        assert f'value="{symptom}"' in page
    assert 'name="client_id"' in page and 'name="csrfmiddlewaretoken"' in page
    for secret in (person.name, person.id_number, person.phone, "5678", "东村3组", "东村"):
        assert secret not in page, secret
    assert str(order.external_id) not in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_records_a_temperature_and_confirms_it(order):
    check = slot_due_now(order)
    client = anonymous()
    body = report(temperature="36.5")

    response = client.post(url(order.self_report_token), body)

    assert response.status_code == 302
    assert response["Location"] == f"{url(order.self_report_token)}?done={body['client_id']}"
    check.refresh_from_db()
    assert check.status == CheckStatus.DONE
    assert check.method == CheckMethod.SELF_REPORT
    assert str(check.temperature) == "36.5"
    assert check.reported_by == "the person themself"
    assert str(check.client_id) == body["client_id"]
    assert not Alert.objects.exists()
    done = client.get(response["Location"]).content.decode()
    at = timezone.localtime(check.checked_at).strftime("%H:%M")
    assert 'id="recorded"' in done and f"Recorded at {at}, 36.5 °C" in done
    assert 'id="fever-advice"' not in done
    # The slot is filled: no form until the next one opens.
    assert 'id="self-report-form"' not in done and 'id="next-check"' in done


def test_it_tells_a_fever_to_stay_home_and_alerts_the_team(order, village_a):
    check = slot_due_now(order)
    client = anonymous()

    response = client.post(
        url(order.self_report_token), report(temperature="38.4", symptoms=["干咳"]), follow=True
    )

    page = response.content.decode()
    assert 'id="fever-advice"' in page and "The doctor has been alerted" in page
    assert "Stay at home" in page
    check.refresh_from_db()
    assert check.symptoms == ["干咳"]
    kinds = set(Alert.objects.filter(jurisdiction=village_a).values_list("kind", flat=True))
    assert kinds == {AlertKind.FEVER, AlertKind.SYMPTOM}


def test_it_names_the_family_member_who_reports(order):
    check = slot_due_now(order)
    client = anonymous()

    missing = client.post(url(order.self_report_token), report(reporter="family"))
    assert missing.status_code == 200
    assert 'data-field="family_name"' in missing.content.decode()
    check.refresh_from_db()
    assert check.status == CheckStatus.PENDING

    client.post(url(order.self_report_token), report(reporter="family", family_name=" 李四 "))
    check.refresh_from_db()
    assert (check.status, check.reported_by) == (CheckStatus.DONE, "李四 (family)")


def test_it_suggests_37_3_for_373_keeps_what_was_typed_and_stores_nothing(order):
    check = slot_due_now(order)

    response = anonymous().post(
        url(order.self_report_token), report(temperature="373", symptoms=["乏力"])
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'data-field="temperature">[^<]*did you mean 37\.3', page)
    assert 'value="373"' in page
    assert re.search(r'value="乏力"[^>]*checked', page)
    check.refresh_from_db()
    assert (check.status, check.temperature, check.client_id) == (CheckStatus.PENDING, None, None)
    assert not Alert.objects.exists()


def test_it_explains_the_temperature_in_chinese_by_default(order):
    slot_due_now(order)
    client = Client(REMOTE_ADDR="203.0.113.21")  # no Accept-Language: the deployment's zh-Hans

    response = client.post(url(order.self_report_token), report(temperature="373"))

    assert "不可能" in response.content.decode() and "37.3" in response.content.decode()


def test_it_refuses_an_empty_temperature_and_an_unknown_symptom(order):
    check = slot_due_now(order)
    client = anonymous()

    empty = client.post(url(order.self_report_token), report(temperature=""))
    odd = client.post(url(order.self_report_token), report(symptoms=["头疼得厉害"]))

    assert 'data-field="temperature">enter the temperature' in empty.content.decode()
    assert 'data-field="symptoms"' in odd.content.decode()
    check.refresh_from_db()
    assert check.status == CheckStatus.PENDING


def test_it_refuses_a_form_without_its_client_id(order):
    check = slot_due_now(order)

    response = anonymous().post(url(order.self_report_token), report(client_id="not-a-uuid"))

    assert 'data-field="client_id"' in response.content.decode()
    check.refresh_from_db()
    assert check.status == CheckStatus.PENDING


def test_it_answers_a_double_tap_with_the_same_check(order):
    check = slot_due_now(order)
    client = anonymous()
    body = report(temperature="36.6")

    first = client.post(url(order.self_report_token), body)
    second = client.post(url(order.self_report_token), body)

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert FollowUp.objects.filter(status=CheckStatus.DONE).count() == 1
    check.refresh_from_db()
    assert str(check.client_id) == body["client_id"]


def test_it_does_not_fill_a_second_slot_with_a_repeated_client_id(order):
    # Given an earlier slot still open (missed) and the current one due: the same form sent
    # twice fills one slot, never both.
    now = timezone.now()
    missed, current, *rest = order.checks.order_by("due_at")
    missed.due_at, missed.status = now - timedelta(hours=9), CheckStatus.MISSED
    current.due_at = now - timedelta(minutes=5)
    for n, check in enumerate(rest, start=1):
        check.due_at = now + timedelta(hours=3 + 8 * n)
    FollowUp.objects.bulk_update([missed, current, *rest], ["due_at", "status"])
    body = report()
    client = anonymous()

    client.post(url(order.self_report_token), body)
    client.post(url(order.self_report_token), body)

    assert FollowUp.objects.filter(status=CheckStatus.DONE).count() == 1
    missed.refresh_from_db()
    assert missed.status == CheckStatus.MISSED


def test_it_asks_for_an_overdue_check_at_once(order):
    slot_due_now(order, minutes_ago=150)  # past the 2-hour grace

    page = anonymous().get(url(order.self_report_token)).content.decode()

    assert "is overdue: please send it now" in page and 'id="self-report-form"' in page


def test_it_shows_when_the_next_check_opens_and_refuses_a_report_before(order):
    upcoming = no_slot_due(order)
    client = anonymous()

    page = client.get(url(order.self_report_token)).content.decode()
    assert 'id="self-report-form"' not in page and 'id="next-check"' in page
    opens = timezone.localtime(upcoming.due_at - services.CHECK_OPENS_BEFORE).strftime("%H:%M")
    assert opens in page

    # A form kept open from earlier, sent too early: refused with the time it opens.
    response = client.post(url(order.self_report_token), report())
    assert response.status_code == 200
    assert "no check is due now" in response.content.decode()
    assert not FollowUp.objects.filter(status=CheckStatus.DONE).exists()


def test_it_says_so_when_no_more_checks_are_due(order):
    order.checks.update(status=CheckStatus.EXPLAINED)

    page = anonymous().get(url(order.self_report_token)).content.decode()

    assert 'id="no-more-checks"' in page and 'id="self-report-form"' not in page


def test_it_answers_an_unknown_link_with_a_plain_404(order):
    client = anonymous()
    token = order.self_report_token
    for guess in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "a" * 200, "%20"):
        response = client.get(url(guess))
        assert response.status_code == 404, guess
        page = response.content.decode()
        assert 'id="link-not-valid"' in page
        assert "张" not in page
    assert client.post(url("nosuchtoken"), report()).status_code == 404
    assert not FollowUp.objects.filter(status=CheckStatus.DONE).exists()


def test_it_throttles_guessing_from_one_address(order, settings):
    settings.SELF_REPORT_PER_HOUR = 3
    guesser = anonymous("198.51.100.7")
    for n in range(3):
        assert guesser.get(url(f"guess{n}")).status_code == 404

    refused = guesser.get(url("guess4"))

    assert refused.status_code == 429
    assert 'id="too-many"' in refused.content.decode()
    # A right guess now is refused the same way: the limit is no oracle.
    assert guesser.get(url(order.self_report_token)).status_code == 429
    assert guesser.post(url(order.self_report_token), report()).status_code == 429
    # The family on another address is not affected.
    assert anonymous("198.51.100.8").get(url(order.self_report_token)).status_code == 200
    assert RateLimitHit.objects.count() == 4  # the refused attempts are not stored


def test_it_refuses_the_link_of_a_released_order_with_the_reason(order):
    slot_due_now(order)
    order.status, order.ended_at = OrderStatus.RELEASED, timezone.now()
    order.save(update_fields=["status", "ended_at"])
    client = anonymous()

    response = client.get(url(order.self_report_token))
    sent = client.post(url(order.self_report_token), report())

    assert response.status_code == sent.status_code == 410
    page = response.content.decode()
    assert 'id="link-ended"' in page and "this quarantine has ended" in page
    assert 'id="self-report-form"' not in page
    assert not FollowUp.objects.filter(status=CheckStatus.DONE).exists()


def test_it_refuses_the_link_after_a_transfer_to_hospital(order):
    services.transfer_to_hospital(Actor.system("test"), order, hospital="县人民医院")

    response = anonymous().get(url(order.self_report_token))

    assert response.status_code == 410
    assert "县人民医院" not in response.content.decode()


def test_it_refuses_an_expired_link(order):
    # Given an order whose release day is past but which nobody released yet.
    order.planned_end_date = timezone.localdate() - timedelta(days=2)
    order.save(update_fields=["planned_end_date"])

    response = anonymous().get(url(order.self_report_token))

    assert response.status_code == 410
    assert "this link has expired" in response.content.decode()


def test_it_stops_an_old_link_when_a_new_one_is_issued(order):
    old = order.self_report_token
    services.renew_self_report_link(Actor.system("test"), order)
    order.refresh_from_db()

    assert anonymous().get(url(old)).status_code == 404
    assert anonymous().get(url(order.self_report_token)).status_code == 200


def test_it_confirms_only_this_orders_own_check(order, village_a, person):
    slot_due_now(order)
    other = make_order(make_person(village_a, "李四"))
    slot_due_now(other)
    body = report()
    anonymous().post(url(order.self_report_token), body)

    page = anonymous().get(f"{url(other.self_report_token)}?done={body['client_id']}")

    assert 'id="recorded"' not in page.content.decode()
    for junk in ("nope", "", str(uuid.uuid4())):
        response = anonymous().get(f"{url(order.self_report_token)}?done={junk}")
        assert response.status_code == 200 and 'id="recorded"' not in response.content.decode()


def test_it_keeps_csrf_on_without_a_session(order):
    check = slot_due_now(order)
    client = anonymous(enforce_csrf_checks=True)

    refused = client.post(url(order.self_report_token), report())
    assert refused.status_code == 403

    page = client.get(url(order.self_report_token)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(url(order.self_report_token), report(csrfmiddlewaretoken=token))

    assert response.status_code == 302
    check.refresh_from_db()
    assert check.status == CheckStatus.DONE
    assert "sessionid" not in client.cookies  # no session is made for a family


def test_it_reads_the_page_in_a_few_queries(order, django_assert_max_num_queries):
    slot_due_now(order)
    client = anonymous()
    with django_assert_max_num_queries(9):
        assert client.get(url(order.self_report_token)).status_code == 200


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 1280])
def test_it_works_on_a_familys_phone(browser, live_server, town, village_a, width):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    make_team(town, village_a)
    order = make_order(make_person(village_a, "张三"))
    slot_due_now(order)
    context = browser.new_context(
        viewport={"width": width, "height": 780}, locale="zh-CN", base_url=live_server.url
    )
    try:
        page = context.new_page()
        page.goto(url(order.self_report_token))
        expect(page.locator("#sr-who")).to_contain_text("张*")
        screenshot(page, f"self-report-form-{width}")
        page.fill("#id_temperature", "373")
        page.click("#sr-send")
        expect(page.locator("[data-field=temperature]")).to_contain_text("37.3")
        expect(page.locator("#id_temperature")).to_have_value("373")
        screenshot(page, f"self-report-error-{width}")
        page.fill("#id_temperature", "37.8")
        page.click("#sr-send")
        expect(page.locator("#recorded")).to_contain_text("37.8")
        expect(page.locator("#fever-advice")).to_be_visible()
        screenshot(page, f"self-report-done-{width}")
        check = FollowUp.objects.get(order=order, status=CheckStatus.DONE)
        assert str(check.temperature) == "37.8" and check.method == CheckMethod.SELF_REPORT
        page.goto(url("guessed-token"))
        expect(page.locator("#link-not-valid")).to_be_visible()
        screenshot(page, f"self-report-invalid-{width}")
    finally:
        context.close()
