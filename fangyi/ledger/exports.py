"""Ledger downloads: the screening ledger (排查台账) and a push list's feedback sheet (核查反馈表).

Both stream rows from the database (`values_list(...).iterator()`, no model instances) into
`fangyi.core.xlsx.write_table` (constant memory, formula-neutralised), so a 120,000-row ledger
exports in seconds with flat memory. ID numbers and phones are masked unless the actor may export
them in full (core.export_full_identity); every export writes one audit entry.
"""

from collections.abc import Iterator
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core import crypto
from fangyi.core.audit import Actor, record_audit
from fangyi.core.identity import mask_id_number, mask_phone
from fangyi.core.models import AuditAction, Sex
from fangyi.core.xlsx import write_table
from fangyi.ledger.models import (
    Category,
    PushList,
    RiskLevel,
    Status,
    Transport,
    VerificationResult,
    VerificationTask,
)

CHUNK_SIZE = 2000
FULL_IDENTITY_PERMISSION = "core.export_full_identity"


def ledger_headers() -> list[str]:
    """The standard 排查台账 columns, in the order cadres know them."""
    return [
        _("No."),  # 序号
        _("name"),  # 姓名
        _("sex"),  # 性别
        _("ID number"),  # 身份证号码
        _("phone"),  # 手机号码
        _("coming from"),  # 来源地
        _("risk level of the source area"),  # 来源地风险等级
        _("arrival date"),  # 返乡(抵达)时间
        _("transport"),  # 交通方式
        _("train / flight / plate number"),  # 航班/车次/车牌号
        _("symptoms"),  # 有无症状
        _("village (community)"),  # 村(社区)
        _("local address"),  # 详细地址
        _("local contact and phone"),  # 本地联系人及电话
        _("category"),  # 人员类型
        _("status"),  # 人员状态
        _("responsible cadre"),  # 包保责任人
        _("notes"),  # 备注
        _("registered at"),  # 登记时间
    ]


def feedback_headers() -> list[str]:
    return [
        _("row in the pushed file"),
        _("name"),
        _("ID number"),
        _("phone"),
        _("village (community)"),
        _("verification result"),
        _("verified?"),
        _("status"),
        _("note"),
        _("verified by"),
        _("verified at"),
    ]


class _Identity:
    """Decrypts an ID number or phone and masks it unless the export may be in full."""

    def __init__(self, full: bool) -> None:
        self.full = full

    def id_number(self, blob: bytes | None) -> str:
        if not blob:
            return ""
        number = crypto.decrypt(blob, "id_number")
        return number if self.full else mask_id_number(number)

    def phone(self, blob: bytes | None) -> str:
        if not blob:
            return ""
        phone = crypto.decrypt(blob, "phone")
        return phone if self.full else mask_phone(phone)


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _village_name(code: str, name: str, parent_name: str | None) -> str:
    """The village column: a group's village, a village itself; entries still on the town are
    shown as not yet assigned."""
    if len(code) > 12:
        return parent_name or name
    if len(code) == 12:
        return name
    return _("not assigned to a village (%(town)s)") % {"town": name}


_LEDGER_COLUMNS = (
    "person__name",
    "person__sex",
    "person__id_number_cipher",
    "person__phone_cipher",
    "source_area",
    "risk_level",
    "arrival_date",
    "transport",
    "trip_number",
    "symptoms",
    "jurisdiction_id",
    "jurisdiction__name",
    "jurisdiction__parent__name",
    "local_address",
    "local_contact",
    "local_contact_phone_cipher",
    "category",
    "status",
    "responsible_cadre__full_name",
    "responsible_cadre__username",
    "notes",
    "created_at",
)


def _ledger_rows(entries: QuerySet, identity: _Identity) -> Iterator[list[object]]:
    sexes, risks, transports = _labels(Sex), _labels(RiskLevel), _labels(Transport)
    categories, statuses = _labels(Category), _labels(Status)
    rows = entries.values_list(*_LEDGER_COLUMNS).iterator(chunk_size=CHUNK_SIZE)
    for number, (
        name,
        sex,
        id_cipher,
        phone_cipher,
        source_area,
        risk_level,
        arrival_date,
        transport,
        trip_number,
        symptoms,
        code,
        place,
        parent_place,
        address,
        contact,
        contact_phone_cipher,
        category,
        status,
        cadre_full_name,
        cadre_username,
        notes,
        created_at,
    ) in enumerate(rows, start=1):
        contact_phone = identity.phone(contact_phone_cipher)
        yield [
            number,
            name,
            sexes.get(sex, sex),
            identity.id_number(id_cipher),
            identity.phone(phone_cipher),
            source_area,
            risks.get(risk_level, risk_level),
            arrival_date,
            transports.get(transport, transport),
            trip_number,
            symptoms,
            _village_name(code, place, parent_place),
            address,
            f"{contact} {contact_phone}".strip(),
            categories.get(category, category),
            statuses.get(status, status),
            cadre_full_name or cadre_username or "",
            notes,
            created_at,
        ]


