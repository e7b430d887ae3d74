"""A report as CSV (separator `,` with a decimal point, or `;` with a decimal comma, as spreadsheets in Latvia expect)
and as XLSX (a sheet per table, numbers as numbers). Suppressed figures are left empty and marked in a note."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook

from credentials.reports.tables import Report, Value

SEPARATORS = (",", ";")


def _csv_value(value: Value, separator: str, hidden: str) -> str:
    if value is None:
        return hidden
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.replace(".", ",") if separator == ";" else text
    return str(value)


def report_csv(report: Report, separator: str, hidden: str) -> str:
    """Every table of the report one after another: its title, its header, its rows, its total, a blank line."""
    if separator not in SEPARATORS:
        raise ValueError(f"unknown separator {separator!r}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=separator, lineterminator="\r\n")
    writer.writerow([report.title, report.subtitle])
    for _key, label, value in report.figures:
        writer.writerow([label, _csv_value(value, separator, hidden)])
    for table in report.tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow([label for _, label in table.columns])
        for row in [*table.rows, *([table.total] if table.total else [])]:
            writer.writerow([_csv_value(v, separator, hidden) for v in row])
        writer.writerow([table.counts])
        if table.method:
            writer.writerow([table.method])
    return out.getvalue()


def report_xlsx(report: Report, hidden: str) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "summary"
    first.append([report.title])
    first.append([report.subtitle])
    for _, label, value in report.figures:
        first.append([label, float(value) if isinstance(value, Decimal) else value])
    for table in report.tables:
        sheet = book.create_sheet(table.key[:31])
        sheet.append([table.title])
        sheet.append([label for _, label in table.columns])
        for row in [*table.rows, *([table.total] if table.total else [])]:
            sheet.append([hidden if v is None else float(v) if isinstance(v, Decimal) else v for v in row])
        sheet.append([])
        sheet.append([table.counts])
        if table.method:
            sheet.append([table.method])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
