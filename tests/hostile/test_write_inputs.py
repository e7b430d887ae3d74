"""Hostile input on the write side: volunteer fields that contradict each other, NUL bytes, out-of-range numbers
and dates, oversized uploads and spreadsheets built to exhaust memory, and CSS tricks in SVG logos. Every one must
be a clear 4xx (problem+json naming what is wrong), never a 500, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from credentials.common import today_in_latvia
from tests.conftest import REPO
from tests.credentials.batch_helpers import csv_bytes, good_row, upload, wait_for
from tests.credentials.helpers import issue, record_body
from tests.hostile import uploads
from tests.pages import post_form


def problem_fields(response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [error.get("field") for error in response.json().get("errors", [])]


def record_count(session_factory) -> int:
    from credentials.store import RecordRow

    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(RecordRow))


# --- 5. volunteer fields: unknown or conflicting ones are refused on every path -----------------------------------


def test_pseudonym_sent_with_a_name_is_refused_not_turned_into_a_named_credential(client, make_org, session_factory):
    org = make_org("pseudo-named")
    body = record_body(volunteer={"pseudonym": "VOL-7F3K29QD", "name": "Anna Ozola", "email": "anna@example.lv"})
    response = client.post("/records", json=body, headers=org.headers())
    assert response.status_code == 422, response.text
    assert "volunteer" in problem_fields(response)
    assert record_count(session_factory) == 0


@pytest.mark.parametrize(
    "volunteer, field",
    [
        ({"name": "Anna Ozola", "nickname": "Ancīte"}, "volunteer.nickname"),
        ({"pseudonym": "VOL-7F3K29QD", "surname": "Ozola"}, "volunteer.surname"),
        ({"pseudonym": "VOL-7F3K29QD", "email": "anna@example.lv"}, "volunteer"),
    ],
)
def test_unknown_or_conflicting_volunteer_fields_in_a_record_are_refused(
    client, make_org, session_factory, volunteer, field
):
    org = make_org("pseudo-fields")
    response = client.post("/records", json=record_body(volunteer=volunteer), headers=org.headers())
    assert response.status_code == 422, response.text
    assert field in problem_fields(response)
    assert record_count(session_factory) == 0


def test_volunteer_email_longer_than_an_address_can_be_is_refused(client, make_org, session_factory):
    org = make_org("long-email")
    body = record_body(volunteer={"name": "Anna Ozola", "email": "a" * 300 + "@example.lv"})
    response = client.post("/records", json=body, headers=org.headers())
    assert response.status_code == 422, response.text
    assert "volunteer.email" in problem_fields(response)
    assert record_count(session_factory) == 0


def test_volunteer_fields_beside_the_record_are_refused(client, make_org):
    org = make_org("pseudo-beside")
    body = record_body(volunteer={"pseudonym": "VOL-7F3K29QD"}, volunteer_name="Anna Ozola")
    response = client.post("/records", json=body, headers=org.headers())
    assert response.status_code == 422, response.text
    assert "volunteer_name" in problem_fields(response)


def test_revision_and_approval_refuse_a_volunteer_they_cannot_change(client, make_org):
    org = make_org("pseudo-revise")
    created, _ = issue(client, org, record_body(volunteer={"pseudonym": "VOL-7F3K29QD"}))
    for path in (f"/records/{created['id']}/revise", f"/records/{created['id']}/approve"):
        response = client.post(path, json={"volunteer": {"name": "Anna Ozola"}, "hours": 10}, headers=org.headers())
        assert response.status_code == 422, (path, response.text)
        assert "volunteer" in problem_fields(response)


def invitation_token(client, org) -> str:
    response = client.post("/invitations", json={"mission_type": "event-support"}, headers=org.headers())
    assert response.status_code == 201, response.text
    return response.json()["token"]


def statement(**changes) -> dict:
    body = {
        "start_date": "2026-06-20",
        "end_date": "2026-06-21",
        "hours": 10,
        "municipality": "Cēsu novads",
        "volunteer": {"pseudonymous": True},
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    "volunteer, field",
    [
        ({"pseudonymous": True, "pseudonym": "VOL-7F3K29QD", "name": "Anna Ozola"}, "volunteer.pseudonym"),
        ({"name": "Anna Ozola", "surname": "Ozola"}, "volunteer.surname"),
        ({"pseudonymous": True, "email": "anna@example.lv"}, "volunteer"),
    ],
)
def test_statement_refuses_unknown_or_conflicting_volunteer_fields(client, make_org, session_factory, volunteer, field):
    org = make_org("pseudo-statement")
    token = invitation_token(client, org)
    response = client.put(f"/invitations/{token}/statement", json=statement(volunteer=volunteer))
    assert response.status_code == 422, response.text
    assert field in problem_fields(response)
    assert record_count(session_factory) == 0


def test_invitation_refuses_volunteer_fields(client, make_org):
    org = make_org("pseudo-invite")
    response = client.post(
        "/invitations", json={"mission_type": "event-support", "volunteer_name": "Anna"}, headers=org.headers()
    )
    assert response.status_code == 422, response.text
    assert "volunteer_name" in problem_fields(response)


def test_batch_row_with_pseudonym_and_name_is_refused(client, make_org):
    org = make_org("pseudo-batch")
    row = {**good_row(1), "volunteer_pseudonym": "VOL-7F3K29QD"}
    report = upload(client, org, csv_bytes([row]), dry_run=True).json()
    assert report["valid"] == 0
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(2, "volunteer_pseudonym")]


# --- 7. out-of-range numbers and dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64, -1])
def test_status_list_number_out_of_range_is_a_client_error(client, make_org, number):
    org = make_org("status-range")
    issue(client, org)
    response = client.get(f"/status/{org.slug}/revocation/{number}")
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "expires_at", ["2030-01-01T00:00:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]
)
def test_token_expiry_without_time_zone_or_out_of_range_is_refused(client, make_org, expires_at):
    org = make_org("token-expiry")
    response = client.post(
        f"/organisations/{org.slug}/tokens", json={"name": "ci", "expires_at": expires_at}, headers=org.headers("admin")
    )
    assert response.status_code == 422, response.text
    assert "expires_at" in problem_fields(response)


def test_token_expiry_with_time_zone_is_kept(client, make_org):
    org = make_org("token-expiry-ok")
    response = client.post(
        f"/organisations/{org.slug}/tokens",
        json={"name": "ci", "expires_at": "2030-01-01T00:00:00+02:00"},
        headers=org.headers("admin"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["expires_at"].startswith("2029-12-31T22:00:00")


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_key_compromise_time_off_the_calendar_is_refused(client, make_org, since):
    org = make_org("since-range")
    method = client.get(f"/issuers/{org.slug}/did.json").json()["verificationMethod"][0]["id"]
    response = client.post(
        f"/organisations/{org.slug}/keys/{method.split('#')[1]}/compromise",
        json={"since": since},
        headers=org.headers("admin"),
    )
    assert response.status_code == 422, response.text
    assert "since" in problem_fields(response)


@pytest.mark.parametrize(
    "query",
    [
        "from=0001-01-01",
        "to=0001-01-01",
        "from=9999-12-31",
        "to=9999-12-31",
        "from=1000-01-01&to=2026-01-01",
        "to=3000-01-01",
    ],
)
def test_export_period_with_extreme_dates_is_refused(client, make_org, query):
    org = make_org("export-range")
    response = client.get(f"/organisations/{org.slug}/export/credentials.csv?{query}", headers=org.headers())
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "export.period_range"


def test_export_period_with_ordinary_dates_still_works(client, make_org):
    org = make_org("export-ordinary")
    issue(client, org)
    today = today_in_latvia().isoformat()  # the period is in Latvian days (from 22:00 UTC, the UTC day is behind)
    response = client.get(
        f"/organisations/{org.slug}/export/credentials.csv?from=2020-01-01&to={today}", headers=org.headers()
    )
    assert response.status_code == 200, response.text
    assert len(response.text.strip().splitlines()) == 2


@pytest.mark.parametrize(
    "field, value", [("start_date", "0001-01-01"), ("start_date", "1899-12-31"), ("end_date", "9999-12-31")]
)
def test_record_with_absurd_date_is_refused_with_a_clear_message(client, make_org, field, value):
    org = make_org("absurd-date")
    response = client.post(
        "/records", json=record_body(**{field: value}), headers={**org.headers(), "Accept-Language": "en"}
    )
    assert response.status_code == 422, response.text
    errors = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert field in errors
    assert "1900" in errors[field] or "future" in errors[field]


def test_statement_and_invitation_with_absurd_date_are_refused(client, make_org):
    org = make_org("absurd-statement")
    invited = client.post(
        "/invitations", json={"mission_type": "event-support", "start_date": "0001-01-01"}, headers=org.headers()
    )
    assert invited.status_code == 422, invited.text
    assert "start_date" in problem_fields(invited)
    token = invitation_token(client, org)
    saved = client.put(f"/invitations/{token}/statement", json=statement(start_date="0001-01-01"))
    assert saved.status_code == 422, saved.text
    assert "start_date" in problem_fields(saved)


# --- 7. NUL bytes: refused in one place, on every path -------------------------------------------------------------


def assert_nul_refused(response, field: str | None = None):
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["code"] == "request.nul_character", body
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body


def test_nul_in_public_path_and_query_is_a_client_error(client, make_org):
    org = make_org("nul-path")
    assert_nul_refused(client.get("/v/abc%00def"))
    assert_nul_refused(client.get("/credentials/abc%00def/status"))
    assert_nul_refused(client.get("/records?status=draft%00", headers=org.headers()), "status")


def test_nul_in_a_page_address_is_a_readable_page_for_a_person(client):
    response = client.get("/v/abc%00def?lang=en", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "NUL character" in response.text


def test_nul_in_login_and_registration_is_a_client_error(client, make_org):
    assert_nul_refused(client.post("/auth/login", json={"email": "a\u0000@example.lv", "password": "x"}), "email")
    registration = {"legal_name": "Biedrība\u0000X", "registration_number": "40001441955", "municipality": "Rīga"}
    assert_nul_refused(client.post("/organisations", json=registration), "legal_name")


def test_nul_in_records_and_statements_is_a_client_error(client, make_org, session_factory):
    org = make_org("nul-records")
    body = record_body(volunteer={"name": "Anna\u0000Ozola"})
    assert_nul_refused(client.post("/records", json=body, headers=org.headers()), "volunteer.name")
    body = record_body(competences=["http://data.europa.eu/esco/skill/\u0000"])
    assert_nul_refused(client.post("/records", json=body, headers=org.headers()), "competences.0")
    token = invitation_token(client, org)
    assert_nul_refused(client.put(f"/invitations/{token}/statement", json=statement(narrative="a\u0000b")), "narrative")
    untyped = json.dumps(record_body(role="a\u0000b")).encode()  # no Content-Type: FastAPI still reads JSON
    assert_nul_refused(client.post("/records", content=untyped, headers=org.headers()), "role")
    assert record_count(session_factory) == 0


def test_nul_in_a_form_is_a_client_error(client):
    response = post_form(client, "/verify", data={"credential": '{"id": "a\u0000b"}'})
    assert_nul_refused(response, "credential")


def test_nul_in_multipart_text_reaching_the_database_is_a_client_error(client, make_org):
    """Multipart bodies are not read by the guard (files may hold NUL bytes): their text is stopped at the database."""
    org = make_org("nul-multipart")
    response = client.post(
        "/batches?dry_run=true",
        files={"file": ("batch.csv", csv_bytes([good_row(1)]))},
        data={"organisation": "nul-\u0000multipart"},
        headers=org.headers("admin"),
    )
    assert_nul_refused(response)
    body = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="ba\x00tch.csv"\r\n\r\n'
        + csv_bytes([good_row(1)])
        + b"\r\n--x--\r\n"
    )
    started = client.post(
        "/batches", content=body, headers={**org.headers(), "Content-Type": "multipart/form-data; boundary=x"}
    )
    assert_nul_refused(started)


def test_text_with_an_escaped_backslash_u0000_is_not_a_nul(client, make_org):
    org = make_org("nul-lookalike")
    body = record_body(narrative="C:\\u0000 is a path, not a NUL")
    created = client.post("/records", json=body, headers=org.headers())
    assert created.status_code == 201, created.text
    assert created.json()["narrative"] == "C:\\u0000 is a path, not a NUL"


def test_batch_with_nul_in_a_cell_reports_the_row_and_finishes(client, make_org):
    org = make_org("nul-batch")
    rows = [good_row(1), {**good_row(2), "role": "Informā\u0000cija"}, good_row(3)]
    checked = upload(client, org, csv_bytes(rows), dry_run=True).json()
    assert checked["valid"] == 2
    assert [(e["line"], e["column"]) for e in checked["errors"]] == [(3, "role")]
    started = upload(client, org, csv_bytes(rows))
    assert started.status_code == 202, started.text
    report = wait_for(client, org, started.json()["id"], timeout=120)
    assert report["status"] == "done"
    assert report["issued"] == 2
    assert [(e["line"], e["column"]) for e in report["errors"]] == [(3, "role")]


# --- 6. uploads: stop at the row limit while streaming, bounded memory, bounded body --------------------------------


def measure_in_subprocess(path) -> dict:
    """Reads a generated upload in a fresh interpreter; returns its refusal and its peak memory and time."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile.uploads", "measure", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    "kind, params, refusal",
    [
        ("csv", {"rows": 5_200_000}, "batch.too_many_rows"),
        ("xlsx", {"rows": 800_000}, "batch.xlsx_too_large"),  # 4 MB, its sheet unpacks to 52 MB
        ("xlsx", {"rows": 100_000}, "batch.too_many_rows"),  # its sheet (6.5 MB) is read as a stream
        ("xlsx_bomb", {"megabytes": 400}, "batch.xlsx_too_large"),
        ("xlsx_many_members", {"members": 5000}, "batch.xlsx_too_large"),
    ],
)
def test_hostile_spreadsheet_is_refused_in_bounded_memory_and_time(tmp_path, kind, params, refusal):
    path = uploads.make(kind, tmp_path / f"upload{uploads.MAKERS[kind][1]}", **params)
    measured = measure_in_subprocess(path)
    assert measured["refusal"] == refusal, measured
    assert measured["peak_rss_delta_mb"] < 200, measured
    assert measured["seconds"] < 20, measured


