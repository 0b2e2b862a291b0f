"""Every write of enterprise resumption (复工复产备案). Pages, API, CLI and the demo call these;
each owns its transaction, checks who may act, and writes a FilingEvent for each step.

Who does what: an enterprise's contact (Role.ENTERPRISE_CONTACT, in `Enterprise.contacts`)
files for their own company; the town (enterprises.review_filing) may file on its behalf, and
inspects, approves small and micro firms, rejects, or forwards medium and large firms to the
county, where a county-level reviewer decides.

    draft ──submit──▶ submitted ──approve (small/micro, after a passed inspection)──▶ approved
                         │  └──forward (medium/large)──▶ forwarded ──approve (county)──▶ approved
                         └──reject (reasons)──▶ rejected      └──reject (county)──▶ rejected
    approved ──mark_reopened──▶ reopened; daily temperature summaries once approved.

A rejected filing stays as it was; `start_filing` then opens a new draft carrying its answers,
plan and roster over, so the company corrects what the town asked rather than starting again.
"""

import math
import shutil
import uuid
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fangyi.core import crypto
from fangyi.core.audit import Actor, record_audit
from fangyi.core.identity import IdentityError, normalize_phone
from fangyi.core.models import AlertKind, AuditAction, Jurisdiction, User
from fangyi.core.roles import Role
from fangyi.core.services import raise_alert, require_in_jurisdiction, require_permission
from fangyi.enterprises.credit_code import validate_credit_code
from fangyi.enterprises.models import (
    CURRENT_FILING,
    FORWARDED_SIZES,
    Employee,
    Enterprise,
    EnterpriseSize,
    Filing,
    FilingEvent,
    FilingStatus,
    Industry,
    Inspection,
    TemperatureSummary,
)

__all__ = [
    "PLAN_MAX_BYTES",
    "approve_filing",
    "attach_plan",
    "forward_filing",
    "import_employee_roster",
    "mark_reopened",
    "missing_for_submission",
    "record_inspection",
    "register_enterprise",
    "reject_filing",
    "report_temperatures",
    "reserve_shortfalls",
    "reveal_employee_field",
    "save_filing",
    "start_filing",
    "submit_filing",
    "update_enterprise",
    "validate_credit_code",
]

