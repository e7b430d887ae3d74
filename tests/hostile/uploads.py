"""Spreadsheets built to exhaust a reader, and a measurement of reading one (peak memory and time) in a fresh
interpreter, used by the hostile-input tests and by hand:

    .venv/bin/python -m tests.hostile.uploads make csv /tmp/rows.csv rows=5200000
    .venv/bin/python -m tests.hostile.uploads make xlsx /tmp/rows.xlsx rows=800000
    .venv/bin/python -m tests.hostile.uploads measure /tmp/rows.csv
"""

from __future__ import annotations

import io
import json
import resource
import sys
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

HEADER = "volunteer_name,mission_type,municipality,start_date,end_date,hours"
COLUMNS = HEADER.split(",")


def tiny_rows_csv(rows: int) -> bytes:
    """A header and then `rows` one-letter rows: about 2 bytes a row."""
    return (HEADER + "\n" + "a\n" * rows).encode()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Records" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


_EMPTY_STRINGS = (
    b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
)


def _letters(index: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[index]


def _sheet_xml(rows: int):
    yield (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    cells = "".join(f'<c r="{_letters(i)}1" t="inlineStr"><is><t>{name}</t></is></c>' for i, name in enumerate(COLUMNS))
    yield f'<row r="1">{cells}</row>'
    for number in range(2, rows + 2):
        yield f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>a</t></is></c></row>'
    yield "</sheetData></worksheet>"


def _package(sheet_parts, extra: dict[str, Iterable[bytes]] | None = None) -> bytes:
    extra = {"xl/sharedStrings.xml": [_EMPTY_STRINGS], **(extra or {})}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = []
            for part in sheet_parts:
                chunk.append(part)
                if len(chunk) >= 10_000:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write("".join(chunk).encode())
        for name, parts in extra.items():
            with archive.open(name, "w", force_zip64=True) as member:
                for part in parts:
                    member.write(part)
    return buffer.getvalue()


def tiny_rows_xlsx(rows: int) -> bytes:
    """A workbook of a header and `rows` one-letter rows (1 M rows make about 4 MB)."""
    return _package(_sheet_xml(rows))


def bomb_xlsx(megabytes: int) -> bytes:
    """A small workbook whose shared strings unpack to `megabytes` MB."""

    def strings():
        yield (
            b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main">'
        )
        block = b"<si><t>a</t></si>" * 65536  # about 1 MB
        for _ in range(megabytes):
            yield block
        yield b"</sst>"

    return _package(_sheet_xml(1), {"xl/sharedStrings.xml": strings()})


def many_members_xlsx(members: int) -> bytes:
    return _package(_sheet_xml(1), {f"xl/media/image{i}.png": [b""] for i in range(members)})


MAKERS = {
    "csv": (tiny_rows_csv, ".csv"),
    "xlsx": (tiny_rows_xlsx, ".xlsx"),
    "xlsx_bomb": (bomb_xlsx, ".xlsx"),
    "xlsx_many_members": (many_members_xlsx, ".xlsx"),
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def make(kind: str, path: Path, **params) -> Path:
    maker, suffix = MAKERS[kind]
    path = Path(path)
    path.write_bytes(maker(**params))
    return path


def measure(path: Path) -> dict:
    """Reads and checks the file as a batch upload does: its refusal, the peak RSS grown while reading, and time."""
    from datetime import date

    from base.errors import UserError
    from catalogue import load_catalogue
    from credentials.batches.spreadsheet import check_rows, read_upload

    path = Path(path)
    content = path.read_bytes()
    catalogue = load_catalogue()
    before = _peak_rss_mb()
    started = time.perf_counter()
    try:
        check_rows(read_upload(content, path.name), catalogue, date.today())
        refusal = None
    except UserError as error:
        refusal = error.key
    return {
        "file": path.name,
        "bytes": len(content),
        "refusal": refusal,
        "peak_rss_delta_mb": round(_peak_rss_mb() - before, 1),
        "seconds": round(time.perf_counter() - started, 2),
    }


if __name__ == "__main__":
    if sys.argv[1] == "make":
        arguments = dict(argument.split("=", 1) for argument in sys.argv[4:])
        make(sys.argv[2], Path(sys.argv[3]), **{name: int(value) for name, value in arguments.items()})
    else:
        print(json.dumps(measure(Path(sys.argv[2]))))
