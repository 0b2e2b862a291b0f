"""Writing .xlsx files for download: streamed (constant memory), fast, and safe to open.

Every export goes through `write_table` (one sheet) or `write_workbook` (several), so every
exported text cell is neutralised: text starting with `=`, `+`, `-` or `@` (or a tab / carriage
return) becomes a live formula as soon as someone edits the cell or saves the sheet as CSV
(formula injection), so it is written with a leading apostrophe (OWASP's advice).
Cells are always written as text, never parsed as formulas.

Why not xlsxwriter: its constant-memory mode costs about 4.6 µs a cell, 10.6 s for a 120,000-row
ledger of 19 columns on the benchmark machine; this writer streams the same SpreadsheetML (inline
strings, four styles) straight into the zip in about 1 s (docs/decisions.md).
"""

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO

from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 forbids; one in a cell would make Excel refuse the whole file.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 (Excel serials have no zone)
_FLUSH_ROWS = 500
MAX_ROWS = 1_048_576  # Excel's limit per sheet

# Style ids in styles.xml below.
_HEADER, _DATE, _DATETIME, _TITLE = 1, 2, 3, 4


def neutralize(value: object) -> object:
    """The value as a cell may hold it: numbers and dates pass; risky text gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: `title` (if any) on row 1, then `headers`, then `rows`."""

    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    title: str = ""
    column_widths: Sequence[int] = ()


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

    `title` (if any) goes on row 1 above the headers. Memory stays flat whatever the row count:
    rows are turned into XML and compressed in batches. Returns the number of data rows.
    """
    sheet = Sheet(sheet_name, headers, rows, title=title, column_widths=column_widths)
    return write_workbook(target, [sheet])[0]


def write_workbook(target: str | IO[bytes], sheets: Sequence[Sheet]) -> list[int]:
    """Write `sheets`, in order, to one .xlsx at `target`; each is streamed like `write_table`.
    Returns the number of data rows of each sheet."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    names = _sheet_names([sheet.name for sheet in sheets])
    counts = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for name, content in _package_parts(names).items():
            book.writestr(name, content)
        for number, sheet in enumerate(sheets, start=1):
            with book.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as out:
                counts.append(_write_sheet(out, sheet))
    return counts


def _write_sheet(out: IO[bytes], sheet: Sheet) -> int:
    writer = _SheetWriter(len(sheet.headers) + 1)
    header_row = 2 if sheet.title else 1
    out.write(writer.start(header_row, sheet.column_widths))
    if sheet.title:
        out.write(writer.row(1, [sheet.title], _TITLE))
    out.write(writer.row(header_row, [str(h) for h in sheet.headers], _HEADER))
    count = 0
    batch: list[bytes] = []
    for values in sheet.rows:
        count += 1
        if header_row + count > MAX_ROWS:
            raise ValueError("more rows than an Excel sheet holds")
        batch.append(writer.row(header_row + count, values))
        if len(batch) >= _FLUSH_ROWS:
            out.write(b"".join(batch))
            batch.clear()
    out.write(b"".join(batch))
    out.write(b"</sheetData></worksheet>")
    return count


def _sheet_names(wanted: Sequence[str]) -> list[str]:
    """Names Excel accepts: no []:*?/\\, at most 31 characters, unique ignoring case (a clash
    gets " (2)", " (3)"...)."""
    names: list[str] = []
    taken: set[str] = set()
    for number, raw in enumerate(wanted, start=1):
        name = re.sub(r"[\[\]:*?/\\]", " ", str(raw))[:31] or f"Sheet{number}"
        candidate, copy = name, 1
        while candidate.casefold() in taken:
            copy += 1
            suffix = f" ({copy})"
            candidate = name[: 31 - len(suffix)] + suffix
        taken.add(candidate.casefold())
        names.append(candidate)
    return names


class _SheetWriter:
    def __init__(self, width: int) -> None:
        self.letters = [column_letter(i) for i in range(max(width, 1))]

    def start(self, header_row: int, column_widths: Sequence[int]) -> bytes:
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
            for i, w in enumerate(column_widths)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{_MAIN}"><sheetViews><sheetView workbookViewId="0">'
            f'<pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" activePane="bottomLeft"'
            ' state="frozen"/></sheetView></sheetViews>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + "<sheetData>"
        ).encode()

    def row(self, number: int, values: Sequence[object], style: int = 0) -> bytes:
        letters = self.letters
        if len(values) > len(letters):
            letters.extend(column_letter(i) for i in range(len(letters), len(values)))
        styled = f' s="{style}"' if style else ""
        cells = []
        for index, value in enumerate(values):
            if value is None or value == "":
                continue
            ref = f"{letters[index]}{number}"
            if isinstance(value, str):
                cells.append(
                    f'<c r="{ref}"{styled} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'
                )
            elif isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float) and math.isfinite(value):
                cells.append(f'<c r="{ref}"><v>{value!r}</v></c>')
            elif isinstance(value, datetime):
                cells.append(f'<c r="{ref}" s="{_DATETIME}"><v>{_serial(value)}</v></c>')
            elif isinstance(value, date):
                cells.append(
                    f'<c r="{ref}" s="{_DATE}"><v>{(value - _EXCEL_EPOCH.date()).days}</v></c>'
                )
            else:
                cells.append(
                    f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(str(value))}</t></is></c>'
                )
        return f'<row r="{number}">{"".join(cells)}</row>'.encode()


def _text(value: str) -> str:
    value = neutralize(_XML_ILLEGAL.sub("", value))
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


def _serial(value: datetime) -> float:
    """Excel has no time zones: the town's local time as days since 1899-12-30."""
    if timezone.is_aware(value):
        value = timezone.localtime(value).replace(tzinfo=None)
    return round((value - _EXCEL_EPOCH).total_seconds() / 86400, 8)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the column as Excel labels it."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _package_parts(sheet_names: Sequence[str]) -> dict[str, str]:
    """Everything but the sheets: content types, relationships, workbook, styles."""
    ooxml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    numbers = range(1, len(sheet_names) + 1)
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{ooxml}.worksheet+xml"/>'
        for n in numbers
    )
    sheet_rels = "".join(
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in numbers
    )
    entries = "".join(
        f'<sheet name="{_attribute(name)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in zip(numbers, sheet_names, strict=True)
    )
    styles_id = len(sheet_names) + 1
    return {
        "[Content_Types].xml": _XML
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ooxml}.sheet.main+xml"/>'
        f"{overrides}"
        f'<Override PartName="/xl/styles.xml" ContentType="{ooxml}.styles+xml"/>'
        "</Types>",
        "_rels/.rels": _XML + f'<Relationships xmlns="{_PKG_REL}">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/_rels/workbook.xml.rels": _XML + f'<Relationships xmlns="{_PKG_REL}">'
        f"{sheet_rels}"
        f'<Relationship Id="rId{styles_id}" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f"<sheets>{entries}</sheets></workbook>",
        "xl/styles.xml": _XML + f'<styleSheet xmlns="{_MAIN}">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
        '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd hh:mm"/></numFmts>'
        '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="14"/><name val="Calibri"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFEEF2F7"/></patternFill></fill></fills>'
        '<borders count="2"><border/><border><left style="thin"/><right style="thin"/>'
        '<top style="thin"/><bottom style="thin"/></border></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="5"><xf/>'
        '<xf fontId="1" fillId="2" borderId="1" applyFont="1" applyFill="1" applyBorder="1"/>'
        '<xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/>'
        '<xf fontId="2" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>",
    }
