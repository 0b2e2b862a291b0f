"""The form for receiving a donation: the donor, the money, and item lines (a formset).

The rules live in services.receive_donation (a donor name is required, the phone is checked,
quantities are whole for countable items...); the form only parses, so that every problem comes
back at once from one place and nothing typed is lost.
"""

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from fangyi.core.forms import ServiceErrorsMixin
from fangyi.supplies.models import DonorKind, Item, Store
from fangyi.supplies.services import ReceivedLine

# Empty item lines the form starts with (a button adds more; see static/supplies/donations.js).
EMPTY_LINES = 3
MAX_LINES = 30


class DonationForm(ServiceErrorsMixin, forms.Form):
    # Not required here: the service says what is missing, in one place and all at once.
    donor_name = forms.CharField(label=gettext_lazy("Donor"), max_length=100, required=False)
    donor_kind = forms.ChoiceField(
        label=gettext_lazy("Donor is a"),
        choices=DonorKind.choices,
        initial=DonorKind.COMPANY,
        widget=forms.RadioSelect,
    )
    anonymous = forms.BooleanField(
        label=gettext_lazy("Not named in public (shown as 爱心人士)"), required=False
    )
    contact_name = forms.CharField(label=gettext_lazy("Contact"), max_length=50, required=False)
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact phone"), max_length=20, required=False
    )
    money = forms.CharField(label=gettext_lazy("Money (yuan)"), max_length=16, required=False)
    store = forms.ModelChoiceField(
        label=gettext_lazy("Received into"), queryset=Store.objects.none()
    )
    received_on = forms.DateField(
        label=gettext_lazy("Received on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("empty: today"),
    )
    note = forms.CharField(label=pgettext_lazy("donation", "Note"), max_length=200, required=False)

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores
        self.fields["store"].error_messages["invalid_choice"] = _(
            "that store does not exist or is outside your jurisdiction"
        )
        self.fields["store"].error_messages["required"] = _("choose the store receiving the items")
        self.fields["donor_kind"].error_messages["required"] = _(
            "say whether the donor is a person or a company"
        )
        for name in ("donor_name", "contact_name", "contact_phone", "money", "note"):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        self.fields["contact_phone"].widget.attrs["inputmode"] = "tel"
        self.fields["money"].widget.attrs["inputmode"] = "decimal"

    def clean_received_on(self):
        day = self.cleaned_data.get("received_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("the day received is in the future"))
        return day

    def received_at(self) -> datetime | None:
        """None (now) for today; noon of an earlier day otherwise."""
        day = self.cleaned_data.get("received_on")
        if not day or day == timezone.localdate():
            return None
        return timezone.make_aware(datetime.combine(day, time(12)))

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "donor_name": data["donor_name"],
            "donor_kind": data["donor_kind"],
            "anonymous": data["anonymous"],
            "contact_name": data["contact_name"],
            "contact_phone": data["contact_phone"],
            "money": data["money"].strip() or None,
            "note": data["note"],
            "received_at": self.received_at(),
        }


class DonatedLineForm(forms.Form):
    item = forms.ModelChoiceField(
        label=gettext_lazy("Item"), queryset=Item.objects.none(), required=False
    )
    quantity = forms.CharField(label=gettext_lazy("Quantity"), max_length=16, required=False)
    batch_number = forms.CharField(
        label=gettext_lazy("Batch number"), max_length=40, required=False
    )
    expires_on = forms.DateField(
        label=gettext_lazy("Expiry date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    maker = forms.CharField(label=gettext_lazy("Maker"), max_length=100, required=False)

    def __init__(self, *args, items=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items if items is not None else Item.objects.none()
        self.fields["item"].error_messages["invalid_choice"] = _("choose an item of the list")
        self.fields["quantity"].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        for name in ("batch_number", "maker"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def is_blank(self) -> bool:
        data = self.cleaned_data
        values = ("item", "quantity", "batch_number", "expires_on", "maker")
        return not any(str(data.get(name) or "").strip() for name in values)

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if not data.get("item") and "item" not in self.errors:
            self.add_error("item", _("choose the item of this line"))
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[ReceivedLine]:
        """The filled-in lines (blank ones skipped), for the service to check."""
        return [
            ReceivedLine(
                item=form.cleaned_data["item"],
                quantity=(form.cleaned_data["quantity"] or "").strip(),
                batch_number=(form.cleaned_data["batch_number"] or "").strip(),
                expires_on=form.cleaned_data["expires_on"],
                maker=(form.cleaned_data["maker"] or "").strip(),
            )
            for form in self.forms
            if form.cleaned_data and not form.is_blank()
        ]


DonatedLineFormSet = forms.formset_factory(
    DonatedLineForm,
    formset=BaseLineFormSet,
    extra=EMPTY_LINES,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,
    validate_max=True,
)
