"""Every write about volunteers, their teams and the household service requests they carry out.

A request goes new → accepted → done (delivered) → confirmed; any open one may be cancelled with
a reason. Each status change writes a RequestEvent (who, when, what).

Who may do what:
- Village cadres, grid leaders and the town (volunteers.add_servicerequest /
  dispatch_servicerequest) raise requests in their jurisdiction, dispatch them to a volunteer or
  a team of the request's village, confirm a delivery on the household's behalf, cancel.
- A volunteer (an account with a Volunteer record and volunteers.change_servicerequest) accepts
  a request dispatched to them, or to their team with nobody named yet, or one that is not
  dispatched at all in their own village: at 3 a.m. whoever is awake takes the groceries, and
  waiting for the cadre to dispatch helps nobody. A request dispatched to somebody else (or to
  another team) is not theirs: refused. Done is marked by the volunteer who accepted it (or by
  a dispatcher on their behalf, e.g. when the volunteer's phone is dead).
- The household confirms through its quarantine self-report link (no account).

A request for a quarantine order needs the order running: a released family is asked to use the
ordinary channels (the village's request for a vulnerable resident, if still needed).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core import crypto
from fangyi.core.audit import Actor, record_audit
from fangyi.core.identity import IdentityError, clean_text, mask_phone, normalize_phone
from fangyi.core.models import AlertKind, AuditAction, Jurisdiction
from fangyi.core.services import raise_alert, require_in_jurisdiction, require_permission
from fangyi.quarantine import services as quarantine_services
from fangyi.quarantine.models import OrderStatus, QuarantineOrder
from fangyi.volunteers.models import (
    OPEN_REQUEST,
    Availability,
    RequestChannel,
    RequesterKind,
    RequestEvent,
    RequestStatus,
    ServiceKind,
    ServiceRequest,
    Skill,
    Volunteer,
    VolunteerTeam,
)

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_DIR = "service-photos"
MAX_HOURS = Decimal(24)
HOUSEHOLD = "household"  # the RequestEvent.actor_username of the family's own link

_VOLUNTEER_FIELDS = {"name", "phone", "jurisdiction", "skills", "availability", "party_member"}
_VOLUNTEER_FIELDS |= {"team", "user", "active"}


# Volunteers and teams ------------------------------------------------------------------------


def _clean_phone(phone: str, field: str = "phone") -> str:
    try:
        return normalize_phone(phone)
    except IdentityError as error:
        raise ValidationError({field: str(error)}) from error


def _check_volunteer(values: dict, errors: dict, volunteer: Volunteer | None = None) -> None:
    """Problems with a volunteer's fields; `volunteer` is the one being changed, if any."""
    if not clean_text(values.get("name")):
        errors["name"] = _("give the volunteer's name")
    skills = list(values.get("skills") or ())
    unknown = [s for s in skills if s not in Skill.values]
    if unknown:
        errors["skills"] = _("unknown skill: %(skill)s") % {"skill": ", ".join(map(str, unknown))}
    if values.get("availability") not in Availability.values:
        errors["availability"] = _("choose when the volunteer is available")
    team = values.get("team")
    jurisdiction = values.get("jurisdiction")
    if team is not None and jurisdiction is not None and team.jurisdiction_id != jurisdiction.pk:
        errors["team"] = _("the team belongs to another village")
    user = values.get("user")
    town = jurisdiction.pk[:9] if jurisdiction is not None else None
    if user is not None and town and not (user.jurisdiction_id or "").startswith(town):
        errors["user"] = _("this account belongs to another town")
    elif user is not None:
        others = Volunteer.objects.filter(user=user)
        if volunteer is not None:
            others = others.exclude(pk=volunteer.pk)
        if others.exists():
            errors["user"] = _("this account is already linked to another volunteer")


def _store_phone(volunteer: Volunteer, phone: str) -> None:
    volunteer.phone_cipher = crypto.encrypt(phone, "phone")
    volunteer.phone_index = crypto.blind_index(phone, "phone")


def _save_volunteer(volunteer: Volunteer) -> Volunteer:
    try:
        with transaction.atomic():
            volunteer.save()
    except IntegrityError as error:
        text = str(error)
        if "phone" in text:
            raise ValidationError(
                {"phone": _("a volunteer with this phone number is already registered")}
            ) from error
        raise ValidationError(
            {"user": _("this account is already linked to another volunteer")}
        ) from error
    return volunteer


