"""`fangyi import-pushlist` and `fangyi export-ledger`: the page's pipeline from a shell."""

import io
import json
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangyi.core.audit import Actor
from fangyi.core.identity import compose_id_number
from fangyi.core.models import AuditAction, AuditEntry, Person
from fangyi.ledger import services
from fangyi.ledger.models import ImportStatus, LedgerEntry, PushList, VerificationTask
from fangyi.ledger.testing import make_entry, write_push_list_file
from fangyi.testing import make_person


def id_number(n: int) -> str:
    return compose_id_number("999901", date(1985, 3, 1), n)


@pytest.fixture
def known(village_b):
    """Someone the town already knows, who is on the pushed list again."""
    return make_person(village_b, "张伟", id_number=id_number(9), phone="13900000009")


@pytest.fixture
def push_file(tmp_path, known):
    # The CLI receives the list now: arrival dates are days before today, in cadres' spellings.
    day = timezone.localdate() - timedelta(days=3)
    rows = [
        [
            "王五",
            id_number(1),
            "13900000001",
            "湖北武汉",
            f"{day:%Y-%m-%d}",
            "火车",
            "G1",
            "青山镇东村3组",
        ],
        [
            "赵四",
            "4.20102E+17",
            "13900000002",
            "湖北孝感",
            f"{day:%Y/%-m/%-d}",
            "自驾",
            "",
            "青山镇",
        ],
        ["张伟", id_number(9), "13900000009", "湖北黄冈", f"{day:%Y.%-m.%-d}", "", "", "西村"],
        ["王五", id_number(1), "13900000001", "湖北武汉", "", "", "", ""],
        [
            "孙八",
            id_number(3),
            "1390000",
            "湖北武汉",
            f"{day.month}月{day.day}日",
            "",
            "",
            "青山镇",
        ],
        ["钱七", id_number(4), "", "湖北武汉", "", "", "", "青山镇"],
    ]
    return write_push_list_file(
        tmp_path / "县推送名单.xlsx", rows, title="示范县大数据推送名单（1月28日）"
    )


