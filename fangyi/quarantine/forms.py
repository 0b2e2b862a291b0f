"""Forms of the quarantine pages. They parse what was typed; the rules (a temperature of 373,
a future slot, an unknown symptom, a second order for one person...) are the services', and
`ServiceErrorsMixin` puts the services' messages on the fields, so nothing typed is lost."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import DiseaseProfile, QuarantineKind, User
from fangyi.quarantine.models import (
    CheckMethod,
    NucleicAcidResult,
    ObservationSite,
    OrderReason,
    OrderStatus,
    Room,
)
from fangyi.quarantine.selectors import Candidate, door_methods, villages_for

AUTO = ""


class PassThroughMultipleChoiceField(forms.MultipleChoiceField):
    """Toggles offered from the profile, but any value is handed to the service, which names
    an unknown symptom with the list to choose from (one wording for every client)."""

    def valid_value(self, value) -> bool:
        return True


def symptom_choices() -> list[tuple[str, str]]:
    return [(s, s) for s in DiseaseProfile.current().symptoms]


class RecordCheckForm(ServiceErrorsMixin, forms.Form):
    """One check at the door or by phone. `client_id` is made when the form is drawn, so a
    second tap on "save" sends the same id and the service answers "duplicate"."""

    temperature = forms.CharField(
        label=_("temperature (°C)"),
        max_length=10,
        required=False,
        widget=forms.TextInput(
            attrs={
                "inputmode": "decimal",
                "autocomplete": "off",
                "enterkeyhint": "done",
                "class": "temp-input",
                "placeholder": "36.5",
            }
        ),
    )
    symptoms = PassThroughMultipleChoiceField(
        label=_("symptoms"), required=False, widget=forms.CheckboxSelectMultiple
    )
    method = forms.ChoiceField(
        label=_("how"), choices=door_methods, initial=CheckMethod.DOOR, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)
    client_id = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["symptoms"].choices = symptom_choices()
        if not self.is_bound:
            self.initial.setdefault("client_id", uuid.uuid4())


class ExplainCheckForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(label=_("why the check was not made"), max_length=200, required=False)


class TestForm(ServiceErrorsMixin, forms.Form):
    result = forms.ChoiceField(
        label=pgettext_lazy("test", "result"),
        choices=[
            (NucleicAcidResult.SAMPLED, NucleicAcidResult.SAMPLED.label),
            (NucleicAcidResult.NEGATIVE, NucleicAcidResult.NEGATIVE.label),
            (NucleicAcidResult.POSITIVE, NucleicAcidResult.POSITIVE.label),
        ],
    )
    sampled_at = forms.DateTimeField(
        label=_("sampled at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("empty: now (or when it was sampled)"),
    )
    lab = forms.CharField(label=_("laboratory"), max_length=100, required=False)


def _candidate_choices(candidates: list[Candidate], auto_label) -> list[tuple[str, str]]:
    return [(AUTO, auto_label), *((str(c.user.pk), str(c)) for c in candidates)]


class TeamFieldsMixin:
    """A select per team role of the profile, defaulting to the load rule."""

    def add_team_fields(self, roles: list[str], candidates: dict[str, list[Candidate]]) -> None:
        from fangyi.core.roles import Role

        self.team_roles = roles
        self.team_users = {str(c.user.pk): c.user for cs in candidates.values() for c in cs}
        for role in roles:
            self.fields[f"team_{role}"] = forms.ChoiceField(
                label=Role(role).label if role in Role.values else role,
                required=False,
                choices=_candidate_choices(
                    candidates.get(role, []), _("assign automatically (least load)")
                ),
            )

    def team_fields(self) -> list:
        return [self[f"team_{role}"] for role in self.team_roles]

    def chosen_team(self) -> dict[str, User]:
        team = {}
        for role in self.team_roles:
            value = self.cleaned_data.get(f"team_{role}")
            if value:
                team[role] = self.team_users[value]
        return team


class OrderForm(TeamFieldsMixin, ServiceErrorsMixin, forms.Form):
    """Put one person under a measure. The site's free rooms are offered (the site select
    reloads the room select by htmx); the team defaults to the load rule per role."""

    kind = forms.ChoiceField(label=_("measure"), choices=QuarantineKind.choices)
    start_date = forms.DateField(
        label=_("start date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("day 1; a contact's period may start on the day of the exposure"),
    )
    reason = forms.ChoiceField(label=pgettext_lazy("quarantine", "reason"), choices=())
    reason_note = forms.CharField(label=_("reason details"), max_length=300, required=False)
    address = forms.CharField(
        label=_("address"),
        max_length=200,
        required=False,
        help_text=_("for home quarantine or monitoring; empty: the person's address"),
    )
    site = forms.ModelChoiceField(
        label=_("observation site"),
        queryset=ObservationSite.objects.none(),
        required=False,
        empty_label=_("— (at home)"),
    )
    room = forms.ModelChoiceField(
        label=_("room"),
        queryset=Room.objects.none(),
        required=False,
        empty_label=_("later"),
    )
    door_sealed = forms.BooleanField(label=_("door seal / magnet applied"), required=False)

    def __init__(
        self,
        *args,
        user: User,
        from_ledger: bool,
        roles: list[str],
        candidates: dict[str, list[Candidate]],
        rooms,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = ObservationSite.objects.visible_to(user).order_by("name")
        self.fields["room"].queryset = rooms
        self.fields["room"].label_from_instance = lambda room: (
            _("%(number)s (%(free)s of %(capacity)s free)")
            % {
                "number": room.number,
                "free": room.capacity - room.occupants,
                "capacity": room.capacity,
            }
        )
        reasons = [
            (value, label)
            for value, label in OrderReason.choices
            if value != OrderReason.PREVIOUS and (from_ledger or value != OrderReason.LEDGER)
        ]
        self.fields["reason"].choices = reasons
        self.add_team_fields(roles, candidates)


class ReassignForm(ServiceErrorsMixin, forms.Form):
    role = forms.CharField(widget=forms.HiddenInput)
    member = forms.ChoiceField(label=_("member"))

    def __init__(self, *args, candidates: list[Candidate], **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {str(c.user.pk): c.user for c in candidates}
        self.fields["member"].choices = [(str(c.user.pk), str(c)) for c in candidates]

    def chosen_member(self) -> User:
        return self.users[self.cleaned_data["member"]]


class ExtendForm(ServiceErrorsMixin, forms.Form):
    days = forms.IntegerField(
        label=_("extend by (days)"), widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    reason = forms.CharField(label=_("why"), max_length=300, required=False)


class HospitalForm(ServiceErrorsMixin, forms.Form):
    hospital = forms.CharField(label=_("hospital"), max_length=100, required=False)
    note = forms.CharField(label=_("note"), max_length=300, required=False)


class MeasureForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("new measure"), choices=QuarantineKind.choices)
    site = forms.ModelChoiceField(
        label=_("observation site"),
        queryset=ObservationSite.objects.none(),
        required=False,
        empty_label=_("— (at home)"),
    )
    room = forms.ModelChoiceField(
        label=_("room"), queryset=Room.objects.none(), required=False, empty_label=_("later")
    )
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    note = forms.CharField(label=_("why"), max_length=300, required=False)

    def __init__(self, *args, user: User, rooms, exclude_kind: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in QuarantineKind.choices if c[0] != exclude_kind]
        self.fields["site"].queryset = ObservationSite.objects.visible_to(user).order_by("name")
        self.fields["room"].queryset = rooms
        self.fields["room"].label_from_instance = lambda room: f"{room.site.name} {room.number}"


class RoomForm(ServiceErrorsMixin, forms.Form):
    room = forms.ModelChoiceField(label=_("room"), queryset=Room.objects.none())

    def __init__(self, *args, rooms, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms
        self.fields["room"].label_from_instance = lambda room: f"{room.site.name} {room.number}"


class ReleaseForm(ServiceErrorsMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "I have checked the records: the period is over, every check is recorded or "
            "explained and the tests are negative. I sign this release off."
        ),
        error_messages={"required": _("tick the box to sign the release off")},
    )
    note = forms.CharField(label=_("note"), max_length=300, required=False)
    address = forms.CharField(
        label=_("address for what follows (when the rules chain home monitoring)"),
        max_length=200,
        required=False,
    )


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label=_("name, pinyin, phone or ID"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("name or pinyin")}),
    )
    status = forms.ChoiceField(
        label=pgettext_lazy("quarantine", "status"),
        required=False,
        choices=[
            ("running", _("under quarantine now")),
            *OrderStatus.choices,
            ("all", _("all")),
        ],
    )
    kind = forms.ChoiceField(
        label=_("measure"),
        required=False,
        choices=[("", _("all measures")), *QuarantineKind.choices],
    )
    village = forms.ChoiceField(label=_("village"), required=False)
    due = forms.BooleanField(label=_("due for release"), required=False)
    missed = forms.BooleanField(label=_("with missed checks"), required=False)

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [
            ("", _("all villages")),
            *((v.code, v.name) for v in villages_for(user)),
        ]

    def values(self) -> dict:
        """The filters to apply: the valid ones (a bad value is shown and ignored)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return {
            "status": data.get("status") or "running",
            "kind": data.get("kind") or "",
            "village": data.get("village") or "",
            "query": data.get("q") or "",
            "due": bool(data.get("due")),
            "missed": bool(data.get("missed")),
        }
