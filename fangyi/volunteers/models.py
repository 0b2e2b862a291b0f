"""Volunteers, their village teams, and the service requests they carry out for quarantined
households and vulnerable residents."""

import uuid
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.core import crypto
from fangyi.core.identity import mask_phone
from fangyi.core.models import Jurisdiction, TimeStampedModel, User
from fangyi.core.scoping import ScopedQuerySet
from fangyi.quarantine.models import QuarantineOrder


class Skill(models.TextChoices):
    ERRANDS = "errands", _("errands and deliveries")
    DRIVING = "driving", _("driving")
    MEDICAL = "medical", _("medical")
    COUNSELLING = "counselling", _("counselling")
    DISINFECTION = "disinfection", _("disinfection")
    PUBLICITY = "publicity", _("publicity")
    CHECKPOINT = "checkpoint", _("checkpoint duty")


class Availability(models.TextChoices):
    ANY_TIME = "any", _("any time")
    DAYTIME = "day", _("daytime")
    EVENINGS = "evening", _("evenings")
    WEEKENDS = "weekend", _("weekends")


class TeamQuerySet(ScopedQuerySet):
    scope_permission = "volunteers.view_volunteer"


class VolunteerTeam(TimeStampedModel):
    """A village's volunteer team (志愿服务队) with its leader."""

    name = models.CharField(pgettext_lazy("team", "name"), max_length=60)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    leader = models.ForeignKey(
        "Volunteer",
        verbose_name=_("leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        ordering = ["jurisdiction", "name"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "name"], name="team_name_in_village")
        ]

    def __str__(self) -> str:
        return self.name


class VolunteerQuerySet(ScopedQuerySet):
    scope_permission = "volunteers.view_volunteer"


class Volunteer(TimeStampedModel):
    """A registered volunteer. With a user account they see their own tasks on a phone."""

    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    phone_cipher = models.BinaryField(editable=False)
    phone_index = models.CharField(max_length=32, db_index=True, editable=False)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        VolunteerTeam,
        verbose_name=pgettext_lazy("volunteers", "team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    skills = models.JSONField(_("skills"), default=list, blank=True)
    availability = models.CharField(
        _("availability"),
        max_length=10,
        choices=Availability.choices,
        default=Availability.ANY_TIME,
    )
    party_member = models.BooleanField(_("party member"), default=False)
    user = models.OneToOneField(
        User,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer",
    )
    active = models.BooleanField(_("active"), default=True)

    objects = VolunteerQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["jurisdiction", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["phone_index"], name="volunteer_phone_once")]

    def __str__(self) -> str:
        return self.name

    @property
    def phone(self) -> str:
        return crypto.decrypt(bytes(self.phone_cipher), "phone") if self.phone_cipher else ""

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone_cipher else ""


class RequesterKind(models.TextChoices):
    QUARANTINE = "quarantine", _("household in quarantine")
    ELDERLY = "elderly", _("elderly living alone")
    CARE_HOME = "care_home", _("care home")
    OTHER = "other", _("other vulnerable resident")


class ServiceKind(models.TextChoices):
    GROCERIES = "groceries", _("groceries")
    MEDICINE = "medicine", _("medicine")
    ESCORT = "escort", _("medical escort")
    RUBBISH = "rubbish", _("rubbish collection")
    COUNSELLING = "counselling", _("counselling")
    OTHER = "other", pgettext_lazy("service kind", "other")


class RequestStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("service request", "new")
    ACCEPTED = "accepted", pgettext_lazy("service request", "accepted")
    DONE = "done", pgettext_lazy("service request", "delivered")
    CONFIRMED = "confirmed", pgettext_lazy("service request", "confirmed by the household")
    CANCELLED = "cancelled", pgettext_lazy("service request", "cancelled")


OPEN_REQUEST = (RequestStatus.NEW, RequestStatus.ACCEPTED)


class RequestChannel(models.TextChoices):
    STAFF = "staff", _("entered by staff")
    SELF_REPORT = "self_report", _("the household's own link")


class ServiceRequestQuerySet(ScopedQuerySet):
    scope_permission = "volunteers.view_servicerequest"

    def open(self) -> "ServiceRequestQuerySet":
        return self.filter(status__in=OPEN_REQUEST)

    def overdue(self, now) -> "ServiceRequestQuerySet":
        return self.open().filter(needed_by__lt=now)


class ServiceRequest(TimeStampedModel):
    """Something a household needs brought or done: new → accepted → delivered → confirmed."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    jurisdiction = models.ForeignKey(
        Jurisdiction, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+"
    )
    requester_kind = models.CharField(
        _("for"), max_length=12, choices=RequesterKind.choices, default=RequesterKind.QUARANTINE
    )
    order = models.ForeignKey(
        QuarantineOrder,
        verbose_name=_("quarantine order"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )
    household_name = models.CharField(_("household"), max_length=50)
    address = models.CharField(_("address"), max_length=200)
    phone_cipher = models.BinaryField(null=True, editable=False)
    kind = models.CharField(_("service"), max_length=12, choices=ServiceKind.choices)
    details = models.CharField(_("details"), max_length=500)
    needed_by = models.DateTimeField(_("needed by"))
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    channel = models.CharField(_("raised through"), max_length=12, choices=RequestChannel.choices)
    team = models.ForeignKey(
        VolunteerTeam,
        verbose_name=pgettext_lazy("volunteers", "team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("volunteer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    done_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivery_note = models.CharField(_("delivery note"), max_length=300, blank=True)
    delivery_photo = models.CharField(_("delivery photo"), max_length=200, blank=True)
    hours = models.DecimalField(
        _("hours served"), max_digits=5, decimal_places=1, default=Decimal(0)
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_via = models.CharField(
        _("confirmed through"), max_length=12, choices=RequestChannel.choices, blank=True
    )
    created_by = models.ForeignKey(
        User, verbose_name=_("entered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # When the sweep raised this request's overdue alert (one alert per request, ever).
    overdue_alerted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        ordering = ["needed_by", "pk"]
        permissions = [("dispatch_servicerequest", "Can dispatch service requests")]
        indexes = [
            models.Index(fields=["jurisdiction", "status", "needed_by"], name="request_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.household_name} · {self.get_kind_display()}"

    @property
    def phone(self) -> str:
        return crypto.decrypt(bytes(self.phone_cipher), "phone") if self.phone_cipher else ""

    def is_overdue(self, now=None) -> bool:
        return self.status in OPEN_REQUEST and self.needed_by < (now or timezone.now())


class RequestEvent(models.Model):
    """What happened to a request, and who did it (the household through its link has no
    account: actor is empty and actor_username says so)."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_username = models.CharField(_("by"), max_length=150)
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.status} {self.at:%Y-%m-%d %H:%M}"
