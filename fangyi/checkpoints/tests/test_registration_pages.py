"""The registration pages: the list (filters, plate search, masking, a bounded number of
queries), one registration (passengers, flags, pass, ledger entry, conflict, alerts), revealing
a passenger's ID number or phone (audited), and scoping on every URL."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from fangyi.checkpoints import services
from fangyi.checkpoints.models import CheckpointStatus, Registration, Result
from fangyi.checkpoints.testing import make_checkpoint, make_staff
from fangyi.core.audit import Actor
from fangyi.core.models import AuditAction, AuditEntry
from fangyi.testing import make_person, unique_id_number

SYSTEM = Actor.system("test")


def register(checkpoint, *, actor=SYSTEM, at=None, **values) -> Registration:
    """A registration stored through the service (one passenger, 36.5 °C, passed)."""
    data = {
        "id": str(uuid.uuid4()),
        "checkpoint": checkpoint.code,
        "occurred_at": (at or timezone.now() - timedelta(minutes=5)).isoformat(),
        "direction": "in",
        "plate": "皖R·12345",
        "from_place": "合肥市",
        "result": "passed",
        "passengers": [{"name": "赵四", "id_number": unique_id_number(), "temperature": "36.5"}],
    }
    data.update(values)
    with translation.override("en"):
        outcome = services.record_registration(actor, data)
    assert outcome.stored, outcome.as_json()
    return outcome.registration


def an_hour_ago():
    return timezone.now() - timedelta(hours=1)


@pytest.fixture
def gates(village_a, village_b, town):
    return {
        "east": make_checkpoint(village_a, "东村村口"),
        "west": make_checkpoint(village_b, "西村村口"),
        "town": make_checkpoint(town, "青山镇东入口", kind="town_entrance"),
    }


def rows_of(page: str) -> str:
    return page.split('id="registration-rows"', 1)[1].split("</ul>", 1)[0]


def list_page(client, **params) -> str:
    response = client.get(reverse("checkpoints:registrations"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_lists_only_the_villages_registrations_with_ids_and_phones_masked(
    client_for, alice, gates
):
    number = unique_id_number()
    register(
        gates["east"],
        plate="皖R·A1234",
        passengers=[{"name": "钱东", "id_number": number, "phone": "13912345678"}],
    )
    register(
        gates["west"], plate="浙G·D12345", passengers=[{"name": "孙西", "phone": "13811112222"}]
    )
    register(gates["town"], plate="苏E·55555")

    page = list_page(client_for(alice))
    rows = rows_of(page)
    assert "钱东" in rows and "皖R·A1234" in rows
    assert "孙西" not in page and "浙G·D12345" not in page and "苏E·55555" not in page
    assert number not in page and "13912345678" not in page
    assert f"{number[:4]}**********{number[-4:]}" in rows


def test_it_lists_the_whole_town_for_the_town_commander(client_for, carol, gates):
    for gate in gates.values():
        register(gate)

    rows = rows_of(list_page(client_for(carol)))
    assert rows.count('data-result="passed"') == 3


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"car", "foot", "fever", "back", "old", "conflict"}),
        ({"plate": "r·123"}, {"car"}),
        ({"plate": "浙G"}, {"fever"}),
        ({"direction": "out"}, {"foot"}),
        ({"result": "persuaded_back"}, {"back"}),
        ({"fever": "on"}, {"fever"}),
        ({"conflict": "on"}, {"conflict"}),
        ({"checkpoint": "WEST"}, {"conflict"}),
        ({"day": "OLD"}, {"old"}),
        ({"day": "not a date"}, {"car", "foot", "fever", "back", "old", "conflict"}),
        ({"result": "exploded"}, {"car", "foot", "fever", "back", "old", "conflict"}),
    ],
)
def test_it_filters(client_for, carol, gates, params, expected):
    east, west = gates["east"], gates["west"]
    now = timezone.now()
    register(east, plate="皖R·12345", notes="car")
    register(east, plate="", direction="out", notes="foot")
    register(
        east,
        plate="浙G·D12345",
        notes="fever",
        result="fever_clinic",
        passengers=[{"name": "发热者", "phone": "13900001111", "temperature": "38.2"}],
    )
    register(east, plate="鄂A·66666", result="persuaded_back", notes="back")
    register(east, plate="皖B·77777", at=now - timedelta(days=3), notes="old")
    west.status = CheckpointStatus.CLOSED
    west.save(update_fields=["status"])
    register(west, plate="皖C·88888", notes="conflict")
    old_day = timezone.localdate(now - timedelta(days=3)).isoformat()
    params = {
        k: (west.code if v == "WEST" else old_day if v == "OLD" else v) for k, v in params.items()
    }

    page = list_page(client_for(carol), **params)
    shown = {
        r.notes
        for r in Registration.objects.all()
        if f'href="{reverse("checkpoints:registration", args=[r.external_id])}"' in rows_of(page)
    }
    assert shown == expected
    if params.get("day") == "not a date":
        assert 'data-field="day"' in page  # the form says what is wrong


def test_it_lists_in_a_bounded_number_of_queries(
    client_for, carol, gates, django_assert_max_num_queries
):
    client = client_for(carol)
    register(gates["east"])
    with django_assert_max_num_queries(12) as few:
        list_page(client)
    for _n in range(30):
        register(gates["east"], passengers=[{"name": "甲", "phone": "13900002222"}] * 3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = list_page(client)
    assert "Page 1 of 2" in page


def test_it_keeps_the_filters_in_the_pager_links(client_for, carol, gates):
    for _n in range(30):
        register(gates["east"], plate="皖R·12345")

    page = list_page(client_for(carol), plate="皖R", direction="in")
    assert "direction=in&amp;plate=%E7%9A%96R&amp;page=2" in page


def test_it_shows_a_registration_with_its_flags_pass_ledger_entry_and_alerts(
    client_for, carol, gates, village_a
):
    resident = make_person(village_a, "周热")
    registration = register(
        gates["east"],
        plate="皖R·12345",
        result="fever_clinic",
        passengers=[
            {"person_id": str(resident.external_id), "temperature": "38.4"},
            {"name": "吴风", "phone": "13700001234", "temperature": "36.6", "result": "passed"},
        ],
        from_place="湖北省武汉市",
    )

    response = client_for(carol).get(
        reverse("checkpoints:registration", args=[registration.external_id])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "皖R·12345" in page and "周热" in page and "吴风" in page
    assert "38.4 °C" in page and ">fever<" in page
    assert "from a risk area" in page and "high risk" in page
    assert resident.id_number not in page and "13700001234" not in page
    assert resident.id_number_masked in page and "137****1234" in page
    entry = registration.passengers.get(position=0).ledger_entry
    assert reverse("ledger:entry_detail", args=[entry.external_id]) in page
    assert 'data-kind="fever"' in page  # the alert it raised
    assert "Show full" in page  # carol may reveal


def test_it_shows_the_pass_used_and_the_conflict(client_for, carol, gates, village_a):
    resident = make_person(village_a, "郑通")
    lockdown = services.seal_village(
        SYSTEM, village_a, reason="封村", exits=[gates["east"]], starts_at=an_hour_ago()
    )
    travel_pass = services.issue_pass(
        SYSTEM,
        lockdown,
        resident,
        reason="就医",
        valid_from=timezone.now() - timedelta(hours=1),
        valid_until=timezone.now() + timedelta(hours=5),
    )
    registration = register(
        gates["east"],
        direction="out",
        passengers=[{"person_id": str(resident.external_id), "pass_code": travel_pass.code}],
    )
    closed = gates["west"]
    closed.status = CheckpointStatus.CLOSED
    closed.save(update_fields=["status"])
    kept = register(closed)
    client = client_for(carol)

    page = client.get(reverse("checkpoints:registration", args=[registration.external_id]))
    assert reverse("checkpoints:pass", args=[travel_pass.code]) in page.content.decode()
    page = client.get(reverse("checkpoints:registration", args=[kept.external_id]))
    assert 'id="conflict"' in page.content.decode() and "is closed" in page.content.decode()


def test_it_hides_other_villages_registrations_on_every_url(client_for, alice, bob, frank, gates):
    mine = register(gates["east"])
    position = 0
    for user in (bob, frank):
        client = client_for(user)
        detail = reverse("checkpoints:registration", args=[mine.external_id])
        reveal = reverse(
            "checkpoints:passenger_reveal", args=[mine.external_id, position, "id_number"]
        )
        assert client.get(detail).status_code == 404
        assert client.post(reveal).status_code == 404
        assert mine.plate_display not in list_page(client)
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_it_refuses_roles_without_the_permission(client_for, erin, gates):
    registration = register(gates["east"])
    client = client_for(erin)  # a volunteer
    assert client.get(reverse("checkpoints:registrations")).status_code == 403
    detail = reverse("checkpoints:registration", args=[registration.external_id])
    assert client.get(detail).status_code == 403


def test_it_lets_checkpoint_staff_see_their_village_masked_without_reveal(
    client_for, village_a, gates
):
    staff = make_staff("gate-staff", village_a)
    registration = register(gates["east"], actor=Actor(user=staff))
    page = client_for(staff).get(
        reverse("checkpoints:registration", args=[registration.external_id])
    )
    assert page.status_code == 200 and "Show full" not in page.content.decode()
    reveal = reverse(
        "checkpoints:passenger_reveal", args=[registration.external_id, 0, "id_number"]
    )
    assert client_for(staff).post(reveal).status_code == 403


def test_it_reveals_a_passengers_id_number_and_audits_it(client_for, alice, gates):
    number = unique_id_number()
    registration = register(
        gates["east"], passengers=[{"name": "钱东", "id_number": number, "phone": "13912345678"}]
    )
    client = client_for(alice)
    url = reverse("checkpoints:passenger_reveal", args=[registration.external_id, 0, "id_number"])

    response = client.post(url, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200 and number in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL)
    assert entry.actor == alice and entry.object_type == "checkpoints.passenger"
    assert entry.object_id == str(registration.external_id)
    assert entry.changes == {"field": "id_number", "position": 0}
    assert entry.ip_address == "10.1.2.3" and number not in entry.object_repr
    phone = reverse("checkpoints:passenger_reveal", args=[registration.external_id, 0, "phone"])
    assert "13912345678" in client.post(phone).content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL).count() == 2


def test_it_refuses_bad_reveals(client_for, alice, dave, gates):
    registration = register(gates["east"])
    external_id = registration.external_id
    client = client_for(alice)
    bad_field = reverse("checkpoints:passenger_reveal", args=[external_id, 0, "name"])
    no_such = reverse("checkpoints:passenger_reveal", args=[external_id, 7, "id_number"])
    good = reverse("checkpoints:passenger_reveal", args=[external_id, 0, "id_number"])
    assert client.post(bad_field).status_code == 404
    assert client.post(no_such).status_code == 404
    assert client.get(good).status_code == 405
    assert client_for(dave).post(good).status_code == 403  # the auditor never reveals
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_it_answers_404_for_an_unknown_registration(client_for, carol, gates):
    url = reverse("checkpoints:registration", args=[uuid.uuid4()])
    assert client_for(carol).get(url).status_code == 404


def test_it_shows_a_refused_attempt(client_for, carol, gates, village_a):
    services.seal_village(
        SYSTEM, village_a, reason="封村", exits=[gates["east"]], starts_at=an_hour_ago()
    )
    attempt = register(gates["east"], direction="out")
    assert attempt.result == Result.REFUSED
    page = list_page(client_for(carol), result="refused")
    assert reverse("checkpoints:registration", args=[attempt.external_id]) in page


# In real Chromium --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_it_shows_registrations_on_a_phone_and_reveals_an_id(page_for, carol, gates, village_a):
    from playwright.sync_api import expect

    from fangyi.conftest import screenshot

    resident = make_person(village_a, "周热")
    fever = register(
        gates["east"],
        plate="浙G·D12345",
        result="fever_clinic",
        passengers=[
            {"person_id": str(resident.external_id), "temperature": "38.4"},
            {"name": "吴风", "phone": "13700001234", "temperature": "36.6", "result": "passed"},
        ],
        from_place="湖北省武汉市",
    )
    register(gates["east"], plate="", direction="out")
    register(gates["town"], plate="皖R·12345", result="persuaded_back")
    page = page_for(carol, 360)
    page.goto(reverse("checkpoints:registrations"))
    expect(page.locator("#registration-rows li")).to_have_count(3)
    expect(page.locator("#registration-rows li.alerting")).to_have_count(1)
    screenshot(page, "registration-list-360")

    page.fill("#id_plate", "浙G")
    page.press("#id_plate", "Enter")
    expect(page.locator("#registration-rows li")).to_have_count(1)
    page.click("#registration-rows li a")
    page.wait_for_url(f"**{reverse('checkpoints:registration', args=[fever.external_id])}")
    page.click("#p0-id_number button")
    expect(page.locator("#p0-id_number .revealed")).to_have_text(resident.id_number)
    screenshot(page, "registration-detail-360")

    desk = page_for(carol, 1280)
    desk.goto(reverse("checkpoints:registrations") + "?fever=on")
    expect(desk.locator("#registration-rows li")).to_have_count(1)
    screenshot(desk, "registration-list-1280")
    desk.goto(reverse("checkpoints:registration", args=[fever.external_id]))
    screenshot(desk, "registration-detail-1280")