def run(*args: str) -> tuple[str, str, int]:
    """Run a command; return (stdout, stderr, exit code)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return out.getvalue(), err.getvalue(), exit_.code
    return out.getvalue(), err.getvalue(), 0


def last_json(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def counts() -> tuple[int, ...]:
    return (
        PushList.objects.count(),
        Person.objects.count(),
        LedgerEntry.objects.count(),
        VerificationTask.objects.count(),
    )


def test_it_imports_and_prints_the_counts_as_json_on_the_last_line(push_file, town, village_a):
    stdout, _stderr, code = run("import_pushlist", str(push_file), "--town", town.code, "--json")

    assert code == 0
    summary = last_json(stdout)
    assert summary["rows"] == 6
    assert (summary["imported"], summary["matched"], summary["merged"]) == (2, 1, 1)
    assert summary["errors"] == 2
    assert summary["rows"] == sum(summary[k] for k in ("imported", "matched", "merged", "errors"))
    # Excel's row numbers: title on 1, header on 2, data from 3
    assert sorted({e["row"] for e in summary["error_rows"]}) == [4, 7]
    assert {e["column"] for e in summary["error_rows"]} == {"身份证号码", "手机号码"}
    assert all(e["reason"] for e in summary["error_rows"])
    push_list = PushList.objects.get()
    assert push_list.status == ImportStatus.DONE
    assert push_list.name == "县推送名单"
    assert VerificationTask.objects.filter(push_list=push_list).count() == 3  # one per person
    wang = LedgerEntry.objects.get(person__name="王五")
    assert wang.jurisdiction == village_a


def test_it_prints_a_human_summary_and_each_error_without_json(push_file, town):
    stdout, _stderr, code = run(
        "import_pushlist",
        str(push_file),
        "--town",
        town.code,
        "--name",
        "1月28日推送",
        "--deadline-hours",
        "12",
        "--category",
        "close_contact",
        "--source",
        "province",
    )

    assert code == 0
    assert "1月28日推送" in stdout
    assert "{" not in stdout.splitlines()[-1]
    assert len(stdout.strip().splitlines()) == 1 + 2  # summary + one line per error
    push_list = PushList.objects.get()
    assert (push_list.name, push_list.category, push_list.source) == (
        "1月28日推送",
        "close_contact",
        "province",
    )
    assert (push_list.deadline_at - push_list.received_at).total_seconds() == 12 * 3600
    assert push_list.created_by is None
    audit = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert audit.actor_username.startswith("cli:")


def test_it_reports_messages_in_chinese_by_default(push_file, town, settings):
    stdout, _stderr, _code = run("import_pushlist", str(push_file), "--town", town.code, "--json")

    reasons = " ".join(e["reason"] for e in last_json(stdout)["error_rows"])
    assert "身份证" in reasons  # the Excel-mangled ID number, explained in Chinese


def test_it_changes_nothing_when_the_same_file_is_imported_again(push_file, town):
    first, _stderr, _code = run("import_pushlist", str(push_file), "--town", town.code, "--json")
    before = counts()

    stdout, _stderr, code = run("import_pushlist", str(push_file), "--town", town.code, "--json")

    assert code == 0
    assert counts() == before
    again = last_json(stdout)
    assert again.pop("already_imported") is True
    assert again == last_json(first)
    assert "县推送名单" in stdout.splitlines()[0]


def test_it_exits_with_code_2_and_a_chinese_message_for_an_unusable_file(tmp_path, town):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")

    stdout, stderr, code = run("import_pushlist", str(empty), "--town", town.code, "--json")

    assert code == 2
    assert "文件是空的" in stderr
    assert last_json(stdout) == {"error": stderr.strip()}
    assert counts() == (0, 0, 0, 0)


def test_it_exits_with_code_2_for_a_missing_file_and_a_non_spreadsheet(tmp_path, town):
    text = tmp_path / "名单.docx"
    text.write_text("not a table")

    _out, stderr, code = run("import_pushlist", str(tmp_path / "nope.xlsx"), "--town", town.code)
    assert code == 2 and stderr.strip()
    _out, stderr, code = run("import_pushlist", str(text), "--town", town.code)
    assert code == 2 and ".docx" in stderr
    assert PushList.objects.count() == 0


def test_it_refuses_an_unknown_town_or_a_village_code(push_file, town, village_a):
    with pytest.raises(CommandError):
        call_command("import_pushlist", str(push_file), "--town", "999901199")
    with pytest.raises(CommandError):
        call_command("import_pushlist", str(push_file), "--town", village_a.code)
    with pytest.raises(CommandError):
        call_command("import_pushlist", str(push_file), "--town", town.code, "--mapping", "无")
    assert PushList.objects.count() == 0


def test_it_applies_a_saved_mapping(tmp_path, town):
    # 证件 is not a header the import recognises: only the saved mapping says it is the ID number.
    path = write_push_list_file(
        tmp_path / "odd.xlsx",
        [["王五", id_number(1), "13900000001", "东村"]],
        headers=("姓名", "证件", "电话", "住处"),
    )
    # Save a mapping as the page would, from an earlier list with these headers.
    earlier = services.create_push_list(
        Actor.system("test"), town=town, upload=path, original_filename="odd.xlsx"
    )
    services.set_mapping(
        Actor.system("test"), earlier, {"name": 0, "id_number": 1, "phone": 2}, save_as="县里格式"
    )
    other = write_push_list_file(
        tmp_path / "odd2.xlsx",
        [["赵四", id_number(2), "13900000002", "西村"]],
        headers=("姓名", "证件", "电话", "住处"),
    )

    stdout, _stderr, code = run(
        "import_pushlist", str(other), "--town", town.code, "--mapping", "县里格式", "--json"
    )

    assert code == 0, stdout
    assert last_json(stdout)["imported"] == 1
    assert Person.objects.get(name="赵四").id_number == id_number(2)


def test_it_draws_a_progress_bar_on_a_terminal(push_file, town):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    call_command("import_pushlist", str(push_file), "--town", town.code, stderr=err)

    assert "\r[" in err.getvalue() and "#" in err.getvalue()


def test_it_prints_only_stage_lines_when_not_on_a_terminal(push_file, town):
    _stdout, stderr, _code = run("import_pushlist", str(push_file), "--town", town.code)

    assert "\r" not in stderr
    assert 2 <= len(stderr.strip().splitlines()) <= 6


# export-ledger ------------------------------------------------------------------------------


@pytest.fixture
def entries(village_a, village_b, other_town_village):
    people = [make_person(village_a, f"东{i}") for i in range(3)] + [
        make_person(village_b, "西一"),
        make_person(other_town_village, "白一"),
    ]
    return [make_entry(person) for person in people]


def read_rows(path) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()


def test_it_exports_a_towns_ledger_masked(tmp_path, entries, town):
    out = tmp_path / "台账.xlsx"

    stdout, _stderr, code = run("export_ledger", "--town", town.code, str(out))

    assert code == 0
    rows = read_rows(out)
    assert len(rows) == 1 + 4
    assert "4" in stdout
    person = entries[0].person
    assert person.id_number not in repr(rows) and person.id_number_masked in repr(rows)
    audit = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert audit.actor_username.startswith("cli:")
    assert (audit.jurisdiction_code, audit.changes["rows"], audit.changes["identity"]) == (
        town.code,
        4,
        "masked",
    )


def test_it_exports_full_identity_when_asked(tmp_path, entries, village_a):
    out = tmp_path / "东村.xlsx"

    run("export_ledger", "--town", village_a.code, str(out), "--full-identity")

    rows = read_rows(out)
    assert len(rows) == 1 + 3
    assert entries[0].person.id_number in repr(rows)
    assert AuditEntry.objects.get(action=AuditAction.EXPORT).changes["identity"] == "full"


def test_it_refuses_an_unknown_jurisdiction_or_another_format(tmp_path, town):
    with pytest.raises(CommandError):
        call_command("export_ledger", "--town", "999999999", str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError):
        call_command("export_ledger", "--town", town.code, str(tmp_path / "x.csv"))
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_it_dates_a_list_received_earlier_and_checks_arrivals_against_that_day(tmp_path, town):
    rows = [
        ["王五", id_number(1), "13900001111", "湖北武汉", "2020-01-22", "", "", "青山镇"],
        ["赵六", id_number(2), "13900002222", "湖北武汉", "2020-03-15", "", "", "青山镇"],
    ]
    path = write_push_list_file(tmp_path / "夜间推送.xlsx", rows)

    stdout, _stderr, code = run(
        "import_pushlist",
        str(path),
        "--town",
        town.code,
        "--received",
        "2020-01-28 22:30",
        "--deadline-hours",
        "12",
        "--json",
    )

    assert code == 0
    push_list = PushList.objects.get()
    received = timezone.localtime(push_list.received_at)
    assert (received.date(), received.hour, received.minute) == (date(2020, 1, 28), 22, 30)
    assert timezone.localtime(push_list.deadline_at).hour == 10  # 12 hours later, next morning
    # 1月22日 is before the list; 3月15日 is more than 30 days after it: refused, not guessed.
    assert [e["row"] for e in last_json(stdout)["error_rows"]] == [3]


def test_it_refuses_a_received_time_it_cannot_read(push_file, town):
    before = counts()
    with pytest.raises(CommandError, match="2020-01-28 22:30"):
        call_command("import_pushlist", str(push_file), "--town", town.code, "--received", "昨晚")
    assert counts() == before
