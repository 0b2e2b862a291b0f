from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.utils import timezone

from fangyi.command.management.commands.command_sweep import Command
from fangyi.command.models import Briefing, DailyFigure, RollupRun
from fangyi.core.models import Alert, AlertKind
from fangyi.core.services import raise_alert

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 12, 2, 7, 30, tzinfo=SHANGHAI)
EARLY = datetime(2026, 12, 2, 6, 30, tzinfo=SHANGHAI)


def _fever_yesterday(village, now):
    raise_alert(
        AlertKind.FEVER, jurisdiction=village, message="发热", raised_at=now - timedelta(days=1)
    )


def test_it_refreshes_the_window_before_the_briefing_time(town, village_a, settings, monkeypatch):
    settings.BRIEFING_TIME = "07:00"
    monkeypatch.setattr(timezone, "now", lambda: EARLY)
    _fever_yesterday(village_a, EARLY)
    assert Command().sweep() == 0
    assert not Briefing.objects.exists()
    cell = DailyFigure.objects.get(jurisdiction=town, metric="alerts.raised")
    assert (cell.day, cell.value) == (EARLY.date() - timedelta(days=1), 1)
    run = RollupRun.objects.get()
    assert (run.first_day, run.last_day) == (EARLY.date() - timedelta(days=1), EARLY.date())


def test_it_generates_the_morning_briefings_once_a_day(town, village_a, settings, monkeypatch):
    settings.BRIEFING_TIME = "07:00"
    monkeypatch.setattr(timezone, "now", lambda: MORNING)
    _fever_yesterday(village_a, MORNING)
    sweep = Command()
    assert sweep.sweep() == 2  # 青山镇 and the county
    briefing = Briefing.objects.get(jurisdiction=town)
    assert briefing.day == MORNING.date() - timedelta(days=1)
    assert briefing.generated_by == "briefing"
    raised = next(f for f in briefing.content["figures"] if f["key"] == "alerts.raised")
    assert raised["value"] == 1
    assert sweep.sweep() == 0  # the second pass of the day only refreshes
    assert Briefing.objects.count() == 2


def test_it_runs_once_from_the_command_line(town, village_a, settings, capsys):
    settings.BRIEFING_TIME = "00:00"
    _fever_yesterday(village_a, timezone.now())
    call_command("command_sweep")
    assert Briefing.objects.filter(jurisdiction=town).count() == 1
    out = capsys.readouterr().out
    assert "2" in out


def test_it_does_the_morning_run_once_across_processes_despite_an_early_draft(
    town, village_a, carol, settings, monkeypatch
):
    from fangyi.command import services
    from fangyi.core.audit import Actor

    settings.BRIEFING_TIME = "07:00"
    monkeypatch.setattr(timezone, "now", lambda: MORNING)
    _fever_yesterday(village_a, MORNING)
    yesterday = MORNING.date() - timedelta(days=1)
    services.generate_briefing(Actor(carol), town, yesterday, now=MORNING)  # on demand, early
    assert Command().sweep() == 1  # the county's; 青山镇's draft is kept
    assert Briefing.objects.get(jurisdiction=town).generated_by == carol.username
    assert Command().sweep() == 0  # a new process (a timer's run) does not redo it


def test_one_failed_briefing_does_not_stop_the_others(
    town, county, village_a, settings, monkeypatch, caplog
):
    """A briefing that cannot be built (injected here: a fault in its content) is logged and
    raised to its town; the county's is still generated, and the run is not retried."""
    from fangyi.command import services

    settings.BRIEFING_TIME = "07:00"
    monkeypatch.setattr(timezone, "now", lambda: MORNING)
    _fever_yesterday(village_a, MORNING)
    build_content = services.build_content

    def failing_for_the_town(jurisdiction, day, now):
        if jurisdiction.code == town.code:
            raise RuntimeError("a fault in the town's data")
        return build_content(jurisdiction, day, now)

    monkeypatch.setattr(services, "build_content", failing_for_the_town)
    sweep = Command()
    assert sweep.sweep() == 1
    assert list(Briefing.objects.values_list("jurisdiction_id", flat=True)) == [county.code]
    alert = Alert.objects.get(kind=AlertKind.BRIEFING_FAILED)
    assert alert.jurisdiction == town and alert.link == "/command/briefings/"
    assert "2026-12-01" in alert.message
    assert "a fault in the town's data" in caplog.text
    assert sweep.sweep() == 0  # done for today: the commander generates the town's by hand
    assert Alert.objects.filter(kind=AlertKind.BRIEFING_FAILED).count() == 1
