"""Quarantine (居家隔离 / 集中医学观察 / 居家健康监测): orders, their responsible teams (四对一),
the twice-daily check slots, nucleic-acid tests, and the centralized observation sites.

Days are local (Asia/Shanghai) days. Day 1 of an order is its start date; an order of N days has
check slots and tests on days 1..N and is due for release on its `planned_end_date`, day N + 1.
"""

import uuid
from datetime import date, datetime, timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core import crypto
from fangyi.core.models import (
    DiseaseProfile,
    Jurisdiction,
    Person,
    QuarantineKind,
    TimeStampedModel,
    User,
)
from fangyi.core.roles import Role
from fangyi.core.scoping import ScopedQuerySet


class OrderStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("quarantine status", "active")
    EXTENDED = "extended", pgettext_lazy("quarantine status", "extended")
    RELEASED = "released", pgettext_lazy("quarantine status", "released")
    HOSPITAL = "hospital", pgettext_lazy("quarantine status", "transferred to hospital")
    MOVED = "moved", pgettext_lazy("quarantine status", "moved to another measure")


# An order in one of these is running: the person is under quarantine now.
RUNNING = (OrderStatus.ACTIVE, OrderStatus.EXTENDED)


class OrderReason(models.TextChoices):
    LEDGER = "ledger", _("ledger entry")
    REGISTRATION = "registration", _("checkpoint registration")
    CONTACT = "contact", _("contact of a case")
    PREVIOUS = "previous", _("continues an earlier order")
    OTHER = "other", pgettext_lazy("order reason", "other")


class SiteQuerySet(ScopedQuerySet):
    jurisdiction_field = "town"
    scope_permission = "quarantine.view_observationsite"


