"""Forms of the enterprise pages. Values go to the services (enterprises/services.py), which hold
the rules; these forms check the shape of what was typed, the size and kind of uploads, and
carry the services' per-field errors back onto the page (ServiceErrorsMixin)."""

from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import Jurisdiction, JurisdictionLevel, User
from fangyi.core.roles import Role
from fangyi.enterprises.credit_code import validate_credit_code
from fangyi.enterprises.models import EnterpriseSize, Industry
from fangyi.enterprises.services import PLAN_MAX_BYTES, PLAN_SUFFIXES

MB = 1024 * 1024
ROSTER_SUFFIXES = (".xlsx",)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _count_input() -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "numeric", "min": "0"})


def check_upload(upload, suffixes: tuple[str, ...], limit: int) -> None:
    """Refuse an upload of the wrong kind or over `limit` bytes, before it is stored anywhere."""
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in suffixes:
        raise ValidationError(
            _("use a %(kinds)s file, not “%(suffix)s”")
            % {"kinds": " / ".join(suffixes), "suffix": suffix or upload.name}
        )
    if upload.size > limit:
        raise ValidationError(
            _(
                "the file is %(size)s MB, larger than the limit of %(limit)s MB: split it into smaller files"
            )
            % {"size": f"{upload.size / MB:.1f}", "limit": f"{limit / MB:g}"}
        )


class EnterpriseForm(ServiceErrorsMixin, forms.Form):
    """Register or edit an enterprise (the town). The credit code's check character is checked
    by the service (credit_code.validate_credit_code); its message lands on the field."""

    name = forms.CharField(label=pgettext_lazy("enterprise", "name"), max_length=100)
    credit_code = forms.CharField(
        label=_("unified social credit code"),
        max_length=30,
        help_text=_("18 characters, printed on the business licence"),
    )
    address = forms.CharField(label=_("address"), max_length=200)
    jurisdiction = forms.ModelChoiceField(label=_("town / village"), queryset=None)
    industry = forms.ChoiceField(label=_("industry"), choices=Industry.choices)
    size = forms.ChoiceField(label=_("size"), choices=EnterpriseSize.choices)
    staff_count = forms.IntegerField(
        label=_("number of staff"), min_value=0, max_value=1_000_000, widget=_count_input()
    )
    contact_name = forms.CharField(label=_("contact person"), max_length=50)
    contact_phone = forms.CharField(
        label=_("contact phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("accounts speaking for it"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("enterprise contact accounts that may fill in its filings"),
    )

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        places = Jurisdiction.objects.filter(
            level__in=[JurisdictionLevel.TOWN, JurisdictionLevel.VILLAGE]
        ).order_by("code")
        contacts = User.objects.filter(role=Role.ENTERPRISE_CONTACT, is_active=True)
        if user.jurisdiction_id:
            places = places.within(user.jurisdiction_id)
            town = user.jurisdiction_id[:9]
            contacts = contacts.filter(jurisdiction__code__startswith=town)
        elif not user.is_superuser:
            places, contacts = places.none(), contacts.none()
        self.fields["jurisdiction"].queryset = places
        self.fields["jurisdiction"].error_messages["invalid_choice"] = _(
            "that town or village does not exist or is outside your jurisdiction"
        )
        self.fields["contacts"].queryset = contacts.order_by("username")
        if editing:
            self.fields["contact_phone"].help_text = _("leave empty to keep the current value")
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")
        self.fields["credit_code"].widget.attrs.update(
            {"autocapitalize": "characters", "spellcheck": "false", "class": "mono"}
        )

    def clean_credit_code(self) -> str:
        return validate_credit_code(self.cleaned_data["credit_code"])


class FilingForm(ServiceErrorsMixin, forms.Form):
    """The commitment and the supplies reserve of a filing."""

    planned_reopening = forms.DateField(
        label=_("planned reopening"), required=False, widget=_date_input()
    )
    commitment_signed_by = forms.CharField(
        label=_("commitment signed by"),
        max_length=50,
        help_text=_("the legal representative or the person responsible"),
    )
    commitment = forms.BooleanField(
        label=_(
            "We commit to the prevention rules: daily temperature checks, masks, disinfection, "
            "an isolation room, and reporting any fever at once."
        ),
        error_messages={"required": _("tick the commitment to go on")},
    )
    mask_days = forms.IntegerField(
        label=_("masks (days of cover)"), min_value=0, max_value=365, widget=_count_input()
    )
    thermometer_days = forms.IntegerField(
        label=_("thermometers (days of cover)"), min_value=0, max_value=365, widget=_count_input()
    )
    disinfectant_days = forms.IntegerField(
        label=_("disinfectant (days of cover)"), min_value=0, max_value=365, widget=_count_input()
    )
    isolation_rooms = forms.IntegerField(
        label=_("isolation rooms"), min_value=0, max_value=1000, widget=_count_input()
    )

    SERVICE_FIELDS = (
        "planned_reopening",
        "commitment_signed_by",
        "mask_days",
        "thermometer_days",
        "disinfectant_days",
        "isolation_rooms",
    )

    def service_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.SERVICE_FIELDS}


