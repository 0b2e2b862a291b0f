"""Reading uploaded tables (.xlsx, .xls, .csv in UTF-8 or GBK) into rows of cell values."""

import csv
import io
from pathlib import Path

from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook


class TableError(Exception):
    """The file as a whole cannot be read; str(error) says why, for the user."""


def read_table(path: Path | str) -> list[list[object]]:
    """All rows of the first sheet (or the CSV), cells as Python values; trailing empty rows dropped."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows: list[list[object]] = list(csv.reader(io.StringIO(_decode_csv(path.read_bytes()))))
    elif suffix in (".xlsx", ".xls", ".xlsm"):
        try:
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as error:  # calamine raises several types for damaged files
            raise TableError(
                _("the file could not be read as a spreadsheet (%(error)s)") % {"error": error}
            ) from None
    else:
        raise TableError(
            _("use an .xlsx, .xls or .csv file, not “%(suffix)s”") % {"suffix": suffix or path.name}
        )
    while rows and all(cell in ("", None) for cell in rows[-1]):
        rows.pop()
    return rows


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("the CSV file is neither UTF-8 nor GBK text"))
