"""Travellers' self-registration behind a poster's QR code: public, strict, rate-limited, and
showing nobody anything about anyone else."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangyi.checkpoints.models import CheckpointStatus, SelfRegistration
from fangyi.checkpoints.testing import make_checkpoint
from fangyi.core.identity import compose_id_number
from fangyi.ledger.models import Transport
from fangyi.testing import unique_id_number

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, name="东村北口")


def _url(checkpoint, name="self_register") -> str:
    return reverse(f"checkpoints:{name}", kwargs={"code": checkpoint.code})


def _traveller(**values) -> dict:
    data = {
        "name": "孙旅客",
        "id_number": compose_id_number("420102", date(1988, 3, 9), 123),
        "phone": "139 1234 5678",
        "is_local": "no",
        "from_place": "武汉市江汉区",
        "to_place": "东村3组",
        "transport": Transport.RAIL,
        "trip_number": "g1234",
        "return_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "local_contact": "孙大伯",
        "local_contact_phone": "13700001111",
        "reason": "探亲",
    }
    return data | values


def _client(address: str = "203.0.113.10") -> Client:
    return Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")


def test_it_needs_no_login(gate):
    response = _client().get(_url(gate))
    assert response.status_code == 200
    page = response.content.decode()
    assert "东村北口" in page and 'id="self-form"' in page
    for field in ("name", "id_number", "phone", "from_place", "trip_number", "return_date"):
        assert f'name="{field}"' in page
    for transport in Transport.values:
        assert f'value="{transport}"' in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_registers_a_traveller_and_shows_their_code(gate):
    client = _client()
    response = client.post(_url(gate), _traveller())
    assert response.status_code == 302
    assert response["Location"] == _url(gate, "self_done")
    registration = SelfRegistration.objects.get()
    done = client.get(response["Location"])
    page = done.content.decode()
    assert done.status_code == 200
    assert f'id="self-code">{registration.code}<' in page
    assert 'src="data:image/svg+xml' in page  # the code as a QR, inline (CSP allows img data:)
    # Their own details are not repeated on a screen shown around at the checkpoint.
    assert "孙旅客" not in page and "5678" not in page


def test_it_stores_everything_the_staff_lookup_needs(gate):
    _client().post(_url(gate), _traveller())
    registration = SelfRegistration.objects.get()
    assert registration.checkpoint == gate
    assert len(registration.code) == 6 and registration.is_usable()
    assert registration.expires_at > timezone.now() + timedelta(hours=1)
    assert registration.name == "孙旅客"
    assert registration.id_number == compose_id_number("420102", date(1988, 3, 9), 123)
    assert registration.id_number_index
    assert registration.phone == "13912345678"
    assert registration.is_local is False
    assert registration.from_place == "武汉市江汉区"
    assert registration.transport == Transport.RAIL and registration.trip_number == "G1234"
    assert registration.return_date == timezone.localdate() + timedelta(days=10)
    assert registration.local_contact == "孙大伯"
    assert registration.local_contact_phone == "13700001111"
    assert registration.reason == "探亲"
    assert registration.registration is None


def test_it_takes_a_local_resident_with_only_the_required_fields(gate):
    minimal = {
        "name": "李本地",
        "id_number": unique_id_number(),
        "phone": "13800000001",
        "is_local": "yes",
        "from_place": "县城",
        "transport": Transport.SELF_DRIVE,
    }
    assert _client().post(_url(gate), minimal).status_code == 302
    registration = SelfRegistration.objects.get()
    assert registration.is_local is True and registration.return_date is None


@pytest.mark.parametrize(
    "field,value,reason",
    [
        ("id_number", "420102198803091230", "check character"),
        ("id_number", "4201021988", "18 characters"),
        ("phone", "1391234", "11 digits"),
        ("from_place", "", "where you are coming from"),
        ("transport", "spaceship", "how you travelled"),
        ("return_date", "far", "within 60 days"),
        ("return_date", "next week", "enter a date"),
        ("local_contact_phone", "12345", "11 digits"),
        ("name", "", "name is required"),
    ],
)
def test_it_refuses_bad_input_field_by_field(gate, field, value, reason):
    if value == "far":
        value = (timezone.localdate() + timedelta(days=61)).isoformat()
    response = _client().post(_url(gate), _traveller(**{field: value}))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-field="{field}"' in page
    assert reason in page
    assert 'value="孙旅客"' in page or field == "name"  # what was typed is kept
    assert 'value="武汉市江汉区"' in page or field == "from_place"
    assert not SelfRegistration.objects.exists()


def test_it_names_every_problem_at_once(gate):
    data = _traveller(id_number="420102198803091230", phone="12", transport="", from_place="")
    page = _client().post(_url(gate), data).content.decode()
    for field in ("id_number", "phone", "transport", "from_place"):
        assert f'data-field="{field}"' in page
    assert 'value="g1234"' in page and 'value="探亲"' in page
    assert not SelfRegistration.objects.exists()


def test_it_asks_whether_the_traveller_lives_here(gate):
    page = _client().post(_url(gate), _traveller(is_local="")).content.decode()
    assert 'data-field="is_local"' in page and "whether you live here" in page
    assert not SelfRegistration.objects.exists()


def test_it_takes_no_registration_at_a_closed_checkpoint(village_a):
    closed = make_checkpoint(village_a, name="东村旧路口", status=CheckpointStatus.CLOSED)
    client = _client()
    page = client.get(_url(closed)).content.decode()
    assert 'id="checkpoint-closed"' in page and 'id="self-form"' not in page
    response = client.post(_url(closed), _traveller())
    assert response.status_code == 200
    assert "closed" in response.content.decode()
    assert not SelfRegistration.objects.exists()


def test_it_explains_an_unknown_checkpoint_code(gate):
    client = _client()
    for response in (
        client.get("/checkpoints/self/KNOSUCH/"),
        client.post("/checkpoints/self/KNOSUCH/", _traveller()),
        client.get("/checkpoints/self/KNOSUCH/done/"),
    ):
        assert response.status_code == 404
        page = response.content.decode()
        assert 'id="unknown-checkpoint"' in page and "KNOSUCH" in page
    assert not SelfRegistration.objects.exists()


def test_it_accepts_a_code_typed_in_lower_case(gate):
    assert _client().get(f"/checkpoints/self/{gate.code.lower()}/").status_code == 200


def test_it_stops_a_flood_from_one_address(gate, settings):
    settings.SELF_REGISTRATION_PER_HOUR = 3
    flooder = _client("198.51.100.7")
    # Every POST counts, valid or not.
    assert flooder.post(_url(gate), _traveller(phone="1")).status_code == 200
    assert (
        flooder.post(_url(gate), _traveller(name="甲", id_number=unique_id_number())).status_code
        == 302
    )
    assert flooder.post("/checkpoints/self/KNOSUCH/", _traveller()).status_code == 404
    refused = flooder.post(_url(gate), _traveller(name="乙", id_number=unique_id_number()))
    assert refused.status_code == 429
    assert 'id="too-many"' in refused.content.decode()
    assert "Too many registrations" in refused.content.decode()
    assert flooder.get(_url(gate)).status_code == 200  # reading the form is not limited
    assert SelfRegistration.objects.count() == 1
    # Another address (another family's phone) is not affected.
    neighbour = _client("198.51.100.8")
    assert neighbour.post(_url(gate), _traveller(name="丙")).status_code == 302
    assert SelfRegistration.objects.count() == 2


def test_it_shows_a_traveller_nothing_of_another(gate):
    first, second = _client("203.0.113.1"), _client("203.0.113.2")
    first.post(_url(gate), _traveller())
    a = SelfRegistration.objects.get()
    other = _traveller(
        name="周另一",
        id_number=compose_id_number("310101", date(1990, 1, 2), 456),
        phone="13600002222",
        local_contact="周叔",
        local_contact_phone="13500003333",
        from_place="上海市黄浦区",
        trip_number="沪A12345",
    )
    response = second.post(_url(gate), other, follow=True)
    b = SelfRegistration.objects.exclude(pk=a.pk).get()
    page = response.content.decode()
    assert b.code in page
    secrets = (a.code, a.name, a.id_number, a.phone, "5678", a.local_contact, "1111", a.from_place)
    for secret in secrets:
        assert secret not in page, secret


def test_it_lets_nobody_look_a_code_up_publicly(gate):
    _client("203.0.113.1").post(_url(gate), _traveller())
    a = SelfRegistration.objects.get()
    stranger = _client("203.0.113.9")
    response = stranger.get(_url(gate, "self_done"))
    assert response.status_code == 302 and response["Location"] == _url(gate)
    for url in (
        f"{_url(gate)}?code={a.code}",
        f"{_url(gate, 'self_done')}?code={a.code}",
        f"/checkpoints/self/{a.code}/",
        f"/checkpoints/self/{a.code}/done/",
        f"/api/v1/checkpoints/self-registrations/{a.code}",
    ):
        response = stranger.get(url, follow=True)
        page = response.content.decode()
        assert a.name not in page and a.phone not in page, url
        assert a.id_number not in page and a.from_place not in page, url
    assert stranger.get(f"/api/v1/checkpoints/self-registrations/{a.code}").status_code in (
        401,
        403,
        404,
    )


def test_it_shows_the_code_again_to_the_same_phone_only_while_usable(gate, settings):
    client = _client()
    client.post(_url(gate), _traveller())
    registration = SelfRegistration.objects.get()
    assert 'id="show-earlier"' in client.get(_url(gate)).content.decode()
    SelfRegistration.objects.filter(pk=registration.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert client.get(_url(gate, "self_done")).status_code == 302
    assert 'id="show-earlier"' not in client.get(_url(gate)).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [360, 1280])
def test_it_works_on_a_travellers_phone(browser, live_server, village_a, width):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    gate = make_checkpoint(village_a, name="东村北口")
    context = browser.new_context(
        viewport={"width": width, "height": 780}, locale="zh-CN", base_url=live_server.url
    )
    try:
        page = context.new_page()
        page.goto(_url(gate))
        screenshot(page, f"self-registration-form-{width}")
        page.fill("#id_name", "孙旅客")
        page.fill("#id_id_number", "420102198803091230")  # wrong check character
        page.fill("#id_phone", "13912345678")
        page.check("input[name=is_local][value=no]")
        page.check("input[name=transport][value=rail]")
        page.fill("#id_trip_number", "G1234")
        page.click("button.primary")
        expect(page.locator("[data-field=id_number]")).to_be_visible()
        expect(page.locator("[data-field=from_place]")).to_be_visible()
        expect(page.locator("#id_name")).to_have_value("孙旅客")
        expect(page.locator("input[name=transport][value=rail]")).to_be_checked()
        screenshot(page, f"self-registration-errors-{width}")
        page.fill("#id_id_number", compose_id_number("420102", date(1988, 3, 9), 123))
        page.fill("#id_from_place", "武汉市江汉区")
        page.click("button.primary")
        code = SelfRegistration.objects.get().code
        expect(page.locator("#self-code")).to_have_text(code)
        assert page.locator("#self-qr").evaluate("img => img.naturalWidth") > 100  # CSP let it in
        screenshot(page, f"self-registration-done-{width}")
    finally:
        context.close()
