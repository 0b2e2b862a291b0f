"""Enterprise resumption over the API (mounted at /api/v1/ by fangyi/api.py): the filings a
user may see, one filing with its flagged employees (always masked), and the daily
temperature summary an approved enterprise reports.

The same scoping (`visible_to`) and services as the pages: a filing or enterprise outside the
user's reach is a 404, a role that may not act a 403, values the service refuses a 422 naming
each field, in the request's language.
"""

from datetime import date, datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from fangyi.core.api_pages import pages_of
from fangyi.core.audit import Actor
from fangyi.enterprises import services
from fangyi.enterprises.models import (
    Employee,
    Enterprise,
    Filing,
    FilingEvent,
    Inspection,
    TemperatureSummary,
)

router = Router(tags=["enterprises"])
VIEW = "enterprises.view_enterprise"
FLAGGED_SHOWN = 500  # a detail lists at most this many flagged employees


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


# Schemas -------------------------------------------------------------------------------------


class FilingOut(Schema):
    id: UUID
    enterprise_id: UUID
    enterprise_name: str
    credit_code: str
    jurisdiction_code: str
    jurisdiction_name: str
    industry: str
    size: str
    status: str
    status_label: str
    planned_reopening: date | None
    employee_count: int
    flagged_count: int
    warnings: int
    submitted_at: datetime | None
    decided_at: datetime | None
    reopened_on: date | None
    updated_at: datetime

    @staticmethod
    def from_filing(filing: Filing) -> dict:
        enterprise = filing.enterprise
        return {
            "id": filing.external_id,
            "enterprise_id": enterprise.external_id,
            "enterprise_name": enterprise.name,
            "credit_code": enterprise.credit_code,
            "jurisdiction_code": enterprise.jurisdiction_id,
            "jurisdiction_name": enterprise.jurisdiction.name,
            "industry": enterprise.industry,
            "size": enterprise.size,
            "status": filing.status,
            "status_label": filing.get_status_display(),
            "planned_reopening": filing.planned_reopening,
            "employee_count": filing.employee_count,
            "flagged_count": filing.flagged_count,
            "warnings": len(filing.warnings or []),
            "submitted_at": filing.submitted_at,
            "decided_at": filing.decided_at,
            "reopened_on": filing.reopened_on,
            "updated_at": filing.updated_at,
        }


class FlagOut(Schema):
    kind: str
    message: str


class EmployeeOut(Schema):
    row: int
    name: str
    id_number: str  # masked
    phone: str  # masked
    flags: list[FlagOut]

    @staticmethod
    def from_employee(employee: Employee) -> dict:
        return {
            "row": employee.source_row,
            "name": employee.name,
            "id_number": employee.id_number_masked,
            "phone": employee.phone_masked,
            "flags": employee.flags,
        }


class WarningOut(Schema):
    field: str
    message: str


class RowErrorOut(Schema):
    row: int
    column: str
    reason: str


class InspectionOut(Schema):
    inspected_on: date
    inspectors: str
    findings: str
    passed: bool

    @staticmethod
    def from_inspection(inspection: Inspection) -> dict:
        return {
            "inspected_on": inspection.inspected_on,
            "inspectors": inspection.inspectors,
            "findings": inspection.findings,
            "passed": inspection.passed,
        }


class EventOut(Schema):
    at: datetime
    by: str
    status: str
    message: str

    @staticmethod
    def from_event(event: FilingEvent) -> dict:
        return {
            "at": event.at,
            "by": event.actor_username,
            "status": event.status,
            "message": event.message,
        }


class FilingDetailOut(FilingOut):
    commitment_signed_by: str
    plan_filename: str
    mask_days: int
    thermometer_days: int
    disinfectant_days: int
    isolation_rooms: int
    roster_filename: str
    decision_reason: str
    warning_list: list[WarningOut]
    roster_errors: list[RowErrorOut]
    flagged_employees: list[EmployeeOut]
    inspections: list[InspectionOut]
    events: list[EventOut]


class TemperaturesIn(Schema):
    day: date
    checked: int
    fever: int
    absent: int = 0
    note: str = ""


