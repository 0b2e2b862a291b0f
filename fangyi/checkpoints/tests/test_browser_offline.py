"""The staff registration screen in real Chromium: the issue's acceptance test (offline, 20
registrations, a reload from the service worker, exactly 20 rows on the server), a batch with
one bad row, a replayed batch, an expired session, the client-side checks, and the returning
local car in a few taps."""

import json
import time
import uuid
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fangyi.checkpoints import services
from fangyi.checkpoints.models import Registration
from fangyi.checkpoints.testing import make_checkpoint, make_staff
from fangyi.conftest import screenshot
from fangyi.core.audit import Actor
from fangyi.testing import TEST_PASSWORD, make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGE = reverse("checkpoints:register")
BATCH = "/api/v1/checkpoints/registrations/batch"


API_ROUTES = "**/api/**"


def go_offline(context) -> None:
    """Offline for the page and its worker. Chromium's offline emulation can reach a page
    reloaded from the worker's cache late, under load, so the API is refused by routing too."""
    context.set_offline(True)
    context.route(API_ROUTES, lambda route: route.abort("internetdisconnected"))


def go_online(context) -> None:
    context.unroute(API_ROUTES)
    context.set_offline(False)


@pytest.fixture
def gate(village_a):
    return make_checkpoint(village_a, "东村村口")


@pytest.fixture
def staff(village_a):
    return make_staff("sam", village_a, "孙明")


def open_register(page):
    """The page, ready, controlled by its service worker, with the page shell kept."""
    page.goto(PAGE)
    page.wait_for_selector("#register[data-ready=yes]")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        """async (path) => {
            for (const name of await caches.keys()) {
                if (await (await caches.open(name)).match(path)) return true;
            }
            return false;
        }""",
        arg=PAGE,
    )


def register_on_screen(page, plate_rest, name, id_or_phone, temperature="36.5"):
    page.fill("#plate-rest", plate_rest)
    person = page.locator("#passengers .person").first
    person.locator(".p-name").fill(name)
    person.locator(".p-idphone").fill(id_or_phone)
    person.locator(".p-temp").fill(temperature)
    page.click(".result-keys [data-result=passed]")
    page.click("#save")


def wait_until_sent(page, total: int) -> None:
    """Until the server holds `total` registrations and the phone's queue is empty."""
    deadline = time.monotonic() + 30
    while Registration.objects.count() < total and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Registration.objects.count() == total
    expect(page.locator("#outbox-rows li")).to_have_count(0, timeout=30_000)
    page.wait_for_function("async () => (await window.fangyiRegister.outbox()).length === 0")


def outbox(page) -> list[dict]:
    return page.evaluate("window.fangyiRegister.outbox()")


def test_it_registers_20_offline_keeps_them_through_a_reload_and_sends_each_once(
    page_for, browser, staff, gate
):
    page = page_for(staff, 360)
    open_register(page)
    expect(page.locator("#cp-name")).to_have_text("东村村口")  # her only checkpoint

    go_offline(page.context)
    expect(page.locator("#net-state")).to_have_attribute("data-state", "offline")
    for n in range(1, 21):
        register_on_screen(page, f"R1{n:04d}", f"旅客{n}", f"1390000{n:04d}")
        expect(page.locator("#outbox-total")).to_have_text(str(n))
    screenshot(page, "register-offline-20-360")
    assert Registration.objects.count() == 0  # nothing got through while offline

    # Reload with no network (for the worker too: what it serves comes from its cache), and
    # IndexedDB still holds all 20.
    (worker,) = page.context.service_workers
    assert worker.evaluate("() => fetch('/').then(() => 'online', () => 'offline')") == "offline"
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_selector("#register[data-ready=yes]")
    expect(page.locator("#cp-name")).to_have_text("东村村口")  # remembered
    expect(page.locator("#outbox-total")).to_have_text("20")
    expect(page.locator("#outbox-rows li.pending")).to_have_count(20)
    kept = outbox(page)
    assert len({record["id"] for record in kept}) == 20
    assert Registration.objects.count() == 0

    # The network comes back: the sender sends them, the queue empties.
    go_online(page.context)
    wait_until_sent(page, 20)
    expect(page.locator("#outbox")).to_be_hidden()
    assert outbox(page) == []
    stored = Registration.objects.all()
    assert stored.count() == 20
    assert {str(r.external_id) for r in stored} == {record["id"] for record in kept}
    assert set(stored.values_list("recorded_by", flat=True)) == {staff.pk}
    assert sorted(stored.values_list("plate", flat=True)) == [f"皖R1{n:04d}" for n in range(1, 21)]
    screenshot(page, "register-synced-360")

    # The phone sending the same batch again (a retry after a lost answer) adds nothing.
    results = page.evaluate(
        """async ([url, items]) => {
            const token = document.cookie.split("; ").find((c) => c.startsWith("csrftoken=")).split("=")[1];
            const response = await fetch(url, {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                body: JSON.stringify({registrations: items}),
            });
            return (await response.json()).results.map((r) => r.status);
        }""",
        [BATCH, [record["payload"] for record in kept]],
    )
    assert results == ["duplicate"] * 20
    assert Registration.objects.count() == 20


