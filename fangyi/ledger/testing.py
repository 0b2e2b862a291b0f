"""Builders for ledger tests: entries, push-list files (real .xlsx) and imported push lists."""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils import timezone

from fangyi.core.audit import Actor
from fangyi.core.models import Jurisdiction, Person
from fangyi.core.xlsx import write_table
from fangyi.ledger import services
from fangyi.ledger.columns import TYPICAL_PUSH_LIST_HEADERS
from fangyi.ledger.models import Category, LedgerEntry, PushList, VerificationTask
from fangyi.testing import unique_id_number

PUSH_LIST_HEADERS = TYPICAL_PUSH_LIST_HEADERS
# The lists in tests arrive on 2020-01-28 at 08:00 in the town (Asia/Shanghai).
RECEIVED = datetime(2020, 1, 28, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def make_entry(
    person: Person,
    category: str = Category.RETURNEE,
    jurisdiction: Jurisdiction | None = None,
    **values,
) -> LedgerEntry:
    """An entry created directly (no history event): for tests of reads and of later changes."""
    return LedgerEntry.objects.create(
        person=person, category=category, jurisdiction=jurisdiction or person.jurisdiction, **values
    )


def write_push_list_file(
    path: Path,
    rows: Sequence[Sequence[object]],
    headers: Sequence[str] = PUSH_LIST_HEADERS,
    title: str = "",
) -> Path:
    """A real .xlsx written by xlsxwriter: `title` (if any) on row 1, headers next, then rows."""
    write_table(str(path), headers, rows, title=title)
    return path


def import_file(
    actor: Actor, town: Jurisdiction, path: Path, *, received: datetime = RECEIVED, **values
) -> PushList:
    """Upload and import a file now (no background worker), as the page and CLI would."""
    push_list = services.create_push_list(
        actor,
        town=town,
        upload=path,
        original_filename=path.name,
        received_at=received,
        **values,
    )
    services.run_import(actor, push_list)
    push_list.refresh_from_db()
    return push_list


def make_task(entry: LedgerEntry, hours_left: float, town_code: str = "999901100", row: int = 2):
    """A verification task for `entry` on a new push list due in `hours_left` hours."""
    now = timezone.now()
    push_list = PushList.objects.create(
        name=f"县推送{uuid.uuid4().hex[:4]}",
        town_id=town_code,
        received_at=now - timedelta(hours=24),
        deadline_at=now + timedelta(hours=hours_left),
        original_filename="list.xlsx",
        file_sha256=uuid.uuid4().hex,
        status="done",
    )
    return VerificationTask.objects.create(push_list=push_list, entry=entry, source_row=row)


def returnees(li_na_village: str = "东村") -> list[list[object]]:
    """Two returnees in PUSH_LIST_HEADERS order: 王金水 of 东村 by train, 李娜 of `li_na_village`
    by car (fresh, valid ID numbers each call)."""
    return [
        [
            "王金水",
            unique_id_number(),
            "13800001234",
            "湖北省武汉市",
            "2020-01-22",
            "铁路",
            "G1234",
            "青山镇东村3组12号",
        ],
        [
            "李娜",
            unique_id_number(),
            "13800005678",
            "湖北省孝感市",
            "2020-01-23",
            "自驾",
            "鄂K12345",
            f"青山镇{li_na_village}5组",
        ],
    ]
