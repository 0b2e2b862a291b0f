"""The daily briefing pages: list, generate, detail, notes, publish, regenerate and the PDF
download; scoped by jurisdiction (404) and permission (403)."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from fangyi.command import services
from fangyi.command import testing as build
from fangyi.command.models import Briefing, BriefingStatus
from fangyi.core.audit import Actor
from fangyi.core.models import AuditAction, AuditEntry
from fangyi.core.roles import Role
from fangyi.testing import make_user

NOW = build.at(build.D2 + timedelta(days=1), 7)


@pytest.fixture
def briefing(county, town, village_a, village_b, carol):
    """青山镇's draft for D2 over the known dataset, generated the next morning."""
    build.known_dataset(county, town, village_a, village_b)
    return services.generate_briefing(Actor(carol), town, build.D2, now=NOW)


def test_it_lists_the_briefings_in_reach_with_the_generate_form(client_for, carol, briefing):
    body = client_for(carol).get("/command/briefings/").content.decode()
    assert f"/command/briefings/{briefing.pk}/" in body
    assert "青山镇" in body and "2026-12-01" in body
    assert 'id="briefing-generate"' in body
    yesterday = timezone.localdate() - timedelta(days=1)
    assert f'value="{yesterday:%Y-%m-%d}"' in body  # the date defaults to yesterday


def test_it_names_who_generated_each_briefing(client_for, carol, county, briefing):
    morning = services.generate_briefing(
        Actor.system(services.MORNING_ACTOR), county, build.D2, now=NOW, refresh=False
    )
    client = client_for(carol)
    body = client.get("/command/briefings/").content.decode()
    assert f"by {carol.full_name}" in body  # the name, not the username "carol"
    assert "by the morning run" not in body  # the county's is not carol's to read
    assert (
        f"by {carol.full_name}" in client.get(f"/command/briefings/{briefing.pk}/").content.decode()
    )
    county_commander = make_user("gina", Role.COUNTY_COMMANDER, county, "葛娜")
    body = client_for(county_commander).get(f"/command/briefings/{morning.pk}/").content.decode()
    assert "by the morning run" in body


def test_it_shows_readers_the_list_without_the_form(client_for, dave, alice, briefing):
    body = client_for(dave).get("/command/briefings/").content.decode()
    assert f"/command/briefings/{briefing.pk}/" in body
    assert 'id="briefing-generate"' not in body
    body = client_for(alice).get("/command/briefings/").content.decode()
    assert f"/command/briefings/{briefing.pk}/" not in body  # a village cadre: not the town's


def test_it_generates_a_draft_and_opens_it(client_for, carol, town):
    client = client_for(carol)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        "/command/briefings/generate/", {"jurisdiction": town.code, "day": f"{yesterday}"}
    )
    made = Briefing.objects.get(jurisdiction=town, day=yesterday)
    assert response.status_code == 302
    assert response["Location"] == f"/command/briefings/{made.pk}/"
    assert made.status == BriefingStatus.DRAFT and made.generated_by == "carol"


