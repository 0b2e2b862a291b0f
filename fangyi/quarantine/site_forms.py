"""Forms of the observation-site pages and of the disease profile page. The services check
every value again (one place for the rules); the views copy a service's per-field errors onto
these forms so nothing typed is lost."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core.forms import ServiceErrorsMixin
from fangyi.core.models import DiseaseProfile, Jurisdiction, JurisdictionLevel, QuarantineKind, User
from fangyi.core.roles import ROLE_PERMISSIONS, Role
from fangyi.core.scoping import code_upper_bound
from fangyi.quarantine.models import ObservationSite

# Sites and rooms (site_views.py) -------------------------------------------------------------

ROOMS_HELP = _("room numbers and ranges, e.g. 101-120, 201, 203")


def site_towns(user: User):
    """The towns a user may set up sites in: their town, or the towns of their county."""
    return (
        Jurisdiction.objects.visible_to(user).filter(level=JurisdictionLevel.TOWN).order_by("code")
    )


class SiteForm(ServiceErrorsMixin, forms.Form):
    """Set up a site (services.create_site). The town is chosen only by a user above a town."""

    town = forms.ModelChoiceField(
        label=_("town"), queryset=Jurisdiction.objects.none(), empty_label=_("choose…")
    )
    name = forms.CharField(label=pgettext_lazy("site", "name"), max_length=100)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    person_in_charge = forms.CharField(label=_("person in charge"), max_length=50, required=False)
    phone = forms.CharField(
        label=pgettext_lazy("site", "phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    rooms = forms.CharField(label=_("rooms"), max_length=500, help_text=ROOMS_HELP)
    capacity = forms.IntegerField(
        label=_("people per room"),
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        towns = site_towns(user)
        self.fields["town"].queryset = towns
        self.fields["town"].error_messages["invalid_choice"] = _(
            "that town does not exist or is outside your jurisdiction"
        )
        only = list(towns[:2])
        if len(only) == 1:  # a town's own staff: no choice to make
            self.fields["town"].initial = only[0].pk
            self.fields["town"].widget = forms.HiddenInput()
        for field in self.fields.values():
            field.widget.attrs.setdefault("autocomplete", "off")


class AddRoomsForm(ServiceErrorsMixin, forms.Form):
    """More rooms for a site (services.add_rooms)."""

    rooms = forms.CharField(label=_("rooms"), max_length=500, help_text=ROOMS_HELP)
    capacity = forms.IntegerField(
        label=_("people per room"),
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "add")
        super().__init__(*args, **kwargs)
        self.fields["rooms"].widget.attrs["autocomplete"] = "off"


SITE_STAFF_ROLES = [
    Role.DOCTOR,
    Role.POLICE,
    Role.TOWN_CADRE,
    Role.TOWN_COMMANDER,
    Role.VOLUNTEER,
]


class StaffChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name or obj.username} · {obj.get_role_display() or '—'}"


class SiteStaffForm(ServiceErrorsMixin, forms.Form):
    """Who works at a site: active accounts of the site's town."""

    staff = StaffChoiceField(
        label=_("staff on site"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, site: ObservationSite, **kwargs):
        kwargs.setdefault("prefix", "staff")
        super().__init__(*args, **kwargs)
        # The town and everything below it: a range on the code (see core.scoping).
        upper = code_upper_bound(site.town_id)
        in_town = Q(jurisdiction__gte=site.town_id) & (Q(jurisdiction__lt=upper) if upper else Q())
        # Who works at a site: the town's doctors, police, cadres and volunteers (not its
        # 1,000 checkpoint staff), and whoever is on the site's staff already.
        eligible = in_town & Q(is_active=True, role__in=SITE_STAFF_ROLES)
        self.fields["staff"].queryset = (
            User.objects.filter(eligible | Q(observation_sites=site))
            .distinct()
            .order_by("role", "full_name", "pk")
        )
        self.fields["staff"].initial = [u.pk for u in site.staff.all()]


# The disease profile (profile_views.py) ------------------------------------------------------

# A risk level as typed: the stored word, its name in the page's language, or 高 / 中.
LEVEL_WORDS = {
    "high": pgettext_lazy("risk level", "high"),
    "medium": pgettext_lazy("risk level", "medium"),
}
LEVEL_SPELLINGS = {"高": "high", "中": "medium", "高风险": "high", "中风险": "medium"}


def level_of(word: str) -> str:
    word = word.strip().lower()
    if word in LEVEL_WORDS:
        return word
    for level, name in LEVEL_WORDS.items():
        if word == str(name).lower():
            return level
    return LEVEL_SPELLINGS.get(word, "")


SEPARATORS = str.maketrans({"，": ",", "、": ",", ";": ",", "；": ",", "\n": ","})


def split_list(text: str) -> list[str]:
    """ "发热，干咳、乏力" → ["发热", "干咳", "乏力"] (commas of either width, 、 or new lines)."""
    return [part.strip() for part in (text or "").translate(SEPARATORS).split(",") if part.strip()]


def parse_risk_areas(text: str) -> list[dict]:
    """One place a line, its level after a space: "湖北省 high" (or 高 / 中); no level: high."""
    areas, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        words = line.replace("\u3000", " ").split()
        if not words:
            continue
        level = "high"
        if len(words) > 1:
            level = level_of(words[-1])
            if not level:
                problems.append(
                    _("line %(line)s: “%(level)s” is not a level (high or medium)")
                    % {"line": number, "level": words[-1]}
                )
                continue
            words = words[:-1]
        areas.append({"name": " ".join(words), "level": level})
    if problems:
        raise ValidationError(problems)
    return areas


def risk_areas_text(areas: list[dict]) -> str:
    """The lines parse_risk_areas reads, the level in the page's language ("湖北省 高")."""
    return "\n".join(
        f"{a.get('name', '')} {LEVEL_WORDS.get(a.get('level', 'high'), a.get('level'))}"
        for a in areas or []
    )


class CommaListField(forms.CharField):
    """A list typed as comma-separated text; `item` turns one part into its value."""

    def __init__(self, *args, item=str, item_error="", **kwargs):
        self.item, self.item_error = item, item_error
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        parts = split_list(super().to_python(value))
        values, bad = [], []
        for part in parts:
            try:
                values.append(self.item(part))
            except ValueError:
                bad.append(part)
        if bad:
            raise ValidationError(self.item_error % {"parts": "、".join(bad)})
        return values


class RiskAreasField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 5})

    def prepare_value(self, value):
        if isinstance(value, list):
            return risk_areas_text(value)
        return value

    def to_python(self, value):
        return parse_risk_areas(super().to_python(value))


