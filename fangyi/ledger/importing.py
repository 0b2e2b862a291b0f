"""The push-list import pipeline: read → check every row → merge duplicates → match → write.

The page (through a background task) and `fangyi import-pushlist` both call `import_push_list`.
Reading and checking happen before anything is written, reporting progress as they go; matching
and writing happen in one transaction, so an import either lands completely or not at all.

Speed: 100,000 rows must import in seconds. Rows are checked with plain functions (no forms, no
model instances), existing people are looked up by blind index in batches, and new rows are
written with COPY / executemany (fangyi.core.bulk) with keys allocated up front.
"""

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core import crypto
from fangyi.core.audit import Actor, record_audit
from fangyi.core.bulk import DbValues, allocate_ids, bulk_writing, insert_rows, select_in
from fangyi.core.identity import IdentityError, normalize_phone, parse_id_number
from fangyi.core.models import AuditAction, Jurisdiction, Person
from fangyi.core.names import pinyin_keys
from fangyi.core.tabular import TableError, find_header_row, read_table
from fangyi.ledger.columns import (
    FIELDS_BY_KEY,
    HEADER_TO_KEY,
    CellError,
    cell_text,
    detect_mapping,
    missing_columns,
    parse_category,
    parse_date,
    parse_risk_level,
    parse_transport,
    split_contact,
)
from fangyi.ledger.models import (
    EventKind,
    ImportStatus,
    LedgerEntry,
    LedgerEntryEvent,
    PushList,
    VerificationTask,
)

Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 5000


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Sheet:
    """An uploaded table with its header located and its columns mapped to fields."""

    rows: list[list[object]]
    header_row: int  # index into rows; Excel shows it as row header_row + 1
    header_cells: list[str]
    mapping: dict[str, int]


def read_sheet(
    path: Path | str, mapping: dict[str, int] | None = None, rows: list[list[object]] | None = None
) -> Sheet:
    """Read the file and find its header row; map columns automatically unless `mapping` is given.

    `rows`, when given, are the file's rows already read (`read_table(path)`).
    Raises TableError for an unreadable file or, with automatic mapping, missing required columns.
    """
    if rows is None:
        rows = read_table(path)
    header_row = find_header_row(rows, set(HEADER_TO_KEY), min_matches=2)
    header_cells = [cell_text(c) for c in rows[header_row]]
    if mapping is None:
        mapping = detect_mapping(header_cells)
    check_mapping(mapping, len(header_cells))
    return Sheet(rows, header_row, header_cells, mapping)


def check_mapping(mapping: dict[str, int], column_count: int) -> None:
    unknown = [key for key in mapping if key not in FIELDS_BY_KEY]
    if unknown or any(not 0 <= index < column_count for index in mapping.values()):
        raise TableError(_("the column mapping does not fit this file: choose the columns again"))
    if missing := missing_columns(mapping):
        raise TableError(
            _("the file lacks required columns: %(columns)s") % {"columns": "、".join(missing)}
        )


# Checking rows ------------------------------------------------------------------------------


@dataclass(slots=True)
class PushedRow:
    """One data row, checked and normalised."""

    row: int  # as Excel shows it
    name: str
    id_number: str = ""
    id_index: str | None = None
    birth_date: date | None = None
    sex: str = ""
    phone: str = ""
    phone_index: str | None = None
    source_area: str = ""
    risk_level: str = ""
    arrival_date: date | None = None
    transport: str = ""
    trip_number: str = ""
    address: str = ""
    symptoms: str = ""
    local_contact: str = ""
    local_contact_phone: str = ""
    category: str = ""
    notes: str = ""


@dataclass
class RowProblem:
    row: int
    column: str
    reason: str


_TEXT_LIMITS = {
    "source_area": 100,
    "trip_number": 40,
    "address": 200,
    "symptoms": 200,
    "notes": 2000,
}
_CJK = re.compile(r"[\u3400-\u9fff]")


