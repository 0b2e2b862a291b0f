"""Demo data for the command post: once every other app has seeded, the figures are rolled up
and the morning meeting's papers are there: yesterday's briefing of 青山镇 (published, with the
commander's note) and of the county (a draft), and today's 青山镇 draft."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.command import rollups, services
from fangyi.command.models import Briefing, DailyFigure
from fangyi.core.audit import Actor
from fangyi.core.demo import COUNTY_CODE, MAIN_TOWN_CODE, DemoContext, DemoStep
from fangyi.core.models import Jurisdiction, User

COMMANDER_NOTE = "昨日卡口劝返人员已逐一回访；今日重点：督促各村完成推送人员核查，补齐缺岗班次。"


def seed_briefings(ctx: DemoContext) -> None:
    now = timezone.now()
    yesterday = timezone.localdate(now) - timedelta(days=1)
    town = Jurisdiction.objects.get(code=MAIN_TOWN_CODE)
    county = Jurisdiction.objects.get(code=COUNTY_CODE)
    commander = User.objects.filter(username="commander").first()
    actor = Actor(commander) if commander else ctx.actor
    ctx.progress(_("daily briefings"), 0, 3)
    # The pass that ran as yesterday ended (it counts the ledger's statuses for that day), then
    # every day as of now, as the morning run does.
    last_second = rollups.day_start(yesterday + timedelta(days=1)) - timedelta(seconds=1)
    rollups.refresh_rollups(first=yesterday, now=last_second)
    rollups.refresh_rollups(everything=True, now=now)
    briefing = services.generate_briefing(actor, town, yesterday, now=now, refresh=False)
    services.save_notes(actor, briefing, COMMANDER_NOTE)
    services.publish_briefing(actor, briefing)
    services.generate_briefing(ctx.actor, county, yesterday, now=now, refresh=False)
    services.generate_briefing(actor, town, yesterday + timedelta(days=1), now=now, refresh=False)
    ctx.progress(_("daily briefings"), 3, 3)
    ctx.counts["briefings"] = 3


def reset_briefings() -> int:
    """The demo county's briefings and figures (the figures are rebuilt by the next pass)."""
    deleted = Briefing.objects.filter(jurisdiction__code__startswith=COUNTY_CODE).delete()[0]
    DailyFigure.objects.filter(jurisdiction__code__startswith=COUNTY_CODE).delete()
    return deleted


BRIEFINGS_STEP = DemoStep("briefings", seed_briefings, reset_briefings)


def register_demo_step() -> None:
    """Called from CommandConfig.ready() (the last app): seeded after every other step, so the
    figures cover all the demo data; reset before them (briefings protect their jurisdiction)."""
    from fangyi.core import demo

    if BRIEFINGS_STEP.name not in [step.name for step in demo.STEPS]:
        demo.STEPS.append(BRIEFINGS_STEP)