def _day_number(text: str) -> int:
    return int(text.removeprefix("第").removesuffix("天"))


def _clock(text: str) -> str:
    """ "8:00" → "08:00"; "8点" and "８:００" too (full-width digits)."""
    text = text.translate(str.maketrans("０１２３４５６７８９：", "0123456789:")).replace(
        "点", ":00"
    )
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit():
        raise ValueError(text)
    return f"{int(hours):02d}:{int(minutes):02d}"


def _number(label, *, low: int, high: int, help_text="") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


KIND_CHOICES = QuarantineKind.choices
TEAM_ROLES = [r for r in Role.values if "quarantine.add_followup" in ROLE_PERMISSIONS.get(r, ())]
FIELD = DiseaseProfile._meta.get_field


class DiseaseProfileForm(ServiceErrorsMixin, forms.Form):
    """Every field of the disease profile, in inputs a commander can fill on a phone. The
    profile's own clean() (through profile_services.update_disease_profile) has the last word."""

    name = forms.CharField(label=FIELD("name").verbose_name, max_length=100)
    fever_threshold = forms.DecimalField(
        label=FIELD("fever_threshold").verbose_name,
        max_digits=3,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    symptoms = CommaListField(
        label=FIELD("symptoms").verbose_name,
        help_text=_("separated by commas, e.g. 发热，干咳，乏力"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    home_quarantine_days = _number(FIELD("home_quarantine_days").verbose_name, low=1, high=60)
    centralized_days = _number(FIELD("centralized_days").verbose_name, low=1, high=60)
    home_monitoring_days = _number(FIELD("home_monitoring_days").verbose_name, low=1, high=60)
    after_centralized_kind = forms.ChoiceField(
        label=FIELD("after_centralized_kind").verbose_name,
        choices=[("", _("nothing: released at the end")), *KIND_CHOICES],
        required=False,
    )
    after_centralized_days = _number(
        FIELD("after_centralized_days").verbose_name,
        low=0,
        high=60,
        help_text=_("e.g. 7 days centralized, then 3 days of home health monitoring; 0 for none"),
    )
    test_days = CommaListField(
        label=FIELD("test_days").verbose_name,
        item=_day_number,
        item_error=_("not a day number: %(parts)s (write e.g. 1, 4, 7, 14)"),
        help_text=_("the days of the period with a nucleic-acid test, e.g. 1, 4, 7, 14"),
        required=False,
    )
    checks_per_day = _number(FIELD("checks_per_day").verbose_name, low=1, high=6)
    check_times = CommaListField(
        label=FIELD("check_times").verbose_name,
        item=_clock,
        item_error=_("not a time of day: %(parts)s (write e.g. 08:00, 16:00)"),
        help_text=_("one time for each check of the day, e.g. 08:00, 16:00"),
    )
    missed_check_grace_minutes = _number(
        FIELD("missed_check_grace_minutes").verbose_name, low=10, high=720
    )
    team_roles = forms.MultipleChoiceField(
        label=FIELD("team_roles").verbose_name,
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("四对一: one member of each checked role looks after each person"),
    )
    close_contact_kind = forms.ChoiceField(
        label=FIELD("close_contact_kind").verbose_name, choices=KIND_CHOICES
    )
    secondary_contact_kind = forms.ChoiceField(
        label=FIELD("secondary_contact_kind").verbose_name, choices=KIND_CHOICES
    )
    infectious_days_before_onset = _number(
        FIELD("infectious_days_before_onset").verbose_name, low=0, high=30
    )
    lockdown_days = _number(FIELD("lockdown_days").verbose_name, low=1, high=90)
    risk_areas = RiskAreasField(
        label=FIELD("risk_areas").verbose_name,
        required=False,
        help_text=_("one place a line, then its level: 湖北省 high, 温州市 medium"),
    )

    def __init__(self, *args, profile: DiseaseProfile, **kwargs):
        kwargs.setdefault("initial", {name: getattr(profile, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)
        # Team members record checks: only roles that may are offered (and any already chosen).
        offered = set(TEAM_ROLES) | set(profile.team_roles or [])
        self.fields["team_roles"].choices = [
            (v, label) for v, label in Role.choices if v in offered
        ]

    def clean_team_roles(self) -> list[str]:
        chosen = set(self.cleaned_data["team_roles"])
        return [role for role in Role.values if role in chosen]  # the order of Role