class RowChecker:
    """Checks the data rows of one sheet: `check(cells, row)` → (row, []) or (None, problems).

    Built once per import: the mapped columns are looked up once, and cells that repeat down a
    list (dates, transport words) are read once and remembered.
    """

    def __init__(self, sheet: Sheet, received: date, default_category: str) -> None:
        self.mapping = sheet.mapping
        self.width = len(sheet.header_cells)
        self.headers = {key: sheet.header_cells[index] for key, index in sheet.mapping.items()}
        self.received = received
        self.default_category = default_category
        self.no_id_column = "id_number" if "id_number" in sheet.mapping else "phone"
        self._dates: dict[tuple[type, object], date | str | None] = {}

    def check(self, cells: list[object], row: int) -> tuple[PushedRow | None, list[RowProblem]]:
        if len(cells) < self.width:  # a ragged CSV line
            cells = [*cells, *[""] * (self.width - len(cells))]
        text = {key: cell_text(cells[index]) for key, index in self.mapping.items()}
        problems: list[RowProblem] = []

        def problem(key: str, reason: str) -> None:
            problems.append(RowProblem(row, self.headers[key], reason))

        name = text["name"]
        if _CJK.search(name):
            name = "".join(name.split())
        if not name:
            problem("name", _("the person's name is empty"))
        elif len(name) > 50:
            problem("name", _("the name is longer than 50 characters"))
        pushed = PushedRow(row=row, name=name)
        if raw_id := text.get("id_number"):
            try:
                parsed = parse_id_number(raw_id)
            except IdentityError as error:
                problem("id_number", str(error))
            else:
                pushed.id_number = parsed.number
                pushed.birth_date, pushed.sex = parsed.birth_date, parsed.sex
                pushed.id_index = crypto.blind_index(parsed.number, "id_number")
        if raw_phone := text.get("phone"):
            try:
                pushed.phone = normalize_phone(raw_phone)
            except IdentityError as error:
                problem("phone", str(error))
            else:
                pushed.phone_index = crypto.blind_index(pushed.phone, "phone")
        if not raw_id and not raw_phone:
            problem(
                self.no_id_column,
                _("neither an ID number nor a phone number: the person cannot be found"),
            )
        if (index := self.mapping.get("arrival_date")) is not None:
            found = self._date(cells[index])
            if isinstance(found, str):
                problem("arrival_date", found)
            else:
                pushed.arrival_date = found
        for key, limit in _TEXT_LIMITS.items():
            if value := text.get(key):
                if len(value) > limit:
                    problem(key, _("longer than %(n)d characters") % {"n": limit})
                setattr(pushed, key, value)
        if problems:
            return None, problems
        if transport_text := text.get("transport"):
            pushed.transport = parse_transport(transport_text)
            if pushed.transport == "other" and transport_text not in pushed.trip_number:
                pushed.trip_number = f"{transport_text} {pushed.trip_number}".strip()[:40]
        if risk := text.get("risk_level"):
            pushed.risk_level = parse_risk_level(risk)
        pushed.category = parse_category(text.get("category", ""), self.default_category)
        if contact := text.get("local_contact"):
            pushed.local_contact, pushed.local_contact_phone = split_contact(contact)
        return pushed, []

    def _date(self, value: object) -> date | str | None:
        """The arrival date in a cell, or the reason it cannot be read."""
        key = (type(value), value)
        if key not in self._dates:
            try:
                self._dates[key] = parse_date(value, self.received)
            except CellError as error:
                self._dates[key] = str(error)
        return self._dates[key]


def check_row(
    cells: list[object], row: int, sheet: Sheet, received: date, default_category: str
) -> tuple[PushedRow | None, list[RowProblem]]:
    """Normalise one row; return it, or None with every problem found in it."""
    return RowChecker(sheet, received, default_category).check(cells, row)


# Assigning to villages ----------------------------------------------------------------------


