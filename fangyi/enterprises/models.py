"""Enterprises and their resumption-of-work filings (复工复产备案), each with an employee roster
screened against the ledger and the running quarantine orders."""

import uuid

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core import crypto
from fangyi.core.identity import mask_id_number, mask_phone
from fangyi.core.models import Jurisdiction, Person, TimeStampedModel, User
from fangyi.core.roles import Role
from fangyi.core.scoping import ScopedQuerySet


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("manufacturing")
    CONSTRUCTION = "construction", _("construction")
    RETAIL = "retail", _("retail and markets")
    CATERING = "catering", _("catering")
    LOGISTICS = "logistics", _("logistics and transport")
    AGRICULTURE = "agriculture", _("agriculture")
    SERVICES = "services", _("services")
    OTHER = "other", pgettext_lazy("industry", "other")


class EnterpriseSize(models.TextChoices):
    """By staff: small firms are inspected on site by the town; large ones go to the county."""

    MICRO = "micro", _("micro (under 10 staff)")
    SMALL = "small", _("small (10–99 staff)")
    MEDIUM = "medium", _("medium (100–299 staff)")
    LARGE = "large", _("large (300 staff or more)")


# Filings of firms of these sizes are forwarded to the county's group after the town's check.
FORWARDED_SIZES = (EnterpriseSize.MEDIUM, EnterpriseSize.LARGE)


class EnterpriseQuerySet(ScopedQuerySet):
    """The town and its villages see their enterprises; an enterprise's own contact sees only
    the enterprises they speak for (whatever their jurisdiction)."""

    scope_permission = "enterprises.view_enterprise"

    def visible_to(self, user) -> "EnterpriseQuerySet":
        if getattr(user, "role", "") == Role.ENTERPRISE_CONTACT and user.is_active:
            if not user.has_perm(self.scope_permission):
                return self.none()
            return self.filter(contacts=user)
        return super().visible_to(user)


class Enterprise(TimeStampedModel):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(pgettext_lazy("enterprise", "name"), max_length=100)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    address = models.CharField(_("address"), max_length=200)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("town / village"), on_delete=models.PROTECT, related_name="+"
    )
    industry = models.CharField(_("industry"), max_length=16, choices=Industry.choices)
    size = models.CharField(_("size"), max_length=8, choices=EnterpriseSize.choices)
    staff_count = models.PositiveIntegerField(_("number of staff"), default=0)
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone_cipher = models.BinaryField(null=True, editable=False)
    contacts = models.ManyToManyField(
        User, verbose_name=_("accounts speaking for it"), blank=True, related_name="enterprises"
    )

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["jurisdiction", "name"]
        indexes = [models.Index(fields=["jurisdiction", "industry"], name="enterprise_scope")]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_phone(self) -> str:
        blob = self.contact_phone_cipher
        return crypto.decrypt(bytes(blob), "phone") if blob else ""

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone) if self.contact_phone_cipher else ""


class FilingStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("filing", "draft")
    SUBMITTED = "submitted", pgettext_lazy("filing", "submitted, awaiting review")
    FORWARDED = "forwarded", pgettext_lazy("filing", "forwarded to the county")
    APPROVED = "approved", pgettext_lazy("filing", "approved")
    REJECTED = "rejected", pgettext_lazy("filing", "rejected")
    REOPENED = "reopened", pgettext_lazy("filing", "reopened")


# A filing in one of these is the enterprise's current one (at most one at a time).
CURRENT_FILING = (
    FilingStatus.DRAFT,
    FilingStatus.SUBMITTED,
    FilingStatus.FORWARDED,
    FilingStatus.APPROVED,
    FilingStatus.REOPENED,
)


class FilingQuerySet(EnterpriseQuerySet):
    jurisdiction_field = "enterprise__jurisdiction"
    scope_permission = "enterprises.view_enterprise"

    def visible_to(self, user) -> "FilingQuerySet":
        if getattr(user, "role", "") == Role.ENTERPRISE_CONTACT and user.is_active:
            if not user.has_perm(self.scope_permission):
                return self.none()
            return self.filter(enterprise__contacts=user)
        return ScopedQuerySet.visible_to(self, user)