MB = 1024 * 1024
PLAN_MAX_BYTES = 10 * MB
PLAN_SUFFIXES = (".pdf", ".doc", ".docx", ".jpg", ".jpeg", ".png")
# What each kind of file starts with: a renamed .exe is not a plan.
_PLAN_MAGIC = {
    ".pdf": (b"%PDF",),
    ".doc": (bytes.fromhex("D0CF11E0A1B11AE1"),),
    ".docx": (b"PK\x03\x04",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}
PLAN_FOLDER = "enterprise-plans"

MIN_RESERVE_DAYS = 3  # masks, thermometers and disinfectant for at least 3 days
STAFF_PER_ISOLATION_ROOM = 100  # large firms: one isolation room per 100 staff
MAX_RESERVE_DAYS = 365
MAX_ISOLATION_ROOMS = 1000
MAX_STAFF = 1_000_000
EDITABLE = (FilingStatus.DRAFT,)
REVIEWABLE = (FilingStatus.SUBMITTED, FilingStatus.FORWARDED)
REVEALABLE = ("id_number", "phone")

ENTERPRISE_FIELDS = (
    "name",
    "credit_code",
    "address",
    "jurisdiction",
    "industry",
    "size",
    "staff_count",
    "contact_name",
    "contact_phone",
    "contacts",
)


# Who may act -----------------------------------------------------------------------------------


def _is_contact_role(actor: Actor) -> bool:
    return actor.user is not None and actor.user.role == Role.ENTERPRISE_CONTACT


def check_may_file(actor: Actor, enterprise: Enterprise) -> None:
    """The enterprise's own contact, or the town holding it (review_filing), may fill in and
    submit its filing; the CLI may too."""
    require_permission(actor, "enterprises.change_filing")
    if actor.user is None:
        return
    if _is_contact_role(actor):
        if not enterprise.contacts.filter(pk=actor.user.pk).exists():
            raise PermissionDenied(_("you do not speak for this enterprise"))
        return
    if not actor.has_perm("enterprises.review_filing"):
        raise PermissionDenied(_("only the enterprise or the town may file for it"))
    require_in_jurisdiction(actor, enterprise.jurisdiction_id)


def _check_may_review(actor: Actor, filing: Filing) -> None:
    require_permission(actor, "enterprises.review_filing")
    require_in_jurisdiction(actor, filing.enterprise.jurisdiction_id)


def _is_county_level(actor: Actor) -> bool:
    """The county's group decides forwarded filings: a county commander, or anyone whose
    jurisdiction is a county or above (the CLI counts as the county)."""
    user = actor.user
    if user is None:
        return True
    if user.role == Role.COUNTY_COMMANDER:
        return True
    code = user.jurisdiction_id or ""
    return (user.is_superuser and not code) or (bool(code) and len(code) <= 6)


def check_editable(filing: Filing) -> None:
    if filing.status not in EDITABLE:
        raise ValidationError(
            _("this filing is %(status)s and can no longer be changed")
            % {"status": filing.get_status_display()},
            code="not_editable",
        )


def record_event(actor: Actor, filing: Filing, message: str) -> FilingEvent:
    return FilingEvent.objects.create(
        filing=filing,
        actor=actor.user,
        actor_username=actor.username,
        status=filing.status,
        message=message[:500],
    )


def _locked(filing: Filing) -> Filing:
    """Re-read the filing under a row lock (two reviewers deciding at once: the second sees the
    first's decision) and carry the fresh values over to the caller's instance."""
    fresh = Filing.objects.select_for_update().select_related("enterprise").get(pk=filing.pk)
    for field in Filing._meta.concrete_fields:
        setattr(filing, field.attname, getattr(fresh, field.attname))
    return filing


# Enterprises ----------------------------------------------------------------------------------


def _clean_enterprise_values(values: dict, enterprise: Enterprise | None) -> dict:
    """Validate the given fields; every problem at once, per field."""
    errors: dict[str, str] = {}
    clean: dict = {}
    for name, value in values.items():
        if name not in ENTERPRISE_FIELDS:
            raise TypeError(f"not an enterprise field: {name}")
        if isinstance(value, str):
            value = value.strip()
        if name == "credit_code":
            try:
                value = validate_credit_code(value)
            except ValidationError as error:
                errors[name] = error.messages[0]
                continue
            clash = Enterprise.objects.filter(credit_code=value)
            if enterprise is not None:
                clash = clash.exclude(pk=enterprise.pk)
            if other := clash.first():
                errors[name] = _("this credit code is already registered for %(name)s") % {
                    "name": other.name
                }
                continue
        elif name in ("name", "address", "contact_name"):
            limit = Enterprise._meta.get_field(name).max_length
            if not value:
                errors[name] = {
                    "name": _("enter the enterprise's name"),
                    "address": _("enter the enterprise's address"),
                    "contact_name": _("enter the contact person's name"),
                }[name]
                continue
            if len(value) > limit:
                errors[name] = _("longer than %(n)d characters") % {"n": limit}
                continue
        elif name == "industry" and value not in Industry.values:
            errors[name] = _("choose the industry")
            continue
        elif name == "size" and value not in EnterpriseSize.values:
            errors[name] = _("choose the size")
            continue
        elif name == "staff_count":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                errors[name] = _("the number of staff is a whole number, 0 or more")
                continue
        elif name == "jurisdiction":
            if not isinstance(value, Jurisdiction) or len(value.code) not in (9, 12):
                errors[name] = _("choose the town or village the enterprise is in")
                continue
        elif name == "contact_phone" and value:
            try:
                value = normalize_phone(value)
            except IdentityError as error:
                errors[name] = str(error)
                continue
        elif name == "contacts":
            value = list(value)
            wrong = [
                u for u in value if not isinstance(u, User) or u.role != Role.ENTERPRISE_CONTACT
            ]
            if wrong:
                errors[name] = _(
                    "only enterprise contact accounts can speak for an enterprise: %(users)s"
                ) % {"users": "、".join(str(u) for u in wrong)}
                continue
        clean[name] = value
    if errors:
        raise ValidationError(errors)
    return clean


def _apply_enterprise(enterprise: Enterprise, clean: dict) -> dict[str, list[str]]:
    changes: dict[str, list[str]] = {}
    for name, value in clean.items():
        if name == "contacts":
            continue
        if name == "contact_phone":
            old = enterprise.contact_phone_masked
            enterprise.contact_phone_cipher = crypto.encrypt(value, "phone") if value else None
            new = enterprise.contact_phone_masked
        else:
            old = (
                getattr(enterprise, name) if name != "jurisdiction" else enterprise.jurisdiction_id
            )
            setattr(enterprise, name, value)
            new = value.code if name == "jurisdiction" else value
        if str(old) != str(new):
            changes[name] = [str(old), str(new)]
    return changes


def _audit_enterprise(actor: Actor, action: AuditAction, enterprise: Enterprise, changes) -> None:
    record_audit(
        actor,
        action,
        object_type="enterprises.enterprise",
        object_id=str(enterprise.external_id),
        object_repr=enterprise.name,
        jurisdiction_code=enterprise.jurisdiction_id,
        changes=changes,
    )


@transaction.atomic
def register_enterprise(
    actor: Actor,
    *,
    name: str,
    credit_code: str,
    address: str,
    jurisdiction: Jurisdiction,
    industry: str,
    size: str,
    staff_count: int,
    contact_name: str,
    contact_phone: str = "",
    contacts: Iterable[User] = (),
) -> Enterprise:
    """Register an enterprise of a town or village (the town does, enterprises.add_enterprise).
    Raises ValidationError naming each bad field (credit code checked, GB 32100)."""
    require_permission(actor, "enterprises.add_enterprise")
    if isinstance(jurisdiction, Jurisdiction):
        require_in_jurisdiction(actor, jurisdiction.code)
    clean = _clean_enterprise_values(
        {
            "name": name,
            "credit_code": credit_code,
            "address": address,
            "jurisdiction": jurisdiction,
            "industry": industry,
            "size": size,
            "staff_count": staff_count,
            "contact_name": contact_name,
            "contact_phone": contact_phone,
            "contacts": contacts,
        },
        None,
    )
    enterprise = Enterprise()
    changes = _apply_enterprise(enterprise, clean)
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError as error:  # the same code registered at the same moment
        raise ValidationError(
            {"credit_code": _("this credit code is already registered")}
        ) from error
    enterprise.contacts.set(clean["contacts"])
    _audit_enterprise(actor, AuditAction.CREATE, enterprise, changes)
    return enterprise


@transaction.atomic
def update_enterprise(actor: Actor, enterprise: Enterprise, **fields) -> Enterprise:
    """Change the given fields (ENTERPRISE_FIELDS); `contacts` replaces the accounts."""
    require_permission(actor, "enterprises.change_enterprise")
    require_in_jurisdiction(actor, enterprise.jurisdiction_id)
    if isinstance(fields.get("jurisdiction"), Jurisdiction):
        require_in_jurisdiction(actor, fields["jurisdiction"].code)
    clean = _clean_enterprise_values(fields, enterprise)
    changes = _apply_enterprise(enterprise, clean)
    if changes:
        enterprise.save(update_fields=[*_update_fields(changes), "updated_at"])
    if "contacts" in clean:
        before = sorted(enterprise.contacts.values_list("username", flat=True))
        enterprise.contacts.set(clean["contacts"])
        after = sorted(u.username for u in clean["contacts"])
        if before != after:
            changes["contacts"] = ["、".join(before), "、".join(after)]
    if changes:
        _audit_enterprise(actor, AuditAction.UPDATE, enterprise, changes)
    return enterprise


def _update_fields(changes: dict) -> list[str]:
    return [
        "contact_phone_cipher" if name == "contact_phone" else name
        for name in changes
        if name != "contacts"
    ]


# Filings: the company's part -------------------------------------------------------------------


_CARRIED_OVER = (
    "planned_reopening",
    "commitment_signed_by",
    "plan_file",
    "plan_filename",
    "mask_days",
    "thermometer_days",
    "disinfectant_days",
    "isolation_rooms",
    "roster_filename",
    "employee_count",
    "flagged_count",
    "roster_errors",
    "warnings",
)


@transaction.atomic
def start_filing(actor: Actor, enterprise: Enterprise) -> Filing:
    """The enterprise's current filing, or a new draft. After a rejection the new draft starts
    from the rejected filing's answers, plan and employees."""
    check_may_file(actor, enterprise)
    require_permission(actor, "enterprises.add_filing")
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    current = enterprise.filings.filter(status__in=CURRENT_FILING).first()
    if current is not None:
        return current
    filing = Filing(enterprise=enterprise)
    previous = enterprise.filings.filter(status=FilingStatus.REJECTED).order_by("-pk").first()
    if previous is not None:
        for name in _CARRIED_OVER:
            setattr(filing, name, getattr(previous, name))
    filing.save()
    if previous is not None:
        if previous.plan_file and Path(previous.plan_file).is_file():
            filing.plan_file = str(_copy_plan(Path(previous.plan_file)))
            filing.save(update_fields=["plan_file"])
        Employee.objects.bulk_create(
            [
                Employee(
                    filing=filing,
                    **{
                        f.attname: getattr(e, f.attname)
                        for f in Employee._meta.concrete_fields
                        if f.attname not in ("id", "filing_id")
                    },
                )
                for e in previous.employees.all()
            ],
            batch_size=1000,
        )
        record_event(
            actor,
            filing,
            _("new filing started from the rejected one of %(day)s")
            % {"day": f"{timezone.localtime(previous.decided_at or previous.created_at):%Y-%m-%d}"},
        )
    else:
        record_event(actor, filing, _("filing started"))
    return filing


def _whole_number(errors: dict, name: str, value: object, limit: int) -> int:
    """An int from an int or a digit string; else the reason goes in `errors[name]`."""
    if isinstance(value, bool) or value is None:
        number = None
    elif isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        number = int(text) if text.lstrip("-").isdigit() else None
    if number is None:
        errors[name] = _("a whole number")
        return 0
    if number < 0:
        errors[name] = _("cannot be negative")
    elif number > limit:
        errors[name] = _("at most %(n)d") % {"n": limit}
    return number


def required_isolation_rooms(filing: Filing) -> int:
    """Every firm keeps an isolation room; large firms one per 100 staff (by the roster when
    imported, else the staff count registered)."""
    enterprise = filing.enterprise
    if enterprise.size != EnterpriseSize.LARGE:
        return 1
    staff = filing.employee_count or enterprise.staff_count
    return max(1, math.ceil(staff / STAFF_PER_ISOLATION_ROOM))


def reserve_shortfalls(filing: Filing) -> list[dict[str, str]]:
    """What the filing falls short of ({"field", "message"} in the current language): fewer
    than 3 days of masks, thermometers or disinfectant, too few isolation rooms. Warnings for
    the reviewer; they do not block submission."""
    found = []
    labels = {
        "mask_days": _("masks"),
        "thermometer_days": _("thermometers"),
        "disinfectant_days": _("disinfectant"),
    }
    for name, label in labels.items():
        days = getattr(filing, name)
        if days < MIN_RESERVE_DAYS:
            found.append(
                {
                    "field": name,
                    "message": _("%(item)s for %(days)d days: at least %(min)d days are required")
                    % {"item": label, "days": days, "min": MIN_RESERVE_DAYS},
                }
            )
    needed = required_isolation_rooms(filing)
    if filing.isolation_rooms < needed:
        found.append(
            {
                "field": "isolation_rooms",
                "message": _("%(rooms)d isolation rooms: at least %(needed)d are required")
                % {"rooms": filing.isolation_rooms, "needed": needed},
            }
        )
    return found


def missing_for_submission(filing: Filing) -> dict[str, str]:
    """field → what must be done before the filing can be submitted (empty when ready)."""
    missing = {}
    if not filing.planned_reopening:
        missing["planned_reopening"] = _("give the planned reopening date")
    if not filing.commitment_signed_by.strip():
        missing["commitment_signed_by"] = _(
            "the commitment must be signed (give the signer's name)"
        )
    if not filing.plan_file:
        missing["plan_file"] = _("upload the prevention and emergency plan")
    if not filing.employee_count:
        missing["roster"] = _("import the employee roster")
    return missing


@transaction.atomic
def save_filing(
    actor: Actor,
    filing: Filing,
    *,
    planned_reopening: date | None,
    commitment_signed_by: str,
    mask_days: int,
    thermometer_days: int,
    disinfectant_days: int,
    isolation_rooms: int,
) -> Filing:
    """Save the commitment and the supplies reserve of a draft. Numbers are whole and not
    negative (ValidationError per field); shortfalls are kept as `filing.warnings`."""
    check_may_file(actor, filing.enterprise)
    _locked(filing)
    check_editable(filing)
    errors: dict[str, str] = {}
    numbers = {
        name: _whole_number(errors, name, value, limit)
        for name, value, limit in (
            ("mask_days", mask_days, MAX_RESERVE_DAYS),
            ("thermometer_days", thermometer_days, MAX_RESERVE_DAYS),
            ("disinfectant_days", disinfectant_days, MAX_RESERVE_DAYS),
            ("isolation_rooms", isolation_rooms, MAX_ISOLATION_ROOMS),
        )
    }
    signer = (commitment_signed_by or "").strip()
    if len(signer) > 50:
        errors["commitment_signed_by"] = _("longer than %(n)d characters") % {"n": 50}
    if planned_reopening is not None and not isinstance(planned_reopening, date):
        errors["planned_reopening"] = _("not a date")
    if errors:
        raise ValidationError(errors)
    filing.planned_reopening = planned_reopening
    filing.commitment_signed_by = signer
    for name, number in numbers.items():
        setattr(filing, name, number)
    filing.warnings = reserve_shortfalls(filing)
    filing.save(
        update_fields=[
            "planned_reopening",
            "commitment_signed_by",
            *numbers,
            "warnings",
            "updated_at",
        ]
    )
    summary = _(
        "commitment and reserve saved: masks %(masks)d days, thermometers %(thermometers)d "
        "days, disinfectant %(disinfectant)d days, %(rooms)d isolation rooms"
    ) % {
        "masks": filing.mask_days,
        "thermometers": filing.thermometer_days,
        "disinfectant": filing.disinfectant_days,
        "rooms": filing.isolation_rooms,
    }
    record_event(actor, filing, summary)
    return filing


def _upload_size(upload) -> int:
    if isinstance(upload, str | Path):
        return Path(upload).stat().st_size
    return upload.size


def _head(upload, count: int) -> bytes:
    if isinstance(upload, str | Path):
        with open(upload, "rb") as file:
            return file.read(count)
    upload.seek(0)
    head = upload.read(count)
    upload.seek(0)
    return head


def _plan_folder() -> Path:
    folder = Path(settings.UPLOAD_DIR) / PLAN_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _copy_plan(source: Path) -> Path:
    target = _plan_folder() / f"{uuid.uuid4().hex}{source.suffix.lower()}"
    shutil.copyfile(source, target)
    return target


def _store(upload, suffix: str) -> Path:
    target = _plan_folder() / f"{uuid.uuid4().hex}{suffix}"
    if isinstance(upload, str | Path):
        shutil.copyfile(upload, target)
    else:
        with target.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    return target


def _remove_later(path: str) -> None:
    """Delete a replaced file once the change is committed (a rollback keeps it)."""
    if path:
        transaction.on_commit(lambda: Path(path).unlink(missing_ok=True))


@transaction.atomic
def attach_plan(actor: Actor, filing: Filing, upload, original_filename: str) -> Filing:
    """Keep the prevention and emergency plan (a PDF, Word document or photo, at most 10 MB)
    under UPLOAD_DIR/enterprise-plans, replacing an earlier one."""
    check_may_file(actor, filing.enterprise)
    _locked(filing)
    check_editable(filing)
    suffix = Path(original_filename or "").suffix.lower()
    if suffix not in PLAN_SUFFIXES:
        raise ValidationError(
            _("upload the plan as a PDF, Word document (.doc, .docx) or photo (.jpg, .png)"),
            code="type",
        )
    size = _upload_size(upload)
    if size == 0:
        raise ValidationError(_("the file is empty (0 bytes)"), code="empty")
    if size > PLAN_MAX_BYTES:
        raise ValidationError(
            _("the plan is %(size)s MB, larger than the limit of %(limit)d MB")
            % {"size": f"{math.ceil(size * 10 / MB) / 10:.1f}", "limit": PLAN_MAX_BYTES // MB},
            code="size",
        )
    head = _head(upload, 8)
    if not any(head.startswith(magic) for magic in _PLAN_MAGIC[suffix]):
        raise ValidationError(
            _("this file is not really a %(kind)s file: save it again as PDF and upload that")
            % {"kind": suffix.lstrip(".").upper()},
            code="content",
        )
    stored = _store(upload, suffix)
    old = filing.plan_file
    filing.plan_file = str(stored)
    filing.plan_filename = Path(original_filename).name[:200]
    filing.save(update_fields=["plan_file", "plan_filename", "updated_at"])
    _remove_later(old)
    record_event(actor, filing, _("plan uploaded: %(file)s") % {"file": filing.plan_filename})
    return filing


def import_employee_roster(actor: Actor, filing: Filing, path_or_upload, original_filename: str):
    """Import the employee roster (.xlsx/.xls/.csv) through the ledger's import pipeline and
    screen each employee; see fangyi.enterprises.roster_import. Returns a RosterOutcome."""
    from fangyi.enterprises.roster_import import import_employee_roster as run

    return run(actor, filing, path_or_upload, original_filename)


@transaction.atomic
def submit_filing(actor: Actor, filing: Filing) -> Filing:
    """Send a complete draft to the town. Refused (ValidationError per missing item) without the
    signed commitment, the plan or the employee roster."""
    check_may_file(actor, filing.enterprise)
    _locked(filing)
    check_editable(filing)
    if missing := missing_for_submission(filing):
        raise ValidationError(missing)
    filing.warnings = reserve_shortfalls(filing)
    filing.status = FilingStatus.SUBMITTED
    filing.submitted_at, filing.submitted_by = timezone.now(), actor.user
    filing.save(update_fields=["status", "submitted_at", "submitted_by", "warnings", "updated_at"])
    message = _("submitted to the town")
    if filing.warnings:
        message += _(" (with %(n)d warnings)") % {"n": len(filing.warnings)}
    record_event(actor, filing, message)
    return filing


# Filings: the town's and the county's part -----------------------------------------------------


@transaction.atomic
def record_inspection(
    actor: Actor,
    filing: Filing,
    *,
    inspected_on: date,
    inspectors: str,
    findings: str,
    passed: bool,
) -> Inspection:
    """The town's on-site check of a submitted filing (required before approving a small or
    micro firm; a failed check means the filing is rejected or checked again)."""
    _check_may_review(actor, filing)
    _locked(filing)
    if filing.status not in REVIEWABLE:
        raise ValidationError(
            _("only a submitted filing is inspected; this one is %(status)s")
            % {"status": filing.get_status_display()}
        )
    errors = {}
    inspectors, findings = (inspectors or "").strip(), (findings or "").strip()
    if not isinstance(inspected_on, date):
        errors["inspected_on"] = _("give the day of the inspection")
    elif inspected_on > timezone.localdate():
        errors["inspected_on"] = _("the inspection day cannot be in the future")
    elif filing.submitted_at and inspected_on < timezone.localtime(filing.submitted_at).date():
        errors["inspected_on"] = _("the inspection day is before the filing was submitted")
    if not inspectors:
        errors["inspectors"] = _("name who inspected")
    elif len(inspectors) > 100:
        errors["inspectors"] = _("longer than %(n)d characters") % {"n": 100}
    if not findings:
        errors["findings"] = _("write what the inspection found")
    elif len(findings) > 500:
        errors["findings"] = _("longer than %(n)d characters") % {"n": 500}
    if not isinstance(passed, bool):
        errors["passed"] = _("say whether the enterprise passed")
    if errors:
        raise ValidationError(errors)
    inspection = Inspection.objects.create(
        filing=filing,
        inspected_on=inspected_on,
        inspectors=inspectors,
        findings=findings,
        passed=passed,
        recorded_by=actor.user,
    )
    outcome = pgettext("inspection", "passed") if passed else pgettext("inspection", "not passed")
    record_event(
        actor,
        filing,
        _("on-site inspection on %(day)s by %(who)s: %(outcome)s")
        % {"day": f"{inspected_on:%Y-%m-%d}", "who": inspectors, "outcome": outcome},
    )
    return inspection


def _decide(actor: Actor, filing: Filing, status: str, reason: str) -> None:
    filing.status = status
    filing.decided_at, filing.decided_by = timezone.now(), actor.user
    filing.decision_reason = reason[:500]
    filing.save(
        update_fields=["status", "decided_at", "decided_by", "decision_reason", "updated_at"]
    )


@transaction.atomic
def approve_filing(actor: Actor, filing: Filing, note: str = "") -> Filing:
    """Approve: the town a small or micro firm's submitted filing after a passed on-site
    inspection; the county a forwarded (medium or large) firm's."""
    _check_may_review(actor, filing)
    _locked(filing)
    forwarded_size = filing.enterprise.size in FORWARDED_SIZES
    if filing.status == FilingStatus.FORWARDED:
        if not _is_county_level(actor):
            raise PermissionDenied(_("a forwarded filing is decided by the county"))
    elif filing.status == FilingStatus.SUBMITTED:
        if forwarded_size:
            raise ValidationError(
                _("medium and large enterprises are approved by the county: forward the filing")
            )
        last = filing.inspections.order_by("-inspected_on", "-pk").first()
        if last is None:
            raise ValidationError(_("record the on-site inspection before approving"))
        if not last.passed:
            raise ValidationError(
                _("the last on-site inspection was not passed: inspect again or reject")
            )
    else:
        raise ValidationError(
            _("only a submitted filing can be approved; this one is %(status)s")
            % {"status": filing.get_status_display()}
        )
    note = (note or "").strip()
    _decide(actor, filing, FilingStatus.APPROVED, note)
    message = _("approved")
    record_event(actor, filing, f"{message}: {note}" if note else message)
    return filing


@transaction.atomic
def reject_filing(actor: Actor, filing: Filing, reasons: str) -> Filing:
    """Reject with reasons (required; the company reads them and files again)."""
    _check_may_review(actor, filing)
    _locked(filing)
    if filing.status not in REVIEWABLE:
        raise ValidationError(
            _("only a submitted filing can be rejected; this one is %(status)s")
            % {"status": filing.get_status_display()}
        )
    if filing.status == FilingStatus.FORWARDED and not _is_county_level(actor):
        raise PermissionDenied(_("a forwarded filing is decided by the county"))
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationError({"reasons": _("give the reasons, so the company can correct them")})
    if len(reasons) > 500:
        raise ValidationError({"reasons": _("longer than %(n)d characters") % {"n": 500}})
    _decide(actor, filing, FilingStatus.REJECTED, reasons)
    record_event(actor, filing, _("rejected: %(reasons)s") % {"reasons": reasons})
    return filing


@transaction.atomic
def forward_filing(actor: Actor, filing: Filing, note: str = "") -> Filing:
    """The town sends a medium or large firm's submitted filing on to the county's group."""
    _check_may_review(actor, filing)
    _locked(filing)
    if filing.status != FilingStatus.SUBMITTED:
        raise ValidationError(
            _("only a submitted filing can be forwarded; this one is %(status)s")
            % {"status": filing.get_status_display()}
        )
    if filing.enterprise.size not in FORWARDED_SIZES:
        raise ValidationError(
            _("small and micro enterprises are decided by the town: inspect and approve")
        )
    filing.status = FilingStatus.FORWARDED
    filing.save(update_fields=["status", "updated_at"])
    note = (note or "").strip()[:400]
    message = _("forwarded to the county")
    record_event(actor, filing, f"{message}: {note}" if note else message)
    return filing


@transaction.atomic
def mark_reopened(actor: Actor, filing: Filing, on: date | None = None) -> Filing:
    """The approved enterprise has reopened (`on`, default today; not in the future)."""
    check_may_file(actor, filing.enterprise)
    _locked(filing)
    if filing.status != FilingStatus.APPROVED:
        raise ValidationError(
            _("only an approved filing can be marked reopened; this one is %(status)s")
            % {"status": filing.get_status_display()}
        )
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ValidationError({"on": _("the reopening day cannot be in the future")})
    if filing.decided_at and on < timezone.localtime(filing.decided_at).date():
        raise ValidationError({"on": _("the reopening day is before the approval")})
    filing.status, filing.reopened_on = FilingStatus.REOPENED, on
    filing.save(update_fields=["status", "reopened_on", "updated_at"])
    record_event(actor, filing, _("reopened on %(day)s") % {"day": f"{on:%Y-%m-%d}"})
    return filing


@transaction.atomic
def report_temperatures(
    actor: Actor,
    enterprise: Enterprise,
    *,
    day: date,
    checked: int,
    fever: int,
    absent: int = 0,
    note: str = "",
) -> TemperatureSummary:
    """The day's temperature checks of an approved (or reopened) enterprise: staff checked, how
    many had fever, absent. One per day: a second report of the same day replaces the first.
    Any fever alerts the enterprise's town or village."""
    check_may_file(actor, enterprise)
    filing = (
        enterprise.filings.filter(status__in=(FilingStatus.APPROVED, FilingStatus.REOPENED))
        .order_by("-pk")
        .first()
    )
    if filing is None:
        raise ValidationError(
            _("daily temperatures are reported once the filing is approved"), code="not_approved"
        )
    errors: dict[str, str] = {}
    checked = _whole_number(errors, "checked", checked, MAX_STAFF)
    fever = _whole_number(errors, "fever", fever, MAX_STAFF)
    absent = _whole_number(errors, "absent", absent, MAX_STAFF)
    if "fever" not in errors and "checked" not in errors and fever > checked:
        errors["fever"] = _("more people with fever (%(fever)d) than checked (%(checked)d)") % {
            "fever": fever,
            "checked": checked,
        }
    today = timezone.localdate()
    if not isinstance(day, date):
        errors["day"] = _("not a date")
    elif day > today:
        errors["day"] = _("the day cannot be in the future")
    elif filing.decided_at and day < timezone.localtime(filing.decided_at).date():
        errors["day"] = _("the day is before the filing was approved")
    note = (note or "").strip()
    if len(note) > 300:
        errors["note"] = _("longer than %(n)d characters") % {"n": 300}
    if errors:
        raise ValidationError(errors)
    summary, created = TemperatureSummary.objects.select_for_update().update_or_create(
        enterprise=enterprise,
        day=day,
        defaults={
            "checked": checked,
            "fever": fever,
            "absent": absent,
            "note": note,
            "reported_by": actor.user,
            "reported_at": timezone.now(),
        },
    )
    message = _("temperatures of %(day)s: %(checked)d checked, %(fever)d with fever") % {
        "day": f"{day:%Y-%m-%d}",
        "checked": checked,
        "fever": fever,
    }
    if not created:
        message += _(" (replaces the earlier report)")
    record_event(actor, filing, message)
    if fever:
        raise_alert(
            AlertKind.FEVER,
            jurisdiction=enterprise.jurisdiction,
            message=_("%(enterprise)s: %(fever)d staff with fever on %(day)s")
            % {"enterprise": enterprise.name, "fever": fever, "day": f"{day:%m-%d}"},
        )
    return summary


# Revealing an employee's identity --------------------------------------------------------------


def reveal_employee_field(actor: Actor, employee: Employee, field_name: str) -> str:
    """An employee's ID number or phone in clear, for a role that may see it; always audited."""
    if field_name not in REVEALABLE:
        raise ValueError(field_name)
    if not actor.has_perm("core.reveal_identity"):
        raise PermissionDenied(_("your role may not view full ID numbers or phones"))
    filing = employee.filing
    require_in_jurisdiction(actor, filing.enterprise.jurisdiction_id)
    record_audit(
        actor,
        AuditAction.REVEAL,
        object_type="enterprises.employee",
        object_id=str(filing.external_id),
        object_repr=f"{employee.name} {employee.id_number_masked}".strip(),
        jurisdiction_code=filing.enterprise.jurisdiction_id,
        changes={"field": field_name, "row": employee.source_row},
    )
    return getattr(employee, field_name)
