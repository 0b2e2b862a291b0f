"""A filing's employee roster (员工花名册): read and checked by the ledger's import pipeline
(fangyi.ledger.importing: read_sheet → RowChecker → check_sheet_rows → merge_duplicates →
existing_people), then each employee screened against what the town knows of them.

Columns (the pipeline maps the headers): 姓名, 身份证号, 手机号码, 家庭住址, 14天内行程, 健康状况.
Employees need an ID number: a row without a valid one is an error (row, column, reason), like
every other bad cell; good rows are kept. The new roster replaces the filing's employees in one
transaction. A file that cannot be used at all, or holds no usable row, changes nothing.

Screening (batched: a handful of queries for 5,000 employees), flags per employee:
- a running quarantine order (in home quarantine until 2/14, centralized observation...);
- a ledger entry still open (pending, under a measure, a confirmed case) or an arrival within
  the quarantine window (14 days);
- a tracing case, or a contact of a case exposed within that window;
- the health column naming fever or a symptom (not "无发热"), or a temperature at the threshold;
- 14-day whereabouts naming a risk area of the disease profile.
"""

import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import chain
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core import crypto
from fangyi.core.audit import Actor, record_audit
from fangyi.core.bulk import DbValues, insert_rows
from fangyi.core.models import AuditAction, DiseaseProfile, QuarantineKind
from fangyi.core.tabular import MB, TableError
from fangyi.enterprises import services
from fangyi.enterprises.models import Employee, Filing
from fangyi.ledger.columns import cell_text
from fangyi.ledger.importing import (
    ImportOutcome,
    PushedRow,
    RowChecker,
    RowProblem,
    Sheet,
    check_sheet_rows,
    existing_people,
    merge_duplicates,
    read_sheet,
)
from fangyi.ledger.models import Category, LedgerEntry, Status
from fangyi.quarantine.models import RUNNING, QuarantineOrder
from fangyi.tracing.models import Case, Classification, Contact, Degree

ID_HEADER = "身份证号"
EMPLOYEE_COLUMNS = (
    "filing_id",
    "source_row",
    "name",
    "id_number_cipher",
    "id_number_index",
    "phone_cipher",
    "home_address",
    "whereabouts",
    "health",
    "person_id",
    "flags",
    "flagged",
)
WHEREABOUTS_LIMIT = Employee._meta.get_field("whereabouts").max_length
# Ledger entries that still matter whatever their dates.
OPEN_LEDGER_STATUSES = (
    Status.PENDING,
    Status.HOME_QUARANTINE,
    Status.CENTRALIZED,
    Status.CONFIRMED,
)
CLOSED_LEDGER_STATUSES = (Status.RELEASED, Status.NOT_LOCAL, Status.WRONG_INFO, Status.LEFT)
NEGATIONS = ("无", "没有", "没", "未", "不", "否", "非")
_CLAUSE_SPLIT = re.compile(r"[，,;；。\n/|]+")  # not "." (37.8℃)
_TEMPERATURE = re.compile(r"(3[5-9]|4[0-2])(?:\.(\d))?\s*(?:℃|°C|°|度)")
EXTRA_SYMPTOM_WORDS = ("发热", "发烧", "咳嗽", "乏力", "腹泻", "咽痛", "呼吸困难", "高烧", "低烧")


class FlagKind:
    QUARANTINE = "quarantine"
    LEDGER = "ledger"
    CASE = "case"
    CONTACT = "contact"
    HEALTH = "health"
    RISK_AREA = "risk_area"


@dataclass
class RosterOutcome:
    """What an import did: rows read, employees kept and flagged, and every problem."""

    rows: int = 0
    imported: int = 0
    flagged: int = 0
    merged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    replaced: bool = False  # False: no usable row, the previous roster was kept

    @property
    def error_rows(self) -> int:
        return len({problem.row for problem in self.problems})

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "flagged": self.flagged,
            "merged": self.merged,
            "errors": self.error_rows,
            "replaced": self.replaced,
            "error_rows": [
                {"row": p.row, "column": p.column, "reason": p.reason} for p in self.problems
            ],
        }


