"""A town commander generates yesterday's briefing, writes the notes, publishes it, sees it
frozen and downloads the PDF, in a real browser at phone and desktop widths."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from fangyi.command import testing as build
from fangyi.command.models import Briefing
from fangyi.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [360, 1280])
def test_it_generates_writes_publishes_and_downloads(
    page_for, carol, county, town, village_a, village_b, width
):
    build.known_dataset(county, town, village_a, village_b)
    page = page_for(carol, width)
    page.goto("/command/briefings/")
    yesterday = timezone.localdate() - timedelta(days=1)
    assert page.input_value("#id_day") == f"{yesterday:%Y-%m-%d}"
    page.click("#generate")
    page.wait_for_selector("#notes-form")
    screenshot(page, f"command-briefing-draft-{width}")

    page.fill("#id_notes", "明日加强东村卡口值守。")
    page.click("#save-notes")
    page.wait_for_selector("#notes-form")
    assert page.input_value("#id_notes") == "明日加强东村卡口值守。"

    page.check("#confirm-publish")
    page.click("#publish")
    page.wait_for_selector("#published-by")
    assert page.locator("#notes-form").count() == 0
    assert page.locator("#publish-form").count() == 0
    assert "明日加强东村卡口值守。" in page.inner_text("#notes")
    assert "陈可" in page.inner_text("#briefing-state")
    screenshot(page, f"command-briefing-published-{width}")
    briefing = Briefing.objects.get(jurisdiction=town, day=yesterday)
    assert briefing.is_published

    with page.expect_download() as download:
        page.click("#download-pdf")
    path = download.value.path()
    assert Path(path).read_bytes()[:4] == b"%PDF"
    assert download.value.suggested_filename.endswith(f"{yesterday:%Y%m%d}.pdf")
    assert download.value.suggested_filename.startswith(town.name)
