"""Forms of the roster pages. The rules (days 1–28, rest 0–24 h, who may take a shift) are the
services'; these forms only read the values, and ServiceErrorsMixin shows the services' errors."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fangyi.core.forms import ServiceErrorsMixin
from fangyi.roster.models import MAX_ROSTER_DAYS


class RosterForm(ServiceErrorsMixin, forms.Form):
    starts_on = forms.DateField(
        label=_("first day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    days = forms.IntegerField(
        label=_("days"),
        initial=7,
        help_text=_("1 to 28 days"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": MAX_ROSTER_DAYS}),
    )
    min_rest_hours = forms.IntegerField(
        label=_("rest between shifts (hours)"),
        initial=8,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    keep_groups_together = forms.BooleanField(label=_("groups work together"), required=False)


class SolveForm(forms.Form):
    time_limit = forms.IntegerField(
        label=_("time limit (seconds)"),
        initial=10,
        min_value=1,
        max_value=600,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class AssignForm(ServiceErrorsMixin, forms.Form):
    """Whom to put on a shift: one of the town's active staff the user may read."""

    staff = forms.ModelChoiceField(label=_("add someone"), queryset=None, empty_label="—")

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff
        self.fields["staff"].error_messages["invalid_choice"] = _(
            "that person is not on this town's duty list"
        )