class RosterRowChecker(RowChecker):
    """The ledger's row checks, plus what a roster needs: an ID number for every employee, and
    whereabouts short enough for the roster's column."""

    def __init__(self, sheet: Sheet, received: date) -> None:
        super().__init__(sheet, received, Category.OTHER)
        self.id_header = self.headers["id_number"]

    def check(self, cells: list[object], row: int) -> tuple[PushedRow | None, list[RowProblem]]:
        pushed, problems = super().check(cells, row)
        index = self.mapping["id_number"]
        if cell_text(cells[index] if index < len(cells) else "") == "":
            # Replaces the checker's "neither an ID number nor a phone": a roster needs the ID.
            problems = [p for p in problems if p.column != self.id_header]
            problems.append(
                RowProblem(row, self.id_header, _("an employee's ID number is required"))
            )
            pushed = None
        if pushed is not None and len(pushed.notes) > WHEREABOUTS_LIMIT:
            problems.append(
                RowProblem(
                    row,
                    self.headers["notes"],
                    _("longer than %(n)d characters") % {"n": WHEREABOUTS_LIMIT},
                )
            )
            pushed = None
        return pushed, problems


# Reading -----------------------------------------------------------------------------------------


def _size_limit_message(size: int, limit: int) -> str:
    return _(
        "the file is %(size)s MB, larger than the limit of %(limit)s MB: split it into smaller files"
    ) % {"size": f"{-(-size * 10 // MB) / 10:.1f}", "limit": f"{limit / MB:g}"}


def _as_path(path_or_upload, original_filename: str) -> tuple[Path, bool]:
    """A path to read: the given one, or the upload written to a temporary file (True)."""
    limit = settings.IMPORT_MAX_BYTES
    if isinstance(path_or_upload, str | Path):
        return Path(path_or_upload), False
    if path_or_upload.size > limit:
        raise TableError(_size_limit_message(path_or_upload.size, limit))
    suffix = Path(original_filename or "").suffix.lower()
    with tempfile.NamedTemporaryFile("wb", suffix=suffix, delete=False) as out:
        for chunk in path_or_upload.chunks():
            out.write(chunk)
    return Path(out.name), True


def read_roster(
    path_or_upload, original_filename: str, today: date
) -> tuple[list[PushedRow], ImportOutcome]:
    """The good rows and the pipeline's outcome; TableError when the file is unusable."""
    path, temporary = _as_path(path_or_upload, original_filename)
    try:
        sheet = read_sheet(path)
    finally:
        if temporary:
            path.unlink(missing_ok=True)
    if "id_number" not in sheet.mapping:
        raise TableError(_("the roster lacks the column %(column)s") % {"column": ID_HEADER})
    checker = RosterRowChecker(sheet, today)
    kept, outcome = check_sheet_rows(sheet, checker)
    by_row = {row.row: row for row in kept}
    unique = merge_duplicates(kept, outcome)
    # The same ID number under another name is a mistake in one of the rows, not a duplicate.
    for merged in list(outcome.merged_rows):
        later, first = by_row[merged["row"]], by_row[merged["into"]]
        if later.name != first.name:
            outcome.problems.append(
                RowProblem(
                    later.row,
                    checker.id_header,
                    _("the same ID number as row %(row)d (%(name)s)")
                    % {"row": first.row, "name": first.name},
                )
            )
            outcome.merged -= 1
            outcome.merged_rows.remove(merged)
    outcome.problems.sort(key=lambda p: p.row)
    return unique, outcome


# Screening ---------------------------------------------------------------------------------------


def _day(value: date) -> str:
    return _("%(month)d/%(day)d") % {"month": value.month, "day": value.day}


def _health_flags(text: str, profile: DiseaseProfile) -> list[str]:
    """Symptom words the health column reports (clauses opening with 无/没有/未… deny them)."""
    if not text:
        return []
    words = list(dict.fromkeys([*(profile.symptoms or []), *EXTRA_SYMPTOM_WORDS]))
    found: list[str] = []
    for clause in _CLAUSE_SPLIT.split(text):
        clause = "".join(clause.split())
        if not clause or clause.startswith(NEGATIONS):
            continue
        for word in words:
            if word and word in clause:
                start = clause.index(word)
                if not clause[max(0, start - 2) : start].endswith(NEGATIONS):
                    found.append(word)
        for whole, tenth in _TEMPERATURE.findall(clause):
            value = f"{whole}.{tenth or 0}"
            if profile.is_fever(value):
                found.append(f"{value}℃")
    return list(dict.fromkeys(found))


