"""Every write the ledger does. Pages, API, CLI and imports call these; each owns its transaction
and writes the entry's history (LedgerEntryEvent) or the audit log."""

import shutil
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangyi.core.audit import Actor
from fangyi.core.identity import IdentityError, mask_phone, normalize_phone
from fangyi.core.models import Jurisdiction, Person, User
from fangyi.core.tabular import TableError, find_header_row, read_table
from fangyi.ledger.columns import HEADER_TO_KEY, cell_text, detect_mapping, missing_columns
from fangyi.ledger.importing import (
    DuplicateFile,
    ImportOutcome,
    Progress,
    check_mapping,
    earlier_import_of,
    file_sha256,
    import_push_list,
    remember_rows,
)
from fangyi.ledger.models import (
    Category,
    EventKind,
    ImportMapping,
    ImportStatus,
    LedgerEntry,
    LedgerEntryEvent,
    PushList,
    Status,
    VerificationResult,
    VerificationTask,
)

# Fields a cadre edits on an entry (the verify form is a subset). Order = the form's order.
ENTRY_FIELDS = (
    "category",
    "status",
    "source_area",
    "risk_level",
    "arrival_date",
    "transport",
    "trip_number",
    "symptoms",
    "local_address",
    "local_contact",
    "local_contact_phone",
    "responsible_cadre",
    "proposed_measure",
    "notes",
)


def check_in_jurisdiction(actor: Actor, jurisdiction: Jurisdiction) -> None:
    """Services re-check what views already scoped: the actor must hold `jurisdiction`."""
    user = actor.user
    if user is None or (user.is_superuser and user.jurisdiction_id is None):
        return
    if not jurisdiction.code.startswith(user.jurisdiction_id or "\x00"):
        raise PermissionDenied(
            _("%(place)s is outside your jurisdiction") % {"place": jurisdiction.name}
        )


def _display(name: str, value: object) -> str:
    """A value as the history shows it (choice labels, names; phones masked)."""
    if value is None or value == "":
        return ""
    if name == "local_contact_phone":
        return mask_phone(str(value))
    if isinstance(value, User | Jurisdiction):
        return str(value)
    field = LedgerEntry._meta.get_field(name)
    if field.choices:
        return str(dict(field.choices).get(value, value))
    return str(value)


def _record_event(
    actor: Actor, entry: LedgerEntry, kind: EventKind, changes: dict[str, list[str]]
) -> None:
    LedgerEntryEvent.objects.create(
        entry=entry,
        actor=actor.user,
        actor_username=actor.username,
        kind=kind,
        changes=changes,
    )


def _apply(entry: LedgerEntry, values: dict) -> tuple[dict[str, list[str]], set[str]]:
    """Validate and set `values` on the entry; return (history changes, fields to save)."""
    changes: dict[str, list[str]] = {}
    update_fields: set[str] = set()
    errors: dict[str, str] = {}
    for name in ENTRY_FIELDS:
        if name not in values:
            continue
        new = values[name]
        if isinstance(new, str):
            new = new.strip()
        if name == "local_contact_phone":
            if new:
                try:
                    new = normalize_phone(new)
                except IdentityError as error:
                    errors[name] = str(error)
                    continue
            old = entry.local_contact_phone
            stored = "local_contact_phone_cipher"
        elif name == "responsible_cadre":
            old, stored = entry.responsible_cadre, "responsible_cadre"
        else:
            old, stored = getattr(entry, name), name
            choices = LedgerEntry._meta.get_field(name).choices
            if choices and new and new not in dict(choices):
                errors[name] = _("“%(value)s” is not one of the choices") % {"value": new}
                continue
        if (new or None) == (old or None):
            continue
        if name == "responsible_cadre" and new is not None and not _works_in(new, entry):
            errors[name] = _("%(name)s does not work in this village") % {"name": new}
            continue
        if name in ("responsible_cadre", "arrival_date"):
            new = new or None  # nullable: cleared is NULL (a DateField cannot hold "")
        elif new is None:
            new = ""
        setattr(entry, name, new)
        changes[name] = [_display(name, old), _display(name, new)]
        update_fields.add(stored)
        if name == "status":
            entry.status_changed_at = timezone.now()
            update_fields.add("status_changed_at")
    if (
        "category" in changes
        and LedgerEntry.objects.filter(person_id=entry.person_id, category=entry.category)
        .exclude(pk=entry.pk)
        .exists()
    ):
        errors["category"] = _("this person already has an entry of this category")
    if errors:
        raise ValidationError(errors)
    return changes, update_fields