def _default_scope(actor: Actor) -> str:
    user = actor.user
    return (user.jurisdiction_id if user else "") or ""


def export_ledger(
    actor: Actor,
    entries: QuerySet,
    target: str | IO[bytes],
    *,
    description: str = "",
    scope_code: str = "",
    full_identity: bool = True,
) -> int:
    """Write `entries` (already scoped by the caller) to an .xlsx at `target`; returns the row
    count. `scope_code` is the jurisdiction exported (default: the actor's), for the audit log.
    ID numbers and phones are in full only if the actor may export them and `full_identity`."""
    full = full_identity and actor.has_perm(FULL_IDENTITY_PERMISSION)
    if not entries.ordered:
        entries = entries.order_by("jurisdiction_id", "pk")
    count = write_table(
        target,
        ledger_headers(),
        _ledger_rows(entries, _Identity(full)),
        sheet_name=_("screening ledger"),
        column_widths=(6, 10, 5, 21, 13, 18, 10, 12, 9, 14, 14, 12, 28, 20, 14, 14, 10, 30, 17),
    )
    scope_code = scope_code or _default_scope(actor)
    record_audit(
        actor,
        AuditAction.EXPORT,
        object_type="ledger.ledgerentry",
        object_id=scope_code or "*",
        object_repr=_("screening ledger %(scope)s") % {"scope": scope_code or _("(everything)")},
        jurisdiction_code=scope_code,
        changes={
            "rows": count,
            "identity": "full" if full else "masked",
            "description": description,
        },
    )
    return count


def _feedback_rows(push_list: PushList, identity: _Identity, now) -> Iterator[list[object]]:
    results, statuses = _labels(VerificationResult), _labels(Status)
    overdue = push_list.deadline_at < now
    rows = (
        VerificationTask.objects.filter(push_list=push_list)
        .order_by("source_row", "pk")
        .values_list(
            "source_row",
            "entry__person__name",
            "entry__person__id_number_cipher",
            "entry__person__phone_cipher",
            "entry__jurisdiction_id",
            "entry__jurisdiction__name",
            "entry__jurisdiction__parent__name",
            "result",
            "entry__status",
            "note",
            "verified_by__full_name",
            "verified_by__username",
            "verified_at",
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for (
        source_row,
        name,
        id_cipher,
        phone_cipher,
        code,
        place,
        parent_place,
        result,
        status,
        note,
        verifier_full_name,
        verifier_username,
        verified_at,
    ) in rows:
        if result:
            state = _("verified")
        elif overdue:
            state = _("overdue")
        else:
            state = _("not verified")
        yield [
            source_row,
            name,
            identity.id_number(id_cipher),
            identity.phone(phone_cipher),
            _village_name(code, place, parent_place),
            results.get(result, result),
            state,
            statuses.get(status, status),
            note,
            verifier_full_name or verifier_username or "",
            verified_at,
        ]


def export_feedback(actor: Actor, push_list: PushList, target: str | IO[bytes]) -> int:
    """The feedback sheet sent back up: one row per pushed person, in the pushed file's order,
    with the verification result, who verified and when. Returns the row count."""
    full = actor.has_perm(FULL_IDENTITY_PERMISSION)
    now = timezone.now()
    title = _("Verification feedback: %(list)s (%(town)s, verify by %(deadline)s)") % {
        "list": push_list.name,
        "town": push_list.town.name,
        "deadline": f"{timezone.localtime(push_list.deadline_at):%Y-%m-%d %H:%M}",
    }
    count = write_table(
        target,
        feedback_headers(),
        _feedback_rows(push_list, _Identity(full), now),
        sheet_name=_("verification feedback"),
        title=title,
        column_widths=(8, 10, 21, 13, 12, 18, 10, 14, 24, 10, 17),
    )
    record_audit(
        actor,
        AuditAction.EXPORT,
        object_type="ledger.pushlist",
        object_id=str(push_list.external_id),
        object_repr=_("verification feedback: %(list)s") % {"list": push_list.name},
        jurisdiction_code=push_list.town_id,
        changes={
            "rows": count,
            "identity": "full" if full else "masked",
            "description": _("feedback sheet of push list %(list)s") % {"list": push_list.name},
        },
    )
    return count
