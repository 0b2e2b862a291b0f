"""The issue's walkthrough in real Chromium, from a fever at a checkpoint to a signed release:
checkpoint fever → ledger entry → home quarantine order with a team (the town cadre's page) →
checks recorded on the village cadre's phone, one missed and flagged on the town's board →
tests negative → the doctor explains the missed check and signs the release off → the PDF.
(The tracing half — a confirmed case → trajectory → contacts → quarantined → chain drawn — is
fangyi/tracing/tests/test_browser_tracing.py.)

The town's clock is frozen and moved on (freeze_clock): fourteen days pass between the order
and the release. Every page is opened by logging in afresh, since sessions expire with time."""

import re
import subprocess
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from fangyi.checkpoints.services import record_registration
from fangyi.checkpoints.testing import make_checkpoint, make_staff
from fangyi.conftest import screenshot
from fangyi.core.audit import Actor
from fangyi.core.models import Alert, AlertKind
from fangyi.core.roles import Role
from fangyi.ledger.models import Category, LedgerEntry, Status
from fangyi.quarantine import services
from fangyi.quarantine.models import (
    CheckMethod,
    CheckStatus,
    NucleicAcidResult,
    OrderStatus,
    QuarantineOrder,
)
from fangyi.quarantine.testing import freeze_clock, local_time
from fangyi.testing import make_person, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FEB_1 = date(2020, 2, 1)


def day(n: int) -> date:
    return FEB_1 + timedelta(days=n - 1)


