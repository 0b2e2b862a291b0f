"""`fangyi supplies-sweep` (low stock and near-expiry alerts) and `fangyi supplies-reconcile`
(the cache against the ledger; exit code 1 on a difference)."""

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from fangyi.core.models import Alert, AlertKind
from fangyi.supplies.models import StockLevel
from fangyi.supplies.testing import make_item, make_store, stock

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def world(town, village_a, other_town):
    w = {
        "warehouse": make_store(town),
        "east": make_store(village_a),
        "other": make_store(other_town),
        "masks": make_item("医用外科口罩", threshold=500),
    }
    stock(w["warehouse"], w["masks"], 2000)
    stock(w["east"], w["masks"], 100)  # under the threshold
    soon = timezone.localdate() + timedelta(days=10)
    stock(w["east"], w["masks"], 300, expires_on=soon, batch_number="SOON")
    stock(w["other"], w["masks"], 800)
    return w


def test_it_sweeps_low_stock_and_expiry_once(world):
    code, out, _err = run("supplies_sweep")
    assert code == 0
    kinds = sorted(Alert.objects.values_list("kind", flat=True))
    assert kinds == sorted([AlertKind.EXPIRING, AlertKind.LOW_STOCK])
    assert "2" in out
    # A second sweep raises nothing new while the alerts are open.
    assert run("supplies_sweep")[0] == 0
    assert Alert.objects.count() == 2


def test_it_refuses_a_zero_loop(world):
    with pytest.raises(CommandError):
        call_command("supplies_sweep", "--loop", "0", stdout=StringIO())


def test_it_finds_the_ledger_and_cache_agree(world):
    code, out, _err = run("supplies_reconcile")
    assert code == 0
    assert "3" in out  # three store and item figures checked
    code, out, _err = run("supplies_reconcile", "--json")
    assert code == 0
    assert json.loads(out) == {"checked": 3, "differences": [], "ok": True}


def test_it_reports_a_difference_and_exits_1(world):
    StockLevel.objects.filter(store=world["east"], batch__number="SOON").update(
        quantity=Decimal(290)
    )
    code, out, err = run("supplies_reconcile")
    assert code == 1
    assert world["east"].name in out and "390" in out and "400" in out and "-10" in out
    assert err
    code, out, _err = run("supplies_reconcile", "--json")
    body = json.loads(out)
    assert code == 1 and body["ok"] is False
    assert body["differences"] == [
        {
            "store": world["east"].pk,
            "store_name": world["east"].name,
            "jurisdiction": world["east"].jurisdiction_id,
            "item": world["masks"].pk,
            "item_name": "医用外科口罩",
            "unit": "只",
            "cached": "390",
            "ledger": "400",
            "difference": "-10",
        }
    ]


def test_it_reconciles_one_town(world):
    StockLevel.objects.filter(store=world["other"]).update(quantity=Decimal(1))
    assert run("supplies_reconcile", "--town", "999901100")[0] == 0
    code, out, _err = run("supplies_reconcile", "--town", "999901101", "--json")
    assert code == 1 and json.loads(out)["differences"][0]["store"] == world["other"].pk
    with pytest.raises(CommandError):
        call_command("supplies_reconcile", "--town", "999901199", stdout=StringIO())
