"""Forms of the tracing pages. The services check every value again (one place for the rules);
views copy a service's per-field errors onto the form so nothing typed is lost."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import Person
from fangyi.quarantine.models import ObservationSite
from fangyi.tracing.models import (
    Case,
    Classification,
    Contact,
    Degree,
    PlaceKind,
    Relation,
)

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


def _search_field() -> forms.CharField:
    return forms.CharField(
        label=_("find the person"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Name, pinyin (wjs), phone tail or ID number"),
            }
        ),
    )


def _person_field(user, required_message) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        label=_("person"),
        queryset=Person.objects.visible_to(user),
        to_field_name="external_id",
        widget=forms.RadioSelect,
        error_messages={"required": required_message},
    )
    field.error_messages["invalid_choice"] = _(
        "that person does not exist or is outside your jurisdiction"
    )
    return field


class ReportCaseForm(ServiceErrorsMixin, forms.Form):
    """Report a case: find the person (the people search), then the classification and dates."""

    q = _search_field()
    classification = forms.ChoiceField(
        label=_("classification"), choices=Classification.choices, widget=forms.RadioSelect
    )
    report_date = _day_field(_("report date"), required=False)
    onset_date = _day_field(_("onset date"), required=False)
    hospital = forms.CharField(label=_("hospital"), max_length=100, required=False)
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"] = _person_field(user, _("choose the person who is a case"))
        self.order_fields(["q", "person"])
        self.fields["report_date"].initial = timezone.localdate()


class ReclassifyForm(ServiceErrorsMixin, forms.Form):
    classification = forms.ChoiceField(label=_("classification"), choices=Classification.choices)


class TrajectoryForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind of place"), choices=PlaceKind.choices)
    place = forms.CharField(
        label=_("place"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. 青山农贸市场 / 县人民医院发热门诊")}),
    )
    starts_at = _moment_field(_("arrived at"))
    ends_at = _moment_field(_("left at"))
    notes = forms.CharField(label=_("notes"), max_length=300, required=False)


class ContactForm(ServiceErrorsMixin, forms.Form):
    """A contact found by the tracers (not suggested): the person, how and where they met."""

    q = _search_field()
    degree = forms.ChoiceField(
        label=_("degree"), choices=Degree.choices, widget=forms.RadioSelect, initial=Degree.CLOSE
    )
    relation = forms.ChoiceField(label=_("relation"), choices=Relation.choices)
    source = forms.ModelChoiceField(
        label=_("in contact with (for a secondary contact)"),
        queryset=None,
        to_field_name="external_id",
        required=False,
        empty_label=_("— the case —"),
    )
    trajectory_entry = forms.ModelChoiceField(
        label=_("where and when"),
        queryset=None,
        required=False,
        empty_label=_("— not on the trajectory —"),
    )
    last_exposure_date = _day_field(_("last exposure"), required=False)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, user, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"] = _person_field(user, _("choose the person who was in contact"))
        self.order_fields(["q", "person"])
        close = Contact.objects.filter(case=case, degree=Degree.CLOSE).values("person_id")
        self.fields["source"].queryset = Person.objects.filter(pk__in=close).order_by("name")
        self.fields["trajectory_entry"].queryset = case.trajectory.order_by("starts_at")
        self.fields["trajectory_entry"].label_from_instance = lambda entry: (
            f"{timezone.localtime(entry.starts_at):%m-%d %H:%M} {entry.place}"
        )


class CandidateForm(forms.Form):
    """One tap on a suggestion: its key, as a close contact unless told otherwise."""

    key = forms.CharField(max_length=80)
    degree = forms.ChoiceField(choices=Degree.choices, required=False)


class QuarantineContactsForm(ServiceErrorsMixin, forms.Form):
    contacts = forms.ModelMultipleChoiceField(
        label=_("contacts"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("choose the contacts to put under quarantine")},
    )
    site = forms.ModelChoiceField(
        label=_("observation site for centralized observation"),
        queryset=None,
        required=False,
        empty_label=_("— the first with free rooms —"),
    )

    def __init__(self, *args, user, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = case.contacts.all()
        self.fields["site"].queryset = ObservationSite.objects.visible_to(user).order_by("name")
