"""The screening ledger over the API: entries, verification tasks and push lists.

The same scoping (`visible_to`) and services as the pages. ID numbers and phones are always
masked here; entries and push lists are addressed by their UUID, tasks by their number.
"""

from datetime import date, datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from fangyi.core.api_pages import pages_of
from fangyi.core.audit import Actor
from fangyi.core.models import User
from fangyi.ledger import selectors, services
from fangyi.ledger.models import (
    LedgerEntry,
    LedgerEntryEvent,
    PushList,
    VerificationTask,
)

router = Router(tags=["ledger"])


def _user(request) -> User:
    """The account behind the request (a session, or a bearer token: both set request.user)."""
    return request.user


def _require(request, perm: str) -> None:
    if not _user(request).has_perm(perm):
        raise PermissionDenied


# Schemas -------------------------------------------------------------------------------------


class FieldErrors(Schema):
    detail: dict[str, list[str]]


class EntryOut(Schema):
    id: UUID
    person_id: UUID
    person_name: str
    id_number: str
    phone: str
    jurisdiction_code: str
    jurisdiction_name: str
    category: str
    status: str
    status_changed_at: datetime
    source_area: str
    risk_level: str
    arrival_date: date | None
    transport: str
    trip_number: str
    symptoms: str
    local_address: str
    local_contact: str
    local_contact_phone: str
    responsible_cadre: str | None
    notes: str
    push_list_id: UUID | None
    updated_at: datetime

    @staticmethod
    def from_entry(entry: LedgerEntry) -> dict:
        """ID number and phones masked; the cadre given by username."""
        person = entry.person
        return {
            "id": entry.external_id,
            "person_id": person.external_id,
            "person_name": person.name,
            "id_number": person.id_number_masked,
            "phone": person.phone_masked,
            "jurisdiction_code": entry.jurisdiction_id,
            "jurisdiction_name": entry.jurisdiction.name,
            "category": entry.category,
            "status": entry.status,
            "status_changed_at": entry.status_changed_at,
            "source_area": entry.source_area,
            "risk_level": entry.risk_level,
            "arrival_date": entry.arrival_date,
            "transport": entry.transport,
            "trip_number": entry.trip_number,
            "symptoms": entry.symptoms,
            "local_address": entry.local_address,
            "local_contact": entry.local_contact,
            "local_contact_phone": entry.local_contact_phone_masked,
            "responsible_cadre": (
                entry.responsible_cadre.username if entry.responsible_cadre else None
            ),
            "notes": entry.notes,
            "push_list_id": entry.push_list.external_id if entry.push_list else None,
            "updated_at": entry.updated_at,
        }


class EventOut(Schema):
    at: datetime
    by: str
    kind: str
    changes: dict

    @staticmethod
    def from_event(event: LedgerEntryEvent) -> dict:
        return {
            "at": event.at,
            "by": event.actor_username,
            "kind": event.kind,
            "changes": event.changes,
        }


class EntryDetailOut(EntryOut):
    history: list[EventOut]


class EntryPatch(Schema):
    """Only the fields given change; an empty string (or null) clears a field."""

    category: str | None = None
    status: str | None = None
    source_area: str | None = None
    risk_level: str | None = None
    arrival_date: date | None = None
    transport: str | None = None
    trip_number: str | None = None
    symptoms: str | None = None
    local_address: str | None = None
    local_contact: str | None = None
    local_contact_phone: str | None = None
    responsible_cadre: str | None = None  # a username
    notes: str | None = None


