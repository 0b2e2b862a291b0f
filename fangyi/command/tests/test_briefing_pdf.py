import subprocess
import xml.etree.ElementTree as ET
from datetime import date, timedelta

from django.utils import translation

from fangyi.command import charts, documents, rollups, services
from fangyi.command.documents import briefing_pdf, figure_sections, quarantine_by_child
from fangyi.command.figures import FIGURE_BY_KEY
from fangyi.command.testing import D1, D2, at, known_dataset
from fangyi.core.audit import Actor

SVG = "{http://www.w3.org/2000/svg}"
DAYS = [D1 + timedelta(days=n) for n in range(3)]


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("font-family") == "Noto Sans CJK SC"
    return root


def _texts(root: ET.Element) -> list[str]:
    return [node.text for node in root.iter(f"{SVG}text")]


def _pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return done.stdout.decode()


def _row(sections: list[dict], key: str) -> dict:
    label = str(FIGURE_BY_KEY[key].label)
    return next(row for s in sections for row in s["rows"] if str(row["label"]) == label)


def _briefing(county, town, village_a, village_b, carol, now):
    known_dataset(county, town, village_a, village_b)
    return services.generate_briefing(Actor(carol), town, D2, now=now)


def test_it_draws_a_line_per_series_with_a_legend():
    series = [charts.Series("检查人员", [8, 2, 5]), charts.Series("劝返<人数>", [1, 0, 3])]
    root = _parse(charts.line_chart("检查人数 & 劝返人数", DAYS, series))
    lines = root.findall(f".//{SVG}polyline[@class='series']")
    assert len(lines) == 2
    assert len(lines[0].get("points").split()) == 3
    assert lines[0].get("stroke-dasharray") is None
    assert lines[1].get("stroke-dasharray")  # dashed: tells the lines apart in greyscale
    texts = _texts(root)
    assert {"检查人员", "劝返<人数>", "11-30", "12-02"} <= set(texts)
    assert [t for t in texts if t.isdigit()] == ["0", "2", "4", "6", "8"]
    assert root.find(f"{SVG}title").text == "检查人数 & 劝返人数"


def test_it_draws_a_single_day_all_zeros_and_never_below_zero():
    root = _parse(charts.line_chart("无数据", DAYS[:1], [charts.Series("新增病例", [0])]))
    line = root.find(f".//{SVG}polyline")
    assert len(line.get("points").split()) == 1
    assert [t for t in _texts(root) if t.isdigit()] == ["0", "1", "2", "3", "4"]
    assert root.find(f".//{SVG}circle") is not None  # a lone day still shows as a dot
    root = _parse(charts.line_chart("负数", DAYS, [charts.Series("待核查", [-3, 0, 2])]))
    ys = [float(p.split(",")[1]) for p in root.find(f".//{SVG}polyline").get("points").split()]
    assert ys[0] == ys[1] > ys[2]  # -3 is drawn at 0, not below the axis


def test_it_labels_only_a_few_of_many_days():
    days = [D1 + timedelta(days=n) for n in range(60)]
    root = _parse(charts.line_chart("六十天", days, [charts.Series("检查人员", list(range(60)))]))
    dates = [t for t in _texts(root) if "-" in t]
    assert dates[0] == "11-30" and dates[-1] == "01-28" and len(dates) == charts.DATE_LABELS
    assert len(root.findall(f".//{SVG}circle")) == 1  # the legend's: no markers on 60 days


def test_it_draws_a_bar_per_child_escaping_and_cutting_names():
    long_name = "<b>特别长的名字" * 6
    root = _parse(charts.bar_chart("在管隔离", [("东村", 3), (long_name, 12), ("西村&南村", 0)]))
    bars = root.findall(f".//{SVG}rect[@class='bar']")
    assert len(bars) == 3
    assert float(bars[1].get("width")) > float(bars[0].get("width")) > 0
    assert bars[2].get("width") == "0.0"
    texts = _texts(root)
    assert "西村&南村" in texts
    cut = next(t for t in texts if t.startswith("<b>"))
    assert cut.endswith("…") and len(cut) < len(long_name)
    assert charts.text_width(cut) <= 180
    assert "12" in texts