@transaction.atomic
def register_volunteer(
    actor: Actor,
    *,
    name: str,
    phone: str,
    jurisdiction: Jurisdiction,
    skills=(),
    availability: str = Availability.ANY_TIME,
    party_member: bool = False,
    team: VolunteerTeam | None = None,
    user=None,
) -> Volunteer:
    require_permission(actor, "volunteers.add_volunteer")
    require_in_jurisdiction(actor, jurisdiction.code)
    values = {
        "name": name,
        "jurisdiction": jurisdiction,
        "skills": skills,
        "availability": availability,
        "team": team,
        "user": user,
    }
    errors: dict = {}
    _check_volunteer(values, errors)
    try:
        clean = normalize_phone(phone)
    except IdentityError as error:
        errors["phone"] = str(error)
    if errors:
        raise ValidationError(errors)
    volunteer = Volunteer(
        name=clean_text(name),
        jurisdiction=jurisdiction,
        skills=list(dict.fromkeys(skills)),
        availability=availability,
        party_member=bool(party_member),
        team=team,
        user=user,
    )
    _store_phone(volunteer, clean)
    return _save_volunteer(volunteer)


@transaction.atomic
def update_volunteer(actor: Actor, volunteer: Volunteer, **fields) -> Volunteer:
    """Change some of a volunteer's fields (those of register_volunteer, and `active`); an
    empty phone keeps the current number."""
    require_permission(actor, "volunteers.change_volunteer")
    require_in_jurisdiction(actor, volunteer.jurisdiction_id)
    unknown = set(fields) - _VOLUNTEER_FIELDS
    if unknown:
        raise TypeError(f"update_volunteer: unknown fields {sorted(unknown)}")
    if "jurisdiction" in fields:
        require_in_jurisdiction(actor, fields["jurisdiction"].code)
    values = {
        "name": volunteer.name,
        "jurisdiction": volunteer.jurisdiction,
        "skills": volunteer.skills,
        "availability": volunteer.availability,
        "team": volunteer.team,
        "user": volunteer.user,
        **{k: v for k, v in fields.items() if k != "phone"},
    }
    errors: dict = {}
    _check_volunteer(values, errors, volunteer)
    phone = clean_text(fields.get("phone") or "")
    if phone:
        try:
            phone = normalize_phone(phone)
        except IdentityError as error:
            errors["phone"] = str(error)
    if errors:
        raise ValidationError(errors)
    volunteer.name = clean_text(values["name"])
    volunteer.jurisdiction = values["jurisdiction"]
    volunteer.skills = list(dict.fromkeys(values["skills"] or ()))
    volunteer.availability = values["availability"]
    volunteer.team = values["team"]
    volunteer.user = values["user"]
    if "party_member" in fields:
        volunteer.party_member = bool(fields["party_member"])
    if "active" in fields:
        volunteer.active = bool(fields["active"])
    if phone:
        _store_phone(volunteer, phone)
    return _save_volunteer(volunteer)


@transaction.atomic
def save_team(actor: Actor, team: VolunteerTeam) -> VolunteerTeam:
    require_permission(actor, "volunteers.change_volunteer")
    require_in_jurisdiction(actor, team.jurisdiction_id)
    team.name = clean_text(team.name)
    if not team.name:
        raise ValidationError({"name": _("give the team a name")})
    if team.leader_id and team.leader.jurisdiction_id != team.jurisdiction_id:
        raise ValidationError({"leader": _("the leader must be a volunteer of the team's village")})
    if (
        VolunteerTeam.objects.filter(jurisdiction_id=team.jurisdiction_id, name=team.name)
        .exclude(pk=team.pk)
        .exists()
    ):
        raise ValidationError({"name": _("this village already has a team of that name")})
    team.save()
    return team


@transaction.atomic
def set_team_leader(actor: Actor, team: VolunteerTeam, volunteer: Volunteer | None) -> None:
    """Make `volunteer` the team's leader (they join the team if they were not in it)."""
    require_permission(actor, "volunteers.change_volunteer")
    require_in_jurisdiction(actor, team.jurisdiction_id)
    if volunteer is not None:
        if volunteer.jurisdiction_id != team.jurisdiction_id:
            raise ValidationError(
                {"leader": _("the leader must be a volunteer of the team's village")}
            )
        if volunteer.team_id != team.pk:
            volunteer.team = team
            volunteer.save(update_fields=["team", "updated_at"])
    team.leader = volunteer
    team.save(update_fields=["leader", "updated_at"])


# Requests ------------------------------------------------------------------------------------