def test_it_refuses_a_future_day_on_the_form_keeping_the_input(client_for, carol, town):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client_for(carol).post(
        "/command/briefings/generate/", {"jurisdiction": town.code, "day": f"{tomorrow}"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "no briefing for a day still to come" in body
    assert f'value="{tomorrow:%Y-%m-%d}"' in body
    assert not Briefing.objects.exists()


def test_it_shows_the_error_in_chinese(client, carol, town):
    client.force_login(carol)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        "/command/briefings/generate/",
        {"jurisdiction": town.code, "day": f"{tomorrow}"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "不能为尚未到来的日期生成日报" in response.content.decode()


def test_it_offers_only_the_jurisdictions_in_reach(client_for, carol, town, other_town):
    client = client_for(carol)
    body = client.get("/command/briefings/").content.decode()
    assert f'value="{town.code}"' in body and f'value="{other_town.code}"' not in body
    response = client.post(
        "/command/briefings/generate/", {"jurisdiction": other_town.code, "day": "2026-12-01"}
    )
    assert response.status_code == 400
    assert not Briefing.objects.exists()


def test_it_renders_the_frozen_content(client_for, carol, village_a, briefing):
    body = client_for(carol).get(f"/command/briefings/{briefing.pk}/").content.decode()
    content = briefing.content
    assert "Screening ledger" in body  # figures by section
    assert 'id="briefing-children"' in body and village_a.name in body
    for problem in content["problems"]:
        assert problem["what"] in body and problem["where"] in body
    assert content["problems"], "the known dataset has overdue verifications and missed checks"
    assert 'id="notes-form"' in body and 'id="publish-form"' in body
    assert "Draft" in body or "draft" in body


def test_it_saves_the_notes_and_keeps_too_long_ones_on_the_form(client_for, carol, briefing):
    client = client_for(carol)
    url = f"/command/briefings/{briefing.pk}/notes/"
    assert client.post(url, {"notes": "加强东村卡口"}).status_code == 302
    briefing.refresh_from_db()
    assert briefing.commander_notes == "加强东村卡口"
    long_text = "长" * (services.NOTES_MAX_CHARS + 1)
    response = client.post(url, {"notes": long_text})
    assert response.status_code == 400
    assert long_text in response.content.decode()
    briefing.refresh_from_db()
    assert briefing.commander_notes == "加强东村卡口"


def test_it_publishes_only_when_confirmed_then_shows_it_frozen(client_for, carol, briefing):
    client = client_for(carol)
    url = f"/command/briefings/{briefing.pk}/publish/"
    assert client.post(url).status_code == 400
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.DRAFT
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    briefing.refresh_from_db()
    assert briefing.is_published and briefing.published_by == carol
    body = client.get(f"/command/briefings/{briefing.pk}/").content.decode()
    assert "Published" in body and "陈可" in body
    assert 'id="notes-form"' not in body and 'id="publish-form"' not in body
    assert 'id="regenerate-form"' not in body
    response = client.post(f"/command/briefings/{briefing.pk}/notes/", {"notes": "改"})
    assert response.status_code == 400
    assert "published and frozen" in response.content.decode()
    response = client.post(f"/command/briefings/{briefing.pk}/regenerate/")
    assert response.status_code == 400
    assert client.post(url, {"confirm": "yes"}).status_code == 400  # published already


def test_it_regenerates_a_draft(client_for, carol, briefing):
    before = briefing.generated_at
    response = client_for(carol).post(f"/command/briefings/{briefing.pk}/regenerate/")
    assert response.status_code == 302
    briefing.refresh_from_db()
    assert briefing.generated_at > before


def test_it_downloads_the_pdf_audited_with_a_chinese_name(client, carol, briefing):
    client.force_login(carol)
    response = client.get(f"/command/briefings/{briefing.pk}/briefing.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        f"filename*=utf-8''{quote('青山镇疫情防控日报20261201.pdf')}"
        in (response["Content-Disposition"])
    )
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.object_type == "command.briefing" and entry.object_id == str(briefing.pk)
    assert entry.changes["document"] == "pdf" and entry.actor == carol


@pytest.mark.parametrize(
    "suffix", ["", "briefing.pdf", "briefing.xlsx", "notes/", "publish/", "regenerate/"]
)
def test_it_hides_another_jurisdictions_briefing(client_for, frank, alice, briefing, suffix):
    url = f"/command/briefings/{briefing.pk}/{suffix}"
    for user in (frank, alice):
        client = client_for(user)
        response = client.post(url) if suffix.endswith("/") and suffix else client.get(url)
        expected = 403 if user is alice and suffix.endswith("/") and suffix else 404
        assert response.status_code == expected
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_it_refuses_users_without_the_permission(client_for, erin, dave, briefing):
    client = client_for(erin)
    assert client.get("/command/briefings/").status_code == 403
    assert client.get(f"/command/briefings/{briefing.pk}/").status_code == 403
    client = client_for(dave)
    assert client.get(f"/command/briefings/{briefing.pk}/").status_code == 200
    for suffix in ("notes/", "publish/", "regenerate/"):
        assert client.post(f"/command/briefings/{briefing.pk}/{suffix}").status_code == 403
    response = client.post("/command/briefings/generate/", {"day": "2026-12-01"})
    assert response.status_code == 403


def test_it_reads_the_list_in_a_constant_number_of_queries(
    client_for, carol, town, briefing, django_assert_max_num_queries
):
    actor = Actor(carol)
    for days in range(1, 6):
        services.generate_briefing(actor, town, build.D2 - timedelta(days=days), now=NOW)
    client = client_for(carol)
    with django_assert_max_num_queries(12):
        assert client.get("/command/briefings/").status_code == 200