def test_it_lands_the_good_rows_and_keeps_the_bad_one_for_correction(page_for, staff, gate):
    page = page_for(staff, 360)
    open_register(page)
    expect(page.locator("#cp-name")).to_have_text(gate.name)
    go_offline(page.context)
    register_on_screen(page, "R20001", "张三", "13900002001")
    register_on_screen(page, "R20002", "李四", "13900002002")
    # A registration that got past the phone's checks (an older page, a hand-edited store):
    # 373 typed for 37.3.
    bad_id = str(uuid.uuid4())
    page.evaluate(
        """async ([record]) => {
            const db = await new Promise((resolve, reject) => {
                const opening = indexedDB.open("fangyi-register", 1);
                opening.onsuccess = () => resolve(opening.result);
                opening.onerror = () => reject(opening.error);
            });
            const writing = db.transaction("outbox", "readwrite");
            writing.objectStore("outbox").put(record);
            await new Promise((resolve) => (writing.oncomplete = resolve));
        }""",
        [
            {
                "id": bad_id,
                "user": str(staff.pk),
                "created": "2000-01-01T00:00:00.000Z",  # first in the queue
                "state": "pending",
                "payload": {
                    "id": bad_id,
                    "checkpoint": gate.code,
                    "direction": "in",
                    "plate": "皖R20003",
                    "result": "passed",
                    "passengers": [{"name": "王五", "phone": "13900002003", "temperature": "373"}],
                },
                "ui": [],
                "summary": {"time": "08:00", "plate": "皖R·20003", "names": "王五", "result": "—"},
                "problems": [],
            }
        ],
    )
    page.reload()
    page.wait_for_selector("#register[data-ready=yes]")
    expect(page.locator("#outbox-total")).to_have_text("3")

    go_online(page.context)
    expect(page.locator("#outbox-rows li.pending")).to_have_count(0, timeout=30_000)
    assert sorted(Registration.objects.values_list("plate", flat=True)) == ["皖R20001", "皖R20002"]
    rejected = page.locator("#outbox-rows > li.rejected")
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text("王五")
    expect(rejected.locator(".problems")).to_contain_text("37.3")  # the reason, with the fix
    (kept,) = outbox(page)
    assert kept["id"] == bad_id and kept["state"] == "rejected"
    assert kept["problems"][0]["field"] == "passengers.0.temperature"
    assert kept["problems"][0]["suggestion"] == "37.3"
    screenshot(page, "register-rejected-360")

    # Corrected on the phone and sent again: the same UUID, stored once.
    rejected.locator("button.edit").click()
    expect(page.locator("#editing")).to_contain_text("皖R·20003")
    person = page.locator("#passengers .person").first
    expect(person.locator(".p-temp")).to_have_value("373")
    expect(person.locator(".temp-fix")).to_be_visible()
    person.locator(".temp-fix").click()
    expect(person.locator(".p-temp")).to_have_value("37.3")
    expect(person).to_have_class("person fever")  # 37.3 is the profile's fever threshold
    page.click(".result-keys [data-result=fever_clinic]")
    page.click("#save")
    expect(page.locator("#editing")).to_be_hidden()
    wait_until_sent(page, 3)
    corrected = Registration.objects.get(external_id=bad_id)
    assert corrected.fever_count == 1
    # The fever notice from the server is shown to the staff.
    expect(page.locator("#notices li.alarm")).to_contain_text("王五")
    assert Registration.objects.count() == 3