def _event(
    request: ServiceRequest, actor: Actor | None, status: str, note: str = "", at=None
) -> RequestEvent:
    return RequestEvent.objects.create(
        request=request,
        at=at or timezone.now(),
        actor=actor.user if actor else None,
        actor_username=actor.username if actor else HOUSEHOLD,
        status=status,
        note=note[:300],
    )


def order_problem(order: QuarantineOrder) -> str:
    """Why no request may be raised for this order ("" when it may)."""
    if order.is_running:
        return ""
    ended = timezone.localtime(order.ended_at) if order.ended_at else None
    day = f"{ended.month}/{ended.day}" if ended else "?"
    if order.status == OrderStatus.RELEASED:
        return _(
            "this person's quarantine has ended (released %(day)s): a household service "
            "request is only for a household under quarantine; raise it for a vulnerable "
            "resident if help is still needed"
        ) % {"day": day}
    return _(
        "this person's quarantine order has ended (%(status)s %(day)s): a household service "
        "request is only for a household under quarantine"
    ) % {"status": order.get_status_display(), "day": day}


def _check_request(kind: str, details: str, needed_by, errors: dict, now: datetime) -> None:
    if kind not in ServiceKind.values:
        errors["kind"] = _("choose what is needed")
    if not clean_text(details):
        errors["details"] = _("say what is needed (what, how much)")
    elif len(clean_text(details)) > 500:
        errors["details"] = _("keep the details under 500 characters")
    if not isinstance(needed_by, datetime) or timezone.is_naive(needed_by):
        errors["needed_by"] = _("say by when it is needed")
    elif needed_by < now - timedelta(hours=1):
        errors["needed_by"] = _("this time is already past")


def _existing(client_id) -> ServiceRequest | None:
    if client_id is None:
        return None
    return ServiceRequest.objects.filter(client_id=client_id).first()


@transaction.atomic
def create_request(
    actor: Actor,
    *,
    jurisdiction: Jurisdiction,
    kind: str,
    details: str,
    needed_by: datetime,
    household_name: str = "",
    address: str = "",
    phone: str = "",
    requester_kind: str = RequesterKind.QUARANTINE,
    order: QuarantineOrder | None = None,
    client_id=None,
) -> ServiceRequest:
    """Raise a request (entered by staff). With an order, the household's name and address
    default to the person's and the order's; the order must be running and in the village.
    A retry with the same client_id returns the first request."""
    require_permission(actor, "volunteers.add_servicerequest")
    require_in_jurisdiction(actor, jurisdiction.code)
    existing = _existing(client_id)
    if existing is not None:
        return existing
    now = timezone.now()
    errors: dict = {}
    if requester_kind not in RequesterKind.values:
        errors["requester_kind"] = _("say who the request is for")
    if requester_kind == RequesterKind.QUARANTINE:
        if order is None:
            errors["order"] = _("choose the quarantine order of the household")
        else:
            problem = order_problem(order)
            if problem:
                errors["order"] = problem
            elif not order.jurisdiction_id.startswith(jurisdiction.code):
                errors["order"] = _("this quarantine order is followed by another village")
            household_name = clean_text(household_name) or order.person.name
            address = clean_text(address) or order.address or order.person.current_address
    elif order is not None:
        errors["order"] = _("a quarantine order goes with a household in quarantine only")
    _check_request(kind, details, needed_by, errors, now)
    if not clean_text(household_name):
        errors["household_name"] = _("give the household's name")
    if not clean_text(address):
        errors["address"] = _("give the address to bring it to")
    phone_clean = ""
    if clean_text(phone):
        try:
            phone_clean = normalize_phone(phone)
        except IdentityError as error:
            errors["phone"] = str(error)
    if errors:
        raise ValidationError(errors)
    request = ServiceRequest.objects.create(
        jurisdiction=jurisdiction,
        requester_kind=requester_kind,
        order=order,
        household_name=clean_text(household_name)[:50],
        address=clean_text(address)[:200],
        phone_cipher=crypto.encrypt(phone_clean, "phone") if phone_clean else None,
        kind=kind,
        details=clean_text(details),
        needed_by=needed_by,
        channel=RequestChannel.STAFF,
        created_by=actor.user,
        client_id=client_id,
    )
    _event(request, actor, RequestStatus.NEW, at=now)
    return request


