"""Forms of the stock and requisition pages. Quantities are taken as typed (text) and checked by
the services (services.parse_quantity: one place for the rules), so "1.5" of a countable item
comes back with the service's message and the typed value kept."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.checkpoints.models import Checkpoint
from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import Jurisdiction, JurisdictionLevel
from fangyi.supplies.models import Batch, Item, ItemCategory, Source, Store, StoreKind
from fangyi.supplies.services import format_quantity

# How many item lines a receipt, issue, transfer or requisition form offers.
LINES = 6


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LinesForm(ServiceErrorsMixin, forms.Form):
    """A form with LINES item lines: item_N and quantity_N (and, when `batch_fields`, the batch
    number, expiry and maker of a receipt). A line with neither item nor quantity is skipped."""

    batch_fields = False
    line_count = LINES

    def __init__(self, *args, items=None, item_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        items = items if items is not None else Item.objects.filter(active=True)
        for n in range(1, self.line_count + 1):
            item_field = forms.ModelChoiceField(
                label=_("item"), queryset=items, required=False, empty_label="—"
            )
            if item_labels:
                item_field.label_from_instance = lambda item: item_labels.get(item.pk, str(item))
            self.fields[f"item_{n}"] = item_field
            self.fields[f"quantity_{n}"] = forms.CharField(
                label=_("quantity"),
                required=False,
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
            if self.batch_fields:
                self.fields[f"batch_{n}"] = forms.CharField(
                    label=_("batch number"), required=False, max_length=40
                )
                self.fields[f"expires_{n}"] = forms.DateField(
                    label=_("expiry date"), required=False, widget=_date_input()
                )
                self.fields[f"maker_{n}"] = forms.CharField(
                    label=_("maker"), required=False, max_length=100
                )

    def head_fields(self) -> list:
        """The fields above the lines (recipient, source, store...)."""
        return [self[name] for name in self.fields if not name.rpartition("_")[2].isdigit()]

    def line_fields(self) -> list[list]:
        """The bound fields line by line, for the template."""
        names = ["item", "quantity"] + (["batch", "expires", "maker"] if self.batch_fields else [])
        return [
            [{"kind": name, "field": self[f"{name}_{n}"]} for name in names]
            for n in range(1, self.line_count + 1)
        ]

    def clean(self):
        data = super().clean()
        for n in range(1, self.line_count + 1):
            item, quantity = data.get(f"item_{n}"), (data.get(f"quantity_{n}") or "").strip()
            if item and not quantity:
                self.add_error(f"quantity_{n}", _("give the quantity"))
            elif quantity and not item and f"item_{n}" not in self.errors:
                self.add_error(f"item_{n}", _("choose the item"))
        return data

    def lines(self) -> list[dict]:
        """The filled lines: {item, quantity, batch, expires, maker}."""
        filled = []
        for n in range(1, self.line_count + 1):
            item = self.cleaned_data.get(f"item_{n}")
            if item is None:
                continue
            line = {"item": item, "quantity": self.cleaned_data[f"quantity_{n}"].strip()}
            if self.batch_fields:
                line["batch"] = self.cleaned_data.get(f"batch_{n}", "").strip()
                line["expires"] = self.cleaned_data.get(f"expires_{n}")
                line["maker"] = self.cleaned_data.get(f"maker_{n}", "").strip()
            filled.append(line)
        return filled


class ReceiveForm(LinesForm):
    batch_fields = True
    line_count = 4

    source = forms.ChoiceField(
        label=_("source"),
        choices=[(Source.ALLOCATED, Source.ALLOCATED.label), (Source.BOUGHT, Source.BOUGHT.label)],
        widget=forms.RadioSelect,
        initial=Source.ALLOCATED,
    )
    reason = forms.CharField(
        label=_("note"),
        required=False,
        max_length=200,
        help_text=_("e.g. the county's allocation notice or the invoice number"),
    )


class IssueForm(LinesForm):
    recipient = forms.CharField(
        label=_("issued to"), max_length=100, help_text=_("a team or a person")
    )
    reason = forms.CharField(label=pgettext_lazy("stock", "reason"), required=False, max_length=200)
    field_order = ["recipient", "reason"]


class TransferForm(LinesForm):
    to_store = forms.ModelChoiceField(label=_("to store"), queryset=Store.objects.none())
    reason = forms.CharField(label=pgettext_lazy("stock", "reason"), required=False, max_length=200)

    def __init__(self, *args, stores=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_store"].queryset = stores if stores is not None else Store.objects.none()
        self.fields["to_store"].error_messages["invalid_choice"] = _(
            "that store does not exist or is outside your jurisdiction"
        )


class StocktakeForm(ServiceErrorsMixin, forms.Form):
    batch = forms.ModelChoiceField(label=_("batch"), queryset=None, empty_label="—")
    counted = forms.CharField(
        label=_("counted quantity"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=pgettext_lazy("stock", "reason"),
        max_length=200,
        help_text=_("e.g. damaged by water, counting error"),
    )

    def __init__(self, *args, levels=None, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            level.batch_id: f"{level.item} · {level.batch.number or '—'} · "
            f"{level.batch.expires_on or ''} · {format_quantity(level.quantity)} {level.item.unit}"
            for level in levels or []
        }
        self.fields["batch"].queryset = Batch.objects.filter(pk__in=labels).select_related("item")
        self.fields["batch"].label_from_instance = lambda batch: labels.get(batch.pk, str(batch))


class ItemForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Item
        fields = ["name", "category", "specification", "unit", "warning_threshold", "active"]
        labels = {"category": pgettext_lazy("item", "category")}

    def _post_clean(self):
        # The service validates the whole item (unique name + specification, the unit rule):
        # only copy the values onto the instance here.
        opts = self._meta
        self.instance = forms.models.construct_instance(self, self.instance, opts.fields)


class StoreForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = Store
        fields = ["name", "kind", "jurisdiction", "checkpoint", "keeper", "active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        places = Jurisdiction.objects.filter(
            level__in=[JurisdictionLevel.TOWN, JurisdictionLevel.VILLAGE]
        ).order_by("code")
        self.fields["jurisdiction"].queryset = (
            places.within(user.jurisdiction_id) if user.jurisdiction_id else places
        )
        self.fields["checkpoint"].queryset = Checkpoint.objects.visible_to(user).order_by("name")
        self.fields["checkpoint"].required = False
        self.fields["jurisdiction"].required = False
        self.fields["jurisdiction"].help_text = _("for a checkpoint: the checkpoint's own place")

    def clean(self):
        data = super().clean()
        if data.get("kind") == StoreKind.CHECKPOINT and data.get("checkpoint"):
            data["jurisdiction"] = data["checkpoint"].jurisdiction
        elif not data.get("jurisdiction") and "jurisdiction" not in self.errors:
            self.add_error("jurisdiction", _("choose the town or village"))
        return data

    def _post_clean(self):
        self.instance = forms.models.construct_instance(self, self.instance, self._meta.fields)
        if self.cleaned_data.get("jurisdiction"):
            self.instance.jurisdiction = self.cleaned_data["jurisdiction"]


class StockFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=pgettext_lazy("store", "kind"),
        required=False,
        choices=[("", _("all stores")), *StoreKind.choices],
    )
    village = forms.ModelChoiceField(
        label=_("town / village"), required=False, queryset=None, empty_label=_("all")
    )
    category = forms.ChoiceField(
        label=pgettext_lazy("item", "category"),
        required=False,
        choices=[("", _("all categories")), *ItemCategory.choices],
    )
    problems = forms.BooleanField(label=_("only problems"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        places = Jurisdiction.objects.filter(
            level__in=[JurisdictionLevel.TOWN, JurisdictionLevel.VILLAGE]
        ).order_by("code")
        self.fields["village"].queryset = (
            places.within(user.jurisdiction_id) if user.jurisdiction_id else places
        )


class MovementFilterForm(forms.Form):
    item = forms.ModelChoiceField(
        label=_("item"), required=False, queryset=Item.objects.all(), empty_label=_("all items")
    )


class LedgerExportForm(forms.Form):
    since = forms.DateField(label=_("from"), required=False, widget=_date_input())
    until = forms.DateField(label=_("to"), required=False, widget=_date_input())
    store = forms.ModelChoiceField(
        label=_("store"), required=False, queryset=None, empty_label=_("all stores")
    )

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError(_("the first day is after the last day"))
        return data


class RequisitionForm(LinesForm):
    store = forms.ModelChoiceField(label=_("for store"), queryset=None, empty_label=None)
    purpose = forms.CharField(
        label=_("purpose"), max_length=200, help_text=_("e.g. checkpoint duty for two weeks")
    )
    needed_by = forms.DateField(label=_("needed by"), required=False, widget=_date_input())
    field_order = ["store", "purpose", "needed_by"]

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores
        self.fields["store"].error_messages["invalid_choice"] = _(
            "that store does not exist or is outside your jurisdiction"
        )


class DecisionForm(ServiceErrorsMixin, forms.Form):
    """The town's decision: an approved quantity per line (line_<id>), the warehouse to issue
    from, and a note (the reason, when rejecting)."""

    from_store = forms.ModelChoiceField(label=_("issue from"), queryset=None, empty_label=None)
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=200,
        help_text=_("required when rejecting: the reason"),
    )

    def __init__(self, *args, lines, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_store"].queryset = warehouses
        self.line_ids = [line.pk for line in lines]
        for line in lines:
            self.fields[f"line_{line.pk}"] = forms.CharField(
                label=str(line.item),
                required=False,
                max_length=20,
                initial=format_quantity(line.requested),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def approved(self) -> dict[int, str]:
        return {pk: (self.cleaned_data.get(f"line_{pk}") or "0").strip() for pk in self.line_ids}
