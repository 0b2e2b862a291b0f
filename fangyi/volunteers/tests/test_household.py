"""The household's own page behind the self-report link: unknown token 404, ended order 410,
a double tap one request, no personal data on the page, confirming a delivery."""

import uuid
from datetime import date

from django.urls import reverse

from fangyi.core.audit import Actor
from fangyi.quarantine.models import OrderStatus, QuarantineOrder
from fangyi.quarantine.testing import local_time
from fangyi.volunteers import services
from fangyi.volunteers.models import RequestChannel, RequestStatus, ServiceRequest


def page(token: str) -> str:
    return reverse("volunteers:household", kwargs={"token": token})


def ask(client, token: str, client_id=None, **values):
    data = {
        "kind": "groceries",
        "details": "大米两袋",
        "needed_day": "tomorrow",
        "needed_time": "10:00",
        "client_id": str(client_id or uuid.uuid4()),
        **values,
    }
    return client.post(page(token), data, HTTP_ACCEPT_LANGUAGE="en")


def test_it_shows_the_form_without_personal_data(client, token, quarantined):
    response = client.get(page(token), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200 and "王**" in body
    assert "王金水" not in body and "东村3组12号" not in body
    assert quarantined.phone not in body
    assert "<script" not in body.split("</head>")[1]  # works without JavaScript


def test_it_takes_a_request_once_for_a_double_tap(client, token, order):
    client_id = uuid.uuid4()
    first = ask(client, token, client_id)
    second = ask(client, token, client_id)
    assert first.status_code == second.status_code == 302
    request = ServiceRequest.objects.get()
    assert request.order == order and request.channel == RequestChannel.SELF_REPORT
    body = client.get(first["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your request is sent" in body and "大米两袋" in body


def test_it_keeps_what_was_typed_on_errors(client, token):
    response = ask(client, token, kind="", details="牛奶")
    assert response.status_code == 400
    body = response.content.decode()
    assert "choose what you need" in body and "牛奶" in body
    assert not ServiceRequest.objects.exists()


def test_it_gives_the_same_404_for_an_unknown_token(client, order):
    response = client.get(page("not-a-token"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert ask(client, "not-a-token").status_code == 404
    assert not ServiceRequest.objects.exists()


def test_it_gives_a_410_once_the_order_has_ended(client, token, order):
    QuarantineOrder.objects.filter(pk=order.pk).update(
        status=OrderStatus.RELEASED, ended_at=local_time(date(2026, 2, 14), 10)
    )
    assert client.get(page(token)).status_code == 410
    assert ask(client, token).status_code == 410
    assert not ServiceRequest.objects.exists()


def test_it_lets_the_household_confirm_a_delivery(client, token, erin, erin_volunteer):
    ask(client, token)
    request = ServiceRequest.objects.get()
    services.accept_request(Actor(user=erin), request)
    services.complete_request(Actor(user=erin), request, note="放门口了")
    body = client.get(page(token), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Received" in body and "吴尔" not in body
    url = reverse(
        "volunteers:household_confirm", kwargs={"token": token, "external_id": request.external_id}
    )
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a double tap changes nothing
    request.refresh_from_db()
    assert request.status == RequestStatus.CONFIRMED
    assert request.events.filter(status="confirmed").count() == 1


def test_it_refuses_confirming_another_households_request(
    client, token, village_a, erin, erin_volunteer
):
    from fangyi.volunteers.testing import make_request

    other = make_request(village_a)
    url = reverse(
        "volunteers:household_confirm", kwargs={"token": token, "external_id": other.external_id}
    )
    assert client.post(url).status_code == 404


def test_it_limits_requests_per_address(client, token, settings):
    settings.SELF_REPORT_PER_HOUR = 2
    assert client.get(page(token)).status_code == 200
    assert client.get(page(token)).status_code == 200
    assert client.get(page(token)).status_code == 429


def test_it_is_linked_from_the_self_report_page(client, token):
    body = client.get(
        reverse("quarantine:self_report", kwargs={"token": token}), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f'href="{page(token)}"' in body