def _works_in(cadre: User, entry: LedgerEntry) -> bool:
    """A responsible cadre works in the entry's village or above it (town cadres may take any)."""
    return bool(cadre.jurisdiction_id) and entry.jurisdiction_id.startswith(cadre.jurisdiction_id)


@transaction.atomic
def create_entry(actor: Actor, person: Person, **values) -> LedgerEntry:
    """Put a person on the ledger (for a reason not yet recorded for them)."""
    jurisdiction = values.pop("jurisdiction", None) or person.jurisdiction
    check_in_jurisdiction(actor, jurisdiction)
    if not values.get("category"):
        raise ValidationError({"category": _("choose why the person is on the ledger")})
    if LedgerEntry.objects.filter(person=person, category=values["category"]).exists():
        raise ValidationError({"category": _("this person already has an entry of this category")})
    entry = LedgerEntry(person=person, jurisdiction=jurisdiction)
    changes, _fields = _apply(entry, values)
    entry.save()
    _record_event(actor, entry, EventKind.CREATED, changes)
    return entry


@transaction.atomic
def record_from_rule(
    actor: Actor, person: Person, category: str, jurisdiction: Jurisdiction, **values
) -> LedgerEntry:
    """Put a person on the ledger because another app's rule fired (a fever at a checkpoint):
    create the entry of that category, or update the existing one. The rule, not the actor's
    jurisdiction, decides: staff at a town entrance may register someone from any village.
    `notes` are appended, not replaced. History records the actor as usual."""
    entry = LedgerEntry.objects.select_for_update().filter(person=person, category=category).first()
    if entry is None:
        entry = LedgerEntry(person=person, jurisdiction=jurisdiction)
        changes, _fields = _apply(entry, {"category": category, **values})
        entry.save()
        _record_event(actor, entry, EventKind.CREATED, changes)
        return entry
    if values.get("notes") and entry.notes:
        values["notes"] = f"{entry.notes}\n{values['notes']}"
    changes, update_fields = _apply(entry, values)
    if changes:
        entry.save(update_fields=[*update_fields, "updated_at"])
        _record_event(actor, entry, EventKind.CHANGED, changes)
    return entry


@transaction.atomic
def update_entry(actor: Actor, entry: LedgerEntry, **values) -> dict[str, list[str]]:
    """Change an entry; the history keeps each field's old → new. Returns the changes."""
    check_in_jurisdiction(actor, entry.jurisdiction)
    changes, update_fields = _apply(entry, values)
    if changes:
        entry.save(update_fields=[*update_fields, "updated_at"])
        _record_event(actor, entry, EventKind.CHANGED, changes)
    return changes


# What a verification result means for the entry when the cadre does not choose a status.
STATUS_FOR_RESULT = {
    VerificationResult.WRONG_INFO: Status.WRONG_INFO,
    VerificationResult.NOT_LOCAL: Status.NOT_LOCAL,
    VerificationResult.PASSING_THROUGH: Status.NOT_LOCAL,
}


@transaction.atomic
def verify_task(
    actor: Actor,
    task: VerificationTask,
    *,
    result: str,
    status: str = "",
    note: str = "",
    **entry_values,
) -> VerificationTask:
    """Record a verification (核查) result, and the entry's new status and details with it."""
    entry = task.entry
    check_in_jurisdiction(actor, entry.jurisdiction)
    if result not in VerificationResult.values:
        raise ValidationError({"result": _("choose the verification result")})
    status = status or STATUS_FOR_RESULT.get(result, "")
    if not status and entry.status == Status.PENDING:
        raise ValidationError({"status": _("choose the person's status after the visit")})
    task.result, task.note = result, note.strip()[:200]
    task.verified_by, task.verified_at = actor.user, timezone.now()
    task.save(update_fields=["result", "note", "verified_by", "verified_at"])
    values = {**entry_values, **({"status": status} if status else {})}
    changes, update_fields = _apply(entry, values)
    changes["verification"] = ["", f"{task.get_result_display()} · {task.push_list.name}"]
    if update_fields:
        entry.save(update_fields=[*update_fields, "updated_at"])
    _record_event(actor, entry, EventKind.VERIFIED, changes)
    return task


