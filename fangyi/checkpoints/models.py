"""Checkpoints (卡口/劝返点), what staff register at them, travellers' own QR registrations,
and village lockdowns (整村封闭) with their passes (通行证)."""

import secrets
import uuid
from datetime import datetime, time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.checkpoints.plates import display_plate
from fangyi.core import crypto
from fangyi.core.identity import mask_id_number, mask_phone
from fangyi.core.models import Jurisdiction, Person, TimeStampedModel, User
from fangyi.core.scoping import ScopedQuerySet
from fangyi.ledger.models import LedgerEntry, Transport

# Short codes people read aloud or type: no 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_checkpoint_code() -> str:
    return "K" + new_code(6)


class CheckpointKind(models.TextChoices):
    TOWN_ENTRANCE = "town_entrance", _("town entrance")
    VILLAGE_ENTRANCE = "village_entrance", _("village entrance")
    HIGHWAY_EXIT = "highway_exit", _("highway exit")
    PERSUASION_POINT = "persuasion_point", _("persuasion point (劝返点)")
    COMPOUND_GATE = "compound_gate", _("compound gate")


class CheckpointStatus(models.TextChoices):
    # A context: the ledger's plain "open" and "status" mean something else in Chinese.
    OPEN = "open", pgettext_lazy("checkpoint status", "open")
    CLOSED = "closed", pgettext_lazy("checkpoint status", "closed")
    SEALED_EXIT = "sealed_exit", pgettext_lazy("checkpoint status", "sealed-village exit")


class CheckpointQuerySet(ScopedQuerySet):
    scope_permission = "checkpoints.view_checkpoint"


