from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from fangyi.command import services
from fangyi.command import testing as build
from fangyi.command.figures import FIGURES
from fangyi.command.models import Briefing
from fangyi.core.audit import Actor
from fangyi.core.models import AlertKind, AuditEntry
from fangyi.core.services import raise_alert

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
YESTERDAY = NOW.date() - timedelta(days=1)


def _alert(village, at):
    raise_alert(AlertKind.FEVER, jurisdiction=village, message="发热", raised_at=at)


def _figure(briefing, key):
    return next(f for f in briefing.content["figures"] if f["key"] == key)


def test_it_generates_every_figure_of_the_day(town, village_a, carol):
    _alert(village_a, NOW - timedelta(hours=12))
    _alert(village_a, NOW - timedelta(hours=13))
    briefing = services.generate_briefing(Actor(carol), town, YESTERDAY, now=NOW)
    assert [f["key"] for f in briefing.content["figures"]] == [f.key for f in FIGURES]
    assert _figure(briefing, "alerts.raised")["value"] == 2
    assert briefing.content["day"] == YESTERDAY.isoformat()
    children = {row["code"]: row["values"] for row in briefing.content["children"]}
    assert children[village_a.code]["alerts.raised"] == 2


def test_it_freezes_a_published_briefing_and_lists_corrections_next_day(town, village_a, carol):
    actor = Actor(carol)
    _alert(village_a, NOW - timedelta(hours=12))
    briefing = services.generate_briefing(actor, town, YESTERDAY, now=NOW)
    services.publish_briefing(actor, briefing)
    assert AuditEntry.objects.filter(object_type="command.briefing").count() == 1
    _alert(village_a, NOW - timedelta(hours=11))  # entered late, for yesterday
    later = NOW + timedelta(days=1)
    with pytest.raises(services.BriefingError, match=r"已发布|published"):
        services.generate_briefing(actor, town, YESTERDAY, now=later)
    after = services.generate_briefing(actor, town, NOW.date(), now=later)
    briefing.refresh_from_db()
    assert _figure(briefing, "alerts.raised")["value"] == 1
    assert {
        "day": YESTERDAY.isoformat(),
        "key": "alerts.raised",
        "published": 1,
        "now": 2,
    } in after.content["corrections"]


def test_it_refuses_a_future_day_other_jurisdictions_and_long_notes(town, other_town, carol, alice):
    with pytest.raises(services.BriefingError):
        services.generate_briefing(Actor(carol), town, NOW.date() + timedelta(days=1), now=NOW)
    with pytest.raises(PermissionDenied):
        services.generate_briefing(Actor(carol), other_town, YESTERDAY, now=NOW)
    with pytest.raises(PermissionDenied):
        services.generate_briefing(Actor(alice), town, YESTERDAY, now=NOW)
    briefing = services.generate_briefing(Actor(carol), town, YESTERDAY, now=NOW)
    with pytest.raises(services.BriefingError):
        services.save_notes(Actor(carol), briefing, "x" * (services.NOTES_MAX_CHARS + 1))
    services.save_notes(Actor(carol), briefing, " 明天加强卡口 ")
    assert Briefing.objects.get().commander_notes == "明天加强卡口"


def test_it_generates_the_morning_briefings_once(town, village_a, other_town):
    _alert(village_a, NOW - timedelta(hours=12))
    assert services.generate_morning_briefings(now=NOW) == 2  # 青山镇 and the county
    assert services.generate_morning_briefings(now=NOW) == 0
    assert set(Briefing.objects.values_list("jurisdiction_id", flat=True)) == {
        town.code,
        town.parent_id,
    }


def test_it_lists_a_villages_late_verifications_in_one_row_however_many_lists(
    town, village_a, village_b, carol
):
    first = build.push_list(town, NOW - timedelta(days=3), NOW - timedelta(days=2), "县推送A")
    second = build.push_list(town, NOW - timedelta(days=2), NOW - timedelta(days=1), "县推送B")
    build.task(first, build.entry_at(village_a, NOW - timedelta(days=3), "甲一"), row=2)
    build.task(second, build.entry_at(village_a, NOW - timedelta(days=2), "甲二"), row=2)
    build.task(second, build.entry_at(village_b, NOW - timedelta(days=2), "乙一"), row=3)
    briefing = services.generate_briefing(Actor(carol), town, NOW.date(), now=NOW)  # in Chinese
    late = {
        p["where_code"]: p
        for p in briefing.content["problems"]
        if p["kind"] == "overdue_verification"
    }
    assert set(late) == {village_a.code, village_b.code}
    assert late[village_a.code]["count"] == 2
    assert "2 份名单中 2 人未核查" in late[village_a.code]["what"]
    assert (NOW - timedelta(days=2)).strftime("%m-%d %H:%M") in late[village_a.code]["what"]
    assert late[village_a.code]["link"] == "/ledger/tasks/"
    assert "县推送B" in late[village_b.code]["what"]  # one list: named, with its own page
    assert late[village_b.code]["link"] == f"/ledger/push-lists/{second.external_id}/"
