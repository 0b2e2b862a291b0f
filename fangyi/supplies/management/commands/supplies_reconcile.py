"""`fangyi supplies-reconcile [--town CODE] [--json]`: compare the cached stock on hand
(selectors.stock_on_hand) with the sums of the ledger's movements (selectors.stock_from_ledger)
for every store (of one town), print each difference, and exit 1 when there is any.

The cache is written in the same transaction as the movements, so a difference means someone
wrote the tables by hand or a bug: the ledger is the truth; the cache is what pages read."""

import json
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from fangyi.core.models import Jurisdiction
from fangyi.supplies import selectors
from fangyi.supplies.models import Item, Store
from fangyi.supplies.services import format_quantity


class Command(BaseCommand):
    help = (
        "Compare cached stock on hand with the stock ledger for every store (or one town's); "
        "print the differences; exit code 1 when there are any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--town", metavar="CODE", help="only the stores of this town")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, town: str | None, **options):
        with translation.override(settings.LANGUAGE_CODE):
            differences, checked = self._differences(town)
            if options["json"]:
                self._print_json(differences, checked)
            else:
                self._print(differences, checked)
        if differences:
            raise SystemExit(1)

    def _differences(self, town: str | None) -> tuple[list[dict], int]:
        stores = Store.objects.all()
        if town:
            if not Jurisdiction.objects.filter(code=town).exists():
                raise CommandError(_("no division with code %(code)s") % {"code": town})
            stores = stores.within(town)
        cached = selectors.stock_on_hand(stores)
        ledger = selectors.stock_from_ledger(stores)
        keys = sorted(set(cached) | set(ledger))
        wrong = [key for key in keys if cached.get(key, Decimal(0)) != ledger.get(key, Decimal(0))]
        names = {s.pk: s for s in Store.objects.filter(pk__in={k[0] for k in wrong})}
        items = {i.pk: i for i in Item.objects.filter(pk__in={k[1] for k in wrong})}
        differences = []
        for store_id, item_id in wrong:
            have, should = (
                cached.get((store_id, item_id), Decimal(0)),
                ledger.get((store_id, item_id), Decimal(0)),
            )
            differences.append(
                {
                    "store": store_id,
                    "store_name": names[store_id].name,
                    "jurisdiction": names[store_id].jurisdiction_id,
                    "item": item_id,
                    "item_name": str(items[item_id]),
                    "unit": items[item_id].unit,
                    "cached": format_quantity(have),
                    "ledger": format_quantity(should),
                    "difference": format_quantity(have - should),
                }
            )
        return differences, len(keys)

    def _print_json(self, differences: list[dict], checked: int) -> None:
        self.stdout.write(
            json.dumps(
                {"checked": checked, "differences": differences, "ok": not differences},
                ensure_ascii=False,
            )
        )

    def _print(self, differences: list[dict], checked: int) -> None:
        for row in differences:
            self.stdout.write(
                _(
                    "%(store)s (%(code)s): %(item)s cached %(cached)s %(unit)s, ledger "
                    "%(ledger)s %(unit)s (difference %(difference)s)"
                )
                % {
                    "store": row["store_name"],
                    "code": row["jurisdiction"],
                    "item": row["item_name"],
                    "cached": row["cached"],
                    "ledger": row["ledger"],
                    "unit": row["unit"],
                    "difference": row["difference"],
                }
            )
        if differences:
            self.stderr.write(
                _("%(n)d of %(checked)d store and item figures differ from the ledger")
                % {"n": len(differences), "checked": checked}
            )
        else:
            self.stdout.write(
                _("all %(checked)d store and item figures match the ledger") % {"checked": checked}
            )
