"""Shared by the batch tests: spreadsheets of records as organisers make them, and waiting for a batch to finish."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta

MISSION = "event-support"
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


def good_row(i: int) -> dict:
    start = date(2026, 1, 1) + timedelta(days=i % 300)
    return {
        "volunteer_name": f"Brīvprātīgais Nr. {i}",
        "volunteer_email": f"vol{i}@example.lv",
        "volunteer_pseudonym": "",
        "mission_type": MISSION,
        "title": "Jāņu festivāls",
        "municipality": "Cēsu novads",
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=1)).isoformat(),
        "hours": f"{6 + i % 10},5",
        "role": "Informācijas punkts",
        "competences": "",
        "narrative": "Palīdzēja apmeklētājiem; ā č ē ģ ī ķ ļ ņ š ū ž.",
    }


def csv_bytes(rows: list[dict], delimiter: str = ",", bom: bool = False, header: bool = True) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, delimiter=delimiter, lineterminator="\r\n")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for row in rows:
        values = [row[c] for c in COLUMNS]
        values[COLUMNS.index("start_date")] = date.fromisoformat(row["start_date"])  # real Excel dates
        values[COLUMNS.index("hours")] = float(row["hours"].replace(",", "."))  # and real numbers
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, org, content: bytes, dry_run: bool = False, filename: str = "batch.csv", headers=None):
    return client.post(
        "/batches" + ("?dry_run=true" if dry_run else ""),
        files={"file": (filename, content)},
        headers=headers if headers is not None else org.headers(),
    )


def wait_for(client, org, batch_id: str, timeout: float = 240, statuses=("done", "cancelled")) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        report = client.get(f"/batches/{batch_id}", headers=org.headers()).json()
        if report["status"] in statuses:
            return report
        assert time.monotonic() < deadline, report
        time.sleep(0.1)