def test_it_picks_round_ticks():
    assert charts.nice_ticks(0) == [0, 1, 2, 3, 4]
    assert charts.nice_ticks(8) == [0, 2, 4, 6, 8]
    assert charts.nice_ticks(123) == [0, 50, 100, 150]
    assert charts.nice_ticks(1001) == [0, 500, 1000, 1500]


def test_it_charts_quarantine_by_sub_jurisdiction_most_first():
    children = [
        {"code": "1", "name": "东村", "values": {"quarantine.active.home_quarantine": 1}},
        {
            "code": "2",
            "name": "西村",
            "values": {"quarantine.active.centralized": 2, "quarantine.active.home_monitoring": 1},
        },
        {"code": None, "name": "青山镇", "values": {}},
    ]
    with translation.override("en"):
        chart = quarantine_by_child({"children": children})
    root = _parse(chart["svg"])
    names = [t for t in _texts(root) if not t.isdigit()]
    assert names == ["西村", "东村", "held at this level itself"]
    assert len(root.findall(f".//{SVG}rect[@class='bar']")) == 3
    assert quarantine_by_child({"children": []}) is None


def test_it_shows_an_unmeasured_snapshot_as_a_dash(county, town, village_a, village_b, carol):
    # The morning after: the pass before the briefing counts the ledger for today, and no
    # pass ran on D2, so D2 has no count of the ledger's statuses.
    briefing = _briefing(county, town, village_a, village_b, carol, at(D2 + timedelta(days=1), 7))
    pending = next(f for f in briefing.content["figures"] if f["key"] == "ledger.status.pending")
    assert pending["measured"] is False
    assert briefing.content["snapshot_day"] is None
    row = _row(figure_sections(briefing.content), "ledger.status.pending")
    assert row["value"] is None and row["change"] is None and not row["problem"]
    assert _row(figure_sections(briefing.content), "ledger.new")["value"] == 1

    text = _pdf_text(briefing_pdf(briefing))
    lines = [line.strip() for line in text.splitlines()]
    assert "待核查 — —" in " ".join(text.split())
    for title in ("趋势", "检查人数与劝返人数", "在管隔离（按类型）", "新增病例与密接"):
        assert title in text
    for legend in ("检查人员", "劝返人数", "新增密切接触者", "推送人员待核查"):
        assert lines.count(legend) == 2  # its row in the tables and the chart's legend
    assert lines.count("12-01") == 4  # the last day under each trend chart
    assert "东村" in text and "西村" in text


def test_it_shows_a_measured_snapshot(county, town, village_a, village_b, carol):
    briefing = _briefing(county, town, village_a, village_b, carol, at(D2, 23))
    assert briefing.content["snapshot_day"] == D2.isoformat()
    pending = next(f for f in briefing.content["figures"] if f["key"] == "ledger.status.pending")
    assert pending["measured"] is True and pending["value"] == 3
    row = _row(figure_sections(briefing.content), "ledger.status.pending")
    assert row["value"] == 3
    assert row["change"] is None  # no pass counted the ledger on D1: nothing to compare with


def test_it_compares_a_snapshot_with_the_day_befores_pass(
    county, town, village_a, village_b, carol
):
    known_dataset(county, town, village_a, village_b)
    rollups.refresh_rollups(now=at(D1, 23, 50))  # counts the ledger as D1 ends
    briefing = services.generate_briefing(Actor(carol), town, D2, now=at(D2, 23))
    pending = next(f for f in briefing.content["figures"] if f["key"] == "ledger.status.pending")
    assert pending["previous_measured"] is True
    row = _row(figure_sections(briefing.content), "ledger.status.pending")
    assert row["change"] == pending["value"] - pending["previous"]
    assert row["change"] is not None


