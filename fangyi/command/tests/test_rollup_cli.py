import pytest
from django.core.management import call_command

from fangyi.command.models import DailyFigure
from fangyi.core.models import AlertKind
from fangyi.core.services import raise_alert


def test_it_refreshes_and_finds_no_differences(village_a, capsys):
    raise_alert(AlertKind.FEVER, jurisdiction=village_a, message="发热")
    call_command("rollup_refresh", all=True)
    printed = capsys.readouterr().out
    assert "cells" in printed or "个数据格" in printed
    assert (
        DailyFigure.objects.filter(jurisdiction=village_a, metric="alerts.raised").get().value == 1
    )
    call_command("rollup_check")
    out = capsys.readouterr().out
    assert out.strip() in ("no differences", "没有差异")


def test_it_reports_a_difference_and_exits_non_zero(village_a, capsys):
    raise_alert(AlertKind.FEVER, jurisdiction=village_a, message="发热")
    call_command("rollup_refresh")
    DailyFigure.objects.filter(jurisdiction=village_a, metric="alerts.raised").update(value=5)
    with pytest.raises(SystemExit) as exited:
        call_command("rollup_check")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "alerts.raised" in out and "5" in out