class PlanUploadForm(forms.Form):
    plan = forms.FileField(
        label=_("prevention and emergency plan"),
        help_text=_("PDF, Word or a photo of the signed plan"),
    )

    def clean_plan(self):
        upload = self.cleaned_data["plan"]
        check_upload(upload, PLAN_SUFFIXES, PLAN_MAX_BYTES)
        return upload


class RosterUploadForm(forms.Form):
    roster = forms.FileField(label=_("employee roster (.xlsx)"))

    def clean_roster(self):
        upload = self.cleaned_data["roster"]
        check_upload(upload, ROSTER_SUFFIXES, settings.IMPORT_MAX_BYTES)
        return upload


class InspectionForm(ServiceErrorsMixin, forms.Form):
    inspected_on = forms.DateField(label=_("inspected on"), widget=_date_input())
    inspectors = forms.CharField(label=_("inspectors"), max_length=100)
    findings = forms.CharField(
        label=_("findings"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    passed = forms.TypedChoiceField(
        label=pgettext_lazy("inspection", "result"),
        choices=[
            ("yes", pgettext_lazy("inspection", "passed")),
            ("no", pgettext_lazy("inspection", "not passed")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspected_on"].initial = timezone.localdate()


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    FORWARD = "forward"


class DecisionForm(ServiceErrorsMixin, forms.Form):
    """Approve, reject (with reasons) or forward to the county."""

    decision = forms.ChoiceField(
        choices=[
            (Decision.APPROVE, _("approve")),
            (Decision.REJECT, _("reject")),
            (Decision.FORWARD, _("forward to the county")),
        ]
    )
    reasons = forms.CharField(
        label=_("reasons / note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("required when rejecting: say what to fix"),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == Decision.REJECT and not cleaned.get("reasons", "").strip():
            self.add_error(
                "reasons", _("say why the filing is rejected, so the company can fix it")
            )
        return cleaned


class TemperatureForm(ServiceErrorsMixin, forms.Form):
    day = forms.DateField(label=pgettext_lazy("report", "day"), widget=_date_input())
    checked = forms.IntegerField(
        label=_("staff checked"), min_value=0, max_value=1_000_000, widget=_count_input()
    )
    fever = forms.IntegerField(
        label=_("with fever"), min_value=0, max_value=1_000_000, widget=_count_input()
    )
    absent = forms.IntegerField(
        label=_("absent"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        required=False,
        widget=_count_input(),
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        checked, fever = cleaned.get("checked"), cleaned.get("fever")
        if checked is not None and fever is not None and fever > checked:
            self.add_error("fever", _("more people with fever than people checked"))
        if cleaned.get("absent") is None:
            cleaned["absent"] = 0
        return cleaned