class VillageFinder:
    """Finds the one village of a town that an address names ("青山镇东湾村3组" → 东湾村).

    Each village is known by its full name and its name without 村/社区/居委会; when an address
    names two different villages equally well, it is left to the town.
    """

    SUFFIXES = ("村民委员会", "居民委员会", "村委会", "居委会", "社区", "村")

    def __init__(self, town: Jurisdiction) -> None:
        keys: dict[str, set[str]] = {}
        for code, name in Jurisdiction.objects.filter(parent=town).values_list("code", "name"):
            keys.setdefault(name, set()).add(code)
            for suffix in self.SUFFIXES:
                if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                    keys.setdefault(name[: -len(suffix)], set()).add(code)
        self._codes = {key: codes for key, codes in keys.items() if len(codes) == 1}
        ordered = sorted(self._codes, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def village_for(self, address: str) -> str | None:
        if not address or self._pattern is None:
            return None
        found = self._pattern.findall(address)
        if not found:
            return None
        longest = max(map(len, found))
        codes = {next(iter(self._codes[key])) for key in found if len(key) == longest}
        return codes.pop() if len(codes) == 1 else None


# The outcome --------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    rows: int = 0
    imported: int = 0
    matched: int = 0
    merged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    error_cells: dict[int, list[str]] = field(default_factory=dict)  # row → original cells
    merged_rows: list[dict[str, int]] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return len(self.error_cells)

    def as_json(self) -> dict:
        """The CLI's summary (`fangyi import-pushlist --json`)."""
        return {
            "rows": self.rows,
            "imported": self.imported,
            "matched": self.matched,
            "merged": self.merged,
            "errors": self.errors,
            "error_rows": [
                {"row": p.row, "column": p.column, "reason": p.reason} for p in self.problems
            ],
        }


def remember_rows(push_list: PushList, rows: list[list[object]]) -> None:
    """Keep the rows just read from the push list's file on this instance (not in the database),
    so that importing it in the same process (the CLI) skips reading it again: a second of a
    100,000-row import. The page's import runs in the worker, which reads the file itself."""
    push_list._rows_read = rows


def _take_rows(push_list: PushList) -> list[list[object]] | None:
    return push_list.__dict__.pop("_rows_read", None)


class DuplicateFile(Exception):
    """This exact file was already imported for this town."""

    def __init__(self, earlier: PushList) -> None:
        super().__init__(earlier.name)
        self.earlier = earlier


def earlier_import_of(push_list: PushList) -> PushList | None:
    return (
        PushList.objects.filter(
            town=push_list.town,
            file_sha256=push_list.file_sha256,
            status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DONE],
        )
        .exclude(pk=push_list.pk)
        .order_by("pk")
        .first()
    )


# The pipeline -------------------------------------------------------------------------------


def check_sheet_rows(
    sheet: Sheet, checker: RowChecker, progress: Progress = _no_progress
) -> tuple[list[PushedRow], ImportOutcome]:
    """Check every data row of a sheet: the good rows, and an outcome holding every problem
    (row, column, reason) and the cells of each bad row. Blank rows are skipped.

    Every table of people imported into Fangyi goes through this (push lists here, enterprise
    employee rosters in fangyi.enterprises.roster_import)."""
    outcome = ImportOutcome()
    kept: list[PushedRow] = []
    first = sheet.header_row + 1
    total = len(sheet.rows) - first
    for offset, cells in enumerate(sheet.rows[first:]):
        if offset % PROGRESS_EVERY == 0:
            progress(_("checking rows"), offset, total)
        if not any(cell != "" and cell is not None for cell in cells):
            continue
        outcome.rows += 1
        row = first + offset + 1
        pushed, problems = checker.check(cells, row)
        if pushed is None:
            outcome.problems.extend(problems)
            outcome.error_cells[row] = [cell_text(c) for c in cells]
        else:
            kept.append(pushed)
    sheet.rows.clear()  # the checked rows hold all that is needed now: free the cells
    progress(_("checking rows"), total, total)
    return kept, outcome


def import_push_list(
    actor: Actor, push_list: PushList, progress: Progress = _no_progress
) -> ImportOutcome:
    """Import the push list's stored file with its mapping; all or nothing.

    Raises TableError when the file as a whole is unusable and DuplicateFile when the same file
    was already imported for the town; in both cases nothing is written.
    """
    if earlier := earlier_import_of(push_list):
        raise DuplicateFile(earlier)
    progress(_("reading the file"), 0, 0)
    sheet = read_sheet(push_list.stored_file, push_list.mapping or None, _take_rows(push_list))
    received = timezone.localtime(push_list.received_at).date()
    kept, outcome = check_sheet_rows(
        sheet, RowChecker(sheet, received, push_list.category), progress
    )
    unique = merge_duplicates(kept, outcome)
    progress(_("matching and saving"), 0, len(unique))
    with transaction.atomic():
        # Two uploads of one file racing: the second waits for the first's lock, then stops here.
        PushList.objects.select_for_update().filter(pk=push_list.pk).first()
        if earlier := earlier_import_of(push_list):
            raise DuplicateFile(earlier)
        _write(actor, push_list, unique, outcome)
        _finish(actor, push_list, outcome)
    progress(_("done"), len(unique), len(unique))
    return outcome


_FILLABLE = tuple(f for f in PushedRow.__slots__ if f not in ("row", "name", "category"))


