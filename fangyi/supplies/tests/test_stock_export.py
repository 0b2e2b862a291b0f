"""The stock ledger download: an .xlsx of the movements the user may see, by date range and
store, written to the audit log."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangyi.core.models import AuditAction, AuditEntry
from fangyi.supplies import services
from fangyi.supplies.testing import SYSTEM, make_item, make_store, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(town, village_a, village_b, other_town):
    mask = make_item("医用外科口罩")
    warehouse = make_store(town)
    east, west = make_store(village_a), make_store(village_b)
    stock(warehouse, mask, 1000, batch_number="W-1")
    services.transfer_stock(SYSTEM, warehouse, east, [services.WantedLine(mask, 300)])
    services.issue_stock(SYSTEM, east, [services.WantedLine(mask, 40)], recipient="=HYPERLINK()")
    stock(west, mask, 50, batch_number="X-1")
    elsewhere = make_store(other_town)
    stock(elsewhere, mask, 70, batch_number="FAR")
    return {"mask": mask, "warehouse": warehouse, "east": east, "west": west}


def _rows(response) -> list[list]:
    content = b"".join(response.streaming_content)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    return sheet.to_python()


def test_it_exports_the_towns_ledger_and_audits_it(client_for, carol, world):
    response = client_for(carol).get("/supplies/ledger.xlsx?download=1")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    rows = _rows(response)
    assert rows[1][0] == "time" and rows[1][7] == "quantity"
    data = rows[2:]
    assert len(data) == 5  # receipt, transfer out and in, issue, west's receipt
    quantities = sorted(row[7] for row in data)
    assert quantities == [-300, -40, 50, 300, 1000]
    transfer_out = next(row for row in data if row[7] == -300)
    assert transfer_out[11] == "to 东村物资点" and transfer_out[9] == "transfer"
    issue = next(row for row in data if row[7] == -40)
    assert issue[11] == "'=HYPERLINK()"  # neutralised, never a formula
    assert all(row[5] != "FAR" for row in data)
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == carol and entry.changes["rows"] == 5
    assert entry.object_type == "supplies.movement"


def test_it_filters_by_store_and_dates(client_for, carol, world):
    client = client_for(carol)
    response = client.get(f"/supplies/ledger.xlsx?download=1&store={world['east'].pk}")
    assert sorted(row[7] for row in _rows(response)[2:]) == [-40, 300]
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.get(f"/supplies/ledger.xlsx?download=1&since={tomorrow}")
    assert _rows(response)[2:] == []
    today = timezone.localdate().isoformat()
    response = client.get(f"/supplies/ledger.xlsx?download=1&since={today}&until={today}")
    assert len(_rows(response)[2:]) == 5


def test_it_refuses_a_reversed_range_and_keeps_it(client_for, carol, world):
    response = client_for(carol).get(
        "/supplies/ledger.xlsx?download=1&since=2026-12-05&until=2026-12-01"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "the first day is after the last day" in page and 'value="2026-12-05"' in page
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_it_refuses_another_villages_store(client_for, carol, frank, world):
    response = client_for(frank).get(f"/supplies/ledger.xlsx?download=1&store={world['east'].pk}")
    assert response.status_code == 400
    response = client_for(frank).get("/supplies/ledger.xlsx?download=1")
    assert [row[5] for row in _rows(response)[2:]] == ["FAR"]


def test_it_needs_the_export_permission(client_for, alice, dave, world):
    assert client_for(alice).get("/supplies/ledger.xlsx?download=1").status_code == 403
    assert client_for(dave).get("/supplies/ledger.xlsx").status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_it_shows_the_form_without_parameters(client_for, carol, world):
    response = client_for(carol).get("/supplies/ledger.xlsx")
    assert response.status_code == 200
    assert 'id="export-form"' in response.content.decode()