class Filing(TimeStampedModel):
    """One application to resume work, from draft to approval (or rejection) and reopening."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="filings"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FilingStatus.choices, default=FilingStatus.DRAFT
    )
    planned_reopening = models.DateField(_("planned reopening"), null=True, blank=True)
    commitment_signed_by = models.CharField(_("commitment signed by"), max_length=50, blank=True)
    plan_file = models.CharField(_("prevention and emergency plan"), max_length=200, blank=True)
    plan_filename = models.CharField(max_length=200, blank=True)
    mask_days = models.PositiveSmallIntegerField(
        _("masks in reserve (days)"), default=0, validators=[MinValueValidator(0)]
    )
    thermometer_days = models.PositiveSmallIntegerField(
        _("thermometers in reserve (days)"), default=0
    )
    disinfectant_days = models.PositiveSmallIntegerField(
        _("disinfectant in reserve (days)"), default=0
    )
    isolation_rooms = models.PositiveSmallIntegerField(_("isolation rooms"), default=0)
    roster_filename = models.CharField(_("employee roster file"), max_length=200, blank=True)
    employee_count = models.PositiveIntegerField(_("employees"), default=0)
    flagged_count = models.PositiveIntegerField(_("employees flagged"), default=0)
    roster_errors = models.JSONField(_("roster errors"), default=list, blank=True)
    # What the filing falls short of (fewer than 3 days of masks...): [{"field", "message"}],
    # recomputed by services.save_filing; shown to the company and the reviewer, not blocking.
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, verbose_name=_("submitted by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.CharField(_("reasons"), max_length=500, blank=True)
    reopened_on = models.DateField(_("reopened on"), null=True, blank=True)

    objects = FilingQuerySet.as_manager()

    class Meta:
        verbose_name = _("resumption filing")
        verbose_name_plural = _("resumption filings")
        ordering = ["-created_at", "-id"]
        permissions = [("review_filing", "Can inspect, approve and reject filings")]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=Q(status__in=CURRENT_FILING),
                name="one_current_filing",
            )
        ]
        indexes = [models.Index(fields=["status", "submitted_at"], name="filing_queue")]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_status_display()}"


class Inspection(models.Model):
    """The town's on-site check of a filing (required for small firms before approval)."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="inspections")
    inspected_on = models.DateField(_("inspected on"))
    inspectors = models.CharField(_("inspectors"), max_length=100)
    findings = models.CharField(_("findings"), max_length=500)
    passed = models.BooleanField(pgettext_lazy("inspection", "passed"))
    recorded_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("on-site inspection")
        verbose_name_plural = _("on-site inspections")
        ordering = ["-inspected_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.filing_id} {self.inspected_on}"


class Employee(models.Model):
    """One row of a filing's employee roster, with what screening found about them.

    `flags` is a list of {"kind": ..., "message": ...} (e.g. in home quarantine until 2/14).
    Employees are not added to the town's people: they are matched against them.
    """

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="employees")
    source_row = models.PositiveIntegerField(_("row"))
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number_cipher = models.BinaryField(null=True, editable=False)
    id_number_index = models.CharField(max_length=32, null=True, editable=False)  # noqa: DJ001
    phone_cipher = models.BinaryField(null=True, editable=False)
    home_address = models.CharField(_("home address"), max_length=200, blank=True)
    whereabouts = models.CharField(_("whereabouts in the last 14 days"), max_length=200, blank=True)
    health = models.CharField(_("health"), max_length=200, blank=True)
    person = models.ForeignKey(
        Person,
        verbose_name=_("matched person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    flags = models.JSONField(_("flags"), default=list, blank=True)
    flagged = models.BooleanField(_("flagged"), default=False)

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["filing", "-flagged", "source_row"]
        indexes = [
            models.Index(fields=["filing", "flagged"], name="employee_flagged"),
            models.Index(fields=["id_number_index"], name="employee_id_index"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number(self) -> str:
        blob = self.id_number_cipher
        return crypto.decrypt(bytes(blob), "id_number") if blob else ""

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number) if self.id_number_cipher else ""

    @property
    def phone(self) -> str:
        blob = self.phone_cipher
        return crypto.decrypt(bytes(blob), "phone") if blob else ""

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone_cipher else ""


class FilingEvent(models.Model):
    """Every step of a filing (saved, roster imported, submitted, inspected, decided...)."""

    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_username = models.CharField(_("by"), max_length=150)
    status = models.CharField(_("status"), max_length=10, choices=FilingStatus.choices)
    message = models.CharField(_("what"), max_length=500)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.filing_id} {self.at:%Y-%m-%d %H:%M} {self.message}"


class TemperatureSummary(models.Model):
    """An enterprise's daily report after reopening: staff checked, and how many had fever."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="temperature_summaries"
    )
    day = models.DateField(_("day"))
    checked = models.PositiveIntegerField(_("staff checked"))
    fever = models.PositiveIntegerField(_("with fever"))
    absent = models.PositiveIntegerField(_("absent"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    reported_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("daily temperature summary")
        verbose_name_plural = _("daily temperature summaries")
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "day"], name="one_summary_a_day"),
            models.CheckConstraint(
                condition=Q(fever__lte=models.F("checked")), name="fever_le_checked"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.day}: {self.fever}/{self.checked}"
