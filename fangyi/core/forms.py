from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core.models import AuditAction
from fangyi.core.selectors import residential_units


class ServiceErrorsMixin:
    """For forms whose values go to a service: put the service's ValidationError on the form,
    each message on its field (or on the form when the field is not one of its own)."""

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class PersonForm(ServiceErrorsMixin, forms.Form):
    """Register or edit a person. Values are checked by the service (one place for the rules);
    the view copies the service's per-field errors onto this form so nothing typed is lost."""

    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)
    id_number = forms.CharField(label=_("ID number"), max_length=30, required=False)
    phone = forms.CharField(label=_("mobile phone"), max_length=20, required=False)
    jurisdiction = forms.ModelChoiceField(label=_("village / group"), queryset=None)
    household_address = forms.CharField(
        label=_("household registration address"), max_length=200, required=False
    )
    current_address = forms.CharField(label=_("current address"), max_length=200, required=False)

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = residential_units(user)
        self.fields["jurisdiction"].error_messages["invalid_choice"] = _(
            "that village or group does not exist or is outside your jurisdiction"
        )
        if editing:
            for name in ("id_number", "phone"):
                self.fields[name].help_text = _("leave empty to keep the current value")
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")
        self.fields["id_number"].widget.attrs["inputmode"] = "text"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("username"), required=False)
    action = forms.ChoiceField(
        label=_("action"), required=False, choices=[("", _("all actions")), *AuditAction.choices]
    )
    record = forms.CharField(label=_("record id or name"), required=False)
    since = forms.DateField(
        label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