@transaction.atomic
def assign_cadre(actor: Actor, entries: Iterable[LedgerEntry], cadre: User | None) -> int:
    """Make `cadre` responsible (包保) for each entry; returns how many changed."""
    changed = 0
    for entry in entries:
        check_in_jurisdiction(actor, entry.jurisdiction)
        changes, update_fields = _apply(entry, {"responsible_cadre": cadre})
        if changes:
            entry.save(update_fields=[*update_fields, "updated_at"])
            _record_event(actor, entry, EventKind.ASSIGNED, changes)
            changed += 1
    return changed


@transaction.atomic
def dispatch_entries(actor: Actor, entries: Iterable[LedgerEntry], village: Jurisdiction) -> int:
    """Hand entries to a village (the town dispatching what the import could not place)."""
    check_in_jurisdiction(actor, village)
    changed = 0
    for entry in entries:
        check_in_jurisdiction(actor, entry.jurisdiction)
        if entry.jurisdiction_id == village.code:
            continue
        old = entry.jurisdiction
        entry.jurisdiction = village
        entry.save(update_fields=["jurisdiction", "updated_at"])
        person = entry.person
        if not person.jurisdiction_id.startswith(village.code) and len(person.jurisdiction_id) <= 9:
            person.jurisdiction = village  # the person was only known to the town
            person.save(update_fields=["jurisdiction", "updated_at"])
        _record_event(actor, entry, EventKind.ASSIGNED, {"jurisdiction": [str(old), str(village)]})
        changed += 1
    return changed


# Push lists ---------------------------------------------------------------------------------


def _store_upload(source, original_name: str) -> Path:
    """Copy an upload (a Django UploadedFile or a path) under UPLOAD_DIR; return its new path."""
    folder = Path(settings.UPLOAD_DIR) / "push-lists"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}{Path(original_name).suffix.lower()}"
    if isinstance(source, str | Path):
        shutil.copyfile(source, target)
    else:
        with target.open("wb") as out:
            for chunk in source.chunks():
                out.write(chunk)
    return target


def create_push_list(
    actor: Actor,
    *,
    town: Jurisdiction,
    upload,
    original_filename: str,
    name: str = "",
    source: str = "county",
    category: str = Category.RETURNEE,
    received_at: datetime | None = None,
    deadline_hours: int | None = None,
) -> PushList:
    """Keep an uploaded push list and locate its header; the columns are mapped automatically
    where the headers are known. Nothing is imported yet (see `start_import`).

    Raises TableError when the file cannot be used at all (nothing is kept) and DuplicateFile
    when this exact file was already imported for the town.
    """
    check_in_jurisdiction(actor, town)
    if len(town.code) != 9:
        raise ValidationError({"town": _("push lists are received by a town")})
    if not actor.has_perm("ledger.add_pushlist"):
        raise PermissionDenied(_("your role may not import push lists"))
    stored = _store_upload(upload, original_filename)
    try:
        rows = read_table(stored)
        header_row = find_header_row(rows, set(HEADER_TO_KEY), min_matches=2)
    except TableError:
        stored.unlink(missing_ok=True)
        raise
    header_cells = [cell_text(c) for c in rows[header_row]]
    received_at = received_at or timezone.now()
    push_list = PushList(
        name=(name or Path(original_filename).stem)[:100],
        source=source,
        town=town,
        category=category,
        received_at=received_at,
        deadline_at=PushList.deadline_for(received_at, deadline_hours),
        original_filename=Path(original_filename).name[:200],
        stored_file=str(stored),
        file_sha256=file_sha256(stored),
        created_by=actor.user,
        header_row=header_row,
        header_cells=header_cells,
        mapping=detect_mapping(header_cells),
        progress_total=max(0, len(rows) - header_row - 1),
    )
    if earlier := earlier_import_of(push_list):
        stored.unlink(missing_ok=True)
        raise DuplicateFile(earlier)
    push_list.save()
    remember_rows(push_list, rows)  # an import in this process (the CLI) need not read it again
    return push_list


