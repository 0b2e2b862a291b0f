"""Forms of the checkpoint pages. The services check every value again (one place for the rules);
views copy a service's per-field errors onto the form so nothing typed is lost."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.checkpoints import selectors
from fangyi.checkpoints.models import (
    Checkpoint,
    CheckpointKind,
    CheckpointStatus,
    Direction,
    Result,
)
from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import DiseaseProfile, Jurisdiction, JurisdictionLevel, Person
from fangyi.ledger.models import Transport

# Checkpoint setup (checkpoint_views.py) -------------------------------------------------------

# "open" and "status" alone are the ledger's words (未核查, 人员状态): a checkpoint's need a context.
STATUS_LABELS = {
    CheckpointStatus.OPEN: pgettext_lazy("checkpoint status", "open"),
    CheckpointStatus.CLOSED: pgettext_lazy("checkpoint status", "closed"),
    CheckpointStatus.SEALED_EXIT: pgettext_lazy("checkpoint status", "sealed-village exit"),
}
# Sealed exits are made by a village lockdown (services.seal_village), never chosen by hand.
HAND_SET_STATUSES = [
    (s.value, STATUS_LABELS[s]) for s in (CheckpointStatus.OPEN, CheckpointStatus.CLOSED)
]


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Jurisdiction) -> str:
        if obj.level == JurisdictionLevel.TOWN:
            return _("%(town)s (the whole town)") % {"town": obj.name}
        return obj.name


def checkpoint_places(user):
    """Where the user may set up checkpoints: their town and its villages (or their village)."""
    return (
        Jurisdiction.objects.visible_to(user)
        .filter(level__in=[JurisdictionLevel.TOWN, JurisdictionLevel.VILLAGE])
        .order_by("code")
    )


class CheckpointFilterForm(forms.Form):
    village = forms.ChoiceField(label=_("village"), required=False)
    status = forms.ChoiceField(
        label=pgettext_lazy("checkpoint", "status"),
        required=False,
        choices=[("", _("all statuses")), *((s.value, STATUS_LABELS[s]) for s in CheckpointStatus)],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        places = [(j.code, j.name) for j in checkpoint_places(user)]
        self.fields["village"].choices = [("", _("all villages")), *places]


class CheckpointForm(ServiceErrorsMixin, forms.Form):
    """Set up or edit a checkpoint: the fields of services.CHECKPOINT_FIELDS."""

    name = forms.CharField(label=pgettext_lazy("checkpoint", "name"), max_length=60)
    kind = forms.ChoiceField(label=_("type"), choices=CheckpointKind.choices)
    jurisdiction = PlaceChoiceField(
        label=_("village / town"), queryset=Jurisdiction.objects.none(), empty_label=_("choose…")
    )
    location = forms.CharField(
        label=_("location"),
        max_length=200,
        required=False,
        help_text=_("e.g. the crossroads north of the village, by the bridge"),
    )
    status = forms.ChoiceField(
        label=pgettext_lazy("checkpoint", "status"),
        choices=HAND_SET_STATUSES,
        initial=CheckpointStatus.OPEN,
    )
    opens_at = forms.TimeField(
        label=_("opens at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("leave both hours empty for round the clock (24 h)"),
    )
    closes_at = forms.TimeField(
        label=_("closes at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    responsible_unit = forms.CharField(label=_("responsible unit"), max_length=100, required=False)
    responsible_person = forms.CharField(
        label=_("responsible person"), max_length=50, required=False
    )
    responsible_phone = forms.CharField(
        label=_("responsible person's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    latitude = forms.DecimalField(
        label=_("latitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    longitude = forms.DecimalField(
        label=_("longitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def __init__(self, *args, user, checkpoint: Checkpoint | None = None, **kwargs):
        if checkpoint is not None:
            initial = {name: getattr(checkpoint, name) for name in self.base_fields}
            initial["jurisdiction"] = checkpoint.jurisdiction_id
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        places = self.fields["jurisdiction"]
        places.queryset = checkpoint_places(user)
        places.error_messages["invalid_choice"] = _(
            "choose your town or one of its villages: that place is not one"
        )
        if user.jurisdiction_id and len(user.jurisdiction_id) == 12 and checkpoint is None:
            places.initial = user.jurisdiction_id
        if checkpoint is not None and checkpoint.status == CheckpointStatus.SEALED_EXIT:
            # Set and cleared by the village lockdown only.
            del self.fields["status"]
        for name in ("name", "location", "responsible_unit", "responsible_person"):
            self.fields[name].widget.attrs["autocomplete"] = "off"


# Travellers' self-registration (public_views.py) -----------------------------------------------

IS_LOCAL_CHOICES = [("yes", _("yes, I live here")), ("no", _("no, I am visiting"))]


class SelfRegistrationForm(ServiceErrorsMixin, forms.Form):
    """The public form behind a checkpoint's QR code, filled in on the traveller's own phone.
    Only the shapes are checked here; services.submit_self_registration checks every value and
    names every problem at once."""

    name = forms.CharField(label=pgettext_lazy("person", "name"), required=False)
    id_number = forms.CharField(
        label=_("ID card number"),
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters"}),
    )
    phone = forms.CharField(
        label=_("mobile phone"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "type": "tel"}),
    )
    is_local = forms.ChoiceField(
        label=_("do you live here?"),
        choices=IS_LOCAL_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("say whether you live here")},
    )
    from_place = forms.CharField(
        label=_("coming from"),
        required=False,
        help_text=_("city and district, e.g. Hefei, Shushan District"),
    )
    to_place = forms.CharField(label=_("going to"), required=False)
    # A plain text field shown as radio buttons: the service names an unknown value itself.
    transport = forms.CharField(
        label=_("how did you travel?"),
        required=False,
        widget=forms.RadioSelect(choices=Transport.choices),
    )
    trip_number = forms.CharField(
        label=_("plate / train / flight number"),
        required=False,
        widget=forms.TextInput(attrs={"autocapitalize": "characters"}),
    )
    return_date = forms.DateField(
        label=_("return date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("enter a date")},
    )
    local_contact = forms.CharField(label=_("local contact"), required=False)
    local_contact_phone = forms.CharField(
        label=_("local contact's phone"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "type": "tel"}),
    )
    reason = forms.CharField(label=_("reason for the trip"), required=False)

    REQUIRED = ("name", "id_number", "phone", "is_local", "from_place", "transport")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("autocomplete", "off")
            field.is_required_here = name in self.REQUIRED

    def service_values(self) -> dict:
        values = dict(self.cleaned_data)
        values["is_local"] = values.get("is_local") == "yes"
        return values


# Registrations, statistics, lockdowns and passes (registration_views.py, lockdown_views.py) ---

_LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def _moment_field(label, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_MINUTE),
        **kwargs,
    )


def _day_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs
    )


def _with_empty(label, choices) -> list:
    return [("", label), *choices]


class RegistrationFilterForm(forms.Form):
    """The registration list's filters; `selectors.filter_registrations` reads the same keys."""

    plate = forms.CharField(
        label=_("plate number"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    checkpoint = forms.ChoiceField(label=_("checkpoint"), required=False)
    day = _day_field(_("date"), required=False)
    direction = forms.ChoiceField(
        label=_("direction"),
        required=False,
        choices=_with_empty(_("in and out"), Direction.choices),
    )
    result = forms.ChoiceField(
        label=_("result"), required=False, choices=_with_empty(_("all results"), Result.choices)
    )
    fever = forms.BooleanField(label=_("fever only"), required=False)
    conflict = forms.BooleanField(label=_("conflicts only"), required=False)

    def __init__(self, *args, checkpoints, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checkpoint"].choices = _with_empty(
            _("all checkpoints"), [(c.code, c.name) for c in checkpoints]
        )
        self.fields["plate"].widget.attrs.update(
            {"placeholder": _("e.g. 皖R12345 or 12345"), "aria-label": _("Search by plate")}
        )


class StatisticsForm(forms.Form):
    """A date range (at most MAX_DAYS) and optionally one checkpoint."""

    MAX_DAYS = 92

    start = _day_field(_("from"), required=False)
    end = _day_field(_("to"), required=False)
    checkpoint = forms.ChoiceField(label=_("checkpoint"), required=False)

    def __init__(self, *args, checkpoints, **kwargs):
        super().__init__(*args, **kwargs)
        self.checkpoints = {c.code: c for c in checkpoints}
        self.fields["checkpoint"].choices = _with_empty(
            _("all checkpoints"), [(c.code, c.name) for c in checkpoints]
        )

    def clean(self):
        data = super().clean()
        default_start, default_end = selectors.default_range()
        start = data.get("start") or default_start
        end = data.get("end") or default_end
        if data.get("start") and not data.get("end"):
            end = max(start, min(start + timedelta(days=7), default_end))
        if end < start:
            self.add_error("end", _("the end of the range is before its start"))
        elif (end - start).days >= self.MAX_DAYS:
            self.add_error(
                "end", _("choose at most %(days)d days at a time") % {"days": self.MAX_DAYS}
            )
        data["start"], data["end"] = start, end
        data["checkpoint_object"] = self.checkpoints.get(data.get("checkpoint") or "")
        return data


class SealVillageForm(ServiceErrorsMixin, forms.Form):
    """Seal a village: the form only reads the values; `services.seal_village` checks them
    (every problem at once: no exits, exits of another village, end before start...)."""

    village = forms.ModelChoiceField(
        label=_("village"), queryset=None, empty_label=_("choose the village…")
    )
    reason = forms.CharField(
        label=_("reason for sealing"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    starts_at = _moment_field(_("starts at"), required=False)
    planned_end_at = _moment_field(_("planned end"), required=False)
    exits = forms.ModelMultipleChoiceField(
        label=_("exits kept manned"), queryset=None, required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = selectors.sealable_villages(user)
        self.fields["village"].error_messages["invalid_choice"] = _(
            "that village does not exist or is outside your jurisdiction"
        )
        # Any checkpoint the user may see is accepted here; the service refuses another
        # village's with its name. The page lists only the chosen village's.
        self.fields["exits"].queryset = selectors.visible_checkpoints(user)
        self.fields["exits"].error_messages["invalid_choice"] = _(
            "that checkpoint does not exist or is outside your jurisdiction"
        )
        days = DiseaseProfile.current().lockdown_days
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["starts_at"].initial = now
        self.fields["planned_end_at"].initial = now + timedelta(days=days)
        self.fields["planned_end_at"].help_text = _(
            "empty: %(days)d days after the start (the disease profile's lockdown length)"
        ) % {"days": days}

    @property
    def chosen_village(self):
        """The village whose exits the page lists (from the submitted or requested value)."""
        code = self["village"].value()
        if not code:
            return None
        return self.fields["village"].queryset.filter(pk=code).first()


class LiftLockdownForm(forms.Form):
    note = forms.CharField(
        label=_("note on lifting"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 14 days without a new case")}),
    )


class IssuePassForm(ServiceErrorsMixin, forms.Form):
    """A pass for a named person of the sealed village; `q` searches them."""

    q = forms.CharField(
        label=_("find the person"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    person = forms.ModelChoiceField(
        label=_("person"),
        queryset=None,
        to_field_name="external_id",
        widget=forms.RadioSelect,
        error_messages={"required": _("choose the person the pass is for")},
    )
    reason = forms.CharField(
        label=_("purpose of the pass"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 就医 / 采购生活物资 / 保供上班")}),
    )
    valid_from = _moment_field(_("valid from"))
    valid_until = _moment_field(_("valid until"))

    def __init__(self, *args, user, lockdown, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.visible_to(user).within(lockdown.village_id)
        self.fields["person"].error_messages["invalid_choice"] = _(
            "choose a person of %(village)s"
        ) % {"village": lockdown.village.name}
        self.fields["q"].widget.attrs.update(
            {"placeholder": _("Name, pinyin (wjs), phone tail or ID number")}
        )
        now = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["valid_from"].initial = now
        self.fields["valid_until"].initial = min(
            now + timedelta(days=1), timezone.localtime(lockdown.planned_end_at)
        )