def _household_order(token: str) -> QuarantineOrder:
    order = quarantine_services.find_order_by_token(token)
    if order is None:
        raise PermissionDenied(_("this link is not valid"))
    problem = quarantine_services.self_report_problem(order)
    if problem:
        raise ValidationError(problem)
    return order


@transaction.atomic
def request_from_household(
    token: str, *, kind: str, details: str, needed_by: datetime, client_id
) -> ServiceRequest:
    """The family asks through its self-report link. The order must be running (and the link
    valid); the request goes to the order's village, under the person's name and the order's
    address. A double tap (same client_id) is one request."""
    order = _household_order(token)
    existing = _existing(client_id)
    if existing is not None:
        if existing.order_id != order.pk:
            raise ValidationError(_("this form is out of date: reload the page and send it again"))
        return existing
    errors: dict = {}
    _check_request(kind, details, needed_by, errors, timezone.now())
    if client_id is None:
        errors["client_id"] = _("this form is out of date: reload the page and send it again")
    if errors:
        raise ValidationError(errors)
    village = _request_village(order)
    request = ServiceRequest.objects.create(
        jurisdiction=village,
        requester_kind=RequesterKind.QUARANTINE,
        order=order,
        household_name=order.person.name[:50],
        address=(order.address or order.person.current_address or order.person.name)[:200],
        phone_cipher=order.person.phone_cipher,
        kind=kind,
        details=clean_text(details),
        needed_by=needed_by,
        channel=RequestChannel.SELF_REPORT,
        client_id=client_id,
    )
    _event(request, None, RequestStatus.NEW, note=_("asked through the household's own link"))
    return request


def _request_village(order: QuarantineOrder) -> Jurisdiction:
    """Requests belong to a village (a group's order goes to its village; a town-level order,
    e.g. a site's, stays with the town)."""
    code = order.jurisdiction_id
    if len(code) > 12:
        return Jurisdiction.objects.get(pk=code[:12])
    return order.jurisdiction


def _locked(request: ServiceRequest) -> ServiceRequest:
    return (
        ServiceRequest.objects.select_for_update(of=("self",))  # volunteer, team: outer joins
        .select_related("volunteer", "team")
        .get(pk=request.pk)
    )


def _require_open(request: ServiceRequest) -> None:
    if request.status not in OPEN_REQUEST:
        raise ValidationError(
            _("this request is already %(status)s") % {"status": request.get_status_display()}
        )


def _acting_volunteer(actor: Actor) -> Volunteer:
    volunteer = getattr(actor.user, "volunteer", None) if actor.user else None
    if volunteer is None or not volunteer.active:
        raise PermissionDenied(_("only a registered volunteer can take a request"))
    return volunteer


@transaction.atomic
def dispatch_request(
    actor: Actor,
    request: ServiceRequest,
    *,
    volunteer: Volunteer | None = None,
    team: VolunteerTeam | None = None,
) -> ServiceRequest:
    """Give a new request to a volunteer and/or a team of its village (a volunteer alone brings
    their team along). Dispatching an accepted request to someone else takes it back to new."""
    require_permission(actor, "volunteers.dispatch_servicerequest")
    require_in_jurisdiction(actor, request.jurisdiction_id)
    request = _locked(request)
    _require_open(request)
    if volunteer is None and team is None:
        raise ValidationError({"volunteer": _("choose a volunteer or a team")})
    errors = {}
    if volunteer is not None:
        if volunteer.jurisdiction_id != request.jurisdiction_id:
            errors["volunteer"] = _("this volunteer belongs to another village")
        elif not volunteer.active:
            errors["volunteer"] = _("this volunteer is no longer active")
        if team is None:
            team = volunteer.team
    if team is not None and team.jurisdiction_id != request.jurisdiction_id:
        errors["team"] = _("this team belongs to another village")
    if errors:
        raise ValidationError(errors)
    changed_hands = request.volunteer_id and request.volunteer_id != getattr(volunteer, "pk", None)
    request.volunteer = volunteer
    request.team = team
    fields = ["volunteer", "team", "updated_at"]
    if request.status == RequestStatus.ACCEPTED and changed_hands:
        request.status = RequestStatus.NEW
        request.accepted_at = None
        fields += ["status", "accepted_at"]
    request.save(update_fields=fields)
    to = ", ".join(str(x) for x in (volunteer, team) if x is not None)
    _event(request, actor, request.status, note=_("dispatched to %(to)s") % {"to": to})
    return request


