import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fangyi.command.models import Briefing
from fangyi.core.models import AlertKind
from fangyi.core.services import raise_alert


def test_it_prints_the_figures_as_json(town, village_a, capsys):
    yesterday = timezone.localdate() - timedelta(days=1)
    raise_alert(
        AlertKind.FEVER,
        jurisdiction=village_a,
        message="发热",
        raised_at=timezone.now() - timedelta(days=1),
    )
    call_command("briefing", jurisdiction=town.code, date=yesterday.isoformat(), json=True)
    content = json.loads(capsys.readouterr().out)
    raised = next(f for f in content["figures"] if f["key"] == "alerts.raised")
    assert raised["value"] == 1
    assert Briefing.objects.get().generated_by.startswith("cli:")


def test_it_writes_the_pdf(town, tmp_path):
    out = tmp_path / "b.pdf"
    call_command(
        "briefing", jurisdiction=town.code, date=timezone.localdate().isoformat(), pdf=str(out)
    )
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"jurisdiction": "123", "date": "2026-12-01", "json": True}, "123"),
        ({"jurisdiction": "999901100", "date": "2026-13-01", "json": True}, "2026-13-01"),
        ({"jurisdiction": "999901100", "date": "2999-01-01", "json": True}, ""),
        (
            {"jurisdiction": "999901100", "date": "2026-12-01", "pdf": "/nonexistent/x.pdf"},
            "/nonexistent",
        ),
        ({"jurisdiction": "999901100", "date": "2026-12-01"}, "--pdf"),
    ],
)
def test_it_refuses_bad_inputs_in_chinese(town, options, message):
    with pytest.raises(CommandError) as raised:
        call_command("briefing", **options)
    text = str(raised.value)
    assert message in text
    assert not text.isascii()  # Chinese once the catalogue has the msgids (TSV)
