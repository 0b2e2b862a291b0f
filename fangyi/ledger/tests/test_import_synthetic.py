"""The benchmark's synthetic push list (fangyi/ledger/synthetic.py): repeatable, and the import
sorts every kind of row it contains exactly as the generator says it should."""

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from fangyi.core.audit import Actor
from fangyi.ledger.models import LedgerEntry, VerificationTask
from fangyi.ledger.synthetic import HEADERS, sample_residents, write_push_list
from fangyi.ledger.testing import RECEIVED, import_file
from fangyi.testing import make_person


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path) -> Path:
    settings.UPLOAD_DIR = tmp_path / "uploads"
    return settings.UPLOAD_DIR


def write(path: Path, known=(), **options):
    return write_push_list(
        path,
        400,
        town_name="青山镇",
        village_names=("东村", "西村"),
        received=RECEIVED.date(),
        known_residents=known,
        bad_fraction=0.05,
        duplicate_fraction=0.1,
        known_fraction=0.2,
        **options,
    )


def test_the_same_seed_gives_the_same_list(tmp_path):
    first = write(tmp_path / "a.xlsx")
    second = write(tmp_path / "b.xlsx")
    other = write(tmp_path / "c.xlsx", seed=7)
    sheets = [
        CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python()
        for p in (first.path, second.path, other.path)
    ]
    assert sheets[0] == sheets[1] != sheets[2]
    assert sheets[0][0][0].startswith("新冠肺炎疫情防控大数据推送人员协查名单")
    assert tuple(sheets[0][1]) == HEADERS
    assert len(sheets[0]) == 402


def test_the_import_sorts_every_row_as_generated(town, village_a, village_b, carol, tmp_path):
    residents = [make_person(village_a if i % 2 else village_b, f"居民{i}") for i in range(120)]
    known = sample_residents(town.code, 100, seed=1)
    assert len(known) == 100
    assert {number for _n, number, _p in known} <= {p.id_number for p in residents}
    generated = write(tmp_path / "synthetic.xlsx", known=known)
    assert generated.bad and generated.duplicates and generated.known and generated.new

    push_list = import_file(Actor(user=carol), town, generated.path)

    assert push_list.header_row == 1  # one title row above the header
    assert push_list.rows == generated.rows == 400
    assert push_list.errors == generated.bad
    assert push_list.merged == generated.duplicates
    assert push_list.matched == generated.known
    assert push_list.imported == generated.new
    assert VerificationTask.objects.count() == generated.known + generated.new
    # Most addresses name 东村 or 西村; the rest are left to the town.
    places = LedgerEntry.objects.values_list("jurisdiction_id", flat=True)
    assert {p for p in places} == {town.code, village_a.code, village_b.code}