def _risk_areas(text: str, profile: DiseaseProfile) -> list[tuple[str, str]]:
    place = (text or "").replace(" ", "")
    if not place:
        return []
    return [
        (str(area.get("name", "")).strip(), area.get("level", "high"))
        for area in profile.risk_areas or []
        if str(area.get("name", "")).strip() and str(area.get("name", "")).strip() in place
    ]


def _measure_message(kind: str, day: date) -> str:
    messages = {
        QuarantineKind.HOME_QUARANTINE: _("in home quarantine until %(day)s"),
        QuarantineKind.CENTRALIZED: _("in centralized medical observation until %(day)s"),
        QuarantineKind.HOME_MONITORING: _("under home health monitoring until %(day)s"),
    }
    return messages.get(kind, messages[QuarantineKind.HOME_QUARANTINE]) % {"day": _day(day)}


def _chunks(values: list[int], size: int = 900) -> list[list[int]]:
    """Slices small enough for any database's limit on query parameters."""
    return [values[start : start + size] for start in range(0, len(values), size)]


def screen(rows: list[PushedRow], people: dict[int, int], today: date) -> dict[int, list[dict]]:
    """Row number → flags [{"kind", "message"}] for the rows with something to report.
    `people` maps row numbers to the matched Person ids."""
    profile = DiseaseProfile.current()
    window = today - timedelta(days=profile.home_quarantine_days)
    flags: dict[int, list[dict]] = {}

    def flag(row: int, kind: str, message: str) -> None:
        flags.setdefault(row, []).append({"kind": kind, "message": message})

    rows_of: dict[int, list[int]] = {}
    for row_number, person_id in people.items():
        rows_of.setdefault(person_id, []).append(row_number)
    person_ids = list(rows_of)
    in_measure: set[int] = set()
    for chunk in _chunks(person_ids):
        for person_id, kind, end in QuarantineOrder.objects.filter(
            person_id__in=chunk, status__in=RUNNING
        ).values_list("person_id", "kind", "planned_end_date"):
            in_measure.add(person_id)
            for row in rows_of[person_id]:
                flag(row, FlagKind.QUARANTINE, _measure_message(kind, end))

    categories = dict(Category.choices)
    statuses = dict(Status.choices)
    entries = (
        LedgerEntry.objects.filter(person_id__in=chunk)
        .exclude(status__in=CLOSED_LEDGER_STATUSES)
        .values_list("person_id", "category", "status", "arrival_date")
        for chunk in _chunks(person_ids)
    )
    for person_id, category, status, arrival in chain.from_iterable(entries):
        if status in (Status.HOME_QUARANTINE, Status.CENTRALIZED) and person_id in in_measure:
            continue  # the running order says it better
        if status in OPEN_LEDGER_STATUSES:
            message = _("on the screening ledger: %(category)s, %(status)s") % {
                "category": categories.get(category, category),
                "status": statuses.get(status, status),
            }
        elif arrival and arrival >= window:
            message = _("on the screening ledger: %(category)s, arrived %(day)s") % {
                "category": categories.get(category, category),
                "day": _day(arrival),
            }
        else:
            continue
        for row in rows_of[person_id]:
            flag(row, FlagKind.LEDGER, message)

    classifications = dict(Classification.choices)
    cases = (
        Case.objects.filter(person_id__in=chunk)
        .exclude(classification=Classification.CLEARED)
        .values_list("person_id", "classification")
        for chunk in _chunks(person_ids)
    )
    for person_id, classification in chain.from_iterable(cases):
        for row in rows_of[person_id]:
            flag(
                row,
                FlagKind.CASE,
                _("recorded as a case: %(classification)s")
                % {"classification": classifications.get(classification, classification)},
            )
    contacts_seen: set[int] = set()
    contacts = (
        Contact.objects.filter(person_id__in=chunk)
        .exclude(case__classification=Classification.CLEARED)
        .values_list("person_id", "degree", "last_exposure_date")
        for chunk in _chunks(person_ids)
    )
    for person_id, degree, exposed in chain.from_iterable(contacts):
        if person_id in contacts_seen or (exposed is not None and exposed < window):
            continue
        contacts_seen.add(person_id)
        label = (
            _("close contact of a case")
            if degree == Degree.CLOSE
            else _("secondary contact of a case")
        )
        message = (
            _("%(contact)s, last exposed %(day)s") % {"contact": label, "day": _day(exposed)}
            if exposed
            else label
        )
        for row in rows_of[person_id]:
            flag(row, FlagKind.CONTACT, message)

    levels = {"high": _("high-risk area"), "medium": _("medium-risk area")}
    # A roster repeats its few health and whereabouts texts ("健康", "本地"): read each once.
    health_seen: dict[str, list[str]] = {}
    risk_seen: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        if row.symptoms not in health_seen:
            health_seen[row.symptoms] = _health_flags(row.symptoms, profile)
        if row.notes not in risk_seen:
            risk_seen[row.notes] = _risk_areas(row.notes, profile)
        if words := health_seen[row.symptoms]:
            flag(
                row.row,
                FlagKind.HEALTH,
                _("health column reports %(symptoms)s") % {"symptoms": "、".join(words)},
            )
        if areas := risk_seen[row.notes]:
            level = "high" if any(level == "high" for _name, level in areas) else "medium"
            flag(
                row.row,
                FlagKind.RISK_AREA,
                _("14-day whereabouts include %(place)s (%(level)s)")
                % {"place": "、".join(name for name, _level in areas), "level": levels[level]},
            )
    return flags


