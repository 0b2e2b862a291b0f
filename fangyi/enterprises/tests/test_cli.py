"""`fangyi enterprise-roster-import`: the roster import from a shell."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fangyi.core.audit import Actor
from fangyi.core.models import AuditEntry
from fangyi.enterprises import services
from fangyi.enterprises.testing import roster_row, write_roster_file
from fangyi.quarantine.testing import make_order
from fangyi.testing import make_person, unique_id_number


@pytest.fixture
def filing(zhou, factory):
    return services.start_filing(Actor(user=zhou), factory)


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("enterprise_roster_import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_by_external_id_and_prints_json(filing, tmp_path, village_a):
    person = make_person(village_a, "王金水")
    make_order(person)
    path = write_roster_file(
        tmp_path / "roster.xlsx",
        [
            roster_row("王金水", person.id_number),
            roster_row("李四", unique_id_number()),
            roster_row("错号", 4.20102e17),
        ],
    )
    out, _err = run("--filing", str(filing.external_id), str(path), "--json")
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["rows"], summary["imported"], summary["flagged"], summary["errors"]) == (
        3,
        2,
        1,
        1,
    )
    assert summary["error_rows"][0]["row"] == 4
    assert summary["error_rows"][0]["column"] == "身份证号"
    assert summary["flagged_rows"][0]["name"] == "王金水"
    audit = AuditEntry.objects.get(action="import")
    assert audit.actor_username.startswith("cli:")


def test_it_imports_by_number_and_prints_each_problem(filing, tmp_path, settings):
    settings.LANGUAGE_CODE = "en"  # the command speaks the deployment's language
    path = write_roster_file(
        tmp_path / "roster.xlsx", [roster_row("李四", unique_id_number()), roster_row("", "1")]
    )
    out, _err = run("--filing", str(filing.pk), str(path))
    assert "2 rows: 1 employees imported, 0 flagged" in out
    assert "row 3, column 姓名: the person's name is empty" in out
    assert filing.employees.count() == 1


def test_it_exits_2_on_an_unusable_file(filing, tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(SystemExit) as stopped:
        run("--filing", str(filing.pk), str(empty), "--json")
    assert stopped.value.code == 2
    with pytest.raises(SystemExit):
        run("--filing", str(filing.pk), str(tmp_path / "missing.xlsx"))


def test_it_refuses_an_unknown_filing(db, tmp_path):
    with pytest.raises(CommandError):
        run("--filing", "not-a-filing", str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError):
        run("--filing", "99999", str(tmp_path / "x.xlsx"))