def can_accept(volunteer: Volunteer | None, request: ServiceRequest) -> bool:
    """The module's rule: dispatched to me, to my team with nobody named, or to nobody in my
    village."""
    if volunteer is None or not volunteer.active or request.status != RequestStatus.NEW:
        return False
    if request.volunteer_id:
        return request.volunteer_id == volunteer.pk
    if request.team_id:
        return request.team_id == volunteer.team_id
    return request.jurisdiction_id == volunteer.jurisdiction_id


@transaction.atomic
def accept_request(actor: Actor, request: ServiceRequest) -> ServiceRequest:
    require_permission(actor, "volunteers.change_servicerequest")
    volunteer = _acting_volunteer(actor)
    request = _locked(request)
    if request.status == RequestStatus.ACCEPTED and request.volunteer_id == volunteer.pk:
        return request  # a double tap
    _require_open(request)
    if request.status != RequestStatus.NEW or not can_accept(volunteer, request):
        raise PermissionDenied(_("this request is dispatched to somebody else"))
    now = timezone.now()
    request.status = RequestStatus.ACCEPTED
    request.volunteer = volunteer
    request.team_id = request.team_id or volunteer.team_id
    request.accepted_at = now
    request.save(update_fields=["status", "volunteer", "team", "accepted_at", "updated_at"])
    _event(request, actor, RequestStatus.ACCEPTED, at=now)
    return request


@dataclass(frozen=True)
class Photo:
    """An uploaded delivery photo: its bytes and the phone's file name."""

    content: bytes
    filename: str = ""


def read_upload(upload) -> Photo:
    """A Django UploadedFile → Photo, reading at most one byte past the limit."""
    if upload.size is not None and upload.size > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": _photo_too_big()})
    content = upload.read(PHOTO_MAX_BYTES + 1)
    return Photo(content=content, filename=upload.name or "")


def _photo_too_big() -> str:
    return _("the photo is larger than %(mb)d MB: take it again at a lower resolution") % {
        "mb": PHOTO_MAX_BYTES // (1024 * 1024)
    }


def _photo_suffix(content: bytes) -> str:
    if content.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    raise ValidationError({"photo": _("the photo must be a JPEG or PNG picture")})


def _parse_hours(hours) -> Decimal:
    if hours in (None, ""):
        return Decimal(0)
    try:
        value = Decimal(str(hours).strip())
    except InvalidOperation as error:
        raise ValidationError({"hours": _("give the hours as a number, e.g. 1.5")}) from error
    if not value.is_finite() or value < 0 or value > MAX_HOURS:
        raise ValidationError({"hours": _("hours served are between 0 and 24")})
    return value.quantize(Decimal("0.1"))


def photo_path(request: ServiceRequest) -> Path | None:
    if not request.delivery_photo:
        return None
    return Path(settings.UPLOAD_DIR) / request.delivery_photo


@transaction.atomic
def complete_request(
    actor: Actor,
    request: ServiceRequest,
    *,
    note: str = "",
    photo: Photo | None = None,
    hours=None,
) -> ServiceRequest:
    """Mark an accepted request delivered, with a note or a photo (one of them at least) and
    the hours served (recorded for the volunteer)."""
    require_permission(actor, "volunteers.change_servicerequest")
    request = _locked(request)
    if request.status == RequestStatus.DONE:
        return request  # a double tap
    if request.status != RequestStatus.ACCEPTED:
        if request.status == RequestStatus.NEW:
            raise ValidationError(_("accept the request before marking it delivered"))
        _require_open(request)
    mine = actor.user is not None and request.volunteer.user_id == actor.user.pk
    if not mine:
        require_permission(actor, "volunteers.dispatch_servicerequest")
        require_in_jurisdiction(actor, request.jurisdiction_id)
    note = clean_text(note)
    errors: dict = {}
    if len(note) > 300:
        errors["note"] = _("keep the note under 300 characters")
    suffix = ""
    if photo is not None and photo.content:
        if len(photo.content) > PHOTO_MAX_BYTES:
            errors["photo"] = _photo_too_big()
        else:
            try:
                suffix = _photo_suffix(photo.content)
            except ValidationError as error:
                errors.update(error.message_dict)
    elif not note:
        errors["note"] = _("add a note or a photo of the delivery")
    try:
        value = _parse_hours(hours)
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    if suffix:
        relative = f"{PHOTO_DIR}/{request.external_id}-{uuid.uuid4().hex[:8]}{suffix}"
        target = Path(settings.UPLOAD_DIR) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(photo.content)
        request.delivery_photo = relative
    request.status = RequestStatus.DONE
    request.done_at = now
    request.delivery_note = note
    request.hours = value
    request.save(
        update_fields=[
            "status",
            "done_at",
            "delivery_note",
            "delivery_photo",
            "hours",
            "updated_at",
        ]
    )
    _event(request, actor, RequestStatus.DONE, note=note, at=now)
    return request


