"""Forms of the volunteers pages. The services check the rules; forms only shape the input."""

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import Jurisdiction, JurisdictionLevel, User
from fangyi.quarantine.models import QuarantineOrder
from fangyi.volunteers.models import (
    Availability,
    RequesterKind,
    ServiceKind,
    Skill,
    Volunteer,
    VolunteerTeam,
)


def villages_of(user):
    qs = Jurisdiction.objects.filter(level=JurisdictionLevel.VILLAGE).order_by("code")
    if user.jurisdiction_id:
        return qs.within(user.jurisdiction_id)
    return qs if user.is_superuser else qs.none()


class NeededByField(forms.SplitDateTimeField):
    """A day and a time (local): phones show their own date and time pickers."""

    widget = forms.SplitDateTimeWidget(
        date_attrs={"type": "date"},
        time_attrs={"type": "time"},
        date_format="%Y-%m-%d",
        time_format="%H:%M",
    )

    def compress(self, data_list):
        value = super().compress(data_list)
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


def default_needed_by() -> datetime:
    """Three hours from now, on the hour."""
    local = timezone.localtime() + timedelta(hours=3)
    return local.replace(minute=0, second=0, microsecond=0)


class VolunteerForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)
    phone = forms.CharField(
        label=_("mobile phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    jurisdiction = forms.ModelChoiceField(label=_("village"), queryset=None)
    skills = forms.MultipleChoiceField(
        label=_("skills"),
        choices=Skill.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    availability = forms.ChoiceField(label=_("availability"), choices=Availability.choices)
    party_member = forms.BooleanField(label=_("party member"), required=False)
    team = forms.ModelChoiceField(
        label=pgettext_lazy("volunteers", "team"), queryset=None, required=False
    )
    user = forms.ModelChoiceField(
        label=_("account (to see their tasks on a phone)"), queryset=None, required=False
    )

    def __init__(self, *args, actor_user: User, editing: Volunteer | None = None, **kwargs):
        """`editing`: the volunteer being changed (their own account stays on offer)."""
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = villages_of(actor_user)
        self.fields["team"].queryset = VolunteerTeam.objects.visible_to(actor_user).select_related(
            "jurisdiction"
        )
        accounts = User.objects.filter(is_active=True).order_by("username")
        if actor_user.jurisdiction_id:
            accounts = accounts.filter(jurisdiction__code__startswith=actor_user.jurisdiction_id)
        linked = Volunteer.objects.filter(user__isnull=False)
        if editing is not None:
            linked = linked.exclude(pk=editing.pk)
        self.fields["user"].queryset = accounts.exclude(pk__in=linked.values("user_id"))
        self.fields["user"].label_from_instance = lambda u: f"{u.username} {u.full_name}"
        self.fields["team"].label_from_instance = lambda t: f"{t.jurisdiction.name} · {t.name}"
        if editing is not None:
            self.fields["phone"].help_text = _("leave empty to keep the current value")
        else:
            self.fields["phone"].required = True


class TeamForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("team name"), max_length=60)
    jurisdiction = forms.ModelChoiceField(label=_("village"), queryset=None)

    def __init__(self, *args, actor_user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = villages_of(actor_user)


class LeaderForm(forms.Form):
    leader = forms.ModelChoiceField(label=_("leader"), queryset=None, required=False)

    def __init__(self, *args, team: VolunteerTeam, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = Volunteer.objects.filter(
            jurisdiction_id=team.jurisdiction_id, active=True
        )


class RequestForm(ServiceErrorsMixin, forms.Form):
    requester_kind = forms.ChoiceField(
        label=_("for"),
        choices=RequesterKind.choices,
        widget=forms.RadioSelect,
        initial=RequesterKind.QUARANTINE,
    )
    order = forms.ModelChoiceField(
        label=_("household in quarantine"),
        queryset=None,
        required=False,
        empty_label=_("(choose a person under quarantine)"),
    )
    jurisdiction = forms.ModelChoiceField(label=_("village"), queryset=None)
    household_name = forms.CharField(
        label=_("household"),
        max_length=50,
        required=False,
        help_text=_("for a quarantined household: the person's name unless you change it"),
    )
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    phone = forms.CharField(
        label=_("phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("service"), choices=ServiceKind.choices)
    details = forms.CharField(
        label=_("details"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    needed_by = NeededByField(label=_("needed by"))
    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, actor_user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = villages_of(actor_user)
        self.fields["order"].queryset = (
            QuarantineOrder.objects.visible_to(actor_user)
            .running()
            .select_related("person", "jurisdiction")
            .order_by("jurisdiction_id", "person__name")
        )
        self.fields["order"].label_from_instance = lambda o: (
            f"{o.jurisdiction.name} · {o.person.name} · {o.address}"
        )


class DispatchForm(ServiceErrorsMixin, forms.Form):
    volunteer = forms.ModelChoiceField(
        label=_("volunteer"), queryset=None, required=False, empty_label=_("(no one by name)")
    )
    team = forms.ModelChoiceField(
        label=pgettext_lazy("volunteers", "team"),
        queryset=None,
        required=False,
        empty_label=_("(the volunteer's team)"),
    )

    def __init__(self, *args, village_id: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = Volunteer.objects.filter(
            jurisdiction_id=village_id, active=True
        )
        self.fields["team"].queryset = VolunteerTeam.objects.filter(jurisdiction_id=village_id)


class DoneForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("note"),
        max_length=300,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("e.g. left at the door, paid 86 yuan")}
        ),
    )
    photo = forms.FileField(
        label=_("photo"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png", "capture": "environment"}
        ),
    )
    hours = forms.CharField(
        label=_("hours served"),
        max_length=5,
        required=False,
        initial="1",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class CancelForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(label=pgettext_lazy("cancel", "reason"), max_length=300)


class HouseholdRequestForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you need?"), choices=ServiceKind.choices, widget=forms.RadioSelect
    )
    details = forms.CharField(
        label=_("Details (what, how much)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("e.g. 2 kg rice, a bag of apples, milk")}
        ),
    )
    needed_day = forms.ChoiceField(
        label=_("Needed by"),
        choices=[("today", _("today")), ("tomorrow", _("tomorrow"))],
        widget=forms.RadioSelect,
        initial="today",
    )
    needed_time = forms.TimeField(
        label=_("time"),
        initial=time(18, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        message = _("this form is out of date: reload the page and send it again")
        self.fields["client_id"].error_messages.update(invalid=message, required=message)
        self.fields["kind"].error_messages["required"] = _("choose what you need")

    def needed_by(self) -> datetime:
        day = timezone.localdate()
        if self.cleaned_data["needed_day"] == "tomorrow":
            day += timedelta(days=1)
        return timezone.make_aware(datetime.combine(day, self.cleaned_data["needed_time"]))
