"""The village cadre's path through the people register, in real Chromium."""

import pytest
from playwright.sync_api import expect

from fangyi.conftest import screenshot
from fangyi.core.models import AuditAction, AuditEntry
from fangyi.testing import make_person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_searches_by_pinyin_opens_a_person_and_cannot_reach_another_village(
    page_for, alice, village_a, village_b
):
    wang = make_person(village_a, "王金水", current_address="东村3组12号")
    make_person(village_a, "张伟")
    stranger = make_person(village_b, "赵秘密")
    page = page_for(alice)

    page.click("text=人员")
    page.fill("input[name=q]", "wjs")
    # The full list already shows 王金水; wait for htmx to swap in the search result.
    expect(page.locator(".rows li")).to_have_count(1)
    expect(page.locator(".rows li")).to_contain_text("王金水")
    screenshot(page, "people-search-360")

    page.click("text=王金水")
    page.wait_for_selector("h1:has-text('王金水')")
    assert wang.id_number_masked in page.content()
    assert wang.id_number not in page.content()
    page.click("#id_number-value button")
    page.wait_for_selector(".revealed")
    assert page.inner_text("#id_number-value .revealed") == wang.id_number
    assert AuditEntry.objects.filter(action=AuditAction.REVEAL, actor=alice).count() == 1
    screenshot(page, "person-detail-360")

    response = page.goto(f"/people/{stranger.external_id}/")
    assert response.status == 404
    assert "赵秘密" not in page.content()
    assert "不存在" in page.content()
    screenshot(page, "other-village-404-360")