def _confirm(request: ServiceRequest, actor: Actor | None, via: str) -> ServiceRequest:
    if request.status == RequestStatus.CONFIRMED:
        return request
    if request.status != RequestStatus.DONE:
        raise ValidationError(_("only a delivered request can be confirmed"))
    now = timezone.now()
    request.status = RequestStatus.CONFIRMED
    request.confirmed_at = now
    request.confirmed_via = via
    request.save(update_fields=["status", "confirmed_at", "confirmed_via", "updated_at"])
    _event(request, actor, RequestStatus.CONFIRMED, at=now)
    return request


@transaction.atomic
def confirm_request(actor: Actor, request: ServiceRequest) -> ServiceRequest:
    """Staff confirm the household received it (e.g. by phone)."""
    require_permission(actor, "volunteers.dispatch_servicerequest")
    require_in_jurisdiction(actor, request.jurisdiction_id)
    return _confirm(_locked(request), actor, RequestChannel.STAFF)


@transaction.atomic
def confirm_from_household(token: str, request_external_id) -> ServiceRequest:
    """The family taps "received" on its link: only a request of its own order."""
    order = _household_order(token)
    try:
        request = ServiceRequest.objects.select_for_update().get(
            external_id=request_external_id, order=order
        )
    except (ServiceRequest.DoesNotExist, ValueError, ValidationError) as error:
        raise PermissionDenied(_("this request is not yours")) from error
    return _confirm(request, None, RequestChannel.SELF_REPORT)


@transaction.atomic
def cancel_request(actor: Actor, request: ServiceRequest, reason: str) -> ServiceRequest:
    require_permission(actor, "volunteers.dispatch_servicerequest")
    require_in_jurisdiction(actor, request.jurisdiction_id)
    request = _locked(request)
    _require_open(request)
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": _("say why the request is cancelled")})
    request.status = RequestStatus.CANCELLED
    request.save(update_fields=["status", "updated_at"])
    _event(request, actor, RequestStatus.CANCELLED, note=reason)
    return request


def request_link(request: ServiceRequest) -> str:
    return reverse("volunteers:request", kwargs={"external_id": request.external_id})


def sweep_overdue_requests(now: datetime | None = None) -> int:
    """Raise one SERVICE_OVERDUE alert for each open request past its needed-by time (once per
    request: `overdue_alerted_at` remembers it). Returns the number of alerts raised."""
    now = now or timezone.now()
    raised = 0
    candidates = (
        ServiceRequest.objects.overdue(now)
        .filter(overdue_alerted_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in list(candidates):
        with transaction.atomic():
            request = (
                ServiceRequest.objects.select_for_update()
                .select_related("jurisdiction")
                .filter(pk=pk, overdue_alerted_at__isnull=True, status__in=OPEN_REQUEST)
                .first()
            )
            if request is None:
                continue
            due = timezone.localtime(request.needed_by)
            raise_alert(
                AlertKind.SERVICE_OVERDUE,
                jurisdiction=request.jurisdiction,
                message=_(
                    "%(kind)s for %(household)s was needed by %(due)s and is still %(status)s"
                )
                % {
                    "kind": request.get_kind_display(),
                    "household": request.household_name,
                    "due": f"{due.month}/{due.day} {due:%H:%M}",
                    "status": request.get_status_display(),
                },
                link=request_link(request),
                raised_at=now,
            )
            request.overdue_alerted_at = now
            request.save(update_fields=["overdue_alerted_at"])
            raised += 1
    return raised


def reveal_request_phone(actor: Actor, request: ServiceRequest) -> str:
    """The household's phone in clear, for the volunteer or cadre about to call; written to the
    audit log."""
    require_permission(actor, "volunteers.view_servicerequest")
    require_in_jurisdiction(actor, request.jurisdiction_id)
    phone = request.phone
    if phone:
        record_audit(
            actor,
            AuditAction.REVEAL,
            object_type="volunteers.servicerequest",
            object_id=str(request.external_id),
            object_repr=f"{request.household_name} {mask_phone(phone)}",
            jurisdiction_code=request.jurisdiction_id,
            changes={"field": "phone"},
        )
    return phone
