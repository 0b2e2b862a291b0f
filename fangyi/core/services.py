"""Every write the core domain does. Pages, API, CLI and imports call these; each owns its
transaction and its audit entry."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fangyi.core import crypto
from fangyi.core.audit import Actor, record_audit, record_person_audit
from fangyi.core.identity import (
    IdentityError,
    mask_id_number,
    mask_phone,
    normalize_phone,
    parse_id_number,
)
from fangyi.core.models import (
    LEVEL_BY_CODE_LENGTH,
    PARENT_CODE_LENGTH,
    Alert,
    AlertKind,
    AuditAction,
    Jurisdiction,
    Person,
    User,
)
from fangyi.core.roles import Role
from fangyi.core.tabular import TableError, read_table

PERSON_FIELDS = (
    "name",
    "id_number",
    "phone",
    "household_address",
    "current_address",
    "jurisdiction",
)
_MASKERS = {"id_number": mask_id_number, "phone": mask_phone}


def _audit_value(name: str, value: object) -> str:
    """The value as the audit log keeps it: never an ID number or phone in clear."""
    if isinstance(value, Jurisdiction):
        return value.code
    text = "" if value is None else str(value)
    return _MASKERS[name](text) if name in _MASKERS and text else text


def _assign_person_fields(person: Person, values: dict) -> dict[str, list[str]]:
    """Validate and set fields; return {field: [old, new]} for what changed (masked).

    Collects every problem before raising, so a form can show them all at once.
    """
    errors: dict[str, str] = {}
    changes: dict[str, list[str]] = {}
    for name in PERSON_FIELDS:
        if name not in values:
            continue
        new = values[name]
        if isinstance(new, str):
            new = new.strip()
        old = getattr(person, name) if (name != "jurisdiction" or person.jurisdiction_id) else None
        if name in ("id_number", "phone") and new:
            try:
                new = parse_id_number(new).number if name == "id_number" else normalize_phone(new)
            except IdentityError as error:
                errors[name] = str(error)
                continue
        if name == "name" and not new:
            errors[name] = _("the name is required")
            continue
        if name == "jurisdiction" and new is None:
            errors[name] = _("choose the village or group the person lives in")
            continue
        if new != old:
            setattr(person, name, new)
            changes[name] = [_audit_value(name, old), _audit_value(name, new)]
    if "id_number" in changes and person.id_number_index:
        clash = (
            Person.objects.filter(id_number_index=person.id_number_index)
            .exclude(pk=person.pk)
            .first()
        )
        if clash:
            errors["id_number"] = _(
                "this ID number is already registered to %(name)s (%(village)s)"
            ) % {
                "name": clash.name,
                "village": clash.jurisdiction.name,
            }
    if errors:
        raise ValidationError(errors)
    return changes


@transaction.atomic
def create_person(actor: Actor, **values) -> Person:
    """Register a person; `values` are PERSON_FIELDS. Raises ValidationError naming each bad field."""
    _check_jurisdiction_allowed(actor, values.get("jurisdiction"))
    person = Person()
    changes = _assign_person_fields(person, {"name": "", **values})
    person.save()
    record_person_audit(actor, AuditAction.CREATE, person, changes)
    return person


@transaction.atomic
def update_person(actor: Actor, person: Person, **values) -> Person:
    _check_jurisdiction_allowed(actor, person.jurisdiction)
    if "jurisdiction" in values:
        _check_jurisdiction_allowed(actor, values["jurisdiction"])
    changes = _assign_person_fields(person, values)
    if changes:
        stored = {
            "id_number": ["id_number_cipher", "id_number_index", "birth_date", "sex"],
            "phone": ["phone_cipher", "phone_index", "phone_last4"],
        }
        update_fields = {"updated_at"}
        for name in changes:
            update_fields.update(stored.get(name, [name]))
        person.save(update_fields=update_fields)
        record_person_audit(actor, AuditAction.UPDATE, person, changes)
    return person


@transaction.atomic
def delete_person(actor: Actor, person: Person) -> None:
    _check_jurisdiction_allowed(actor, person.jurisdiction)
    record_person_audit(actor, AuditAction.DELETE, person)
    person.delete()


def reveal_person_field(actor: Actor, person: Person, field_name: str) -> str:
    """The clear ID number or phone, for a user whose role may see it; always audited."""
    if field_name not in _MASKERS:
        raise ValueError(field_name)
    if not actor.has_perm("core.reveal_identity"):
        raise PermissionDenied(_("your role may not view full ID numbers or phones"))
    _check_jurisdiction_allowed(actor, person.jurisdiction)
    record_person_audit(actor, AuditAction.REVEAL, person, {"field": field_name})
    return getattr(person, field_name)


def _check_jurisdiction_allowed(actor: Actor, jurisdiction: Jurisdiction | None) -> None:
    user = actor.user
    if jurisdiction is None or user is None or (user.is_superuser and user.jurisdiction_id is None):
        return
    if not jurisdiction.code.startswith(user.jurisdiction_id or "\x00"):
        raise PermissionDenied(
            _("%(place)s is outside your jurisdiction") % {"place": jurisdiction.name}
        )


def require_permission(actor: Actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("your role may not do this"))


def require_in_jurisdiction(actor: Actor, code: str) -> None:
    """The actor must hold the jurisdiction `code` (or one above it); the CLI holds all."""
    user = actor.user
    if user is None or (user.is_superuser and user.jurisdiction_id is None):
        return
    if not user.jurisdiction_id or not code.startswith(user.jurisdiction_id):
        raise PermissionDenied(_("this is outside your jurisdiction"))


def find_person_by_id_number(number: str) -> Person | None:
    parsed = parse_id_number(number)
    return Person.objects.filter(
        id_number_index=crypto.blind_index(parsed.number, "id_number")
    ).first()


# Users and roles -----------------------------------------------------------------------------


def set_user_role(user: User, role: Role | str) -> None:
    """Set the role and put the user in exactly that role's group."""
    user.role = role
    user.save(update_fields=["role"])
    user.groups.set([Group.objects.get(name=role)])


