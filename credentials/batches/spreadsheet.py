"""Bulk issuance, the pure part: reading an uploaded spreadsheet (CSV or XLSX) into records, checking every row with
the same validation as `POST /records`, and the template organisers fill in. Knows nothing of HTTP or SQL."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from base.errors import UserError
from base.i18n import Text, messages
from credentials.records.records import RecordInput, ValidRecord, VolunteerInput, validate_record

COLUMNS = (
    "volunteer_name",
    "volunteer_email",
    "volunteer_pseudonym",
    "mission_type",
    "title",
    "municipality",
    "start_date",
    "end_date",
    "hours",
    "role",
    "competences",
    "narrative",
)
OPTIONAL_COLUMNS = ("language",)
REQUIRED_COLUMNS = ("mission_type", "municipality", "start_date", "end_date", "hours")
MAX_ROWS = 10_000
MAX_LINES = 5 * MAX_ROWS  # data rows, and the blank and comment lines between them: reading stops here
MAX_BYTES = 10 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"
# An XLSX is a ZIP: its declared sizes are checked before anything is unpacked (Python's zipfile never unpacks more
# than a member declares). Worksheets and shared strings are read as a stream, every other part whole: those must
# stay small. A worksheet without a <dimension> is read twice by openpyxl (once for its size): 16 MB, some seconds.
MAX_XLSX_MEMBERS = 500
MAX_XLSX_STREAMED_BYTES = 16 * 1024 * 1024
MAX_XLSX_PART_BYTES = 4 * 1024 * 1024
MAX_XLSX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_XLSX_COLUMNS = 64  # the template has 13; more columns than this are not read
LV_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})\.?$")  # 20.06.2026, as Latvian spreadsheets save dates

# Where a field of the record validation lives in the spreadsheet.
FIELD_COLUMNS = {
    "volunteer": "volunteer_pseudonym",
    "volunteer.name": "volunteer_name",
    "volunteer.email": "volunteer_email",
    "volunteer.pseudonym": "volunteer_pseudonym",
}


@dataclass(frozen=True)
class SheetRow:
    """One data row as uploaded: its line (file line for CSV, sheet row for XLSX) and its cells by column."""

    line: int
    cells: dict[str, str]


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: Text

    def as_json(self) -> dict:
        return {"line": self.line, "column": self.column, "message_lv": self.message.lv, "message_en": self.message.en}


@dataclass
class CheckedUpload:
    """An upload after checking: the rows that can be issued and every problem of the others."""

    rows: int
    valid: list[tuple[SheetRow, ValidRecord]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------------------------------


def read_upload(
    content: bytes, filename: str | None = None, header: Callable[[list[str]], list[str]] | None = None
) -> list[SheetRow]:
    """The data rows of a CSV (UTF-8 with or without BOM, `,` or `;`) or XLSX upload. Rows are read as a stream and
    reading stops at the row limit, so a file of millions of tiny rows costs no more than one at the limit.
    `header` checks the header row and gives the column names (default: the records' columns)."""
    header = header or records_header
    if len(content) > MAX_BYTES:
        raise UserError("batch.file_too_large", limit_mb=MAX_BYTES // (1024 * 1024))
    if content.startswith(XLSX_MAGIC) or (filename or "").lower().endswith(".xlsx"):
        rows = _read_xlsx(content, header)
    else:
        rows = _read_csv(content, header)
    if not rows:
        raise UserError("batch.empty")
    return rows


def _csv_text(content: bytes) -> io.TextIOWrapper:
    """The file's text, decoded as it is read (no copy of the whole file as one string)."""
    return io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")


def _read_csv(content: bytes, header: Callable[[list[str]], list[str]]) -> list[SheetRow]:
    try:
        delimiter = _sniff_delimiter(_csv_text(content))
    except UnicodeDecodeError:
        raise UserError("batch.not_utf8") from None
    reader = csv.reader(_csv_text(content), delimiter=delimiter)

    def numbered():
        next_line = 1
        try:
            for cells in reader:
                # A quoted cell may span lines: a row's line is where it starts.
                line, next_line = next_line, reader.line_num + 1
                yield line, cells
        except UnicodeDecodeError:
            raise UserError("batch.not_utf8") from None
        except csv.Error:
            # A cell beyond the csv module's field limit (128 KB), or an unbalanced quote that swallows the file.
            raise UserError("batch.csv_unreadable", line=next_line) from None

    return _sheet_rows(numbered(), header)


def _sheet_rows(
    lines: Iterable[tuple[int, list[str]]], check_header: Callable[[list[str]], list[str]]
) -> list[SheetRow]:
    """The data rows below the header; blank lines, and comment lines (#) above the header, are skipped. Stops at
    the first row (or line) beyond the limit."""
    header: list[str] | None = None
    rows: list[SheetRow] = []
    for line, cells in lines:
        if line > MAX_LINES:
            raise UserError("batch.too_many_rows", limit=MAX_ROWS)
        if _is_blank(cells) or (header is None and _is_comment(cells)):
            continue
        if header is None:
            header = check_header(cells)
            continue
        if len(rows) == MAX_ROWS:
            raise UserError("batch.too_many_rows", limit=MAX_ROWS)
        rows.append(_sheet_row(line, header, cells))
    if header is None:
        raise UserError("batch.empty")
    return rows


def _sniff_delimiter(lines: Iterable[str]) -> str:
    """`;` when the header line has more semicolons than commas (how spreadsheets in Latvia save CSV), else `,`."""
    for raw in lines:
        stripped = raw.strip()
        if stripped and not stripped.lstrip('"').startswith("#"):
            return ";" if stripped.count(";") > stripped.count(",") else ","
    return ","


def _check_xlsx_package(content: bytes) -> None:
    """Refuses a workbook whose parts would unpack to more than a batch can hold, before any part is unpacked."""
    from zipfile import BadZipFile, ZipFile

    try:
        with ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (BadZipFile, ValueError, OSError):
        raise UserError("batch.xlsx_unreadable") from None
    limit_mb = MAX_XLSX_UNPACKED_BYTES // (1024 * 1024)
    if len(members) > MAX_XLSX_MEMBERS or sum(member.file_size for member in members) > MAX_XLSX_UNPACKED_BYTES:
        raise UserError("batch.xlsx_too_large", limit_mb=limit_mb)
    for member in members:
        name = member.filename
        streamed = (name.startswith("xl/worksheets/") and not name.endswith(".rels")) or name == "xl/sharedStrings.xml"
        if member.file_size > (MAX_XLSX_STREAMED_BYTES if streamed else MAX_XLSX_PART_BYTES):
            raise UserError("batch.xlsx_too_large", limit_mb=limit_mb)


def _read_xlsx(content: bytes, header: Callable[[list[str]], list[str]]) -> list[SheetRow]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    _check_xlsx_package(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        raise UserError("batch.xlsx_unreadable") from None
    try:
        # Bounded rows and columns: a sheet may declare (or place one cell at) row 1,048,576 or column XFD, and
        # read-only openpyxl fills the rows and columns up to there.
        values = workbook.worksheets[0].iter_rows(max_row=MAX_LINES + 1, max_col=MAX_XLSX_COLUMNS, values_only=True)
        return _sheet_rows(
            ((line, [_xlsx_cell(value) for value in row]) for line, row in enumerate(values, start=1)), header
        )
    except (BadZipFile, KeyError, IndexError, ValueError, OSError, SyntaxError):  # SyntaxError: XML ParseError
        raise UserError("batch.xlsx_unreadable") from None
    finally:
        workbook.close()


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(value, "f").rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def _is_blank(cells: list[str]) -> bool:
    return all(not (cell or "").strip() for cell in cells)


def _is_comment(cells: list[str]) -> bool:
    return (cells[0] or "").lstrip().startswith("#")


def records_header(cells: list[str]) -> list[str]:
    """The columns of a records upload: known names only, the required ones present."""
    names = [(cell or "").strip().lower() for cell in cells]
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    unknown = [name for name in names if name and name not in known]
    if unknown:
        raise UserError("batch.columns_unknown", columns=", ".join(unknown), expected=", ".join(COLUMNS))
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if "volunteer_name" not in names and "volunteer_pseudonym" not in names:
        missing.insert(0, "volunteer_name")
    if missing:
        raise UserError("batch.columns_missing", columns=", ".join(missing))
    return names


def _sheet_row(line: int, header: list[str], cells: list[str]) -> SheetRow:
    values = {name: (cells[i] if i < len(cells) else "") or "" for i, name in enumerate(header) if name}
    return SheetRow(line, {name: value.strip() for name, value in values.items()})


# --- checking -----------------------------------------------------------------------------------------------------


def record_input(row: SheetRow) -> RecordInput:
    """The record a row asks for, in the shape `POST /records` takes."""
    cells = row.cells
    name, email, pseudonym = (
        cells.get(c) or None for c in ("volunteer_name", "volunteer_email", "volunteer_pseudonym")
    )
    volunteer = (
        VolunteerInput(name=name, email=email, pseudonym=pseudonym)
        if pseudonym
        else VolunteerInput(name=name, email=email)
    )
    competences = [uri.strip() for uri in (cells.get("competences") or "").split(";") if uri.strip()]
    return RecordInput(
        volunteer=volunteer,
        mission_type=cells.get("mission_type", ""),
        title=cells.get("title") or None,
        municipality=cells.get("municipality", ""),
        start_date=_iso_date(cells.get("start_date", "")),
        end_date=_iso_date(cells.get("end_date", "")),
        hours=cells.get("hours", ""),
        role=cells.get("role") or None,
        competences=competences or None,
        narrative=cells.get("narrative") or None,
        language=(cells.get("language") or "lv").lower(),
    )


def _iso_date(value: str) -> str:
    match = LV_DATE.match(value)
    if match:
        day, month, year = match.groups()
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def volunteer_key(volunteer: VolunteerInput) -> str:
    """Who a row is about, for spotting the same volunteer, mission and period twice in one upload."""
    if volunteer.pseudonym:
        return "p:" + volunteer.pseudonym
    return "e:" + volunteer.email if volunteer.email else "n:" + (volunteer.name or "").casefold()


def check_rows(rows: Iterable[SheetRow], catalogue, today: date) -> CheckedUpload:
    """Every row through the record validation; errors carry the row's line and the column at fault."""
    rows = list(rows)
    checked = CheckedUpload(rows=len(rows))
    seen: dict[tuple, int] = {}
    for row in rows:
        refused = [column for column, value in row.cells.items() if "\x00" in value]
        if refused:
            # No text with a NUL is stored (PostgreSQL cannot): the row is refused here, with its column.
            checked.errors.extend(RowError(row.line, column, messages().text("batch.cell_nul")) for column in refused)
            continue
        try:
            valid = validate_record(record_input(row), catalogue, today)
        except UserError as error:
            for item in error.errors:
                checked.errors.append(RowError(row.line, column_of(item["field"]), item["message"]))
            continue
        key = (volunteer_key(valid.volunteer), valid.mission_type, valid.start_date, valid.end_date)
        if key in seen:
            checked.errors.append(
                RowError(row.line, "start_date", messages().text("batch.row_repeated", line=seen[key]))
            )
            continue
        seen[key] = row.line
        checked.valid.append((row, valid))
    return checked


def column_of(field_name: str) -> str:
    """The spreadsheet column of a record validation field (`competences[2]` -> `competences`)."""
    base = field_name.split("[", 1)[0]
    return FIELD_COLUMNS.get(field_name, FIELD_COLUMNS.get(base, base))


# --- the template -------------------------------------------------------------------------------------------------


def column_help() -> list[tuple[str, Text]]:
    return [(column, messages().text(f"batch.column.{column}")) for column in COLUMNS]


def template_csv(delimiter: str = ",") -> bytes:
    """The CSV template: LV/EN explanation lines (starting with #, skipped on upload), then the header.
    UTF-8 with BOM, so that spreadsheet programs read the Latvian letters right."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    intro = messages().text("batch.template_intro")
    writer.writerow([f"# {intro.lv}"])
    writer.writerow([f"# {intro.en}"])
    for column, text in column_help():
        writer.writerow([f"# {column}: {text.lv} / {text.en}"])
    writer.writerow(COLUMNS)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """The XLSX template: the records sheet (the header), then an explanation sheet in LV/EN."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Ieraksti - Records"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column_cells in sheet.columns:
        sheet.column_dimensions[column_cells[0].column_letter].width = 22
    help_sheet = workbook.create_sheet("Paskaidrojumi - Help")
    intro = messages().text("batch.template_intro")
    help_sheet.append([intro.lv])
    help_sheet.append([intro.en])
    help_sheet.append([])
    help_sheet.append(["kolonna / column", "latviski", "in English"])
    for cell in help_sheet[4]:
        cell.font = Font(bold=True)
    for column, text in column_help():
        help_sheet.append([column, text.lv, text.en])
    help_sheet.column_dimensions["A"].width = 22
    help_sheet.column_dimensions["B"].width = 80
    help_sheet.column_dimensions["C"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
