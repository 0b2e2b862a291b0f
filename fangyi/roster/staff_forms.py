"""Forms of the staff-pool, demand and duty pages. Values are checked by the services (one
place for the rules); the views copy a service's errors onto these forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.checkpoints.models import Checkpoint
from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import Jurisdiction, JurisdictionLevel, User
from fangyi.roster.models import SHIFT_HOURS, Assignment, DutyRole, StaffGroup, StaffMember


def _places(user) -> QuerySet:
    """The towns and villages a user's staff may belong to."""
    places = Jurisdiction.objects.filter(
        level__in=[JurisdictionLevel.TOWN, JurisdictionLevel.VILLAGE]
    ).order_by("code")
    if user.jurisdiction_id:
        return places.within(user.jurisdiction_id)
    return places if user.is_superuser else places.none()


def _scope_code(user) -> str | None:
    """The jurisdiction code a user's choices are limited to (None: everywhere)."""
    if user.jurisdiction_id:
        return user.jurisdiction_id
    return None if user.is_superuser else "-"


def _within(queryset, code: str | None):
    return queryset if code is None else queryset.within(code)


class StaffFilterForm(forms.Form):
    role = forms.ChoiceField(
        label=_("duty role"), required=False, choices=[("", _("all roles")), *DutyRole.choices]
    )
    place = forms.ModelChoiceField(
        label=_("home village / town"),
        required=False,
        queryset=Jurisdiction.objects.none(),
        empty_label=_("everywhere"),
    )
    removed = forms.BooleanField(label=_("only those off the duty list"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = _places(user)


class StaffForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)
    role = forms.ChoiceField(label=_("duty role"), choices=DutyRole.choices)
    jurisdiction = forms.ModelChoiceField(
        label=_("home village / town"), queryset=Jurisdiction.objects.none()
    )
    phone = forms.CharField(label=_("mobile phone"), max_length=20, required=False)
    user = forms.ModelChoiceField(
        label=_("account"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("no account"),
    )
    group = forms.ModelChoiceField(
        label=_("group"),
        required=False,
        queryset=StaffGroup.objects.none(),
        empty_label=_("no group"),
    )
    post = forms.ModelChoiceField(
        label=_("usual checkpoint"),
        required=False,
        queryset=Checkpoint.objects.none(),
        empty_label=_("any (the solver posts them)"),
    )
    # No bounds here: the service says what the range is, in one place.
    max_hours_per_week = forms.IntegerField(label=_("maximum hours per week"), initial=42)
    max_shifts_per_day = forms.IntegerField(label=_("maximum shifts per day"), initial=2)

    def __init__(self, *args, user, staff: StaffMember | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        code = _scope_code(user)
        self.fields["jurisdiction"].queryset = _places(user)
        accounts = User.objects.filter(is_active=True, staff_member__isnull=True)
        if staff is not None and staff.user_id:
            # Accounts not on the duty list yet, or this staff member's own.
            accounts = User.objects.filter(is_active=True).filter(
                Q(staff_member__isnull=True) | Q(pk=staff.user_id)
            )
        if code is not None:
            accounts = accounts.filter(jurisdiction__code__startswith=code)
        self.fields["user"].queryset = accounts.order_by("username")
        town_code = code[:9] if code else None
        self.fields["group"].queryset = _within(StaffGroup.objects.all(), town_code).order_by(
            "town_id", "name"
        )
        self.fields["post"].queryset = _within(Checkpoint.objects.all(), town_code).order_by(
            "jurisdiction_id", "name"
        )
        if staff is not None:
            self.fields["phone"].help_text = _("leave empty to keep the current number")
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")
        for name in ("max_hours_per_week", "max_shifts_per_day"):
            self.fields[name].widget.attrs["inputmode"] = "numeric"


class RemoveStaffForm(forms.Form):
    reason = forms.CharField(
        label=pgettext_lazy("leaving duty", "reason"), max_length=100, required=False
    )


class UnavailabilityForm(ServiceErrorsMixin, forms.Form):
    starts_at = forms.DateTimeField(
        label=pgettext_lazy("time off", "from"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ends_at = forms.DateTimeField(
        label=pgettext_lazy("time off", "until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(
        label=pgettext_lazy("time off", "reason"), max_length=100, required=False
    )


class GroupForm(ServiceErrorsMixin, forms.Form):
    town = forms.ModelChoiceField(label=_("town"), queryset=Jurisdiction.objects.none())
    name = forms.CharField(label=pgettext_lazy("group", "name"), max_length=40)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        towns = _places(user).filter(level=JurisdictionLevel.TOWN)
        self.fields["town"].queryset = towns
        if len(towns) == 1:
            self.fields["town"].initial = towns[0].pk


class DemandForm(ServiceErrorsMixin, forms.Form):
    """One checkpoint's demand; a number field per duty role for each set of minimums."""

    shift_hours = forms.TypedChoiceField(
        label=_("hours per shift"),
        coerce=int,
        choices=[(h, str(h)) for h in SHIFT_HOURS],
        initial=3,
    )
    first_shift_hour = forms.IntegerField(label=_("first shift starts at (hour)"), initial=0)
    people_per_shift = forms.IntegerField(label=_("people per shift"), initial=2)
    active = forms.BooleanField(label=_("staffed"), required=False, initial=True)

    GROUPS = ("role_minimums", "night_role_minimums")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_errors: dict[str, list[str]] = {name: [] for name in self.GROUPS}
        for role, label in DutyRole.choices:
            for prefix in ("min", "night"):
                self.fields[f"{prefix}_{role}"] = forms.IntegerField(
                    label=label, required=False, initial=0
                )
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField):
                field.widget.attrs["inputmode"] = "numeric"

    @classmethod
    def initial_for(cls, demand) -> dict:
        if demand is None:
            return {}
        initial = {
            "shift_hours": demand.shift_hours,
            "first_shift_hour": demand.first_shift_hour,
            "people_per_shift": demand.people_per_shift,
            "active": demand.active,
        }
        for role in DutyRole.values:
            initial[f"min_{role}"] = demand.role_minimums.get(role, 0)
            initial[f"night_{role}"] = demand.night_role_minimums.get(role, 0)
        return initial

    def every_shift_fields(self):
        return [self[f"min_{role}"] for role in DutyRole.values]

    def night_fields(self):
        return [self[f"night_{role}"] for role in DutyRole.values]

    def minimums(self, prefix: str) -> dict[str, int]:
        return {role: self.cleaned_data.get(f"{prefix}_{role}") or 0 for role in DutyRole.values}

    def add_service_errors(self, error: ValidationError) -> None:
        """Role-minimum errors belong to their group of fields, the rest to their field."""
        if hasattr(error, "error_dict"):
            for name in self.GROUPS:
                if name in error.error_dict:
                    self.group_errors[name] = error.message_dict[name]
            rest = {k: v for k, v in error.error_dict.items() if k not in self.GROUPS}
            if not rest:
                return
            error = ValidationError(rest)
        super().add_service_errors(error)


class SwapForm(ServiceErrorsMixin, forms.Form):
    with_staff = forms.ModelChoiceField(
        label=_("swap with"), queryset=StaffMember.objects.none(), empty_label=_("choose")
    )
    their_assignment = forms.ModelChoiceField(
        label=_("their shift you take in exchange"),
        required=False,
        queryset=Assignment.objects.none(),
        empty_label=_("none: they just take mine"),
    )
    reason = forms.CharField(label=pgettext_lazy("swap", "reason"), max_length=200, required=False)

    def __init__(self, *args, colleagues, their_shifts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["with_staff"].queryset = colleagues
        self.fields["their_assignment"].queryset = their_shifts
        self.fields["their_assignment"].label_from_instance = _shift_choice_label

    @property
    def chosen_colleague_id(self) -> str:
        value = self["with_staff"].value()
        return str(value) if value else ""


def _shift_choice_label(assignment: Assignment) -> str:
    from fangyi.roster.services import shift_label

    return shift_label(assignment.shift)


class SwapDecisionForm(forms.Form):
    note = forms.CharField(label=pgettext_lazy("swap", "note"), max_length=200, required=False)
