"""The screening ledger (排查台账): one entry per person per screening reason, its change history,
push lists from above (大数据推送/协查名单) and the verification task each pushed person gets."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core import crypto
from fangyi.core.identity import mask_phone, normalize_phone
from fangyi.core.models import Jurisdiction, Person, QuarantineKind, TimeStampedModel, User
from fangyi.core.scoping import ScopedQuerySet


class Category(models.TextChoices):
    RETURNEE = "returnee", _("returnee from a risk area")
    CLOSE_CONTACT = "close_contact", _("close contact")
    SECONDARY_CONTACT = "secondary_contact", _("secondary contact")
    FEVER = "fever", _("fever patient")
    INBOUND = "inbound", _("inbound traveller")
    OTHER = "other", _("other")


class Status(models.TextChoices):
    PENDING = "pending", _("pending verification")
    VERIFIED_HOME = "verified_home", _("verified at home")
    HOME_QUARANTINE = "home_quarantine", _("home quarantine")
    CENTRALIZED = "centralized", _("centralized observation")
    NOT_LOCAL = "not_local", _("not local")
    WRONG_INFO = "wrong_info", _("wrong information")
    LEFT = "left", _("left")
    RELEASED = "released", _("released")
    CONFIRMED = "confirmed", _("confirmed case")


class Transport(models.TextChoices):
    RAIL = "rail", _("rail")
    AIR = "air", _("air")
    COACH = "coach", _("coach")
    SELF_DRIVE = "self_drive", _("self-drive")
    FERRY = "ferry", _("ferry")
    OTHER = "other", pgettext_lazy("transport", "other")


class RiskLevel(models.TextChoices):
    LOW = "low", _("low risk")
    MEDIUM = "medium", _("medium risk")
    HIGH = "high", _("high risk")


class LedgerEntryQuerySet(ScopedQuerySet):
    scope_permission = "ledger.view_ledgerentry"

    def unassigned(self) -> "LedgerEntryQuerySet":
        """Entries still held by a town (no village yet): the town dispatches them."""
        return self.filter(jurisdiction__level="town")


class LedgerEntry(TimeStampedModel):
    """One person screened for one reason. Entries start `pending` and a cadre verifies them.

    `jurisdiction` is the village or group responsible; an entry the import could not place in a
    village stays on the town ("unassigned") until the town dispatches it.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # No single-column indexes where a composite one starts with the column (the unique
    # (person, category) and (jurisdiction, status)): each index costs every import's inserts.
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("village / group"),
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    source_area = models.CharField(_("coming from"), max_length=100, blank=True)
    source_area_code = models.CharField(_("source area code"), max_length=12, blank=True)
    risk_level = models.CharField(
        _("risk level of the source area"), max_length=10, choices=RiskLevel.choices, blank=True
    )
    arrival_date = models.DateField(_("arrival date"), null=True, blank=True)
    transport = models.CharField(
        _("transport"), max_length=12, choices=Transport.choices, blank=True
    )
    trip_number = models.CharField(_("train / flight / plate number"), max_length=40, blank=True)
    symptoms = models.CharField(
        _("symptoms (fever, cough, diarrhoea…)"), max_length=200, blank=True
    )
    local_address = models.CharField(_("local address"), max_length=200, blank=True)
    local_contact = models.CharField(_("local contact"), max_length=50, blank=True)
    local_contact_phone_cipher = models.BinaryField(null=True, editable=False)
    responsible_cadre = models.ForeignKey(
        User,
        verbose_name=_("responsible cadre"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ledger_entries",
    )
    # What a rule (a checkpoint arrival from a risk area) proposes; the quarantine order decides.
    # db_default: the import pipeline inserts rows without naming this column.
    proposed_measure = models.CharField(
        _("proposed measure"),
        max_length=20,
        choices=QuarantineKind.choices,
        blank=True,
        db_default="",
    )
    notes = models.TextField(_("notes"), blank=True)
    push_list = models.ForeignKey(
        "PushList",
        verbose_name=_("push list"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_entries",
        help_text=_("the push list this entry was first imported from"),
    )

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "category"], name="ledger_one_entry_per_person_and_reason"
            )
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "status"], name="ledger_jurisdiction_status"),
            models.Index(
                fields=["jurisdiction", "arrival_date"], name="ledger_jurisdiction_arrival"
            ),
            # The command post's rollup pass counts the entries made in a day or two.
            models.Index(fields=["created_at"], name="ledger_created"),
        ]
        permissions = [("export_ledger", _("Can export the ledger to Excel (audited)"))]

    def __str__(self) -> str:
        return f"{self.person.name} · {self.get_category_display()}"

    @property
    def local_contact_phone(self) -> str:
        blob = self.local_contact_phone_cipher
        return crypto.decrypt(blob, "phone") if blob else ""

    @local_contact_phone.setter
    def local_contact_phone(self, value: str) -> None:
        self.local_contact_phone_cipher = (
            crypto.encrypt(normalize_phone(value), "phone") if value else None
        )

    @property
    def local_contact_phone_masked(self) -> str:
        return mask_phone(self.local_contact_phone)

    @property
    def is_unassigned(self) -> bool:
        return len(self.jurisdiction_id) <= 9