def test_it_walks_a_checkpoint_fever_to_a_signed_release(
    monkeypatch, page_for, town, village_a, alice, tmp_path
):
    clock = freeze_clock(monkeypatch, local_time(FEB_1, 7, 20))
    cadre = make_user("liu", Role.TOWN_CADRE, town, "刘晓燕")
    doctor = make_user("sun", Role.DOCTOR, town, "孙丽华")
    make_user("wu", Role.POLICE, town, "吴刚")
    gate = make_checkpoint(village_a, "东村村口")
    staff = make_staff("zhao", village_a, "赵军")
    resident = make_person(village_a, "郑大海", current_address="东村2组8号")

    # A fever at the checkpoint puts the resident on the ledger and alerts the town.
    outcome = record_registration(
        Actor(user=staff),
        {
            "id": "6f1c2a9e-0d4b-4f7e-9a51-3c2b1d0e9f01",
            "checkpoint": gate.code,
            "direction": "in",
            "plate": "",
            "from_place": "武汉市",
            "result": "fever_clinic",
            "passengers": [
                {"name": "郑大海", "id_number": resident.id_number, "temperature": "38.2"}
            ],
        },
    )
    assert outcome.status == "created"
    entry = LedgerEntry.objects.get(person=resident, category=Category.FEVER)
    assert Alert.objects.filter(kind=AlertKind.FEVER, person=resident).exists()

    # The town cadre opens the entry and puts him under home quarantine; the team is assigned.
    desk = page_for(cadre, 1280)
    desk.goto(f"/ledger/entry/{entry.external_id}/")
    desk.click("#put-under-quarantine")
    desk.select_option("#id_kind", "home_quarantine")
    screenshot(desk, "walkthrough-order-form-1280")
    desk.click("#order-submit")
    desk.wait_for_url("**/quarantine/orders/*/")
    order = QuarantineOrder.objects.get(person=resident)
    assert order.kind == "home_quarantine" and order.planned_end_date == day(15)
    team = {a.role: a.member for a in order.team.current()}
    assert team[Role.VILLAGE_CADRE] == alice and team[Role.DOCTOR] == doctor
    assert len(team) == 4
    expect(desk.locator("#team-rows")).to_contain_text("孙丽华")
    entry.refresh_from_db()
    assert entry.status == Status.HOME_QUARANTINE

    # 08:05: the village cadre records the morning check at the door, on her phone.
    clock.at = local_time(FEB_1, 8, 5)
    phone = page_for(alice, 360)
    phone.goto("/quarantine/mine/")
    person_card = phone.locator(".pcard", has=phone.locator(".pcard-name", has_text="郑大海"))
    person_card.locator('.slot[data-state="due"] a.record').click()
    form = person_card.locator("form.slot-form")
    form.locator(".temp-input").fill("36.6")
    form.locator("button.save-check").click()
    expect(person_card.locator('.slot[data-state="done"]').first).to_contain_text("36.6")
    first = order.checks.get(day=1, slot=1)
    assert first.status == CheckStatus.DONE and first.checked_by == alice
    screenshot(phone, "walkthrough-mine-360")

    # The days pass: every other check is recorded at its time, except day 3's evening one;
    # tests on days 1, 4, 7 and 14 come back negative (day 14's is left for the doctor's page).
    missed = order.checks.get(day=3, slot=2)
    for check in order.checks.filter(status=CheckStatus.PENDING).order_by("due_at"):
        if check.pk != missed.pk:
            services.record_check(
                Actor(user=alice),
                check,
                temperature="36.5",
                method=CheckMethod.DOOR,
                now=check.due_at + timedelta(minutes=10),
            )
        if check.day == 3 and check.slot == 2:
            assert services.sweep_missed_checks(now=local_time(day(3), 18, 30)) == 1
    for test in order.tests.exclude(day=14):
        sampled = local_time(day(test.day), 9, 0)
        services.record_test(
            Actor(user=doctor),
            test,
            result=NucleicAcidResult.NEGATIVE,
            sampled_at=sampled,
            lab="县疾控中心",
            now=sampled + timedelta(hours=6),
        )
    missed.refresh_from_db()
    assert missed.status == CheckStatus.MISSED
    assert Alert.objects.filter(kind=AlertKind.MISSED_CHECK, person=resident).exists()

    # Release morning (day 15): the board shows him due and his missed check flagged.
    clock.at = local_time(day(15), 8, 0)
    wall = page_for(cadre, 1280)
    wall.goto("/quarantine/")
    expect(wall.locator("#board-missed")).to_contain_text("郑大海")
    expect(wall.locator("#board-due")).to_contain_text("郑大海")
    screenshot(wall, "walkthrough-board-1280")

    # The doctor: the release is refused while the missed check and day 14's test are open.
    clinic = page_for(doctor, 360)
    order_page = re.compile(rf".*/quarantine/orders/{order.external_id}/(#.*)?$")
    clinic.goto(f"/quarantine/orders/{order.external_id}/")
    problems = clinic.locator("#release-problems")
    expect(problems).to_be_visible()
    assert clinic.locator("#release-form").count() == 0
    # She explains the missed check ...
    clinic.locator(f"#cell-{missed.pk} a.explain").click()
    clinic.fill("#id_note", "当晚电话未接通，次日上午补问无异常")
    clinic.click("#action-submit")
    expect(clinic).to_have_url(order_page)
    # ... records day 14's test as negative ...
    clinic.locator("#test-rows li", has_text="14").locator("a.button").click()
    clinic.select_option("#id_result", NucleicAcidResult.NEGATIVE)
    clinic.fill("#id_lab", "县疾控中心")
    clinic.click("#action-submit")
    expect(clinic).to_have_url(order_page)
    # ... and signs the release off.
    expect(clinic.locator("#release-ready")).to_be_visible()
    clinic.check("#id_confirm")
    clinic.click("#release-submit")
    expect(clinic.locator("#release-notice")).to_be_visible()
    screenshot(clinic, "walkthrough-released-360")

    order.refresh_from_db()
    entry.refresh_from_db()
    assert order.status == OrderStatus.RELEASED and order.ended_by == doctor
    assert entry.status == Status.RELEASED
    assert order.checks.get(pk=missed.pk).status == CheckStatus.EXPLAINED

    # The release notice: a PDF with the masked ID number, never the full one.
    notice = clinic.request.get(clinic.locator("#release-notice").get_attribute("href"))
    assert notice.ok and notice.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(notice.body())
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "郑大海" in text and resident.id_number_masked in text
    assert resident.id_number not in text