class TemperaturesOut(Schema):
    enterprise_id: UUID
    day: date
    checked: int
    fever: int
    absent: int
    note: str
    reported_by: str
    reported_at: datetime

    @staticmethod
    def from_summary(summary: TemperatureSummary) -> dict:
        by = summary.reported_by
        return {
            "enterprise_id": summary.enterprise.external_id,
            "day": summary.day,
            "checked": summary.checked,
            "fever": summary.fever,
            "absent": summary.absent,
            "note": summary.note,
            "reported_by": by.username if by else "",
            "reported_at": summary.reported_at,
        }


class ProblemOut(Schema):
    field: str
    message: str


class RejectedOut(Schema):
    problems: list[ProblemOut]


class Message(Schema):
    detail: str


# Filings -------------------------------------------------------------------------------------


def _filings(request):
    return Filing.objects.visible_to(request.user).select_related(
        "enterprise", "enterprise__jurisdiction"
    )


@router.get("/enterprises/filings", response=list[FilingOut])
@paginate(pages_of(FilingOut.from_filing), page_size=50)
def list_filings(request, status: str = ""):
    """Filings you may see (an enterprise's contact: their own; a village or town: theirs),
    newest first; `status` filters (draft, submitted, forwarded, approved, rejected,
    reopened; several separated by commas)."""
    _require(request, VIEW)
    filings = _filings(request)
    if statuses := [s for s in status.split(",") if s.strip()]:
        filings = filings.filter(status__in=[s.strip() for s in statuses])
    return filings.order_by("-updated_at", "-pk")


@router.get("/enterprises/filings/{filing_id}", response={200: FilingDetailOut, 404: Message})
def get_filing(request, filing_id: UUID):
    """One filing with its warnings, roster errors, flagged employees (ID numbers and phones
    masked), inspections and history."""
    _require(request, VIEW)
    filing = get_object_or_404(_filings(request), external_id=filing_id)
    flagged = filing.employees.filter(flagged=True).order_by("source_row")[:FLAGGED_SHOWN]
    return {
        **FilingOut.from_filing(filing),
        "commitment_signed_by": filing.commitment_signed_by,
        "plan_filename": filing.plan_filename,
        "mask_days": filing.mask_days,
        "thermometer_days": filing.thermometer_days,
        "disinfectant_days": filing.disinfectant_days,
        "isolation_rooms": filing.isolation_rooms,
        "roster_filename": filing.roster_filename,
        "decision_reason": filing.decision_reason,
        "warning_list": filing.warnings or [],
        "roster_errors": filing.roster_errors or [],
        "flagged_employees": [EmployeeOut.from_employee(e) for e in flagged],
        "inspections": [InspectionOut.from_inspection(i) for i in filing.inspections.all()],
        "events": [EventOut.from_event(e) for e in filing.events.order_by("-at", "-pk")],
    }


# Daily temperatures --------------------------------------------------------------------------


def _problems(error: ValidationError) -> list[dict]:
    if not hasattr(error, "error_dict"):
        return [{"field": "__all__", "message": message} for message in error.messages]
    return [
        {"field": field, "message": message}
        for field, messages in error.message_dict.items()
        for message in messages
    ]


@router.post(
    "/enterprises/{enterprise_id}/temperatures",
    response={201: TemperaturesOut, 403: Message, 404: Message, 422: RejectedOut},
)
def report_temperatures(request, enterprise_id: UUID, payload: TemperaturesIn):
    """The day's temperature checks of an approved enterprise: staff checked, with fever,
    absent. A second report for the same day replaces the first. Any fever alerts the town."""
    _require(request, "enterprises.change_filing")
    enterprise = get_object_or_404(
        Enterprise.objects.visible_to(request.user).select_related("jurisdiction"),
        external_id=enterprise_id,
    )
    try:
        summary = services.report_temperatures(
            Actor.from_request(request),
            enterprise,
            day=payload.day,
            checked=payload.checked,
            fever=payload.fever,
            absent=payload.absent,
            note=payload.note,
        )
    except ValidationError as error:
        return Status(422, {"problems": _problems(error)})
    summary.enterprise = enterprise
    return Status(201, TemperaturesOut.from_summary(summary))
