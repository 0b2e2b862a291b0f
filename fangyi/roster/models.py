"""Duty rosters (排班) for the checkpoints: the staff pool, each checkpoint's demand, the rosters
the CP-SAT solver draws (shifts and who works them), swaps between staff, and check-in.

Times are aware datetimes; a shift's day is its local (Asia/Shanghai) start date. A roster
belongs to one town and covers `days` local days from `starts_on`; its shifts are made from the
checkpoints' demand when the roster is created, so later demand changes apply to new rosters.
"""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.checkpoints.models import Checkpoint
from fangyi.core import crypto
from fangyi.core.identity import mask_phone
from fangyi.core.models import Jurisdiction, TimeStampedModel, User
from fangyi.core.scoping import ScopedQuerySet

MAX_ROSTER_DAYS = 28
# Shift lengths a day divides into: eight 3-hour shifts, three 8-hour shifts...
SHIFT_HOURS = (2, 3, 4, 6, 8, 12)
# A shift is a night shift when its midpoint falls in [22:00, 06:00).
NIGHT_STARTS_HOUR, NIGHT_ENDS_HOUR = 22, 6


class DutyRole(models.TextChoices):
    """What a person does on duty (not their account's role: a police officer may have none)."""

    CADRE = "cadre", pgettext_lazy("duty role", "cadre")
    POLICE = "police", pgettext_lazy("duty role", "police")
    DOCTOR = "doctor", pgettext_lazy("duty role", "doctor")
    VOLUNTEER = "volunteer", pgettext_lazy("duty role", "volunteer")
    VILLAGE_CADRE = "village_cadre", pgettext_lazy("duty role", "village cadre")


class StaffGroupQuerySet(ScopedQuerySet):
    jurisdiction_field = "town"
    scope_permission = "roster.view_roster"