class TaskOut(Schema):
    id: int
    push_list_id: UUID
    push_list_name: str
    deadline_at: datetime
    overdue: bool
    entry_id: UUID
    person_name: str
    id_number: str
    jurisdiction_code: str
    jurisdiction_name: str
    source_row: int
    result: str
    verified_by: str | None
    verified_at: datetime | None
    note: str

    @staticmethod
    def from_task(task: VerificationTask, now: datetime) -> dict:
        entry, push_list = task.entry, task.push_list
        return {
            "id": task.pk,
            "push_list_id": push_list.external_id,
            "push_list_name": push_list.name,
            "deadline_at": push_list.deadline_at,
            "overdue": not task.result and push_list.deadline_at < now,
            "entry_id": entry.external_id,
            "person_name": entry.person.name,
            "id_number": entry.person.id_number_masked,
            "jurisdiction_code": entry.jurisdiction_id,
            "jurisdiction_name": entry.jurisdiction.name,
            "source_row": task.source_row,
            "result": task.result,
            "verified_by": task.verified_by.username if task.verified_by else None,
            "verified_at": task.verified_at,
            "note": task.note,
        }


class VerifyIn(Schema):
    result: str
    status: str = ""
    note: str = ""
    symptoms: str | None = None
    local_address: str | None = None
    local_contact: str | None = None
    local_contact_phone: str | None = None
    notes: str | None = None


class PushListOut(Schema):
    id: UUID
    name: str
    source: str
    category: str
    town_code: str
    town_name: str
    received_at: datetime
    deadline_at: datetime
    original_filename: str
    status: str
    progress_percent: int
    failure_reason: str
    rows: int
    imported: int
    matched: int
    merged: int
    errors: int
    tasks: int
    tasks_open: int
    tasks_overdue: int

    @staticmethod
    def from_push_list(push_list: PushList) -> dict:
        """`push_list` comes from `_push_lists` (task counts annotated)."""
        return {
            "id": push_list.external_id,
            "name": push_list.name,
            "source": push_list.source,
            "category": push_list.category,
            "town_code": push_list.town_id,
            "town_name": push_list.town.name,
            "received_at": push_list.received_at,
            "deadline_at": push_list.deadline_at,
            "original_filename": push_list.original_filename,
            "status": push_list.status,
            "progress_percent": push_list.progress_percent,
            "failure_reason": push_list.failure_reason,
            "rows": push_list.rows,
            "imported": push_list.imported,
            "matched": push_list.matched,
            "merged": push_list.merged,
            "errors": push_list.errors,
            "tasks": push_list.tasks_total,
            "tasks_open": push_list.tasks_open,
            "tasks_overdue": push_list.tasks_overdue,
        }


class RowErrorOut(Schema):
    row: int
    column: str
    reason: str


class MergedRowOut(Schema):
    row: int
    into: int


class PushListDetailOut(PushListOut):
    error_rows: list[RowErrorOut]
    merged_rows: list[MergedRowOut]


# Entries -------------------------------------------------------------------------------------


def _entries(request):
    return LedgerEntry.objects.visible_to(_user(request)).select_related(
        "person", "jurisdiction", "responsible_cadre", "push_list"
    )


@router.get("/ledger/entries", response=list[EntryOut])
@paginate(pages_of(EntryOut.from_entry), page_size=50)
def list_entries(request, status: str = "", category: str = "", village: str = ""):
    """Entries in your jurisdiction, newest first; filter by status, category and village (or
    group) code. ID numbers and phones are masked."""
    _require(request, "ledger.view_ledgerentry")
    entries = _entries(request)
    if status:
        entries = entries.filter(status=status)
    if category:
        entries = entries.filter(category=category)
    if village:
        entries = entries.within(village)
    return entries.order_by("-id")


def _get_entry(request, entry_id: UUID) -> LedgerEntry:
    return get_object_or_404(_entries(request), external_id=entry_id)


def _entry_detail(entry: LedgerEntry) -> dict:
    events = LedgerEntryEvent.objects.filter(entry=entry).order_by("-at", "-id")
    return {**EntryOut.from_entry(entry), "history": [EventOut.from_event(e) for e in events]}


