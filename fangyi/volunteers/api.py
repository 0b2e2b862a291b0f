"""The volunteers API (mounted at /api/v1/ by fangyi/api.py): a volunteer's tasks, accept and
deliver from the phone, and the open requests of the user's jurisdiction.

The same rules as the pages: a volunteer reaches only their tasks (selectors.tasks_filter),
dispatchers the requests of their jurisdiction (`visible_to`); anything else is a 404. What the
service refuses is a 400 (a rule) or a 403 (somebody else's task) with its reason.
"""

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from fangyi.core.audit import Actor
from fangyi.volunteers import selectors, services
from fangyi.volunteers.models import OPEN_REQUEST, RequestStatus, ServiceRequest, Volunteer

router = Router(tags=["volunteers"])


class Message(Schema):
    detail: str


class RequestOut(Schema):
    id: UUID
    village: str
    village_name: str
    requester_kind: str
    household_name: str
    address: str
    kind: str
    kind_label: str
    details: str
    needed_by: datetime
    overdue: bool
    status: str
    status_label: str
    volunteer: str
    team: str
    delivery_note: str
    hours: Decimal
    can_accept: bool

    @staticmethod
    def of(row: ServiceRequest, me: Volunteer | None, now: datetime) -> dict:
        return {
            "id": row.external_id,
            "village": row.jurisdiction_id,
            "village_name": row.jurisdiction.name,
            "requester_kind": row.requester_kind,
            "household_name": row.household_name,
            "address": row.address,
            "kind": row.kind,
            "kind_label": row.get_kind_display(),
            "details": row.details,
            "needed_by": row.needed_by,
            "overdue": row.is_overdue(now),
            "status": row.status,
            "status_label": row.get_status_display(),
            "volunteer": row.volunteer.name if row.volunteer_id else "",
            "team": row.team.name if row.team_id else "",
            "delivery_note": row.delivery_note,
            "hours": row.hours,
            "can_accept": services.can_accept(me, row),
        }


def _me(request) -> Volunteer | None:
    return Volunteer.objects.filter(user=request.user, active=True).first()


@router.get("/volunteers/tasks", response=list[RequestOut])
def my_tasks(request):
    """Your open tasks (accepted by you, dispatched to you or your team, or free in your
    village), earliest needed first; an empty list if you are not a registered volunteer."""
    me = _me(request)
    if me is None:
        return []
    now = timezone.now()
    rows = (
        selectors.request_rows(ServiceRequest.objects.filter(selectors.tasks_filter(me)))
        .filter(status__in=OPEN_REQUEST)
        .order_by("needed_by", "pk")
    )
    return [RequestOut.of(row, me, now) for row in rows]


@router.get("/volunteers/requests", response={200: list[RequestOut], 422: Message})
def list_requests(request, status: str = "open"):
    """The requests of your jurisdiction (dispatchers) or your tasks (volunteers); `status`:
    open (default), all, or one status (new, accepted, done, confirmed, cancelled)."""
    statuses = {"open": OPEN_REQUEST, "all": None}
    if status not in statuses and status not in RequestStatus.values:
        return Status(422, {"detail": _("unknown status: %(status)s") % {"status": status}})
    qs = ServiceRequest.objects.visible_to(request.user)
    me = _me(request)
    if not request.user.has_perm("volunteers.dispatch_servicerequest"):
        qs = qs.filter(selectors.tasks_filter(me)) if me else qs.none()
    if status in statuses:
        if statuses[status] is not None:
            qs = qs.filter(status__in=statuses[status])
    else:
        qs = qs.filter(status=status)
    now = timezone.now()
    rows = selectors.request_rows(qs).order_by("needed_by", "pk")[:500]
    return Status(200, [RequestOut.of(row, me, now) for row in rows])


def _request_for(request, request_id: UUID) -> ServiceRequest | None:
    me = _me(request)
    allowed = selectors.tasks_filter(me) if me else Q(pk=None)
    if request.user.has_perm("volunteers.dispatch_servicerequest"):
        in_scope = ServiceRequest.objects.visible_to(request.user).filter(external_id=request_id)
        allowed |= Q(pk__in=in_scope.values("pk"))
    return ServiceRequest.objects.filter(allowed, external_id=request_id).first()


def _act(request, request_id: UUID, action):
    row = _request_for(request, request_id)
    if row is None:
        return Status(404, {"detail": _("no such request of yours")})
    try:
        action(Actor.from_request(request), row)
    except PermissionDenied as error:
        return Status(403, {"detail": str(error)})
    except ValidationError as error:
        return Status(400, {"detail": " ".join(error.messages)})
    row = selectors.request_rows(ServiceRequest.objects.all()).get(pk=row.pk)
    return Status(200, RequestOut.of(row, _me(request), timezone.now()))


@router.post(
    "/volunteers/requests/{uuid:request_id}/accept",
    response={200: RequestOut, 400: Message, 403: Message, 404: Message},
)
def accept(request, request_id: UUID):
    """Take a request dispatched to you, to your team, or to nobody in your village."""
    return _act(request, request_id, services.accept_request)


@router.post(
    "/volunteers/requests/{uuid:request_id}/done",
    response={200: RequestOut, 400: Message, 403: Message, 404: Message},
)
def done(
    request,
    request_id: UUID,
    note: Form[str] = "",
    hours: Form[str] = "",
    photo: File[UploadedFile] = None,
):
    """Mark an accepted request delivered (multipart form: note and/or photo, hours)."""

    def complete(actor, row):
        picture = services.read_upload(photo) if photo is not None else None
        return services.complete_request(actor, row, note=note, photo=picture, hours=hours)

    return _act(request, request_id, complete)
