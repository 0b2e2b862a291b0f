"""Tracing (流调): cases, their activity trajectory in the infectious window, their contacts,
and the transmission chains those links draw.

A chain is a graph of people: every `Contact` is an edge from `source` (the person they were
with: the case, or the close contact for a secondary contact) to `person`. Expanding a chain is
a breadth-first walk over that one indexed column, whatever the degree.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core.models import Jurisdiction, Person, TimeStampedModel, User
from fangyi.core.scoping import ScopedQuerySet


class Classification(models.TextChoices):
    SUSPECTED = "suspected", _("suspected")
    CONFIRMED = "confirmed", _("confirmed")
    ASYMPTOMATIC = "asymptomatic", _("asymptomatic infection")
    CLEARED = "cleared", _("excluded")


class CaseQuerySet(ScopedQuerySet):
    scope_permission = "tracing.view_case"


class Case(TimeStampedModel):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.OneToOneField(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="case"
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    classification = models.CharField(
        _("classification"), max_length=15, choices=Classification.choices
    )
    onset_date = models.DateField(_("onset date"), null=True, blank=True)
    report_date = models.DateField(_("report date"))
    hospital = models.CharField(_("hospital"), max_length=100, blank=True)
    source_test = models.ForeignKey(
        "quarantine.NucleicAcidTest",
        verbose_name=_("positive test"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-report_date", "-id"]
        indexes = [models.Index(fields=["jurisdiction", "classification"], name="case_scope")]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.get_classification_display()}"


class PlaceKind(models.TextChoices):
    HOME = "home", _("home")
    MARKET = "market", _("market / shop")
    CHECKPOINT = "checkpoint", _("checkpoint")
    VEHICLE = "vehicle", _("vehicle")
    GATHERING = "gathering", _("gathering (meal, wedding, funeral)")
    WORKPLACE = "workplace", _("workplace")
    MEDICAL = "medical", _("clinic / hospital")
    OTHER = "other", pgettext_lazy("place", "other")


class TrajectoryEntry(models.Model):
    """A place and time window the case was at during the infectious window."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="trajectory")
    kind = models.CharField(_("kind of place"), max_length=12, choices=PlaceKind.choices)
    place = models.CharField(_("place"), max_length=200)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    # Pulled in from a checkpoint registration of the case's person (one entry per registration).
    registration = models.ForeignKey(
        "checkpoints.Registration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("trajectory entry")
        verbose_name_plural = _("trajectory")
        ordering = ["case_id", "starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "registration"], name="one_entry_per_registration"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")), name="trajectory_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.starts_at:%m-%d %H:%M}"


class Degree(models.TextChoices):
    CLOSE = "close", _("close contact")
    SECONDARY = "secondary", _("secondary contact")


class Relation(models.TextChoices):
    HOUSEHOLD = "household", _("same household")
    VEHICLE = "vehicle", _("same vehicle")
    WORK = "work", _("work")
    GATHERING = "gathering", _("gathering")
    MEDICAL = "medical", _("medical care")
    OTHER = "other", pgettext_lazy("relation", "other")


class ContactQuerySet(ScopedQuerySet):
    jurisdiction_field = "case__jurisdiction"
    scope_permission = "tracing.view_case"


class Contact(models.Model):
    """A person traced from a case: a close contact of the case, or a secondary contact (a
    contact of one of its close contacts). Scoped by the case's jurisdiction."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="contact_links"
    )
    source = models.ForeignKey(
        Person, verbose_name=_("in contact with"), on_delete=models.PROTECT, related_name="+"
    )
    degree = models.CharField(_("degree"), max_length=10, choices=Degree.choices)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    trajectory_entry = models.ForeignKey(
        TrajectoryEntry,
        verbose_name=_("where and when"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    last_exposure_date = models.DateField(_("last exposure"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    quarantine_order = models.ForeignKey(
        "quarantine.QuarantineOrder",
        verbose_name=_("quarantine order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["case_id", "degree", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "person"], name="one_contact_per_case"),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("source")), name="contact_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} ← {self.source.name}"