class StaffGroup(TimeStampedModel):
    """A fixed group (班组) that works its shifts together when the roster asks for it."""

    town = models.ForeignKey(
        Jurisdiction, verbose_name=_("town"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(pgettext_lazy("group", "name"), max_length=40)

    objects = StaffGroupQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff group")
        verbose_name_plural = _("staff groups")
        ordering = ["town_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="staffgroup_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class StaffQuerySet(ScopedQuerySet):
    scope_permission = "roster.view_roster"

    def in_town(self, town_code: str) -> "StaffQuerySet":
        return self.within(town_code).filter(active=True)


class StaffMember(TimeStampedModel):
    """Someone on checkpoint duty: an account holder (`user`) or a staff record only.

    `jurisdiction` is the home village, or the town for town-level staff (police, town cadres);
    the town's pool is everyone within the town. `post` is their usual checkpoint, if fixed;
    the solver posts everyone else.
    """

    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    role = models.CharField(_("duty role"), max_length=20, choices=DutyRole.choices)
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("home village / town"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    user = models.OneToOneField(
        User,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff_member",
    )
    phone_cipher = models.BinaryField(null=True, editable=False)
    group = models.ForeignKey(
        StaffGroup,
        verbose_name=_("group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    post = models.ForeignKey(
        Checkpoint,
        verbose_name=_("usual checkpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    max_hours_per_week = models.PositiveSmallIntegerField(_("maximum hours per week"), default=42)
    max_shifts_per_day = models.PositiveSmallIntegerField(_("maximum shifts per day"), default=2)
    active = models.BooleanField(_("on the duty list"), default=True)

    objects = StaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["jurisdiction_id", "role", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_hours_per_week__gte=1, max_hours_per_week__lte=84),
                name="staff_hours_per_week_range",
            ),
            models.CheckConstraint(
                condition=Q(max_shifts_per_day__gte=1, max_shifts_per_day__lte=4),
                name="staff_shifts_per_day_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_role_display()}）"

    @property
    def town_code(self) -> str:
        return self.jurisdiction_id[:9]

    @property
    def phone(self) -> str:
        blob = self.phone_cipher
        return crypto.decrypt(bytes(blob), "phone") if blob else ""

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class Unavailability(models.Model):
    """A time someone cannot work (leave, illness, their own job): the solver leaves it free."""

    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, related_name="unavailabilities"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(pgettext_lazy("time off", "reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("unavailability")
        verbose_name_plural = _("unavailabilities")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="unavailability_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.starts_at:%m-%d %H:%M}–{self.ends_at:%m-%d %H:%M}"


class DemandQuerySet(ScopedQuerySet):
    jurisdiction_field = "checkpoint__jurisdiction"
    scope_permission = "roster.view_roster"


class CheckpointDemand(TimeStampedModel):
    """How a checkpoint is staffed: its shift pattern, people per shift and role mix.

    `role_minimums` ({duty role: n}) holds on every shift, `night_role_minimums` on night
    shifts as well (e.g. a doctor at night where temperatures are taken); the rest of
    `people_per_shift` may be anyone.
    """

    checkpoint = models.OneToOneField(
        Checkpoint, verbose_name=_("checkpoint"), on_delete=models.CASCADE, related_name="demand"
    )
    shift_hours = models.PositiveSmallIntegerField(
        _("hours per shift"), choices=[(h, str(h)) for h in SHIFT_HOURS], default=3
    )
    first_shift_hour = models.PositiveSmallIntegerField(
        _("first shift starts at (hour)"), default=0
    )
    people_per_shift = models.PositiveSmallIntegerField(_("people per shift"), default=2)
    role_minimums = models.JSONField(_("at least, on every shift"), default=dict, blank=True)
    night_role_minimums = models.JSONField(_("at least, at night"), default=dict, blank=True)
    active = models.BooleanField(_("staffed"), default=True)

    objects = DemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("checkpoint demand")
        verbose_name_plural = _("checkpoint demand")
        constraints = [
            models.CheckConstraint(
                condition=Q(people_per_shift__gte=1, people_per_shift__lte=30),
                name="demand_people_range",
            ),
            models.CheckConstraint(
                condition=Q(first_shift_hour__lt=24), name="demand_first_hour_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint_id}: {self.people_per_shift} × {self.shift_hours} h"

    def minimums_at(self, night: bool) -> dict[str, int]:
        """The role minimums of one shift: the night's add to every shift's (the larger wins)."""
        minimums = {role: int(n) for role, n in self.role_minimums.items() if int(n) > 0}
        if night:
            for role, n in self.night_role_minimums.items():
                minimums[role] = max(minimums.get(role, 0), int(n))
        return {role: n for role, n in minimums.items() if n > 0}


class RosterStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("roster status", "draft")
    PUBLISHED = "published", pgettext_lazy("roster status", "published")


class SolveState(models.TextChoices):
    IDLE = "idle", pgettext_lazy("solve state", "not solved")
    QUEUED = "queued", pgettext_lazy("solve state", "queued")
    RUNNING = "running", pgettext_lazy("solve state", "solving")
    DONE = "done", pgettext_lazy("solve state", "solved")
    FAILED = "failed", pgettext_lazy("solve state", "failed")


class SolveResult(models.TextChoices):
    """CP-SAT's verdict, as the CLI prints it."""

    OPTIMAL = "OPTIMAL", "OPTIMAL"
    FEASIBLE = "FEASIBLE", "FEASIBLE"
    INFEASIBLE = "INFEASIBLE", "INFEASIBLE"


class TownRowQuerySet(ScopedQuerySet):
    """Rows that belong to a whole town (a roster, its swaps): a village's user reads their
    town's, while the shifts, staff and assignments in them stay scoped to the village."""

    def visible_to(self, user) -> "ScopedQuerySet":
        code = getattr(user, "jurisdiction_id", None) or ""
        if len(code) > 9 and user.is_active and user.has_perm(self.scope_permission):
            return self.within(code[:9])
        return super().visible_to(user)


class RosterQuerySet(TownRowQuerySet):
    jurisdiction_field = "town"
    scope_permission = "roster.view_roster"


class Roster(TimeStampedModel):
    """A town's roster for `days` local days from `starts_on`, and its last solve.

    A solve that finds no roster (INFEASIBLE, or stopped before a first one) leaves the
    assignments as they were: the last valid roster is never lost.
    """

    town = models.ForeignKey(
        Jurisdiction, verbose_name=_("town"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("first day"))
    days = models.PositiveSmallIntegerField(_("days"))
    min_rest_hours = models.PositiveSmallIntegerField(
        _("minimum rest between shifts (hours)"), default=8
    )
    keep_groups_together = models.BooleanField(_("groups work together"), default=False)
    status = models.CharField(
        pgettext_lazy("roster", "status"),
        max_length=10,
        choices=RosterStatus.choices,
        default=RosterStatus.DRAFT,
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The last solve: state and progress (written outside the solve's transaction, so the
    # page's poll sees them), then CP-SAT's figures.
    solve_state = models.CharField(
        max_length=10, choices=SolveState.choices, default=SolveState.IDLE, editable=False
    )
    solve_progress = models.CharField(max_length=200, blank=True, editable=False)
    solve_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    solve_finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    time_limit_seconds = models.PositiveSmallIntegerField(default=10, editable=False)
    result = models.CharField(max_length=12, choices=SolveResult.choices, blank=True)
    objective = models.FloatField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    solve_seconds = models.FloatField(null=True, blank=True)
    uncovered = models.PositiveIntegerField(default=0)
    # [{"message": "...", ...figures}] in the language of whoever solved: what could not be met.
    explanation = models.JSONField(default=list, blank=True)

    objects = RosterQuerySet.as_manager()

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["-starts_on", "-id"]
        permissions = [("solve_roster", "Can solve and publish rosters")]
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=MAX_ROSTER_DAYS), name="roster_days_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_on:%Y-%m-%d} + {self.days}"

    @property
    def ends_on(self) -> date:
        """The last day the roster covers."""
        return self.starts_on + timedelta(days=self.days - 1)

    @property
    def gap(self) -> float | None:
        """The relative gap between the roster found and the best possible (0 = optimal)."""
        if self.objective is None or self.bound is None:
            return None
        if abs(self.objective) < 1e-9:
            return 0.0
        return abs(self.objective - self.bound) / abs(self.objective)

    @property
    def is_solving(self) -> bool:
        return self.solve_state in (SolveState.QUEUED, SolveState.RUNNING)


class ShiftQuerySet(ScopedQuerySet):
    jurisdiction_field = "checkpoint__jurisdiction"
    scope_permission = "roster.view_roster"


class Shift(models.Model):
    """One shift at one checkpoint: who is needed (copied from the demand when the roster was
    made) and whether anybody showed up."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="shifts")
    checkpoint = models.ForeignKey(
        Checkpoint, verbose_name=_("checkpoint"), on_delete=models.PROTECT, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    needed = models.PositiveSmallIntegerField(_("people needed"))
    role_minimums = models.JSONField(default=dict, blank=True)
    is_night = models.BooleanField(_("night shift"), default=False)
    no_show_alerted_at = models.DateTimeField(null=True, blank=True)

    objects = ShiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["starts_at", "checkpoint_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["roster", "checkpoint", "starts_at"], name="shift_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="shift_ends_after"
            ),
        ]
        indexes = [models.Index(fields=["starts_at"], name="shift_starts")]

    def __str__(self) -> str:
        local = timezone.localtime(self.starts_at)
        return f"{self.checkpoint_id} {local:%m-%d %H:%M}"

    @property
    def local_date(self) -> date:
        return timezone.localtime(self.starts_at).date()

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class AssignmentSource(models.TextChoices):
    SOLVER = "solver", _("solver")
    MANUAL = "manual", _("by hand")
    SWAP = "swap", _("swap")


class AssignmentQuerySet(ScopedQuerySet):
    jurisdiction_field = "shift__checkpoint__jurisdiction"
    scope_permission = "roster.view_roster"


class Assignment(models.Model):
    """One person on one shift. `locked` ones are kept as they are when the roster is solved
    again (assignments made by hand are locked); check-in and check-out are the person's."""

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="assignments")
    staff = models.ForeignKey(
        StaffMember,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    locked = models.BooleanField(_("locked"), default=False)
    source = models.CharField(
        _("source"),
        max_length=10,
        choices=AssignmentSource.choices,
        default=AssignmentSource.SOLVER,
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["shift__starts_at", "shift_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shift", "staff"], name="assignment_unique_staff"),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=models.F("checked_in_at")),
                name="assignment_checkout_after_checkin",
            ),
        ]
        indexes = [models.Index(fields=["staff", "shift"], name="assignment_staff_shift")]

    def __str__(self) -> str:
        return f"{self.staff_id} @ {self.shift_id}"

    @property
    def hours_worked(self) -> float:
        if self.checked_in_at is None or self.checked_out_at is None:
            return 0.0
        return (self.checked_out_at - self.checked_in_at).total_seconds() / 3600


class SwapStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("swap status", "waiting for the town")
    APPROVED = "approved", pgettext_lazy("swap status", "approved")
    REJECTED = "rejected", pgettext_lazy("swap status", "rejected")
    WITHDRAWN = "withdrawn", pgettext_lazy("swap status", "withdrawn")


class SwapQuerySet(TownRowQuerySet):
    jurisdiction_field = "roster__town"
    scope_permission = "roster.view_roster"


class SwapRequest(TimeStampedModel):
    """`assignment`'s person asks to hand their shift to `with_staff`, who takes it; with
    `their_assignment`, `with_staff` gives that shift back in exchange. The town approves."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="swaps")
    assignment = models.ForeignKey(
        Assignment, verbose_name=_("shift given"), on_delete=models.CASCADE, related_name="+"
    )
    with_staff = models.ForeignKey(
        StaffMember, verbose_name=_("swap with"), on_delete=models.CASCADE, related_name="+"
    )
    their_assignment = models.ForeignKey(
        Assignment,
        verbose_name=_("shift taken in exchange"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.CharField(pgettext_lazy("swap", "reason"), max_length=200, blank=True)
    status = models.CharField(
        pgettext_lazy("swap", "status"),
        max_length=10,
        choices=SwapStatus.choices,
        default=SwapStatus.REQUESTED,
    )
    requested_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)

    objects = SwapQuerySet.as_manager()

    class Meta:
        verbose_name = _("swap request")
        verbose_name_plural = _("swap requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"swap {self.assignment_id} → {self.with_staff_id} ({self.status})"


class RosterEventKind(models.TextChoices):
    CREATED = "created", _("roster created")
    SOLVED = "solved", _("solved")
    PUBLISHED = "published", _("published")
    ASSIGNED = "assigned", _("assigned by hand")
    UNASSIGNED = "unassigned", _("removed from a shift")
    LOCKED = "locked", _("lock changed")
    SWAPPED = "swapped", _("swap approved")
    STAFF = "staff", _("staff left the duty list")


class RosterEvent(models.Model):
    """What happened to a roster, who did it and when: its history page."""

    roster = models.ForeignKey(Roster, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(_("by"), max_length=150)
    kind = models.CharField(_("what"), max_length=12, choices=RosterEventKind.choices)
    message = models.CharField(_("details"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.roster_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
