"""The error sheet of a push list: the rows the import refused, as the file had them, with why.

The sheet is meant to be fixed and uploaded again, so its header row holds the file's own headers
(the import recognises them); the two columns it adds, the original row number and the reason,
have headers the import does not know, so they are ignored on re-import.
"""

from typing import IO

from django.utils.translation import gettext as _

from fangyi.core.audit import Actor, record_audit
from fangyi.core.models import AuditAction
from fangyi.core.xlsx import write_table
from fangyi.ledger.models import PushList

REASON_SEPARATOR = "；"


def error_sheet_rows(push_list: PushList) -> tuple[list[str], list[list[object]]]:
    """(headers, rows): one row per refused row, in file order, with all its reasons joined."""
    reasons: dict[int, list[str]] = {}
    for problem in push_list.error_rows:
        reasons.setdefault(int(problem["row"]), []).append(
            f"{problem['column']}：{problem['reason']}"
            if problem.get("column")
            else problem["reason"]
        )
    cells_by_row = {int(row): cells for row, cells in push_list.error_cells.items()}
    width = max([len(push_list.header_cells), *map(len, cells_by_row.values())])
    file_headers = [*push_list.header_cells, *[""] * (width - len(push_list.header_cells))]
    headers = [_("row in your file"), *file_headers, _("reason")]
    rows = [
        [row, *cells, *[""] * (width - len(cells)), REASON_SEPARATOR.join(reasons.get(row, []))]
        for row, cells in sorted(cells_by_row.items())
    ]
    return headers, rows


def export_error_sheet(actor: Actor, push_list: PushList, target: str | IO[bytes]) -> int:
    """Write the error sheet to `target` and record the download in the audit log (the sheet
    holds the file's unmasked ID numbers and phones). Returns the number of rows written."""
    headers, rows = error_sheet_rows(push_list)
    count = write_table(
        target,
        headers,
        rows,
        sheet_name=_("rows with errors"),
        column_widths=[10, *[16] * (len(headers) - 2), 48],
    )
    record_audit(
        actor,
        AuditAction.EXPORT,
        object_type="ledger.pushlist",
        object_id=str(push_list.external_id),
        object_repr=push_list.name,
        jurisdiction_code=push_list.town_id,
        changes={"file": "error sheet", "rows": count},
    )
    return count