def test_it_keeps_the_queue_when_the_session_has_expired(page_for, staff, gate):
    page = page_for(staff, 360)
    open_register(page)
    expect(page.locator("#cp-name")).to_have_text(gate.name)
    page.context.clear_cookies()  # the session expired (or the staff logged out elsewhere)
    register_on_screen(page, "R30001", "赵六", "13900003001")
    expect(page.locator("#login-needed")).to_be_visible()
    expect(page.locator("#outbox-total")).to_have_text("1")
    assert Registration.objects.count() == 0
    screenshot(page, "register-login-needed-360")

    page.click("#login-needed a")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(lambda url: urlsplit(url).path == PAGE)  # the login's ?next= ends so too
    page.wait_for_selector("#register[data-ready=yes]")
    wait_until_sent(page, 1)
    expect(page.locator("#login-needed")).to_be_hidden()
    assert Registration.objects.get().plate == "皖R30001"


def test_it_checks_plates_and_temperatures_on_the_phone(page_for, staff, gate):
    page = page_for(staff, 360)
    open_register(page)
    expect(page.locator("#cp-name")).to_have_text(gate.name)
    person = page.locator("#passengers .person").first

    # The province keyboard: the common ones, the rest behind "more".
    page.click("#plate-province")
    expect(page.locator("#province-keys")).to_be_visible()
    expect(page.locator("#province-rest [data-province=藏]")).to_be_hidden()
    page.click("#province-more")
    page.click("#province-rest [data-province=藏]")
    expect(page.locator("#plate-province")).to_have_text("藏")
    expect(page.locator("#province-keys")).to_be_hidden()

    page.fill("#plate-rest", "AI2345")
    person.locator(".p-name").fill("钱七")
    person.locator(".p-idphone").fill("110101199003071234")  # wrong check character
    person.locator(".p-temp").fill("373")
    expect(person.locator(".temp-fix")).to_have_text("37.3 °C ?")
    page.click("#save")
    expect(page.locator("#plate-error")).to_be_visible()
    expect(person.locator(".p-idphone-error")).to_be_visible()
    expect(person.locator(".p-temp-error")).to_be_visible()
    expect(page.locator("#result-error")).to_be_visible()
    expect(page.locator("#outbox")).to_be_hidden()  # nothing saved
    screenshot(page, "register-errors-360")

    # A fever: red, and the fever clinic chosen for the staff.
    person.locator(".p-temp").fill("38.2")
    expect(person).to_have_class("person fever")
    expect(page.locator(".result-keys [data-result=fever_clinic]")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.fill("#plate-rest", "A12345")
    person.locator(".p-idphone").fill("110101199003071233")
    page.click("#save")
    wait_until_sent(page, 1)
    stored = Registration.objects.get()
    assert (stored.plate, stored.result, stored.fever_count) == ("藏A12345", "fever_clinic", 1)
    expect(page.locator("#notices li.alarm")).to_contain_text("钱七")
    screenshot(page, "register-fever-notice-360")


def test_it_registers_a_returning_local_car_in_three_taps(page_for, staff, gate, village_a):
    wang = make_person(village_a, "王金水")
    li = make_person(village_a, "李娜")
    services.record_registration(
        Actor(user=staff),
        {
            "id": str(uuid.uuid4()),
            "checkpoint": gate.code,
            "direction": "out",
            "plate": "皖R12345",
            "result": "passed",
            "passengers": [
                {"name": wang.name, "id_number": wang.id_number},
                {"name": li.name, "phone": li.phone},
            ],
        },
    )
    page = page_for(staff, 360)
    open_register(page)
    expect(page.locator("#cp-name")).to_have_text(gate.name)
    suggestion = page.locator("#plate-suggestions .plate-suggestion[data-plate=皖R12345]")
    expect(suggestion).to_contain_text("王金水、李娜")
    screenshot(page, "register-suggestions-360")

    started = time.monotonic()
    suggestion.click()
    page.click(".result-keys [data-result=passed]")
    page.click("#save")
    wait_until_sent(page, 2)
    assert time.monotonic() - started < 15
    newest = Registration.objects.order_by("-occurred_at").first()
    assert newest.plate == "皖R12345"
    assert [p.person for p in newest.passengers.all()] == [wang, li]

    # With no network the kept suggestions serve just as well (the people by person_id).
    go_offline(page.context)
    page.reload()
    page.wait_for_selector("#register[data-ready=yes]")
    started = time.monotonic()
    suggestion.click()
    page.click(".result-keys [data-result=persuaded_back]")
    page.click("#save")
    expect(page.locator("#outbox-total")).to_have_text("1")
    assert time.monotonic() - started < 15
    person = page.locator("#passengers .person").first
    person.locator(".p-name").fill("ln")  # pinyin initials, matched on the phone
    expect(person.locator(".person-suggestion")).to_contain_text("李娜")
    go_online(page.context)
    wait_until_sent(page, 3)
    newest = Registration.objects.order_by("-occurred_at").first()
    assert newest.result == "persuaded_back"
    assert [p.person for p in newest.passengers.all()] == [wang, li]


def test_it_suggests_residents_by_name_and_shows_masked_data(page_for, staff, gate, village_a):
    wang = make_person(village_a, "王金水", phone="13812345678")
    page = page_for(staff, 1280)
    open_register(page)
    expect(page.locator("#cp-name")).to_have_text(gate.name)
    person = page.locator("#passengers .person").first
    person.locator(".p-name").fill("wjs")
    choice = person.locator(".person-suggestion")
    expect(choice).to_contain_text("王金水")
    expect(choice).to_contain_text(wang.id_number_masked)
    assert wang.id_number not in page.content()
    choice.click()
    expect(person.locator(".chosen")).to_contain_text("王金水")
    expect(person.locator(".p-idphone")).to_be_hidden()
    page.click(".result-keys [data-result=passed]")
    screenshot(page, "register-1280")
    page.click("#save")
    wait_until_sent(page, 1)
    assert Registration.objects.get().passengers.get().person == wang


def test_it_is_installable(page_for, staff, gate):
    page = page_for(staff, 360)
    open_register(page)
    manifest_url = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = json.loads(page.request.get(manifest_url).text())
    assert manifest["start_url"] == PAGE
    for icon in manifest["icons"]:
        assert page.request.get(icon["src"]).headers["content-type"] == "image/png"


def test_it_asks_for_the_checkpoint_once_and_remembers_it(page_for, staff, gate, village_a):
    north = make_checkpoint(village_a, "东村北口")
    page = page_for(staff, 360)
    open_register(page)
    expect(page.locator("#cp-choose")).to_be_visible()
    expect(page.locator("#reg-form")).to_be_hidden()
    screenshot(page, "register-choose-360")
    page.click(f".cp-option[data-code={north.code}]")
    expect(page.locator("#cp-name")).to_have_text("东村北口")
    page.reload()
    page.wait_for_selector("#register[data-ready=yes]")
    expect(page.locator("#cp-name")).to_have_text("东村北口")
    register_on_screen(page, "R40001", "孙八", "13900004001")
    wait_until_sent(page, 1)
    assert Registration.objects.get().checkpoint == north


def test_it_shows_a_refusal_at_a_sealed_exit_and_drops_it_from_the_queue(
    page_for, staff, carol, gate, village_a
):
    services.seal_village(Actor(user=carol), village_a, reason="确诊病例", exits=[gate])
    page = page_for(staff, 360)
    open_register(page)
    expect(page.locator("#cp-flag")).to_be_visible()
    person = page.locator("#passengers .person").first
    expect(person.locator(".p-pass")).to_be_visible()
    page.click(".seg [data-direction=out]")
    register_on_screen(page, "", "周九", "13900005001")  # on foot, no pass
    wait_until_sent(page, 1)
    expect(page.locator("#notices li.alarm")).to_contain_text("周九")
    stored = Registration.objects.get()
    assert (stored.result, stored.plate) == ("refused", "")
    screenshot(page, "register-refused-360")
