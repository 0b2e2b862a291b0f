"""The briefing's workbook in the format reported upward, read back with python-calamine."""

import io
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

from fangyi.command import services
from fangyi.command import testing as build
from fangyi.command.figures import FIGURE_BY_KEY, FigureKind
from fangyi.command.models import Briefing
from fangyi.core.audit import Actor
from fangyi.core.models import AuditAction, AuditEntry
from fangyi.core.xlsx import Sheet, write_workbook

# The sheet names and headers, in the deployment's language (数据汇总, 问题清单, 明日解除 once
# the catalogue has them).
with translation.override(settings.LANGUAGE_CODE):
    SHEETS = [_("summary of figures"), _("problem list"), _("releases tomorrow")]

NOW = build.at(build.D2 + timedelta(days=1), 7)
EVIL = '=HYPERLINK("http://x","点我")'


@pytest.fixture
def briefing(county, town, village_a, village_b, carol):
    build.known_dataset(county, town, village_a, village_b)
    made = services.generate_briefing(Actor(carol), town, build.D2, now=NOW)
    # A release due the next day, and text a spreadsheet would run as a formula.
    content = made.content
    content["problems"][0]["who"] = EVIL
    content["releases_tomorrow"] = [
        {
            "name": "李*",
            "where": "+东村",
            "kind": "home_quarantine",
            "start_date": "2026-11-18",
            "due": "2026-12-02",
            "link": "/quarantine/",
        }
    ]
    Briefing.objects.filter(pk=made.pk).update(content=content)
    made.refresh_from_db()
    return made


def _download(client, user, briefing) -> CalamineWorkbook:
    client.force_login(user)
    response = client.get(f"/command/briefings/{briefing.pk}/briefing.xlsx")
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    return CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))


def test_it_writes_three_sheets_in_chinese(client, carol, briefing):
    book = _download(client, carol, briefing)
    assert book.sheet_names == SHEETS
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.changes["document"] == "xlsx" and entry.object_id == str(briefing.pk)


def test_it_puts_a_row_per_child_and_the_total(client, carol, village_a, briefing):
    rows = _download(client, carol, briefing).get_sheet_by_name(SHEETS[0]).to_python()
    assert "青山镇疫情防控日报" in rows[0][0] and "草稿" in rows[0][0]
    headers = rows[1]
    with translation.override(settings.LANGUAGE_CODE):
        day_header = _("%(figure)s (that day)")
        total_header = _("%(figure)s (cumulative)")
    content = briefing.content
    names = [row[0] for row in rows[2:]]
    assert names[-1] == "合计"
    assert names[0] == village_a.name
    assert len(names) == len(content["children"]) + 1
    by_key = {f["key"]: f for f in content["figures"]}
    for key in ("checkpoint.people", "alerts.raised", "push.overdue"):
        figure = FIGURE_BY_KEY[key]
        day_column = headers.index(day_header % {"figure": figure.label})
        for child, row in zip(content["children"], rows[2:], strict=False):
            assert row[day_column] == child["values"][key]
        assert rows[-1][day_column] == by_key[key]["value"]
        if figure.kind == FigureKind.FLOW:
            total_column = headers.index(total_header % {"figure": figure.label})
            assert rows[-1][total_column] == by_key[key]["total"]
            for child, row in zip(content["children"], rows[2:], strict=False):
                assert row[total_column] == child["totals"][key]
            # The places' cumulatives add up to the whole's.
            assert sum(row[total_column] for row in rows[2:-1]) == by_key[key]["total"]
        else:
            assert total_header % {"figure": figure.label} not in headers
    assert by_key["checkpoint.people"]["value"] > 0


def test_it_lists_problems_and_releases_neutralized(client, carol, briefing):
    book = _download(client, carol, briefing)
    problems = book.get_sheet_by_name(SHEETS[1]).to_python()
    assert problems[1] == ["类别", "地点", "责任人", "问题", "数量"]
    content = briefing.content
    assert len(problems) == 2 + len(content["problems"])
    first = content["problems"][0]
    assert problems[2][1:] == [first["where"], "'" + EVIL, first["what"], first["count"]]
    assert sum(row[4] for row in problems[2:]) == sum(p["count"] for p in content["problems"])
    releases = book.get_sheet_by_name(SHEETS[2]).to_python()
    assert releases[2][:3] == ["李*", "'+东村", "居家隔离"]
    assert releases[2][3:] == [date(2026, 11, 18), date(2026, 12, 2)]


def test_it_writes_sheets_a_strict_reader_accepts(tmp_path):
    import openpyxl

    path = tmp_path / "book.xlsx"
    counts = write_workbook(
        str(path),
        [
            Sheet("汇总", ["a"], [[1], [2]], title="标题"),
            Sheet("汇总", ["b"], [["=1+1"]]),
            Sheet("x/y", ["c"], []),
        ],
    )
    assert counts == [2, 1, 0]
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "汇总 (2)", "x y"]
    assert book["汇总"]["A3"].value == 1 and book["汇总 (2)"]["A2"].value == "'=1+1"