# The import --------------------------------------------------------------------------------------


def import_employee_roster(
    actor: Actor, filing: Filing, path_or_upload, original_filename: str
) -> RosterOutcome:
    """Read, check and screen a roster file and make it the filing's employees.

    Raises ValidationError (code "unusable") when the file cannot be used at all: too large,
    empty, not a table, no 姓名/身份证号 columns; nothing is changed then. A file whose every
    row is bad keeps the previous employees too (`outcome.replaced` is False)."""
    services.check_may_file(actor, filing.enterprise)
    services.check_editable(filing)
    today = timezone.localdate()
    try:
        rows, pipeline = read_roster(path_or_upload, original_filename, today)
    except TableError as error:
        raise ValidationError(str(error), code="unusable") from error
    outcome = RosterOutcome(
        rows=pipeline.rows, merged=pipeline.merged, problems=list(pipeline.problems)
    )
    # Duplicates under another name were reported: drop them from the kept rows.
    refused = {p.row for p in outcome.problems}
    rows = [row for row in rows if row.row not in refused]
    if not rows:
        return outcome
    people = {row: pk for row, (pk, _code) in existing_people(rows).items()}
    flags = screen(rows, people, today)
    # Plain tuples through COPY / executemany (fangyi.core.bulk): the ORM's bulk_create spends
    # most of a 5,000-row import adapting values field by field.
    db = DbValues()
    employees = [
        (
            filing.pk,
            row.row,
            row.name,
            crypto.encrypt(row.id_number, "id_number"),
            row.id_index,
            crypto.encrypt(row.phone, "phone") if row.phone else None,
            row.address,
            row.notes,
            row.symptoms,
            people.get(row.row),
            db.json(flags.get(row.row, [])),
            row.row in flags,
        )
        for row in rows
    ]
    outcome.imported = len(employees)
    outcome.flagged = len(flags)
    outcome.replaced = True
    name = Path(original_filename or "").name[:200]
    with transaction.atomic():
        services._locked(filing)
        services.check_editable(filing)
        Employee.objects.filter(filing=filing).delete()
        insert_rows(Employee, EMPLOYEE_COLUMNS, employees)
        filing.roster_filename = name
        filing.employee_count, filing.flagged_count = outcome.imported, outcome.flagged
        filing.roster_errors = [
            {"row": p.row, "column": p.column, "reason": p.reason} for p in outcome.problems
        ]
        filing.warnings = services.reserve_shortfalls(filing)
        filing.save(
            update_fields=[
                "roster_filename",
                "employee_count",
                "flagged_count",
                "roster_errors",
                "warnings",
                "updated_at",
            ]
        )
        services.record_event(
            actor,
            filing,
            _(
                "employee roster imported from %(file)s: %(imported)d employees, "
                "%(flagged)d flagged, %(errors)d rows with errors"
            )
            % {
                "file": name,
                "imported": outcome.imported,
                "flagged": outcome.flagged,
                "errors": outcome.error_rows,
            },
        )
        record_audit(
            actor,
            AuditAction.IMPORT,
            object_type="enterprises.filing",
            object_id=str(filing.external_id),
            object_repr=str(filing.enterprise),
            jurisdiction_code=filing.enterprise.jurisdiction_id,
            changes={
                "file": name,
                **{k: v for k, v in outcome.as_json().items() if k != "error_rows"},
            },
        )
    return outcome