class EventKind(models.TextChoices):
    CREATED = "created", _("created")
    CHANGED = "changed", _("changed")
    VERIFIED = "verified", _("verified")
    ASSIGNED = "assigned", _("assigned")
    PUSHED = "pushed", _("pushed again")


class LedgerEntryEvent(models.Model):
    """One change to an entry: who, when, and each field's old → new value (masked)."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("by"), max_length=150)
    kind = models.CharField(_("what"), max_length=10, choices=EventKind.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ledger entry change")
        verbose_name_plural = _("ledger entry changes")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["entry", "at"], name="ledger_event_entry_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.get_kind_display()}"


class PushListSource(models.TextChoices):
    PROVINCE = "province", _("province")
    CITY = "city", _("city")
    COUNTY = "county", _("county")
    OTHER = "other", pgettext_lazy("source", "other")


class ImportStatus(models.TextChoices):
    AWAITING_MAPPING = "mapping", _("awaiting column mapping")
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("importing")
    DONE = "done", _("imported")
    FAILED = "failed", _("failed")


class PushListQuerySet(ScopedQuerySet):
    jurisdiction_field = "town_id"
    scope_permission = "ledger.view_pushlist"


def default_deadline_hours() -> int:
    return settings.PUSH_LIST_DEADLINE_HOURS


class PushList(TimeStampedModel):
    """A list of people pushed down by a higher level, to be verified by `deadline_at`.

    The uploaded file is kept (`stored_file`, under settings.UPLOAD_DIR) and imported by a
    background task; the outcome counts satisfy rows = imported + matched + merged + errors.
    """

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(pgettext_lazy("list", "name"), max_length=100)
    source = models.CharField(
        _("pushed by"), max_length=10, choices=PushListSource.choices, default="county"
    )
    town = models.ForeignKey(
        Jurisdiction, verbose_name=_("town"), on_delete=models.PROTECT, related_name="push_lists"
    )
    category = models.CharField(
        _("people on the list are"), max_length=20, choices=Category.choices, default="returnee"
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    deadline_at = models.DateTimeField(_("verify by"))
    original_filename = models.CharField(_("file"), max_length=200)
    stored_file = models.CharField(max_length=300, editable=False)
    file_sha256 = models.CharField(max_length=64, db_index=True, editable=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("import status"),
        max_length=10,
        choices=ImportStatus.choices,
        default=ImportStatus.AWAITING_MAPPING,
    )
    header_row = models.PositiveIntegerField(null=True, editable=False)  # 0-based index
    header_cells = models.JSONField(default=list, editable=False)
    mapping = models.JSONField(default=dict, editable=False)  # field -> column index
    progress_stage = models.CharField(max_length=100, blank=True, editable=False)
    progress_done = models.PositiveIntegerField(default=0, editable=False)
    progress_total = models.PositiveIntegerField(default=0, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    failure_reason = models.TextField(blank=True, editable=False)
    rows = models.PositiveIntegerField(_("rows"), default=0, editable=False)
    imported = models.PositiveIntegerField(_("new people"), default=0, editable=False)
    matched = models.PositiveIntegerField(_("matched existing"), default=0, editable=False)
    merged = models.PositiveIntegerField(_("merged duplicates"), default=0, editable=False)
    errors = models.PositiveIntegerField(_("rows with errors"), default=0, editable=False)
    # [{"row": 7, "column": "身份证号码", "reason": "…"}], one per problem, in row order
    error_rows = models.JSONField(default=list, editable=False)
    # {"7": ["王五", "4.20102E+17", …]}: each bad row's original cells, for the error sheet
    error_cells = models.JSONField(default=dict, editable=False)
    # [{"row": 12, "into": 5}]: row 12 repeated the person on row 5.
    merged_rows = models.JSONField(default=list, editable=False)

    objects = PushListQuerySet.as_manager()

    class Meta:
        verbose_name = _("push list")
        verbose_name_plural = _("push lists")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def deadline_for(cls, received_at, hours: int | None = None):
        return received_at + timedelta(hours=hours or default_deadline_hours())

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    def is_stalled(self, now=None) -> bool:
        """Queued or running, but nothing has moved for settings.IMPORT_STALLED_MINUTES."""
        if self.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return False
        quiet = timedelta(minutes=settings.IMPORT_STALLED_MINUTES)
        return self.updated_at < (now or timezone.now()) - quiet

    @property
    def progress_percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(99, self.progress_done * 100 // self.progress_total)


class ImportMappingQuerySet(ScopedQuerySet):
    scope_permission = "ledger.view_pushlist"


class ImportMapping(TimeStampedModel):
    """A column mapping saved by name for reuse: field → header text as it appears in the file."""

    name = models.CharField(pgettext_lazy("mapping", "name"), max_length=60)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    columns = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ImportMappingQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved column mapping")
        verbose_name_plural = _("saved column mappings")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="ledger_mapping_name")
        ]

    def __str__(self) -> str:
        return self.name


class VerificationResult(models.TextChoices):
    ALREADY_SCREENED = "already_screened", _("already screened")
    NEWLY_FOUND = "newly_found", _("newly found (missed before)")
    WRONG_INFO = "wrong_info", _("wrong information")
    NOT_LOCAL = "not_local", _("not living locally")
    PAST_WINDOW = "past_window", _("past the screening window")
    PASSING_THROUGH = "passing_through", _("passing through")


class VerificationTaskQuerySet(ScopedQuerySet):
    # A task belongs wherever its entry is: dispatching the entry to a village moves the task.
    jurisdiction_field = "entry__jurisdiction"
    scope_permission = "ledger.view_verificationtask"

    def open(self) -> "VerificationTaskQuerySet":
        return self.filter(result="")

    def overdue(self, now=None) -> "VerificationTaskQuerySet":
        return self.open().filter(push_list__deadline_at__lt=now or timezone.now())


class VerificationTask(models.Model):
    """Verify one pushed person (核查) before the list's deadline; the village holding the entry
    does it, and the result goes back up in the feedback sheet."""

    push_list = models.ForeignKey(
        PushList,
        on_delete=models.PROTECT,
        related_name="tasks",
        db_index=False,  # the unique (push_list, entry) serves it
    )
    entry = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, related_name="verification_tasks"
    )
    source_row = models.PositiveIntegerField(_("row in the file"))
    result = models.CharField(
        _("verification result"), max_length=20, choices=VerificationResult.choices, blank=True
    )
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = VerificationTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("verification task")
        verbose_name_plural = _("verification tasks")
        constraints = [
            models.UniqueConstraint(fields=["push_list", "entry"], name="ledger_one_task_per_list")
        ]
        # The command post's rollup pass counts the verifications made in a day or two.
        indexes = [models.Index(fields=["verified_at"], name="task_verified")]

    def __str__(self) -> str:
        return f"{self.push_list} · {self.source_row}"

    def is_overdue(self, now=None) -> bool:
        return not self.result and self.push_list.deadline_at < (now or timezone.now())