def merge_duplicates(rows: list[PushedRow], outcome: ImportOutcome) -> list[PushedRow]:
    """Keep the first row of each person; later rows fill its blanks and are reported merged.

    The same person is the same ID number, or the same name and phone when either row lacks an
    ID number (two people with different ID numbers may share a family phone).
    """
    by_id: dict[str, PushedRow] = {}
    by_name_phone: dict[tuple[str, str], PushedRow] = {}
    unique: list[PushedRow] = []
    for row in rows:
        first = by_id.get(row.id_number) if row.id_number else None
        if first is None and row.phone:
            candidate = by_name_phone.get((row.name, row.phone))
            if candidate and not (candidate.id_number and row.id_number):
                first = candidate
        if first is None:
            unique.append(row)
            if row.id_number:
                by_id[row.id_number] = row
            if row.phone:
                by_name_phone.setdefault((row.name, row.phone), row)
            continue
        for name in _FILLABLE:
            if not getattr(first, name) and getattr(row, name):
                setattr(first, name, getattr(row, name))
        if first.id_number:
            by_id.setdefault(first.id_number, first)
        outcome.merged += 1
        outcome.merged_rows.append({"row": row.row, "into": first.row})
    return unique


def existing_people(rows: list[PushedRow]) -> dict[int, tuple[int, str]]:
    """Row number → (person id, jurisdiction code) for rows matching someone already known."""
    person = Person._meta.db_table
    found: dict[int, tuple[int, str]] = {}
    by_index = {r.id_index: r for r in rows if r.id_index}
    for pk, index, code in select_in(
        f'SELECT "id", "id_number_index", "jurisdiction_id" FROM "{person}"',
        "id_number_index",
        list(by_index),
    ):
        found[by_index[index].row] = (pk, code)
    # Else by name + phone, with someone who has no ID number on record (or the row has none).
    by_phone: dict[str, list[PushedRow]] = {}
    for row in rows:
        if row.row not in found and row.phone_index:
            by_phone.setdefault(row.phone_index, []).append(row)
    for pk, index, name, has_id, code in select_in(
        f'SELECT "id", "phone_index", "name", "id_number_index" IS NOT NULL, "jurisdiction_id"'
        f' FROM "{person}"',
        "phone_index",
        list(by_phone),
    ):
        for row in by_phone[index]:
            if row.name == name and not (row.id_index and has_id) and row.row not in found:
                found[row.row] = (pk, code)
    return found