@transaction.atomic
def create_user(
    username: str,
    password: str,
    *,
    role: Role | str,
    jurisdiction: Jurisdiction,
    full_name: str = "",
) -> User:
    user = User.objects.create_user(
        username=username, password=password, full_name=full_name, jurisdiction=jurisdiction
    )
    set_user_role(user, role)
    return user


# Jurisdictions -------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int
    column: str
    reason: str


@dataclass
class JurisdictionImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def normalize_division_code(raw: object) -> str:
    """A code as Fangyi keys it: the statistics bureau's 12-digit form (341721100000) is cut to
    the level it denotes (341721100); group codes are village code + 3 digits."""
    code = "".join(str(raw).split())
    if code.endswith(".0"):  # a code typed into Excel as a number
        code = code[:-2]
    if len(code) == 12 and code.isdigit():
        for length in (2, 4, 6, 9):
            if code[length:] == "0" * (12 - length):
                return code[:length]
    return code


JURISDICTION_CODE_HEADERS = {"代码", "区划代码", "统计用区划代码", "行政区划代码", "code"}
JURISDICTION_NAME_HEADERS = {"名称", "名字", "单位名称", "name"}


def import_jurisdictions_file(actor: Actor, path) -> JurisdictionImportResult:
    """Read an .xlsx/.xls/.csv whose first row has a code column (代码) and a name column (名称)
    and import it. Raises TableError when the file as a whole is unusable."""
    rows = read_table(path)
    header = [str(c).strip().lower() for c in rows[0]] if rows else []
    try:
        code_col = next(i for i, h in enumerate(header) if h in JURISDICTION_CODE_HEADERS)
        name_col = next(i for i, h in enumerate(header) if h in JURISDICTION_NAME_HEADERS)
    except StopIteration:
        raise TableError(_("the first row must have a “代码” column and a “名称” column")) from None
    triples = []
    for n, row in enumerate(rows[1:], start=2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue  # a blank line or empty spreadsheet row
        # A short CSV line lacks trailing cells: report it (empty name) rather than drop it.
        cells = [*row, *[""] * (max(code_col, name_col) + 1 - len(row))]
        triples.append((n, cells[code_col], cells[name_col]))
    return import_jurisdictions(actor, triples)


@transaction.atomic
def import_jurisdictions(
    actor: Actor, rows: Iterable[tuple[int, object, object]]
) -> JurisdictionImportResult:
    """Create or rename jurisdictions from (row number, code, name) triples.

    Parents must exist already or come in the same file; good rows land even if others fail.
    """
    result = JurisdictionImportResult()
    parsed: list[tuple[int, str, str]] = []
    for row, raw_code, raw_name in rows:
        code, name = normalize_division_code(raw_code or ""), str(raw_name or "").strip()
        if not code.isdigit() or len(code) not in LEVEL_BY_CODE_LENGTH:
            result.errors.append(
                RowError(
                    row,
                    _("code"),
                    _(
                        "“%(code)s” is not a division code: use 6 digits for a county, 9 for a town, "
                        "12 for a village, 15 for a group"
                    )
                    % {"code": raw_code},
                )
            )
        elif not name:
            result.errors.append(
                RowError(row, pgettext("division", "name"), _("the name is empty"))
            )
        else:
            parsed.append((row, code, name))
    known = set(Jurisdiction.objects.values_list("code", flat=True))
    for row, code, name in sorted(parsed, key=lambda item: len(item[1])):
        parent_code = (
            code[: PARENT_CODE_LENGTH[len(code)]] if len(code) in PARENT_CODE_LENGTH else None
        )
        if parent_code and parent_code not in known and len(code) > 6:
            result.errors.append(
                RowError(
                    row,
                    _("code"),
                    _(
                        "the parent %(parent)s of %(code)s is unknown: add it first or in the same file"
                    )
                    % {"parent": parent_code, "code": code},
                )
            )
            continue
        _obj, created = Jurisdiction.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "level": LEVEL_BY_CODE_LENGTH[len(code)],
                "parent_id": parent_code if parent_code in known else None,
            },
        )
        known.add(code)
        result.created += created
        result.updated += not created
    total = result.created + result.updated
    if total:
        record_audit(
            actor,
            AuditAction.IMPORT,
            object_type="core.jurisdiction",
            object_id="",
            object_repr=ngettext("%(n)d jurisdiction", "%(n)d jurisdictions", total) % {"n": total},
            jurisdiction_code=min((c for _r, c, _n in parsed), key=len, default=""),
            changes={"created": result.created, "updated": result.updated},
        )
    result.errors.sort(key=lambda e: e.row)
    return result


# Alerts --------------------------------------------------------------------------------------


def raise_alert(
    kind: AlertKind,
    *,
    jurisdiction: Jurisdiction,
    message: str,
    person: Person | None = None,
    link: str = "",
    raised_at: datetime | None = None,
) -> Alert:
    """Tell the command page something needs action now. Called inside the caller's
    transaction: an alert exists exactly when what raised it was stored. `raised_at` (default:
    now) is when what raised it happened, for a record entered afterwards."""
    return Alert.objects.create(
        kind=kind,
        jurisdiction=jurisdiction,
        person=person,
        message=message[:300],
        link=link,
        raised_at=raised_at or timezone.now(),
    )


@transaction.atomic
def acknowledge_alert(actor: Actor, alert: Alert) -> Alert:
    """Mark an alert as being handled (by whom, when); acknowledging twice changes nothing."""
    if not actor.has_perm("core.change_alert"):
        raise PermissionDenied(_("your role may not handle alerts"))
    _check_jurisdiction_allowed(actor, alert.jurisdiction)
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor.user
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    return alert