def test_ten_megabyte_csv_of_tiny_rows_is_refused_over_http(client, make_org):
    org = make_org("upload-rows")
    content = uploads.tiny_rows_csv(5_200_000)
    assert len(content) <= 10 * 1024 * 1024
    response = upload(client, org, content, dry_run=True)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "batch.too_many_rows"


def test_upload_body_beyond_the_limit_is_refused_before_it_is_read(client, make_org):
    org = make_org("upload-body")
    big = b"a" * (40 * 1024 * 1024)
    response = upload(client, org, big, dry_run=True)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == "request.too_large"

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b"b" * (1024 * 1024)

    streamed = client.post(
        "/batches?dry_run=true",
        content=chunks(),
        headers={**org.headers(), "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert streamed.status_code == 413, streamed.text


def test_csv_cell_beyond_the_field_limit_is_a_row_error_not_a_500(client, make_org):
    org = make_org("upload-cell")
    row = {**good_row(1), "narrative": "ā" * 200_000}
    response = upload(client, org, csv_bytes([row]), dry_run=True)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert response.json()["valid"] == 0


def test_ordinary_xlsx_still_reads(client, make_org):
    from tests.credentials.batch_helpers import xlsx_bytes

    org = make_org("upload-xlsx")
    report = upload(
        client, org, xlsx_bytes([good_row(i) for i in range(3)]), dry_run=True, filename="batch.xlsx"
    ).json()
    assert report["valid"] == 3, report


# --- 9. SVG logos: CSS escapes and other ways to fetch ------------------------------------------------------------

FETCHING_STYLES = [
    "fill: \\75rl(http://evil.example/x)",
    "fill: \\000075 rl(http://evil.example/x)",
    "fill: u\\rl(http://evil.example/x)",
    "fill: \\55RL(http://evil.example/x)",
    "fill: url(#ok); background: url(http://evil.example/x)",
    "background-image: image-set('http://evil.example/x.png' 1x)",
    "width: expression(alert(1))",
    "background: u/**/rl(http://evil.example/x)",
    "behavior: url(evil.htc)",
]


@pytest.mark.parametrize("style", FETCHING_STYLES)
def test_svg_style_attribute_that_could_fetch_is_removed(style):
    from issuers.images import sanitise_svg

    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4" style="{style}"/></svg>'.encode()
    cleaned = sanitise_svg(svg).decode()
    assert "evil" not in cleaned and "expression" not in cleaned and "image-set" not in cleaned, cleaned
    assert "<rect" in cleaned


STYLE_SHEETS = [
    "rect { fill: \\75rl(http://evil.example/x) }",
    "@\\69mport 'http://evil.example/x.css';",
    "@import 'http://evil.example/x.css';",
    "rect { background: image-set('http://evil.example/x.png' 1x) }",
    "rect { fill: url(#g) } circle { fill: url(http://evil.example/x) }",
    "rect { fill: &#117;rl(http://evil.example/x) }",
    "rect { fill: &#92;75rl(http://evil.example/x) }",
    "rect { fill: red }<title>t</title>@import 'http://evil.example/x.css';",
    "@/**/import 'http://evil.example/x.css';",
    "@font-face { font-family: x; src: url(http://evil.example/x.woff) }",
]


@pytest.mark.parametrize("sheet", STYLE_SHEETS)
def test_svg_style_sheet_that_could_fetch_is_emptied(sheet):
    from issuers.images import sanitise_svg

    svg = (f'<svg xmlns="http://www.w3.org/2000/svg"><style>{sheet}</style><rect width="4" height="4"/></svg>').encode()
    cleaned = sanitise_svg(svg).decode()
    assert "evil" not in cleaned, cleaned


def test_svg_with_local_references_and_transforms_keeps_them():
    from issuers.images import sanitise_svg

    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"><stop offset="0"/>'
        b"</linearGradient></defs><style>rect { fill: url(#g); stroke: rgb(1, 2, 3) }</style>"
        b'<rect width="4" height="4" fill="url(#g)" transform="translate(1, 2) rotate(3)" '
        b'style="stroke: rgba(0,0,0,0.5)"/></svg>'
    )
    cleaned = sanitise_svg(svg).decode()
    assert 'fill="url(#g)"' in cleaned and "translate(1, 2)" in cleaned and "rgba(0,0,0,0.5)" in cleaned
    assert "fill: url(#g)" in cleaned


def test_svg_logo_upload_with_escaped_url_is_stored_without_it(client, make_org):
    org = make_org("svg-escape")
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4" style="fill:\\75rl(http://evil.example/x)"/></svg>'
    response = client.put(
        f"/organisations/{org.slug}/logo",
        files={"file": ("logo.svg", svg, "image/svg+xml")},
        headers=org.headers("admin"),
    )
    assert response.status_code in (200, 201), response.text
    served = client.get(f"/organisations/{org.slug}/logo")
    assert served.status_code == 200
    assert b"evil" not in served.content