class Checkpoint(TimeStampedModel):
    """A manned point where people and vehicles are checked. `code` names it in the QR code,
    the API and the CLI; its jurisdiction is the village (or the town, for town entrances)."""

    code = models.CharField(
        pgettext_lazy("checkpoint", "code"),
        max_length=12,
        unique=True,
        default=new_checkpoint_code,
        editable=False,
    )
    name = models.CharField(pgettext_lazy("checkpoint", "name"), max_length=60)
    kind = models.CharField(_("type"), max_length=20, choices=CheckpointKind.choices)
    location = models.CharField(_("location"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("village / town"),
        on_delete=models.PROTECT,
        related_name="checkpoints",
    )
    responsible_unit = models.CharField(_("responsible unit"), max_length=100, blank=True)
    responsible_person = models.CharField(_("responsible person"), max_length=50, blank=True)
    responsible_phone = models.CharField(_("responsible person's phone"), max_length=20, blank=True)
    # Both empty: open around the clock (the usual case).
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    status = models.CharField(
        pgettext_lazy("checkpoint", "status"),
        max_length=20,
        choices=CheckpointStatus.choices,
        default=CheckpointStatus.OPEN,
    )

    objects = CheckpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["jurisdiction_id", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_round_the_clock(self) -> bool:
        return self.opens_at is None or self.closes_at is None

    def is_open_at(self, moment: datetime) -> bool:
        """Whether its hours cover `moment` (local time); hours may run past midnight."""
        if self.is_round_the_clock:
            return True
        local: time = timezone.localtime(moment).time()
        if self.opens_at <= self.closes_at:
            return self.opens_at <= local < self.closes_at
        return local >= self.opens_at or local < self.closes_at


class EncryptedIdentity:
    """The clear and masked ID number and phone of a row holding them encrypted
    (`id_number_cipher`, `phone_cipher`), as a Person does."""

    @property
    def id_number(self) -> str:
        blob = self.id_number_cipher
        return crypto.decrypt(bytes(blob), "id_number") if blob else ""

    @property
    def phone(self) -> str:
        blob = self.phone_cipher
        return crypto.decrypt(bytes(blob), "phone") if blob else ""

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class Direction(models.TextChoices):
    IN = "in", _("in")
    OUT = "out", _("out")


class Result(models.TextChoices):
    PASSED = "passed", _("passed")
    PERSUADED_BACK = "persuaded_back", _("persuaded back (劝返)")
    FEVER_CLINIC = "fever_clinic", _("sent to the fever clinic")
    HOME_QUARANTINE = "home_quarantine", _("sent to home quarantine")
    CENTRALIZED = "centralized", _("sent to centralized observation")
    REFUSED = "refused", _("refused: no valid pass")


QUARANTINE_RESULTS = (Result.HOME_QUARANTINE, Result.CENTRALIZED)


class RegistrationQuerySet(ScopedQuerySet):
    scope_permission = "checkpoints.view_registration"


class Registration(models.Model):
    """One check of a vehicle (or of people on foot) at a checkpoint.

    `external_id` is made by the phone, so a registration sent twice (offline retries) is stored
    once. The counters are the statistics' raw material: a day's figures are one GROUP BY.
    """

    external_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    checkpoint = models.ForeignKey(
        Checkpoint,
        verbose_name=_("checkpoint"),
        on_delete=models.PROTECT,
        related_name="registrations",
        db_index=False,  # (checkpoint, local_date) serves it
    )
    # The checkpoint's jurisdiction, copied: scoping and the town's figures need no join.
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    occurred_at = models.DateTimeField(_("time"))
    local_date = models.DateField(_("date"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    plate = models.CharField(_("plate number"), max_length=8, blank=True, db_index=True)
    # Contexts: the catalogue's plain "from", "to" and "reason" are a date range and an error.
    from_place = models.CharField(pgettext_lazy("trip", "from"), max_length=100, blank=True)
    to_place = models.CharField(pgettext_lazy("trip", "to"), max_length=100, blank=True)
    reason = models.CharField(pgettext_lazy("trip", "reason"), max_length=200, blank=True)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    people_count = models.PositiveSmallIntegerField(_("people"), default=0)
    fever_count = models.PositiveSmallIntegerField(_("fevers"), default=0)
    persuaded_count = models.PositiveSmallIntegerField(_("people persuaded back"), default=0)
    quarantined_count = models.PositiveSmallIntegerField(_("people sent to quarantine"), default=0)
    recorded_by = models.ForeignKey(
        User,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Set when the server accepted a registration that contradicts what it knows (the checkpoint
    # was closed at that time...): kept, not dropped, and shown to the staff and the town.
    conflict = models.CharField(_("conflict"), max_length=300, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["checkpoint", "local_date"], name="registration_cp_day"),
            models.Index(fields=["jurisdiction", "local_date"], name="registration_place_day"),
            # The command post's rollup pass reads one or two days across every place.
            models.Index(fields=["local_date"], name="registration_day"),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint} {self.occurred_at:%Y-%m-%d %H:%M} {self.plate_display}"

    @property
    def plate_display(self) -> str:
        return display_plate(self.plate)

    @property
    def is_vehicle(self) -> bool:
        return bool(self.plate)


class Passenger(EncryptedIdentity, models.Model):
    """A person in a registration (the driver too, or someone on foot). ID and phone are
    encrypted like a Person's; `person` is set when the blind index matched a known person or
    when a rule had to put them on the ledger."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="passengers"
    )
    position = models.PositiveSmallIntegerField(default=0)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkpoint_passages",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number_cipher = models.BinaryField(null=True, editable=False)
    id_number_index = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    phone_cipher = models.BinaryField(null=True, editable=False)
    phone_index = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    temperature = models.DecimalField(
        _("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True
    )
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    fever = models.BooleanField(_("fever"), default=False)
    risk_level = models.CharField(_("from a risk area"), max_length=10, blank=True)
    leaving_quarantine = models.BooleanField(_("under quarantine and leaving"), default=False)
    travel_pass = models.ForeignKey(
        "Pass", verbose_name=_("pass"), null=True, blank=True, on_delete=models.PROTECT
    )
    ledger_entry = models.ForeignKey(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("passenger")
        verbose_name_plural = _("passengers")
        ordering = ["registration_id", "position"]

    def __str__(self) -> str:
        return self.name


def self_registration_expiry() -> datetime:
    return timezone.now() + settings.SELF_REGISTRATION_VALID


class SelfRegistration(EncryptedIdentity, models.Model):
    """What a traveller filled in on the public form behind a checkpoint's QR code. They show
    the short `code`; staff fetch it, add the temperature and the result (a Registration)."""

    code = models.CharField(
        pgettext_lazy("self-registration", "code"), max_length=8, unique=True, editable=False
    )
    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("checkpoint"), on_delete=models.CASCADE, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), default=self_registration_expiry)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number_cipher = models.BinaryField(null=True, editable=False)
    id_number_index = models.CharField(max_length=32, blank=True, editable=False)
    phone_cipher = models.BinaryField(null=True, editable=False)
    is_local = models.BooleanField(_("local resident"))
    from_place = models.CharField(_("coming from"), max_length=100)
    to_place = models.CharField(_("going to"), max_length=100, blank=True)
    transport = models.CharField(_("transport"), max_length=20, choices=Transport.choices)
    trip_number = models.CharField(_("plate / train / flight number"), max_length=20, blank=True)
    return_date = models.DateField(_("return date"), null=True, blank=True)
    local_contact = models.CharField(_("local contact"), max_length=50, blank=True)
    local_contact_phone_cipher = models.BinaryField(null=True, editable=False)
    reason = models.CharField(pgettext_lazy("trip", "reason"), max_length=200, blank=True)
    registration = models.OneToOneField(
        Registration,
        verbose_name=_("registration"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="self_registration",
    )

    class Meta:
        verbose_name = _("self-registration")
        verbose_name_plural = _("self-registrations")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def local_contact_phone(self) -> str:
        blob = self.local_contact_phone_cipher
        return crypto.decrypt(bytes(blob), "phone") if blob else ""

    def is_usable(self, at: datetime | None = None) -> bool:
        return self.registration_id is None and (at or timezone.now()) < self.expires_at


class LockdownQuerySet(ScopedQuerySet):
    jurisdiction_field = "village"
    scope_permission = "checkpoints.view_lockdown"

    def active_at(self, moment: datetime) -> "LockdownQuerySet":
        return self.filter(starts_at__lte=moment).exclude(lifted_at__lte=moment)


class Lockdown(TimeStampedModel):
    """A sealed village (整村封闭): only its `exits` are manned, and only pass holders go
    through them. Lifting is recorded, not deleted."""

    village = models.ForeignKey(
        Jurisdiction, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(pgettext_lazy("lockdown", "reason"), max_length=300)
    starts_at = models.DateTimeField(_("starts at"))
    planned_end_at = models.DateTimeField(_("planned end"))
    exits = models.ManyToManyField(Checkpoint, verbose_name=_("exits"), related_name="lockdowns")
    sealed_by = models.ForeignKey(
        User, verbose_name=_("sealed by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        User,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lift_note = models.CharField(_("note on lifting"), max_length=300, blank=True)

    objects = LockdownQuerySet.as_manager()

    class Meta:
        verbose_name = _("village lockdown")
        verbose_name_plural = _("village lockdowns")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return f"{self.village.name} {self.starts_at:%Y-%m-%d}"

    def is_active_at(self, moment: datetime) -> bool:
        return self.starts_at <= moment and (self.lifted_at is None or moment < self.lifted_at)


def new_pass_code() -> str:
    return "P" + new_code(7)


class Pass(TimeStampedModel):
    """A pass (通行证) through a sealed village's exits for a named person, for a reason and a
    validity window."""

    lockdown = models.ForeignKey(
        Lockdown, verbose_name=_("lockdown"), on_delete=models.PROTECT, related_name="passes"
    )
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="passes"
    )
    code = models.CharField(
        _("pass number"), max_length=8, unique=True, default=new_pass_code, editable=False
    )
    reason = models.CharField(pgettext_lazy("pass", "reason"), max_length=200)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    issued_by = models.ForeignKey(
        User, verbose_name=_("issued by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.code} {self.person}"

    def is_valid_at(self, moment: datetime) -> bool:
        return (
            self.revoked_at is None
            and self.valid_from <= moment < self.valid_until
            and self.lockdown.is_active_at(moment)
        )