def _write(
    actor: Actor, push_list: PushList, rows: list[PushedRow], outcome: ImportOutcome
) -> None:
    town_code = push_list.town_id
    finder = VillageFinder(push_list.town)
    existing = existing_people(rows)
    # Two rows (one by ID, one by name + phone) may turn out to be one known person.
    person_rows: dict[int, PushedRow] = {}
    new_rows: list[PushedRow] = []
    for row in rows:
        if row.row in existing:
            pk = existing[row.row][0]
            if pk in person_rows:
                outcome.merged += 1
                outcome.merged_rows.append({"row": row.row, "into": person_rows[pk].row})
                continue
            person_rows[pk] = row
        else:
            new_rows.append(row)
    outcome.matched = len(person_rows)
    outcome.imported = len(new_rows)

    db = DbValues()
    at = db.datetime(timezone.now())

    def place(row: PushedRow, current: str | None) -> str:
        """The village (or the town) responsible: where a known person lives, else the address."""
        if current and len(current) > len(town_code) and current.startswith(town_code):
            return current
        return finder.village_for(row.address) or town_code

    # Keys first, so each table's rows can be generated as the database consumes them.
    person_ids: dict[int, int] = {}  # row number → person id
    places: dict[int, str] = {}
    for pk, row in zip(allocate_ids(Person, len(new_rows)), new_rows, strict=True):
        person_ids[row.row], places[row.row] = pk, place(row, None)
    for pk, row in person_rows.items():
        person_ids[row.row], places[row.row] = pk, place(row, existing[row.row][1])

    def people() -> Iterator[tuple]:
        for row, external_id in zip(new_rows, db.random_uuids(len(new_rows)), strict=True):
            pinyin, initials = pinyin_keys(row.name)
            yield (
                person_ids[row.row],
                at,
                at,
                external_id,
                row.name,
                pinyin,
                initials,
                row.sex,
                db.date(row.birth_date),
                crypto.encrypt(row.id_number, "id_number") if row.id_number else None,
                row.id_index,
                crypto.encrypt(row.phone, "phone") if row.phone else None,
                row.phone_index,
                row.phone[-4:],
                "",
                row.address,
                places[row.row],
            )

    # Entries: a known person may already have one for this reason; it gets the task as it is.
    known_entries = {
        (person_id, category): pk
        for pk, person_id, category in select_in(
            f'SELECT "id", "person_id", "category" FROM "{LedgerEntry._meta.db_table}"',
            "person_id",
            list(person_rows),
        )
    }
    entry_for_row: dict[int, int] = {}
    reused: set[int] = set()
    needing_entry: list[PushedRow] = []
    for row in rows:
        if row.row not in person_ids:
            continue  # merged into another row above
        known = known_entries.get((person_ids[row.row], row.category))
        if known is None:
            needing_entry.append(row)
        else:
            entry_for_row[row.row] = known
            reused.add(known)
    for pk, row in zip(allocate_ids(LedgerEntry, len(needing_entry)), needing_entry, strict=True):
        entry_for_row[row.row] = pk

    def entries() -> Iterator[tuple]:
        external_ids = db.random_uuids(len(needing_entry))
        for row, external_id in zip(needing_entry, external_ids, strict=True):
            contact_phone = row.local_contact_phone
            yield (
                entry_for_row[row.row],
                at,
                at,
                external_id,
                person_ids[row.row],
                places[row.row],
                row.category,
                "pending",
                at,
                row.source_area,
                "",
                row.risk_level,
                db.date(row.arrival_date),
                row.transport,
                row.trip_number,
                row.symptoms,
                row.address,
                row.local_contact,
                crypto.encrypt(contact_phone, "phone") if contact_phone else None,
                None,
                row.notes,
                push_list.pk,
            )

    user_id = actor.user.pk if actor.user else None
    pushed_again = db.json({"push_list": push_list.name})
    with bulk_writing():
        insert_rows(Person, PERSON_COLUMNS, people())
        insert_rows(LedgerEntry, ENTRY_COLUMNS, entries())
        insert_rows(
            LedgerEntryEvent,
            ("entry_id", "at", "actor_id", "actor_username", "kind", "changes"),
            (
                (pk, at, user_id, actor.username, EventKind.PUSHED.value, pushed_again)
                for pk in sorted(reused)
            ),
        )
        insert_rows(
            VerificationTask,
            ("push_list_id", "entry_id", "source_row", "result", "verified_by_id", "note"),
            (
                (push_list.pk, entry_for_row[r.row], r.row, "", None, "")
                for r in rows
                if r.row in entry_for_row
            ),
        )


def _finish(actor: Actor, push_list: PushList, outcome: ImportOutcome) -> None:
    """The push list records its outcome, and the import goes in the audit log."""
    town_code = push_list.town_id
    push_list.rows = outcome.rows
    push_list.imported, push_list.matched = outcome.imported, outcome.matched
    push_list.merged, push_list.errors = outcome.merged, outcome.errors
    push_list.error_rows = [
        {"row": p.row, "column": p.column, "reason": p.reason} for p in outcome.problems
    ]
    push_list.error_cells = {str(row): cells for row, cells in outcome.error_cells.items()}
    push_list.merged_rows = outcome.merged_rows
    push_list.status = ImportStatus.DONE
    push_list.finished_at = timezone.now()
    push_list.save()
    record_audit(
        actor,
        AuditAction.IMPORT,
        object_type="ledger.pushlist",
        object_id=str(push_list.external_id),
        object_repr=push_list.name,
        jurisdiction_code=town_code,
        changes={
            "file": push_list.original_filename,
            "rows": outcome.rows,
            "imported": outcome.imported,
            "matched": outcome.matched,
            "merged": outcome.merged,
            "errors": outcome.errors,
        },
    )


PERSON_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "external_id",
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "id_number_cipher",
    "id_number_index",
    "phone_cipher",
    "phone_index",
    "phone_last4",
    "household_address",
    "current_address",
    "jurisdiction_id",
)
ENTRY_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "external_id",
    "person_id",
    "jurisdiction_id",
    "category",
    "status",
    "status_changed_at",
    "source_area",
    "source_area_code",
    "risk_level",
    "arrival_date",
    "transport",
    "trip_number",
    "symptoms",
    "local_address",
    "local_contact",
    "local_contact_phone_cipher",
    "responsible_cadre_id",
    "notes",
    "push_list_id",
)
