"""The issue's walk in real Chromium (zh-CN): a quarantined family asks for groceries through its
self-report link on a phone, the village cadre dispatches it to erin's volunteer record, erin
accepts it and marks it delivered (note, photo, hours) on a 360-px phone, the family confirms
("已收到"). Screenshots of every page at 360 and 1280 px in test-output/."""

import struct
import zlib

import pytest
from playwright.sync_api import expect

from fangyi.conftest import screenshot
from fangyi.volunteers import services
from fangyi.volunteers.models import RequestChannel, RequestStatus, ServiceRequest, VolunteerTeam
from fangyi.volunteers.testing import SYSTEM, make_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png(width: int = 48, height: int = 32) -> bytes:
    """A small valid PNG (a solid green picture) without an imaging library."""
    raw = b"".join(b"\x00" + b"\x2e\x7d\x32" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def family_page(browser, live_server):
    contexts = []

    def open_page(width: int = 360):
        context = browser.new_context(
            viewport={"width": width, "height": 780}, locale="zh-CN", base_url=live_server.url
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def test_it_walks_a_grocery_request_from_the_family_to_the_door_and_back(
    family_page, page_for, alice, erin, carol, erin_volunteer, village_a, order, token
):
    make_request(village_a, details="王奶奶的降压药", kind="medicine")  # another open request

    # The family, on its phone, from the self-report page.
    family = family_page(360)
    family.goto(f"/quarantine/r/{token}/")
    family.locator("#household-link").click()
    expect(family.locator("#household-form")).to_be_visible()
    family.locator("label[for='id_kind_0']").click()  # groceries
    family.fill("#id_details", "大米5斤、鸡蛋一盒、青菜")
    family.locator("label[for='id_needed_day_1']").click()  # tomorrow
    family.fill("#id_needed_time", "10:00")
    screenshot(family, "volunteers-household-form-360")
    family.locator("#household-send").click()
    expect(family.locator("#request-sent")).to_be_visible()
    expect(family.locator("#household-requests")).to_contain_text("大米5斤")
    screenshot(family, "volunteers-household-sent-360")
    request = ServiceRequest.objects.get(channel=RequestChannel.SELF_REPORT)
    assert request.order == order and request.status == RequestStatus.NEW

    # The village cadre dispatches it to erin.
    desk = page_for(alice, 1280)
    desk.goto("/volunteers/requests/")
    row = desk.locator(f"li[data-request='{request.external_id}']")
    expect(row).to_contain_text("大米5斤")
    row.locator("select[name='volunteer']").select_option(str(erin_volunteer.pk))
    screenshot(desk, "volunteers-requests-1280")
    row.locator("button.dispatch-button").click()
    expect(desk.locator(f"li[data-request='{request.external_id}']")).to_contain_text("吴尔")
    phone_desk = page_for(alice, 360)
    phone_desk.goto("/volunteers/requests/")
    screenshot(phone_desk, "volunteers-requests-360")
    phone_desk.goto(f"/volunteers/requests/{request.external_id}/")
    expect(phone_desk.locator("#request-history")).to_contain_text("吴尔")
    screenshot(phone_desk, "volunteers-request-detail-360")

    # erin, on her phone: accept, then delivered with a note, a photo and the hours.
    phone = page_for(erin, 360)
    phone.goto("/volunteers/mine/")
    card = phone.locator(f"#offered-tasks li[data-request='{request.external_id}']")
    button = card.locator("button.accept")
    box = button.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 200  # a thumb-sized button
    screenshot(phone, "volunteers-mine-360")
    button.click()
    card = phone.locator(f"#accepted-tasks li[data-request='{request.external_id}']")
    expect(card).to_be_visible()
    card.locator("a.done").click()
    phone.locator("#save-done").click()  # neither a note nor a photo: refused, kept on the page
    expect(phone.locator("p.error[data-field='note']")).to_be_visible()
    phone.fill("#id_note", "已放门口，敲门告知")
    phone.set_input_files(
        "#id_photo", files=[{"name": "door.png", "mimeType": "image/png", "buffer": png()}]
    )
    phone.fill("#id_hours", "1.5")
    screenshot(phone, "volunteers-done-form-360")
    phone.locator("#save-done").click()
    expect(phone.locator(f"#done-tasks li[data-request='{request.external_id}']")).to_be_visible()
    expect(phone.locator("#my-hours")).to_contain_text("1.5")
    screenshot(phone, "volunteers-mine-done-360")
    request.refresh_from_db()
    assert request.status == RequestStatus.DONE and request.volunteer == erin_volunteer
    assert request.delivery_photo.endswith(".png")

    # The family confirms.
    family.goto(f"/volunteers/household/{token}/")
    item = family.locator(f"li[data-request='{request.external_id}']")
    item.locator("button.received").click()
    expect(family.locator("#request-confirmed")).to_be_visible()
    expect(family.locator(f"li[data-request='{request.external_id}']")).to_have_attribute(
        "data-status", "confirmed"
    )
    screenshot(family, "volunteers-household-confirmed-360")
    request.refresh_from_db()
    assert request.status == RequestStatus.CONFIRMED
    assert request.confirmed_via == RequestChannel.SELF_REPORT

    # The request's page with its photo and history; the town's summary; the registry.
    desk.goto(f"/volunteers/requests/{request.external_id}/")
    expect(desk.locator("#request-history li")).to_have_count(5)
    expect(desk.locator("img.delivery-photo")).to_be_visible()
    screenshot(desk, "volunteers-request-detail-1280")
    town = page_for(carol, 1280)
    town.goto("/volunteers/summary/")
    expect(town.locator("tr[data-village='999901100201']")).to_be_visible()
    screenshot(town, "volunteers-summary-1280")
    town_phone = page_for(carol, 360)
    town_phone.goto("/volunteers/summary/")
    screenshot(town_phone, "volunteers-summary-360")
    desk.goto("/volunteers/")
    screenshot(desk, "volunteers-registry-1280")
    phone_desk.goto("/volunteers/")
    screenshot(phone_desk, "volunteers-registry-360")
    phone_desk.goto("/volunteers/requests/new/")
    screenshot(phone_desk, "volunteers-request-form-360")
    team = services.save_team(SYSTEM, VolunteerTeam(name="党员先锋队", jurisdiction=village_a))
    services.set_team_leader(SYSTEM, team, erin_volunteer)
    phone_desk.goto("/volunteers/teams/")
    expect(phone_desk.locator("#team-rows")).to_contain_text("党员先锋队")
    screenshot(phone_desk, "volunteers-teams-360")
    desk.goto("/volunteers/new/")
    screenshot(desk, "volunteers-registry-form-1280")
    wide_family = family_page(1280)
    wide_family.goto(f"/volunteers/household/{token}/")
    screenshot(wide_family, "volunteers-household-1280")