@router.get("/ledger/entries/{entry_id}", response=EntryDetailOut)
def get_entry(request, entry_id: UUID):
    """One entry with its history (newest change first)."""
    _require(request, "ledger.view_ledgerentry")
    return _entry_detail(_get_entry(request, entry_id))


@router.patch("/ledger/entries/{entry_id}", response={200: EntryDetailOut, 422: FieldErrors})
def update_entry(request, entry_id: UUID, payload: EntryPatch):
    """Change the fields given; the history records each change (old → new)."""
    _require(request, "ledger.change_ledgerentry")
    entry = _get_entry(request, entry_id)
    values = payload.dict(exclude_unset=True)
    if "responsible_cadre" in values:
        username = (values["responsible_cadre"] or "").strip()
        cadre = User.objects.filter(username=username, is_active=True).first()
        if username and cadre is None:
            return Status(
                422,
                {
                    "detail": {
                        "responsible_cadre": [
                            _("there is no account “%(name)s”") % {"name": username}
                        ]
                    }
                },
            )
        values["responsible_cadre"] = cadre
    for name, value in values.items():
        if value is None and name not in ("responsible_cadre", "arrival_date"):
            values[name] = ""
    try:
        services.update_entry(Actor.from_request(request), entry, **values)
    except ValidationError as error:
        return Status(422, {"detail": error.message_dict})
    return Status(200, _entry_detail(_get_entry(request, entry_id)))


# Verification tasks --------------------------------------------------------------------------


def _tasks(request):
    return VerificationTask.objects.visible_to(_user(request)).select_related(
        "push_list", "entry__person", "entry__jurisdiction", "verified_by"
    )


@router.get("/ledger/tasks", response=list[TaskOut])
@paginate(pages_of(lambda task: TaskOut.from_task(task, timezone.now())), page_size=50)
def list_tasks(request, push_list: UUID | None = None, overdue: bool = False):
    """Open verification tasks in your jurisdiction, earliest deadline first."""
    _require(request, "ledger.view_verificationtask")
    tasks = _tasks(request).open()
    if push_list:
        tasks = tasks.filter(push_list__external_id=push_list)
    if overdue:
        tasks = tasks.overdue()
    return tasks.order_by("push_list__deadline_at", "push_list_id", "source_row", "id")


@router.post("/ledger/tasks/{int:task_id}/verify", response={200: TaskOut, 422: FieldErrors})
def verify_task(request, task_id: int, payload: VerifyIn):
    """Record the verification result (and the person's status after the visit)."""
    _require(request, "ledger.change_verificationtask")
    task = get_object_or_404(_tasks(request), pk=task_id)
    values = {
        name: "" if value is None else value
        for name, value in payload.dict(exclude_unset=True).items()
    }
    try:
        services.verify_task(Actor.from_request(request), task, **values)
    except ValidationError as error:
        return Status(422, {"detail": error.message_dict})
    return Status(200, TaskOut.from_task(task, timezone.now()))


# Push lists ----------------------------------------------------------------------------------


def _push_lists(request):
    return (
        PushList.objects.visible_to(_user(request))
        .select_related("town")
        .annotate(**selectors.verification_counts(on_push_list=True))
    )


@router.get("/ledger/push-lists", response=list[PushListOut])
@paginate(pages_of(PushListOut.from_push_list), page_size=50)
def list_push_lists(request):
    """Push lists received by your town (or the towns of your county), newest first, with the
    import's outcome and how many of their people are still to verify."""
    _require(request, "ledger.view_pushlist")
    return _push_lists(request).order_by("-received_at", "-id")


@router.get("/ledger/push-lists/{push_list_id}", response=PushListDetailOut)
def get_push_list(request, push_list_id: UUID):
    _require(request, "ledger.view_pushlist")
    push_list = get_object_or_404(_push_lists(request), external_id=push_list_id)
    return {
        **PushListOut.from_push_list(push_list),
        "error_rows": push_list.error_rows,
        "merged_rows": push_list.merged_rows,
    }
