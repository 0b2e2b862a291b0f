"""Forms of the ledger pages. Values are checked again by the services (one place for the rules);
views copy a service's per-field errors onto the form so nothing typed is lost."""

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import Jurisdiction, JurisdictionLevel
from fangyi.core.tabular import MB
from fangyi.core.xlsx import column_letter
from fangyi.ledger.columns import IDENTIFYING_KEYS, IMPORT_FIELDS, REQUIRED_KEYS
from fangyi.ledger.models import (
    Category,
    ImportMapping,
    LedgerEntry,
    PushListSource,
    RiskLevel,
    Status,
    Transport,
    VerificationResult,
)
from fangyi.ledger.selectors import UNASSIGNED, ledger_villages, responsible_cadres


def _choices(empty_label, choices) -> list:
    return [("", empty_label), *choices]


class EntryFilterForm(forms.Form):
    """The list's filters; `selectors.filter_entries` reads the same keys from the query string."""

    q = forms.CharField(
        label=_("search"), required=False, widget=forms.TextInput(attrs={"type": "search"})
    )
    village = forms.ChoiceField(label=_("village"), required=False)
    category = forms.ChoiceField(
        label=_("category"), required=False, choices=_choices(_("all categories"), Category.choices)
    )
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=_choices(_("all statuses"), Status.choices)
    )
    arrived_from = forms.DateField(
        label=_("arrived from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    arrived_to = forms.DateField(
        label=_("arrived to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.BooleanField(label=_("overdue only"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        villages = [(v.code, v.name) for v in ledger_villages(user)]
        extra = [(UNASSIGNED, _("unassigned (still on the town)"))] if _is_town(user) else []
        self.fields["village"].choices = _choices(_("all villages"), [*villages, *extra])
        self.fields["q"].widget.attrs.update(
            {
                "aria-label": _("Search the ledger"),
                "autocomplete": "off",
                "placeholder": _("Name, pinyin (wjs), phone tail or ID number"),
            }
        )

    def clean(self):
        data = super().clean()
        since, until = data.get("arrived_from"), data.get("arrived_to")
        if since and until and since > until:
            self.add_error("arrived_to", _("the end of the arrival window is before its start"))
        return data


def _is_town(user) -> bool:
    return bool(user.jurisdiction_id) and len(user.jurisdiction_id) <= 9


class UUIDListField(forms.Field):
    """The ticked rows of the list: a list of external ids."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[uuid.UUID]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        try:
            return [uuid.UUID(str(v)) for v in values]
        except ValueError:
            raise ValidationError(_("the selection is not valid; reload the page")) from None

    def validate(self, value) -> None:
        if not value:
            raise ValidationError(_("tick at least one entry first"))


class BulkForm(ServiceErrorsMixin, forms.Form):
    """Bulk actions on ticked entries: make a cadre responsible, or (towns) dispatch to a
    village. `action` says which button was pressed."""

    ASSIGN, DISPATCH = "assign", "dispatch"

    entry = UUIDListField()
    action = forms.ChoiceField(choices=[(ASSIGN, ASSIGN), (DISPATCH, DISPATCH)])
    cadre = forms.ModelChoiceField(
        label=_("responsible cadre"), queryset=None, required=False, empty_label=_("choose…")
    )
    village = forms.ModelChoiceField(
        label=_("village"), queryset=None, required=False, empty_label=_("choose…")
    )
    next = forms.CharField(required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = responsible_cadres(user)
        self.fields["cadre"].error_messages["invalid_choice"] = _(
            "that person does not work in your jurisdiction"
        )
        villages = ledger_villages(user).filter(level="village") if _is_town(user) else None
        self.fields["village"].queryset = (
            villages if villages is not None else ledger_villages(user).none()
        )
        self.fields["village"].error_messages["invalid_choice"] = _(
            "that village does not exist or is outside your jurisdiction"
        )
        self.can_dispatch = villages is not None

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.ASSIGN and not data.get("cadre"):
            self.add_error("cadre", _("choose the responsible cadre"))
        if action == self.DISPATCH:
            if not self.can_dispatch:
                self.add_error(None, _("only a town dispatches entries to villages"))
            elif not data.get("village"):
                self.add_error("village", _("choose the village"))
        return data


class EntryForm(ServiceErrorsMixin, forms.Form):
    """Create or edit an entry: the fields of services.ENTRY_FIELDS."""

    category = forms.ChoiceField(label=_("category"), choices=Category.choices)
    status = forms.ChoiceField(label=_("status"), choices=Status.choices, initial=Status.PENDING)
    source_area = forms.CharField(label=_("coming from"), max_length=100, required=False)
    risk_level = forms.ChoiceField(
        label=_("risk level of the source area"),
        required=False,
        choices=_choices("—", RiskLevel.choices),
    )
    arrival_date = forms.DateField(
        label=_("arrival date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    transport = forms.ChoiceField(
        label=_("transport"), required=False, choices=_choices("—", Transport.choices)
    )
    trip_number = forms.CharField(
        label=_("train / flight / plate number"), max_length=40, required=False
    )
    symptoms = forms.CharField(
        label=_("symptoms (fever, cough, diarrhoea…)"), max_length=200, required=False
    )
    local_address = forms.CharField(label=_("local address"), max_length=200, required=False)
    local_contact = forms.CharField(label=_("local contact"), max_length=50, required=False)
    local_contact_phone = forms.CharField(
        label=_("local contact's phone"), max_length=20, required=False
    )
    remove_local_contact_phone = forms.BooleanField(
        label=_("remove the local contact's phone"), required=False
    )
    responsible_cadre = forms.ModelChoiceField(
        label=_("responsible cadre"), queryset=None, required=False, empty_label="—"
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args, user, entry: LedgerEntry | None = None, **kwargs):
        if entry is not None:
            kwargs.setdefault("initial", _initial(entry))
        super().__init__(*args, **kwargs)
        cadres = responsible_cadres(user)
        if entry is not None and entry.responsible_cadre_id:
            # Keep a current cadre from above the user's jurisdiction choosable (not cleared).
            cadres = cadres | type(user).objects.filter(pk=entry.responsible_cadre_id)
        self.fields["responsible_cadre"].queryset = cadres
        self.fields["local_contact_phone"].widget.attrs["inputmode"] = "tel"
        if entry is not None and entry.local_contact_phone_cipher:
            self.fields["local_contact_phone"].help_text = _(
                "leave empty to keep the current value"
            )
        else:  # nothing stored to remove
            del self.fields["remove_local_contact_phone"]
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")

    def service_values(self, editing: bool) -> dict:
        values = dict(self.cleaned_data)
        if values.pop("remove_local_contact_phone", False):
            values["local_contact_phone"] = ""
        elif editing and not values.get("local_contact_phone"):
            values.pop("local_contact_phone", None)  # masked on screen: empty keeps it
        return values


def _initial(entry: LedgerEntry) -> dict:
    fields = [
        name
        for name in EntryForm.base_fields
        if name not in ("local_contact_phone", "remove_local_contact_phone")
    ]
    initial = {name: getattr(entry, name) for name in fields}
    initial["responsible_cadre"] = entry.responsible_cadre_id
    return initial


class VerifyForm(ServiceErrorsMixin, forms.Form):
    """The one-screen form a village cadre fills at the door."""

    result = forms.ChoiceField(
        label=_("verification result"),
        choices=VerificationResult.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("choose the verification result")},
    )
    status = forms.ChoiceField(
        label=_("status after the visit"),
        required=False,
        choices=_choices(_("choose…"), Status.choices),
    )
    symptoms = forms.CharField(
        label=_("symptoms (fever, cough, diarrhoea…)"), max_length=200, required=False
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, task, **kwargs):
        entry = task.entry
        kwargs.setdefault(
            "initial",
            {
                "result": task.result,
                "status": "" if entry.status == Status.PENDING else entry.status,
                "symptoms": entry.symptoms,
                "note": task.note,
            },
        )
        super().__init__(*args, **kwargs)
        for name in ("symptoms", "note"):
            self.fields[name].widget.attrs["autocomplete"] = "off"


# Push lists ---------------------------------------------------------------------------------


class PushListUploadForm(forms.Form):
    file = forms.FileField(
        label=_("file (.xlsx, .xls or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.xlsm,.csv"}),
    )
    name = forms.CharField(
        label=pgettext_lazy("list", "name"),
        max_length=100,
        required=False,
        help_text=_("leave empty to use the file name"),
    )
    source = forms.ChoiceField(label=_("pushed by"), choices=PushListSource.choices)
    category = forms.ChoiceField(label=_("people on the list are"), choices=Category.choices)
    received_at = forms.DateTimeField(
        label=_("received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    deadline_hours = forms.IntegerField(
        label=_("verify within (hours)"), min_value=1, max_value=24 * 30
    )
    town = forms.ModelChoiceField(label=_("town"), queryset=None, empty_label=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        towns = Jurisdiction.objects.visible_to(user).filter(level=JurisdictionLevel.TOWN)
        self.fields["town"].queryset = towns
        self.fields["town"].error_messages["invalid_choice"] = _(
            "that town does not exist or is outside your jurisdiction"
        )
        if user.jurisdiction_id and len(user.jurisdiction_id) >= 9:
            self.fields["town"].initial = user.jurisdiction_id[:9]
        self.fields["received_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["deadline_hours"].initial = settings.PUSH_LIST_DEADLINE_HOURS
        self.fields["source"].initial = PushListSource.COUNTY

    @cached_property
    def single_town(self) -> Jurisdiction | None:
        """The user's own town when it is the only choice (the page shows it as text)."""
        towns = list(self.fields["town"].queryset[:2])
        return towns[0] if len(towns) == 1 else None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:  # refused before it is copied anywhere
            raise ValidationError(
                _(
                    "the file is %(size)s MB, larger than the limit of %(limit)s MB: split it into smaller files"
                )
                % {"size": f"{upload.size / MB:.1f}", "limit": f"{limit / MB:g}"}
            )
        return upload


class MappingForm(forms.Form):
    """Which column of the file holds each field; one select per field."""

    saved = forms.ModelChoiceField(label=_("use a saved mapping"), queryset=None, required=False)
    save_as = forms.CharField(
        label=_("save this mapping as"),
        max_length=60,
        required=False,
        help_text=_("optional: a name to reuse it for the next list of this kind"),
    )

    def __init__(self, *args, header_cells: list[str], user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved"].queryset = ImportMapping.objects.visible_to(user).order_by("name")
        columns = [("", _("— not in the file —"))] + [
            (str(index), f"{column_letter(index)} · {header or _('(no header)')}")
            for index, header in enumerate(header_cells)
        ]
        needed = {key: _("required") for key in REQUIRED_KEYS} | {
            key: _("this or the other is required") for key in IDENTIFYING_KEYS
        }
        for field in IMPORT_FIELDS:
            self.fields[f"col_{field.key}"] = forms.ChoiceField(
                label=field.label,
                choices=columns,
                required=False,
                help_text=needed.get(field.key, ""),
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{field.key}"] for field in IMPORT_FIELDS]

    def mapping(self) -> dict[str, int]:
        return {
            field.key: int(self.cleaned_data[f"col_{field.key}"])
            for field in IMPORT_FIELDS
            if self.cleaned_data.get(f"col_{field.key}")
        }

    @staticmethod
    def initial_for(mapping: dict[str, int]) -> dict[str, str]:
        return {f"col_{key}": str(index) for key, index in mapping.items()}
