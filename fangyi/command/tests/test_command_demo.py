"""The command post's demo step: every day of the demo rolled up, and the morning meeting's
papers there (yesterday's town briefing published, with its ledger counted that day)."""

from datetime import timedelta

from django.utils import timezone

from fangyi.command import rollups, selectors
from fangyi.command.demo import COMMANDER_NOTE
from fangyi.command.models import Briefing, BriefingStatus, DailyFigure
from fangyi.core.demo import COUNTY_CODE, MAIN_TOWN_CODE


class TestTheSeededDemo:
    def test_it_rolls_up_every_day_of_the_demo(self, seeded_demo):
        first = rollups.first_day_of_data()
        today = timezone.localdate()
        assert first < today - timedelta(days=5)  # a week of checkpoint traffic at least
        days = set(
            DailyFigure.objects.filter(
                jurisdiction_id=MAIN_TOWN_CODE, metric="checkpoint.registrations"
            ).values_list("day", flat=True)
        )
        assert {today - timedelta(days=6), today - timedelta(days=3), today} <= days
        assert DailyFigure.objects.filter(jurisdiction_id=COUNTY_CODE, day=first).exists()
        assert rollups.check_rollups() == []

    def test_it_publishes_yesterdays_town_briefing_with_the_ledger_counted(self, seeded_demo):
        yesterday = timezone.localdate() - timedelta(days=1)
        town = Briefing.objects.get(jurisdiction_id=MAIN_TOWN_CODE, day=yesterday)
        assert town.status == BriefingStatus.PUBLISHED
        assert town.commander_notes == COMMANDER_NOTE
        assert town.content["snapshot_day"] == yesterday.isoformat()
        statuses = [f for f in town.content["figures"] if f["key"].startswith("ledger.status.")]
        assert statuses and all(f["measured"] for f in statuses)
        assert sum(f["value"] for f in statuses) > 0
        assert selectors.snapshot_day(yesterday) == yesterday
        # Its attended roster: the shift nobody came to, not every shift of the day.
        no_shows = next(f for f in town.content["figures"] if f["key"] == "shifts.no_show")
        shifts = next(f for f in town.content["figures"] if f["key"] == "shifts.planned")
        assert no_shows["value"] <= 1 < shifts["value"]

    def test_it_leaves_the_county_and_today_as_drafts(self, seeded_demo):
        today = timezone.localdate()
        drafts = Briefing.objects.filter(status=BriefingStatus.DRAFT)
        assert set(drafts.values_list("jurisdiction_id", "day")) == {
            (COUNTY_CODE, today - timedelta(days=1)),
            (MAIN_TOWN_CODE, today),
        }