def set_mapping(
    actor: Actor, push_list: PushList, mapping: dict[str, int], save_as: str = ""
) -> PushList:
    """Fix which column holds which field (and optionally save it by name for reuse)."""
    check_in_jurisdiction(actor, push_list.town)
    if push_list.status != ImportStatus.AWAITING_MAPPING:
        raise ValidationError(_("this list has been imported already"))
    try:
        check_mapping(mapping, len(push_list.header_cells))
    except TableError as error:
        raise ValidationError(str(error)) from None
    with transaction.atomic():
        push_list.mapping = mapping
        push_list.save(update_fields=["mapping", "updated_at"])
        if save_as.strip():
            ImportMapping.objects.update_or_create(
                jurisdiction=push_list.town,
                name=save_as.strip()[:60],
                defaults={
                    "columns": {
                        key: push_list.header_cells[index] for key, index in mapping.items()
                    },
                    "created_by": actor.user,
                },
            )
    return push_list


def mapping_from_saved(saved: ImportMapping, header_cells: list[str]) -> dict[str, int]:
    """Apply a saved mapping (field → header text) to this file's headers."""
    positions = {cell: index for index, cell in reversed(list(enumerate(header_cells)))}
    return {key: positions[text] for key, text in saved.columns.items() if text in positions}


def mapping_problems(push_list: PushList) -> list[str]:
    return missing_columns(push_list.mapping)


def start_import(actor: Actor, push_list: PushList) -> PushList:
    """Queue the import as a background task (`fangyi db_worker` runs it)."""
    from fangyi.ledger.tasks import import_push_list_task

    check_in_jurisdiction(actor, push_list.town)
    if missing := mapping_problems(push_list):
        raise ValidationError(
            _("the file lacks required columns: %(columns)s") % {"columns": "、".join(missing)}
        )
    with transaction.atomic():
        locked = PushList.objects.select_for_update().get(pk=push_list.pk)
        if locked.status != ImportStatus.AWAITING_MAPPING:
            return locked
        if earlier := earlier_import_of(locked):
            raise DuplicateFile(earlier)
        locked.status = ImportStatus.QUEUED
        locked.save(update_fields=["status", "updated_at"])
        transaction.on_commit(
            lambda: import_push_list_task.enqueue(
                locked.pk,
                actor.user.pk if actor.user else None,
                actor.ip_address,
                actor.label,
                translation.get_language() or settings.LANGUAGE_CODE,
            )
        )
    return locked


def restart_import(actor: Actor, push_list: PushList) -> PushList:
    """Queue a stalled import again (its worker died or restarted mid-way). Nothing of it was
    written, since an import commits all or nothing, so running it again is safe."""
    check_in_jurisdiction(actor, push_list.town)
    with transaction.atomic():
        locked = PushList.objects.select_for_update().get(pk=push_list.pk)
        if locked.status != ImportStatus.RUNNING or not locked.is_stalled():
            raise ValidationError(_("this import is not stalled: wait for it to finish"))
        locked.status = ImportStatus.AWAITING_MAPPING
        locked.save(update_fields=["status", "updated_at"])
    return start_import(actor, locked)


def run_import(
    actor: Actor, push_list: PushList, progress: Progress | None = None
) -> ImportOutcome:
    """Import now, in this process (the task and the CLI): running → done, or failed with the
    reason. Progress is saved on the push list for the page's progress bar."""
    push_list.status, push_list.started_at = ImportStatus.RUNNING, timezone.now()
    push_list.save(update_fields=["status", "started_at", "updated_at"])

    def report(stage: str, done: int, total: int) -> None:
        PushList.objects.filter(pk=push_list.pk).update(
            progress_stage=stage,
            progress_done=done,
            progress_total=total,
            updated_at=timezone.now(),  # progress is a sign of life (PushList.is_stalled)
        )
        if progress:
            progress(stage, done, total)

    try:
        return import_push_list(actor, push_list, report)
    except (TableError, DuplicateFile) as error:
        reason = (
            _("this file was already imported as “%(name)s”") % {"name": error.earlier.name}
            if isinstance(error, DuplicateFile)
            else str(error)
        )
        _fail(push_list, reason)
        raise
    except Exception:
        _fail(push_list, _("the import stopped on an internal error; nothing was saved"))
        raise


def _fail(push_list: PushList, reason: str) -> None:
    PushList.objects.filter(pk=push_list.pk).update(
        status=ImportStatus.FAILED, failure_reason=reason, finished_at=timezone.now()
    )
    push_list.refresh_from_db()
