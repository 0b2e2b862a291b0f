"""Core data: jurisdictions, users and roles, people, the audit log, API tokens."""

import time
import uuid
from datetime import date
from datetime import time as dt_time
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core import crypto
from fangyi.core.identity import mask_id_number, mask_phone, normalize_phone, parse_id_number
from fangyi.core.names import pinyin_keys
from fangyi.core.roles import Role
from fangyi.core.scoping import ScopedQuerySet


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class JurisdictionLevel(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    TOWN = "town", _("town")
    VILLAGE = "village", _("village")
    GROUP = "group", _("group / grid")


# Code length → level: national division codes, plus 3 digits for groups/grids below villages.
LEVEL_BY_CODE_LENGTH = {
    2: JurisdictionLevel.PROVINCE,
    4: JurisdictionLevel.CITY,
    6: JurisdictionLevel.COUNTY,
    9: JurisdictionLevel.TOWN,
    12: JurisdictionLevel.VILLAGE,
    15: JurisdictionLevel.GROUP,
}
PARENT_CODE_LENGTH = {4: 2, 6: 4, 9: 6, 12: 9, 15: 12}


class JurisdictionQuerySet(ScopedQuerySet):
    jurisdiction_field = "code"

    def children_of(self, code: str) -> "JurisdictionQuerySet":
        return self.filter(parent_id=code)


class Jurisdiction(models.Model):
    """A node of the administrative tree, keyed by its division code (the code is the path)."""

    code = models.CharField(_("division code"), max_length=15, primary_key=True)
    name = models.CharField(pgettext_lazy("division", "name"), max_length=60)
    level = models.CharField(_("level"), max_length=10, choices=JurisdictionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    objects = JurisdictionQuerySet.as_manager()

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def village_code(self) -> str | None:
        return self.code[:12] if len(self.code) >= 12 else None


class User(AbstractUser):
    """A staff account: one jurisdiction, one role. The role's group grants its permissions."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    role = models.CharField(_("role"), max_length=30, choices=Role.choices, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class PersonQuerySet(ScopedQuerySet):
    scope_permission = "core.view_person"


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Person(TimeStampedModel):
    """A resident or visitor. ID number and phone are encrypted; look them up by blind index.

    Read the clear values as `person.id_number` / `person.phone`; assign them the same way
    (assignment validates, fills birth date and sex, and updates the index).
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    name_pinyin = models.CharField(
        _("name in pinyin"), max_length=200, db_index=True, editable=False
    )
    name_initials = models.CharField(
        _("pinyin initials"), max_length=50, db_index=True, editable=False
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number_cipher = models.BinaryField(null=True, editable=False)
    # NULL, not "", for "no ID": many people may lack one, and the unique index must allow that.
    id_number_index = models.CharField(max_length=32, null=True, unique=True, editable=False)  # noqa: DJ001
    phone_cipher = models.BinaryField(null=True, editable=False)
    phone_index = models.CharField(max_length=32, null=True, db_index=True, editable=False)  # noqa: DJ001
    phone_last4 = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    household_address = models.CharField(
        _("household registration address"), max_length=200, blank=True
    )
    current_address = models.CharField(_("current address"), max_length=200, blank=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("village / group"),
        on_delete=models.PROTECT,
        related_name="people",
        db_index=False,  # person_jurisdiction_name (jurisdiction, name) serves it
    )

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        permissions = [
            ("reveal_identity", _("Can view a person's full ID number and phone (audited)")),
            ("export_full_identity", _("Can export unmasked ID numbers and phones (audited)")),
        ]
        indexes = [models.Index(fields=["jurisdiction", "name"], name="person_jurisdiction_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name_pinyin, self.name_initials = pinyin_keys(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_pinyin", "name_initials"}
        super().save(*args, **kwargs)

    @cached_property
    def _clear(self) -> dict[str, str]:
        return {}

    @property
    def id_number(self) -> str:
        if "id_number" not in self._clear:
            blob = self.id_number_cipher
            self._clear["id_number"] = crypto.decrypt(blob, "id_number") if blob else ""
        return self._clear["id_number"]

    @id_number.setter
    def id_number(self, value: str) -> None:
        if not value:
            self.id_number_cipher = self.id_number_index = None
            self._clear["id_number"] = ""
            return
        parsed = parse_id_number(value)
        self.id_number_cipher = crypto.encrypt(parsed.number, "id_number")
        self.id_number_index = crypto.blind_index(parsed.number, "id_number")
        self.birth_date, self.sex = parsed.birth_date, parsed.sex
        self._clear["id_number"] = parsed.number

    @property
    def phone(self) -> str:
        if "phone" not in self._clear:
            blob = self.phone_cipher
            self._clear["phone"] = crypto.decrypt(blob, "phone") if blob else ""
        return self._clear["phone"]

    @phone.setter
    def phone(self, value: str) -> None:
        if not value:
            self.phone_cipher = self.phone_index = None
            self.phone_last4 = ""
            self._clear["phone"] = ""
            return
        phone = normalize_phone(value)
        self.phone_cipher = crypto.encrypt(phone, "phone")
        self.phone_index = crypto.blind_index(phone, "phone")
        self.phone_last4 = phone[-4:]
        self._clear["phone"] = phone

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def age_on(self, day: date) -> int | None:
        if not self.birth_date:
            return None
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")
    REVEAL = "reveal", _("viewed unmasked")
    EXPORT = "export", _("exported")
    IMPORT = "import", _("imported")


class AuditEntryQuerySet(ScopedQuerySet):
    jurisdiction_field = "jurisdiction_code"
    scope_permission = "core.view_auditentry"

    def update(self, **kwargs):
        raise PermissionDenied("The audit log is append-only.")

    def delete(self):
        raise PermissionDenied("The audit log is append-only.")


class AuditEntry(models.Model):
    """Who did what to whose data, when and from where. Append-only from the application."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("user"),
        null=True,
        blank=True,
        # Deleting a user must not rewrite the append-only log: the row keeps the old id and
        # `actor_username` (accounts should be deactivated, not deleted, anyway).
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("username"), max_length=150)
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(_("record type"), max_length=50)
    object_id = models.CharField(_("record id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("record"), max_length=200)
    jurisdiction_code = models.CharField(_("jurisdiction code"), max_length=15, db_index=True)
    changes = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.get_action_display()} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionDenied("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("The audit log is append-only.")

    @property
    def detail_lines(self) -> list[str]:
        """The `changes` as short readable lines: "phone: 139****0001 → 139****0002"."""
        lines = []
        for key, value in self.changes.items():
            if isinstance(value, list) and len(value) == 2:
                lines.append(f"{key}: {value[0] or '—'} → {value[1] or '—'}")
            else:
                lines.append(f"{key}: {value}")
        return lines


class ApiToken(models.Model):
    """A bearer token for the API; only its SHA-256 digest is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} · {self.name}"


class QuarantineKind(models.TextChoices):
    """The measures a person can be put under (the disease profile sets their lengths)."""

    HOME_QUARANTINE = "home_quarantine", _("home quarantine")
    CENTRALIZED = "centralized", _("centralized medical observation")
    HOME_MONITORING = "home_monitoring", _("home health monitoring")


def default_symptoms() -> list[str]:
    return ["发热", "干咳", "乏力", "咽痛", "腹泻", "嗅觉味觉减退", "肌肉酸痛", "呼吸困难"]


def default_test_days() -> list[int]:
    return [1, 4, 7, 14]


def default_check_times() -> list[str]:
    return ["08:00", "16:00"]


def default_team_roles() -> list[str]:
    # 四对一: a village worker, a police officer, a doctor and a town cadre (or a volunteer).
    return ["village_cadre", "police", "doctor", "town_cadre"]


def default_risk_areas() -> list[dict]:
    return [
        {"name": "湖北省", "level": "high"},
        {"name": "武汉市", "level": "high"},
        {"name": "温州市", "level": "medium"},
    ]


class DiseaseProfile(models.Model):
    """The rules of this outbreak, in one editable record per deployment (the row with pk 1).

    Apps read `DiseaseProfile.current()` instead of constants: quarantine lengths and test days
    changed several times in 2020–2022, and the fever threshold or the risk areas change with them.
    """

    name = models.CharField(_("name"), max_length=100, default="新型冠状病毒肺炎")
    fever_threshold = models.DecimalField(
        _("fever threshold (°C)"), max_digits=3, decimal_places=1, default=Decimal("37.3")
    )
    symptoms = models.JSONField(_("symptoms"), default=default_symptoms)
    home_quarantine_days = models.PositiveSmallIntegerField(_("home quarantine (days)"), default=14)
    centralized_days = models.PositiveSmallIntegerField(
        _("centralized observation (days)"), default=14
    )
    home_monitoring_days = models.PositiveSmallIntegerField(
        _("home health monitoring (days)"), default=7
    )
    # A chain: after centralized observation, the person continues at home for these days
    # (e.g. 7 centralized + 3 home monitoring in 2022); 0 = no chain.
    after_centralized_kind = models.CharField(
        _("after centralized observation"),
        max_length=20,
        choices=QuarantineKind.choices,
        blank=True,
    )
    after_centralized_days = models.PositiveSmallIntegerField(
        _("days after centralized observation"), default=0
    )
    test_days = models.JSONField(_("nucleic-acid test days"), default=default_test_days)
    checks_per_day = models.PositiveSmallIntegerField(_("checks per day"), default=2)
    check_times = models.JSONField(_("check times"), default=default_check_times)
    missed_check_grace_minutes = models.PositiveSmallIntegerField(
        _("a check is missed after (minutes)"), default=120
    )
    team_roles = models.JSONField(_("roles in a responsible team"), default=default_team_roles)
    close_contact_kind = models.CharField(
        _("close contacts are put under"),
        max_length=20,
        choices=QuarantineKind.choices,
        default=QuarantineKind.CENTRALIZED,
    )
    secondary_contact_kind = models.CharField(
        _("secondary contacts are put under"),
        max_length=20,
        choices=QuarantineKind.choices,
        default=QuarantineKind.HOME_QUARANTINE,
    )
    infectious_days_before_onset = models.PositiveSmallIntegerField(
        _("infectious window before onset (days)"), default=4
    )
    lockdown_days = models.PositiveSmallIntegerField(
        _("village lockdown planned length (days)"), default=14
    )
    # [{"name": "湖北省", "level": "high"}, ...]: a place name the registrations' "from" text is
    # matched against (contains), with its risk level (high / medium).
    risk_areas = models.JSONField(_("risk areas"), default=default_risk_areas, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("disease profile")
        verbose_name_plural = _("disease profile")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)
        _profile_cache.clear()

    @classmethod
    def current(cls) -> "DiseaseProfile":
        """The profile, read at most every few seconds per process (it is read on every
        checkpoint registration); created with the defaults on first use. The instance is
        shared: read it, never change it (edit `DiseaseProfile.objects.get(pk=1)`)."""
        cached = _profile_cache.get("profile")
        now = time.monotonic()
        if cached is not None and now - cached[0] < PROFILE_CACHE_SECONDS:
            return cached[1]
        profile, _created = cls.objects.get_or_create(pk=1)
        _profile_cache["profile"] = (now, profile)
        return profile

    def clean(self) -> None:
        """Refuse a profile the apps cannot use, naming each bad field (the admin shows them)."""
        errors = {}
        symptoms = self.symptoms
        if not isinstance(symptoms, list) or not all(
            isinstance(s, str) and s.strip() for s in symptoms
        ):
            errors["symptoms"] = _('a list of symptom names, e.g. ["发热", "干咳"]')
        days = self.test_days
        if not isinstance(days, list) or not all(isinstance(d, int) and 1 <= d <= 60 for d in days):
            errors["test_days"] = _("a list of day numbers from 1 to 60, e.g. [1, 4, 7, 14]")
        times = self.check_times
        if not isinstance(times, list) or not all(_is_clock_time(t) for t in times):
            errors["check_times"] = _('a list of times of day, e.g. ["08:00", "16:00"]')
        elif len(times) != self.checks_per_day:
            errors["check_times"] = _("give one time for each check of the day")
        areas = self.risk_areas
        if not isinstance(areas, list) or not all(
            isinstance(a, dict)
            and str(a.get("name", "")).strip()
            and a.get("level", "high") in ("high", "medium")
            for a in areas
        ):
            errors["risk_areas"] = _(
                "a list of places with their risk level, e.g. "
                '[{"name": "湖北省", "level": "high"}] (level: high or medium)'
            )
        if not Decimal("36.0") <= Decimal(self.fever_threshold or 0) <= Decimal("39.0"):
            errors["fever_threshold"] = _("a fever threshold is between 36.0 and 39.0 °C")
        team = self.team_roles
        if (
            not isinstance(team, list)
            or not team
            or not all(r in Role.values for r in team)
            or len(set(team)) != len(team)
        ):
            errors["team_roles"] = _(
                'a list of different roles, e.g. ["village_cadre", "police", "doctor", '
                '"town_cadre"] (roles: %(roles)s)'
            ) % {"roles": ", ".join(Role.values)}
        if bool(self.after_centralized_kind) != bool(self.after_centralized_days):
            errors["after_centralized_days"] = _(
                "give both what follows centralized observation and its length, or neither"
            )
        if errors:
            raise ValidationError(errors)

    def days_for(self, kind: str) -> int:
        return {
            QuarantineKind.HOME_QUARANTINE: self.home_quarantine_days,
            QuarantineKind.CENTRALIZED: self.centralized_days,
            QuarantineKind.HOME_MONITORING: self.home_monitoring_days,
        }[kind]

    def check_times_of_day(self) -> list[dt_time]:
        return [dt_time.fromisoformat(t) for t in self.check_times]

    def contact_kind(self, degree: str) -> str:
        """The measure for a close ("close") or secondary ("secondary") contact."""
        return self.close_contact_kind if degree == "close" else self.secondary_contact_kind

    def is_fever(self, temperature: Decimal | float | None) -> bool:
        return temperature is not None and Decimal(str(temperature)) >= self.fever_threshold

    def risk_level_of(self, place: str) -> str:
        """ "high", "medium" or "" for a free-text place ("湖北省武汉市江岸区" → "high")."""
        place = (place or "").replace(" ", "")
        found = ""
        for area in self.risk_areas or []:
            name = str(area.get("name", "")).strip()
            if name and name in place:
                level = area.get("level", "high")
                if level == "high":
                    return "high"
                found = found or level
        return found


def _is_clock_time(value: object) -> bool:
    try:
        time.strptime(str(value), "%H:%M")
    except ValueError:
        return False
    return True


# Process-local cache of the profile: (read at, profile). Another process's edit shows within
# PROFILE_CACHE_SECONDS; an edit in this process shows at once (save() clears it).
_profile_cache: dict[str, tuple[float, DiseaseProfile]] = {}
PROFILE_CACHE_SECONDS = 5.0


class AlertKind(models.TextChoices):
    FEVER = "fever", _("fever")
    QUARANTINE_LEAVING = "quarantine_leaving", _("person under quarantine leaving")
    NO_PASS = "no_pass", _("sealed exit without a valid pass")
    SYMPTOM = "symptom", _("symptom reported")
    MISSED_CHECK = "missed_check", _("missed check")
    NO_SHOW = "no_show", _("nobody on shift")
    LOW_STOCK = "low_stock", _("stock below its threshold")
    EXPIRING = "expiring", _("batch near its expiry date")
    SERVICE_OVERDUE = "service_overdue", _("household service overdue")
    BRIEFING_FAILED = "briefing_failed", _("daily briefing not generated")


class AlertQuerySet(ScopedQuerySet):
    scope_permission = "core.view_alert"

    def open(self) -> "AlertQuerySet":
        return self.filter(acknowledged_at__isnull=True)


class Alert(models.Model):
    """Something the town command must see now (a fever at a checkpoint, a quarantined person
    leaving...). Raised by the apps' services; acknowledged by someone who handles it."""

    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    message = models.CharField(_("message"), max_length=300)
    link = models.CharField(_("link"), max_length=200, blank=True)
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["jurisdiction", "acknowledged_at"], name="alert_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class RateLimitHit(models.Model):
    """One attempt at a rate-limited public endpoint (see core/ratelimit.py). Kept in the
    database so every app server process counts the same attempts."""

    key = models.CharField(max_length=100)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="ratelimit_key_at")]

    def __str__(self) -> str:
        return f"{self.key} {self.at:%Y-%m-%d %H:%M:%S}"
