"""The tracing walkthrough in real Chromium: a town commander opens a confirmed case, pulls its
checkpoint registrations, adds the suggested fellow passenger as a close contact, puts them
under quarantine, and sees the chain drawn by ECharts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from fangyi.checkpoints.testing import make_checkpoint
from fangyi.conftest import screenshot
from fangyi.quarantine.models import QuarantineOrder
from fangyi.quarantine.testing import make_site, make_team
from fangyi.testing import make_person
from fangyi.tracing.models import Contact
from fangyi.tracing.tests.builders import make_case, register_car

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_commander_traces_a_confirmed_case_to_a_quarantined_contact_on_the_chain(
    page_for, carol, town, village_a
):
    make_team(town, village_a)
    make_site(town)
    wang = make_person(village_a, "王金水", current_address="东村3组12号")
    li = make_person(village_a, "李娜", current_address="东村5组1号")
    case = make_case(wang, onset_date=timezone.localdate() - timedelta(days=1))
    # Registered after the report (the checkpoint's phone was offline): the pull finds it.
    register_car(
        make_checkpoint(village_a, "东村村口"), [wang, li], at=timezone.now() - timedelta(days=1)
    )

    page = page_for(carol, 360)
    page.goto(reverse("tracing:case", kwargs={"external_id": case.external_id}))
    expect(page.locator("#case-classification")).to_have_class("badge cls-confirmed")
    expect(page.locator("#trajectory-rows li[data-kind=checkpoint]")).to_have_count(0)

    page.click("#pull-registrations")
    expect(page.locator("#trajectory-rows li[data-kind=checkpoint]")).to_have_count(1)
    expect(page.locator("#trajectory-rows")).to_contain_text("东村村口 皖R·12345")

    candidate = page.locator("#candidate-rows li.candidate", has_text="李娜")
    expect(candidate).to_contain_text("皖R·12345")
    candidate.locator("button.add-close").click()
    row = page.locator("#contact-rows li.contact-row", has_text="李娜")
    expect(row).to_have_attribute("data-degree", "close")
    expect(row.locator(".status")).to_have_attribute("data-status", "none")

    row.locator("input[name=contacts]").check()
    page.click("#quarantine-submit")
    expect(row.locator(".status")).to_have_attribute("data-status", "quarantined")
    order = QuarantineOrder.objects.get(person=li)
    assert Contact.objects.get(person=li).quarantine_order_id == order.pk
    assert order.room is not None and order.team.current().count() == 4
    expect(page.locator(".notice.success")).to_contain_text("李娜")

    graph = page.locator("#chain-graph")
    expect(graph).to_have_attribute("data-ready", "yes")
    expect(graph).to_have_attribute("data-drawn", "2")
    expect(graph.locator("canvas")).to_have_count(1)
    expect(page.locator("#chain-list")).to_be_hidden()
    page.locator("#chain").scroll_into_view_if_needed()
    page.wait_for_timeout(1200)  # the force layout settles
    screenshot(page, "tracing-case-360")

    page.goto(reverse("tracing:report"))
    page.fill("#id_q", "ln")
    expect(page.locator("#candidates input[name=person]")).to_have_count(1)  # 李娜, by htmx
    screenshot(page, "tracing-report-360")
    page.goto(reverse("tracing:contact_add", kwargs={"external_id": case.external_id}))
    screenshot(page, "tracing-contact-form-360")

    wide = page_for(carol, 1280)
    wide.goto(reverse("tracing:case", kwargs={"external_id": case.external_id}))
    expect(wide.locator("#chain-graph")).to_have_attribute("data-drawn", "2")
    wide.wait_for_timeout(1200)
    screenshot(wide, "tracing-case-1280")
    wide.goto(reverse("tracing:cases"))
    expect(wide.locator("#case-rows [data-count=quarantined] b")).to_have_text("1")
    screenshot(wide, "tracing-cases-1280")