def test_it_prints_old_content_without_the_new_fields(town, carol):
    content = {
        "figures": [
            {"key": "ledger.status.pending", "value": 4, "previous": 1, "total": None},
            {"key": "gone.figure", "value": 1, "previous": 0, "total": 1},
        ],
        "trend": {"days": ["2026-12-01"], "series": {"cases.new": [1]}},
    }
    assert _row(figure_sections(content), "ledger.status.pending")["change"] == 3
    briefing = services.generate_briefing(Actor(carol), town, D2, now=at(D2, 23))
    briefing.content = {**briefing.content, **content, "children": []}
    del briefing.content["snapshot_day"]
    text = _pdf_text(briefing_pdf(briefing))
    assert "新增病例与密接" in text  # drawn from the one series it stored
    assert "检查人数与劝返人数" not in text


def test_it_leaves_unmeasured_snapshots_out_of_the_corrections(town, village_a, carol):
    actor = Actor(carol)
    first = services.generate_briefing(actor, town, D1, now=at(D2, 7))
    first.content["figures"] = [
        {**row, "value": 5} if row["key"].startswith("ledger.status.") else row
        for row in first.content["figures"]
    ]
    first.save(update_fields=["content"])
    services.publish_briefing(actor, first)
    after = services.generate_briefing(actor, town, D2, now=at(D2 + timedelta(days=1), 7))
    keys = {row["key"] for row in after.content["corrections"]}
    assert not any(key.startswith("ledger.status.") for key in keys)


def test_it_keeps_the_pdf_short(county, town, village_a, village_b, carol):
    briefing = _briefing(county, town, village_a, village_b, carol, at(D2 + timedelta(days=1), 7))
    info = subprocess.run(
        ["pdfinfo", "-"], input=briefing_pdf(briefing), capture_output=True, check=True
    ).stdout.decode()
    assert "(A4)" in info
    pages = int(next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1])
    assert pages <= 4  # figures (2), trends and problems, the rest


def test_it_dates_the_axis_from_the_stored_days():
    root = _parse(charts.line_chart("x", [date(2026, 1, 1), date(2026, 1, 2)], []))
    assert "01-01" in _texts(root) and "01-02" in _texts(root)


def test_it_shows_the_biggest_problems_of_each_kind_and_sums_up_the_rest():
    """A county's briefing can list thousands of places; the PDF and the page show each kind's
    biggest and one line for the rest (the .xlsx holds every row)."""
    problems = [
        {"kind": "missed_check", "where": f"村{n}", "where_code": f"99990110{n:04d}",
         "who": "", "what": f"{n} missed", "count": n, "link": ""}
        for n in range(1, 21)
    ] + [{"kind": "no_show", "where": "东村村口", "where_code": "999901100201", "who": "",
          "what": "1 shift", "count": 1, "link": ""}]  # fmt: skip
    groups = documents.problem_groups({"problems": problems}, shown=15)
    missed, no_show = groups
    assert [row["count"] for row in missed["rows"]] == list(range(20, 5, -1))
    assert (missed["places"], missed["count"]) == (20, 210)
    assert (missed["more_places"], missed["more_count"]) == (5, 15)
    assert (no_show["places"], no_show["more_places"], no_show["rows"][0]["where"]) == (
        1,
        0,
        "东村村口",
    )


def test_it_lists_the_first_releases_and_counts_the_rest(town, carol):
    """A county has hundreds of releases due a day: 804 of them took the PDF from 1 s to 3 s."""
    release = {"name": "王*", "where": "东村", "kind": "home_quarantine",
               "start_date": "2026-11-18", "due": "2026-12-02", "link": ""}  # fmt: skip
    content = {"releases_tomorrow": [{**release, "name": f"王{n}*"} for n in range(45)]}
    shown = documents.releases_shown(content, shown=30)
    assert [r["name"] for r in shown["rows"]] == [f"王{n}*" for n in range(30)]
    assert (shown["total"], shown["more"]) == (45, 15)
    assert documents.releases_shown({"releases_tomorrow": [release]})["more"] == 0

    briefing = services.generate_briefing(Actor(carol), town, D2, now=at(D2, 23))
    briefing.content = {**briefing.content, **content}
    text = " ".join(_pdf_text(briefing_pdf(briefing)).split())
    assert "王29*" in text and "王30*" not in text
    assert "共 45 人，另有 15 人未列出" in text
