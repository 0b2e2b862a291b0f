"""Reading uploaded tables (.xlsx, .xls, .csv in UTF-8 or GBK) into rows of cell values.

This is the one front door for every import: it refuses files that are too big, empty, not really
spreadsheets, password-protected, damaged or zip bombs with a `TableError` the user can act on.

Row numbers: `read_table` keeps leading empty rows and columns, so `rows[i][j]` is the cell Excel
shows in row `i + 1`, column `j + 1` (for a CSV, record `i + 1`, as Excel shows it when opened).
Callers report "row R" as `index + 1`.

Merged cells: only the top-left cell of a merged area holds the value; the other cells of the area
are "" (calamine's behaviour). A merged title above the header is therefore a row with one value,
and a merged cell in the data area fills only its first row, so the rows below it read as missing
that value and the caller reports them like any other empty cell.
"""

import csv
import io
import math
import zipfile
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook, PasswordError

MB = 1024 * 1024
DEFAULT_MAX_BYTES = 50 * MB
# An .xlsx is a zip of XML; real tables unpack to about 5–30 times their size. Refuse more than
# min(20 × max_bytes, 500 MB) in total, or a member over 10 MB packed tighter than 200:1.
UNPACKED_FACTOR = 20
UNPACKED_CAP = 500 * MB
MAX_RATIO = 200
RATIO_CHECKED_FROM = 10 * MB
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls, and also Excel's encrypted .xlsx


class TableError(Exception):
    """The file as a whole cannot be read; str(error) says why, for the user."""


def read_table(path: Path | str, max_bytes: int | None = None) -> list[list[object]]:
    """All rows of the first sheet (or the CSV), cells as Python values; trailing empty rows dropped.

    `max_bytes` defaults to `settings.IMPORT_MAX_BYTES` (50 MB if unset). Excel files that formatted
    a whole column cost nothing: calamine ends the sheet at the last cell holding a value.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm", ".xls"):
        raise TableError(
            _("use an .xlsx, .xls or .csv file, not “%(suffix)s”") % {"suffix": suffix or path.name}
        )
    if max_bytes is None:
        max_bytes = getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    size = path.stat().st_size
    if size == 0:
        raise TableError(_("the file is empty (0 bytes)"))
    if size > max_bytes:
        raise TableError(
            _(
                "the file is %(size)s MB, larger than the limit of %(limit)s MB: split it into smaller files"
            )
            % {"size": f"{math.ceil(size * 10 / MB) / 10:.1f}", "limit": f"{max_bytes / MB:g}"}
        )
    rows = _read_csv(path) if suffix == ".csv" else _read_workbook(path, suffix, max_bytes)
    while rows and all(cell in ("", None) for cell in rows[-1]):
        rows.pop()
    filled = (row for row in rows if any(cell not in ("", None) for cell in row))
    if len(list(islice(filled, 2))) < 2:
        raise TableError(_("the file has no data rows: it is empty or has only a header row"))
    return rows


def find_header_row(
    rows: list[list[object]], known_headers: set[str], min_matches: int = 2, search_rows: int = 10
) -> int:
    """Index of the first of the first `search_rows` rows with `min_matches` cells in `known_headers`.

    Cells are compared after stripping spaces, so title rows such as "青山镇返乡人员排查台账" or
    "填报日期：2020年1月28日" above the header are skipped.
    """
    needed = min(min_matches, len(known_headers))
    for index, row in enumerate(rows[:search_rows]):
        matches = sum(1 for cell in row if cell is not None and str(cell).strip() in known_headers)
        if matches >= needed:
            return index
    raise TableError(
        _("no header row found in the first %(count)d rows: expected columns such as %(headers)s")
        % {"count": search_rows, "headers": "、".join(sorted(known_headers))}
    )


def _read_workbook(path: Path, suffix: str, max_bytes: int) -> list[list[object]]:
    with path.open("rb") as file:
        magic = file.read(len(OLE2_MAGIC))
    if suffix in (".xlsx", ".xlsm"):
        if magic == OLE2_MAGIC:
            raise TableError(_password_message())
        _check_zip(path, max_bytes)
    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return sheet.to_python(skip_empty_area=False)  # keeps leading empty rows and columns
    except PasswordError:
        raise TableError(_password_message()) from None
    except Exception:  # calamine raises several types for damaged files
        raise TableError(_damaged_message()) from None


def _check_zip(path: Path, max_bytes: int) -> None:
    """Refuse a non-zip or a zip bomb by the sizes its directory declares, before unpacking."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise TableError(_damaged_message()) from None
    limit = min(UNPACKED_FACTOR * max_bytes, UNPACKED_CAP)
    too_tight = any(
        m.file_size > RATIO_CHECKED_FROM and m.file_size > MAX_RATIO * max(m.compress_size, 1)
        for m in members
    )
    if too_tight or sum(m.file_size for m in members) > limit:
        raise TableError(
            _(
                "the file would unpack to far more data than a normal spreadsheet and was refused"
                " as unsafe: open it in Excel, delete unused rows and columns, save, and upload again"
            )
        )


def _read_csv(path: Path) -> list[list[object]]:
    data = path.read_bytes()
    message = _(
        "the .csv file is not plain text or is damaged: save the table from Excel as “CSV UTF-8”"
        " or .xlsx and upload again"
    )
    if b"\0" in data:
        raise TableError(message)
    try:
        return list(csv.reader(io.StringIO(_decode_csv(data))))
    except csv.Error:
        raise TableError(message) from None


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("the CSV file is neither UTF-8 nor GBK text"))


def _password_message() -> str:
    return _(
        "the file is password-protected: open it in Excel, remove the password, save, and upload again"
    )


def _damaged_message() -> str:
    return _(
        "the file could not be read as a spreadsheet: it is damaged or not really an Excel file."
        " Open it in Excel, save it as .xlsx, and upload again"
    )
