"""Writing .xlsx files for download: streamed (constant memory) and safe to open.

Every export goes through `write_table`, so every exported text cell is neutralised: text starting
with `=`, `+`, `-` or `@` (or a tab / carriage return) becomes a live formula as soon as someone
edits the cell or saves the sheet as CSV (formula injection), so it is written with a leading
apostrophe (OWASP's advice). Cells are always written as text, never parsed as formulas.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import IO

import xlsxwriter
from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    """The value as a cell may hold it: numbers and dates pass; risky text gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def write_table(
    target: str | IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    sheet_name: str = "Sheet1",
    title: str = "",
    column_widths: Sequence[int] = (),
) -> int:
    """Write `headers` then `rows` to an .xlsx at `target` (a path or a binary file object).

    Memory stays flat whatever the row count (xlsxwriter constant_memory mode: each row is
    flushed to a temporary file as soon as the next starts). Returns the number of data rows.
    Text cells are written as strings, never parsed as numbers or formulas.
    """
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "in_memory": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    sheet = workbook.add_worksheet(sheet_name[:31])
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for index, width in enumerate(column_widths):
        sheet.set_column(index, index, width)
    row_index = 0
    if title:
        sheet.write_string(0, 0, title, workbook.add_format({"bold": True, "font_size": 14}))
        row_index = 1
    for col, header in enumerate(headers):
        sheet.write_string(row_index, col, str(header), bold)
    sheet.freeze_panes(row_index + 1, 0)
    count = 0
    # Undecorated writers: the public ones first check whether the cell is given as "A1",
    # a measurable cost over a million cells. Text is the common case, so it is tested first.
    write_string, write_number = sheet._write_string, sheet._write_number
    write_datetime, write_boolean = sheet._write_datetime, sheet._write_boolean
    for values in rows:
        row_index += 1
        count += 1
        for col, value in enumerate(values):
            kind = type(value)
            if kind is str:
                if value:
                    write_string(
                        row_index, col, "'" + value if value.startswith(FORMULA_TRIGGERS) else value
                    )
            elif value is None:
                continue
            elif kind is int or kind is float:
                write_number(row_index, col, value)
            elif isinstance(value, datetime):
                write_datetime(row_index, col, _local_naive(value), datetime_format)
            elif isinstance(value, date):
                write_datetime(row_index, col, value, date_format)
            elif isinstance(value, bool):
                write_boolean(row_index, col, value)
            elif isinstance(value, int | float):
                write_number(row_index, col, value)
            elif text := str(value):
                write_string(row_index, col, neutralize(text))
    workbook.close()
    return count


def _local_naive(value: datetime) -> datetime:
    """Excel has no time zones: write the town's local time."""
    return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