class ObservationSite(TimeStampedModel):
    """A centralized medical observation site (集中医学观察点): a hotel or school with rooms."""

    name = models.CharField(pgettext_lazy("site", "name"), max_length=100)
    town = models.ForeignKey(
        Jurisdiction, verbose_name=_("town"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    person_in_charge = models.CharField(_("person in charge"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    staff = models.ManyToManyField(
        User, verbose_name=_("staff on site"), blank=True, related_name="observation_sites"
    )

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("observation site")
        verbose_name_plural = _("observation sites")
        ordering = ["town_id", "name"]

    def __str__(self) -> str:
        return self.name


class RoomStatus(models.TextChoices):
    FREE = "free", pgettext_lazy("room", "free")
    OCCUPIED = "occupied", pgettext_lazy("room", "occupied")
    CLEANING = "cleaning", pgettext_lazy("room", "cleaning")


class RoomQuerySet(ScopedQuerySet):
    jurisdiction_field = "site__town"
    scope_permission = "quarantine.view_observationsite"


class Room(models.Model):
    """A room of a site. `status` is kept by the services: occupied while it holds anyone,
    cleaning after the last person leaves (terminal disinfection), free when cleaned."""

    site = models.ForeignKey(ObservationSite, on_delete=models.CASCADE, related_name="rooms")
    number = models.CharField(_("room number"), max_length=20)
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    status = models.CharField(
        pgettext_lazy("room", "status"),
        max_length=10,
        choices=RoomStatus.choices,
        default=RoomStatus.FREE,
    )
    occupants = models.PositiveSmallIntegerField(_("occupants"), default=0)

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["site_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="room_number_unique"),
            models.CheckConstraint(
                condition=Q(occupants__lte=models.F("capacity")), name="room_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.name} {self.number}"


class OrderQuerySet(ScopedQuerySet):
    scope_permission = "quarantine.view_quarantineorder"

    def running(self) -> "OrderQuerySet":
        return self.filter(status__in=RUNNING)

    def due_for_release_on(self, day: date) -> "OrderQuerySet":
        """Running orders whose period is over by `day` (due that day or overdue)."""
        return self.running().filter(planned_end_date__lte=day)


class QuarantineOrder(TimeStampedModel):
    """One period of one measure for one person. A change of measure or a transfer ends the
    order and (for a change) starts the next one, linked by `previous`; an extension changes
    `planned_end_date` and is written to the order's events."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="quarantine_orders"
    )
    # Where the person is followed: their village (or the town, for a site outside villages).
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("jurisdiction"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("measure"), max_length=20, choices=QuarantineKind.choices)
    status = models.CharField(
        pgettext_lazy("quarantine", "status"),
        max_length=10,
        choices=OrderStatus.choices,
        default=OrderStatus.ACTIVE,
    )
    reason = models.CharField(
        pgettext_lazy("quarantine", "reason"), max_length=15, choices=OrderReason.choices
    )
    reason_note = models.CharField(_("reason details"), max_length=300, blank=True)
    ledger_entry = models.ForeignKey(
        "ledger.LedgerEntry",
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quarantine_orders",
    )
    registration = models.ForeignKey(
        "checkpoints.Registration",
        verbose_name=_("checkpoint registration"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    previous = models.OneToOneField(
        "self",
        verbose_name=_("continues"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="next",
    )
    start_date = models.DateField(_("start date"))
    planned_end_date = models.DateField(_("due for release on"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    site = models.ForeignKey(
        ObservationSite,
        verbose_name=_("observation site"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    room = models.ForeignKey(
        Room,
        verbose_name=_("room"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
    )
    door_sealed = models.BooleanField(_("door seal / magnet applied"), default=False)
    door_sealed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    door_sealed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        User,
        verbose_name=_("signed off by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    end_note = models.CharField(_("note on ending"), max_length=300, blank=True)
    hospital = models.CharField(_("hospital"), max_length=100, blank=True)
    # The self-report link's secret, encrypted (so the team can show its QR code again) and
    # blind-indexed (so the public page finds the order without decrypting every row).
    self_report_cipher = models.BinaryField(null=True, editable=False)
    self_report_index = models.CharField(max_length=32, null=True, unique=True, editable=False)  # noqa: DJ001

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("quarantine order")
        verbose_name_plural = _("quarantine orders")
        ordering = ["-start_date", "-id"]
        permissions = [("release_quarantineorder", "Can sign off a release")]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=RUNNING),
                name="one_running_order_per_person",
            ),
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "status"], name="order_scope_status"),
            models.Index(fields=["status", "planned_end_date"], name="order_due"),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.get_kind_display()} {self.start_date:%m-%d}"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def days(self) -> int:
        return (self.planned_end_date - self.start_date).days

    def day_number(self, day: date) -> int:
        """Day 1 is the start date."""
        return (day - self.start_date).days + 1

    @property
    def self_report_token(self) -> str:
        if not self.self_report_cipher:
            return ""
        return crypto.decrypt(self.self_report_cipher, SELF_REPORT_CONTEXT)

    def self_report_expires_at(self) -> datetime:
        """The link works until the end of the release day (families report late evenings)."""
        end = datetime.combine(self.planned_end_date + timedelta(days=1), datetime.min.time())
        return timezone.make_aware(end)


SELF_REPORT_CONTEXT = "quarantine_self_report"


class OrderEventKind(models.TextChoices):
    CREATED = "created", _("ordered")
    EXTENDED = "extended", _("extended")
    TEAM = "team", _("team changed")
    ROOM = "room", _("room assigned")
    DOOR = "door", _("door sealed")
    TEST = "test", _("test recorded")
    RELEASED = "released", _("released")
    HOSPITAL = "hospital", _("transferred to hospital")
    MOVED = "moved", _("moved to another measure")
    LINK = "link", _("self-report link renewed")


class OrderEvent(models.Model):
    """The order's history, shown as its timeline (checks are on their own slots)."""

    order = models.ForeignKey(QuarantineOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_username = models.CharField(_("by"), max_length=150)
    kind = models.CharField(_("what"), max_length=10, choices=OrderEventKind.choices)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class TeamAssignmentQuerySet(models.QuerySet):
    def current(self) -> "TeamAssignmentQuerySet":
        return self.filter(ended_at__isnull=True)


class TeamAssignment(models.Model):
    """One member of an order's responsible team (四对一) in one role. Reassigning ends the
    row (`ended_at`) and adds a new one, so who was responsible when stays known."""

    order = models.ForeignKey(QuarantineOrder, on_delete=models.CASCADE, related_name="team")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    member = models.ForeignKey(
        User, verbose_name=_("member"), on_delete=models.PROTECT, related_name="team_assignments"
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = TeamAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["order_id", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "role"],
                condition=Q(ended_at__isnull=True),
                name="one_current_member_per_role",
            ),
        ]
        indexes = [models.Index(fields=["member", "ended_at"], name="team_member_current")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.role} {self.member}"


class CheckStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("check", "due")
    DONE = "done", pgettext_lazy("check", "done")
    MISSED = "missed", pgettext_lazy("check", "missed")
    EXPLAINED = "explained", pgettext_lazy("check", "explained")
    CANCELLED = "cancelled", pgettext_lazy("check", "cancelled")


class CheckMethod(models.TextChoices):
    DOOR = "door", _("at the door")
    PHONE = "phone", _("by phone")
    SELF_REPORT = "self_report", _("self-report link")


class FollowUpQuerySet(models.QuerySet):
    def overdue(self, now: datetime, grace_minutes: int) -> "FollowUpQuerySet":
        """Slots not recorded more than the grace after they were due: missed, whether or not
        the sweep (`services.sweep_missed_checks`) has marked them yet."""
        cutoff = now - timedelta(minutes=grace_minutes)
        return self.filter(
            Q(status=CheckStatus.MISSED) | Q(status=CheckStatus.PENDING, due_at__lt=cutoff)
        )

    def open(self) -> "FollowUpQuerySet":
        """Slots still to record: due (pending) or missed and not yet made up or explained."""
        return self.filter(status__in=[CheckStatus.PENDING, CheckStatus.MISSED])


class FollowUp(models.Model):
    """One check slot (e.g. day 3 evening): generated with the order, recorded by the team or
    the person. A slot recorded after the grace is kept as made up (`late`)."""

    order = models.ForeignKey(QuarantineOrder, on_delete=models.CASCADE, related_name="checks")
    day = models.PositiveSmallIntegerField(_("day"))
    slot = models.PositiveSmallIntegerField(_("check of the day"))
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        pgettext_lazy("check", "status"),
        max_length=10,
        choices=CheckStatus.choices,
        default=CheckStatus.PENDING,
    )
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    method = models.CharField(_("how"), max_length=12, choices=CheckMethod.choices, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    checked_by = models.ForeignKey(
        User,
        verbose_name=_("checked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_by = models.CharField(_("reported by"), max_length=50, blank=True)
    late = models.BooleanField(_("made up late"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    client_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        ordering = ["order_id", "due_at"]
        constraints = [
            models.UniqueConstraint(fields=["order", "day", "slot"], name="one_check_per_slot")
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="check_status_due"),
            # The command post's rollup pass reads the checks due in a day or two, any status.
            models.Index(fields=["due_at"], name="check_due"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} day {self.day} #{self.slot}"

    @property
    def has_fever(self) -> bool:
        return DiseaseProfile.current().is_fever(self.temperature)


class NucleicAcidResult(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("test", "planned")
    SAMPLED = "sampled", pgettext_lazy("test", "sampled, awaiting result")
    NEGATIVE = "negative", pgettext_lazy("test", "negative")
    POSITIVE = "positive", pgettext_lazy("test", "positive")


class NucleicAcidTest(models.Model):
    """A nucleic-acid test on one of the profile's test days (planned with the order)."""

    order = models.ForeignKey(QuarantineOrder, on_delete=models.CASCADE, related_name="tests")
    day = models.PositiveSmallIntegerField(_("day"))
    result = models.CharField(
        _("result"),
        max_length=10,
        choices=NucleicAcidResult.choices,
        default=NucleicAcidResult.PLANNED,
    )
    sampled_at = models.DateTimeField(_("sampled at"), null=True, blank=True)
    lab = models.CharField(_("laboratory"), max_length=100, blank=True)
    result_at = models.DateTimeField(_("result at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("nucleic-acid test")
        verbose_name_plural = _("nucleic-acid tests")
        ordering = ["order_id", "day"]
        constraints = [models.UniqueConstraint(fields=["order", "day"], name="one_test_per_day")]

    def __str__(self) -> str:
        return f"{self.order_id} day {self.day} {self.result}"
