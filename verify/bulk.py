"""Bulk check for HR and schools: a CSV of verification links, or a ZIP of credential JSON files and certificate
PDFs, in; a CSV with one verdict per row out: row, source, verdict, issuer, reason, and whose credential it is and
for what (volunteer as on the certificate, title, period, hours, issue date), so that a "valid" is not read as valid
for the wrong person.

Pure: looking a credential up by id and verifying it are passed in. Limits keep a hostile upload (a huge file, a
ZIP bomb, thousands of rows) from tying up a worker: they are checked before any work, from the sizes the ZIP
declares and again while reading, so a lying ZIP header gains nothing.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from base.errors import UserError
from base.i18n import Text, messages
from verify.core import PASSED, Verification
from verify.exports import table
from verify.inputs import (
    BARE_ID,
    MAX_FILE_BYTES,
    UnreadableInput,
    credential_from_bytes,
    credential_id_in,
    why_unreadable,
)
from verify.view import credential_summary

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 200
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
COLUMNS = ("row", "source", "verdict", "issuer", "reason", "volunteer", "title", "period", "hours", "issued")
# Row verdicts beyond the verifier's own: the row could not be turned into a credential at all.
NOT_FOUND, UNREADABLE = "not_found", "unreadable"
# One upload's share of the server: each document is bounded (verify/limits.py), and the upload as a whole gets this
# much time to read and verify its rows; rows past it are reported as not checked, to be uploaded again.
MAX_WORK_SECONDS = 30
NOT_CHECKED = "not_checked"


@dataclass
class Entry:
    row: int
    source: str
    credential: Any = None
    unresolved: str | None = None  # NOT_FOUND or UNREADABLE
    detail: str | Text = ""  # why it is unreadable, for a person (a message of `verify.input.*` or the bounds)


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def check_upload_size(data: bytes) -> None:
    if len(data) > MAX_UPLOAD_BYTES:
        raise UserError("bulk.too_large", megabytes=MAX_UPLOAD_BYTES // (1024 * 1024))
    if not data.strip():
        raise UserError("bulk.empty")


def entries_from_csv(data: bytes, base_url: str, lookup: Callable[[str], Any]) -> list[Entry]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError("bulk.not_csv") from None
    rows = [
        row
        for row in csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text))
        if any(cell.strip() for cell in row)
    ]
    links = [next((c.strip() for c in row if "://" in c or BARE_ID.match(c.strip())), None) for row in rows]
    if links and links[0] is None:  # a header line
        rows, links = rows[1:], links[1:]
    if len(rows) > MAX_ENTRIES:
        raise UserError("bulk.too_many", limit=MAX_ENTRIES)
    entries = []
    for number, (row, link) in enumerate(zip(rows, links), start=1):
        source = link or next(c.strip() for c in row if c.strip())
        credential_id = credential_id_in(link, base_url) if link else None
        credential = lookup(credential_id) if credential_id else None
        if credential is None:
            entries.append(Entry(number, source, unresolved=NOT_FOUND, detail="" if link else source))
        else:
            entries.append(Entry(number, source, credential))
    return entries


def _dialect(text: str):
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def entries_from_zip(data: bytes, deadline: float = float("inf")) -> list[Entry]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir() and not _hidden(m.filename)]
    except (zipfile.BadZipFile, ValueError):
        raise UserError("bulk.bad_zip") from None
    if len(members) > MAX_ENTRIES:
        raise UserError("bulk.too_many", limit=MAX_ENTRIES)
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise UserError("bulk.too_large_unpacked", megabytes=MAX_UNPACKED_BYTES // (1024 * 1024))
    entries, unpacked = [], 0
    for number, member in enumerate(sorted(members, key=lambda m: m.filename), start=1):
        if time.monotonic() > deadline:
            entries.append(Entry(number, member.filename, unresolved=NOT_CHECKED))
            continue
        try:
            content = _read_member(archive, member)
        except UnreadableInput:
            too_large = member.file_size > MAX_FILE_BYTES
            detail = (
                messages().text("verify.input.too_large", mb=MAX_FILE_BYTES // (1024 * 1024))
                if too_large
                else messages().text("verify.input.cannot_unpack")
            )
            entries.append(Entry(number, member.filename, unresolved=UNREADABLE, detail=detail))
            continue
        unpacked += len(content)
        if unpacked > MAX_UNPACKED_BYTES:  # the declared sizes lied
            raise UserError("bulk.too_large_unpacked", megabytes=MAX_UNPACKED_BYTES // (1024 * 1024))
        try:
            entries.append(Entry(number, member.filename, credential_from_bytes(content)))
        except UnreadableInput as error:
            # out of the bounds of verify.limits: say which; otherwise what the file is and what to give instead
            key, params = why_unreadable(content)
            entries.append(
                Entry(
                    number, member.filename, unresolved=UNREADABLE, detail=error.text or messages().text(key, **params)
                )
            )
    return entries


def _hidden(name: str) -> bool:
    return name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith(".")


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    if member.file_size > MAX_FILE_BYTES:
        raise UnreadableInput(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        with archive.open(member) as stream:
            content = stream.read(MAX_FILE_BYTES + 1)  # never more than the limit, whatever the header says
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError, OSError) as error:
        raise UnreadableInput(f"cannot unpack ({error})") from None
    if len(content) > MAX_FILE_BYTES:
        raise UnreadableInput(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    return content


def entries_from_upload(
    data: bytes, base_url: str, lookup: Callable[[str], Any], deadline: float = float("inf")
) -> list[Entry]:
    """The upload's rows; `deadline` (`time.monotonic()`) bounds the time spent reading a ZIP's members."""
    check_upload_size(data)
    return entries_from_zip(data, deadline) if is_zip(data) else entries_from_csv(data, base_url, lookup)


def report_rows(
    entries: list[Entry], verify: Callable[[Any], Verification], lang: str, deadline: float = float("inf")
) -> Iterator[dict]:
    """One row per entry; entries still to verify at `deadline` (`time.monotonic()`) are reported not checked."""
    text = messages()
    for entry in entries:
        if not entry.unresolved and time.monotonic() > deadline:
            entry = Entry(entry.row, entry.source, unresolved=NOT_CHECKED)
        if entry.unresolved:
            detail = _in_language(entry.detail, lang)
            yield {
                "row": entry.row,
                "source": entry.source,
                "verdict": entry.unresolved,
                "issuer": "",
                "reason": text.get(f"bulk.reason.{entry.unresolved}", lang, detail=detail),
                **dict.fromkeys(COLUMNS[5:], ""),
            }
            continue
        result = verify(entry.credential)
        problems = [c for c in result.checks if c.status != PASSED and c.verdict]  # an unknown issuer is a warning
        worst = next((c for c in problems if c.verdict == result.verdict), problems[0] if problems else None)
        issuer = f"{result.issuer['legal_name']} ({result.issuer['registration_number']})" if result.issuer else ""
        reason = result.verdict_text().in_language(lang)
        if worst is not None:
            reason += ": " + worst.reason.in_language(lang)
        yield {
            "row": entry.row,
            "source": entry.source,
            "verdict": result.verdict,
            "issuer": issuer,
            "reason": reason,
            **_what_and_whose(result, lang),
        }


def _what_and_whose(result: Verification, lang: str) -> dict:
    """The certificate's own facts, as verified: who (the name, or that the volunteer is pseudonymous), what, when,
    how long."""
    summary = credential_summary(result.credential, lang, result.dataset)
    volunteer = summary.get("volunteer") or (
        messages().get("verify.bulk.pseudonymous", lang) if summary.get("pseudonymous") else ""
    )
    start, end = summary.get("start") or "", summary.get("end") or ""
    period = start if start == end else f"{start} – {end}" if start and end else start or end
    issued = summary.get("valid_from")
    return {
        "volunteer": volunteer,
        "title": summary.get("title") or "",
        "period": period,
        "hours": summary.get("hours") if summary.get("hours") is not None else "",
        "issued": issued[:10] if isinstance(issued, str) else "",
    }


def _in_language(detail: str | Text, lang: str) -> str:
    return detail.in_language(lang) if isinstance(detail, Text) else detail


def to_csv(rows: list[dict]) -> bytes:
    """With a BOM (spreadsheets read Latvian letters) and no formula injection through a file name or a link."""
    return table.to_csv([{key: str(value) for key, value in row.items()} for row in rows], columns=COLUMNS)
