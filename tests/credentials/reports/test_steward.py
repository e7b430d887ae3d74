"""Stewards of municipalities: a platform administrator grants and revokes the role on the admin pages (audited); a
steward sees the territory view of their municipality only; nobody else sees it."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from base.db import transaction
from issuers import service
from issuers.store import AuditEntryRow, StewardRow
from tests.pages import sign_in, submit


def _client(request, app, email: str, password: str, *, platform_admin: bool = False) -> TestClient:
    """A signed-in browser; closed with the test, so that its app's background workers (the outbox sender among them)
    stop and never take a later test's work from the shared PostgreSQL database."""
    with transaction(app.state.session_factory) as session:
        service.create_user(session, email, email.split("@")[0].capitalize(), password, platform_admin=platform_admin)
    client = TestClient(app)
    client.__enter__()
    request.addfinalizer(lambda: client.__exit__(None, None, None))
    assert sign_in(client, email, password).status_code == 303
    return client


def _audit(session_factory) -> list[tuple[str, dict]]:
    with session_factory() as session:
        return [(a, d) for a, d in session.execute(select(AuditEntryRow.action, AuditEntryRow.details))]


def test_a_steward_sees_their_territory_and_no_other(request, app, make_org, add_record, session_factory):
    org = make_org("cesis-ngo")
    for n in range(6):  # six volunteers in Cēsis: a cell that is shown
        add_record(org.org_id, "2026-05-04", "2026-05-04", 3 + n, municipality="cesis")
    add_record(org.org_id, "2026-05-04", "2026-05-04", 100, municipality="riga")
    admin = _client(request, app, "root@platform.example.lv", "platform-password-1", platform_admin=True)
    steward = _client(request, app, "steward@example.lv", "steward-password-1")
    other = _client(request, app, "other@example.lv", "other-password-1")

    assert steward.get("/steward/cesis?year=2026&lang=en").status_code == 404  # not yet a steward
    assert "not a steward" in steward.get("/steward?lang=en").text

    refused = submit(admin, "/admin/stewards?lang=en", "/admin/stewards?lang=en", {"email": "nobody@example.lv"})
    assert refused.status_code == 422
    assert (
        "There is no user with this e-mail address." in refused.text and "is not a Latvian municipality" in refused.text
    )
    granted = submit(
        admin,
        "/admin/stewards?lang=en",
        "/admin/stewards?lang=en",
        {"email": "Steward@example.lv", "municipality": "cesis"},
    )
    assert granted.status_code == 303
    listing = admin.get(granted.headers["location"])
    assert "steward@example.lv" in listing.text and "Cēsis" in listing.text and "The steward was made." in listing.text
    again = submit(
        admin,
        "/admin/stewards?lang=en",
        "/admin/stewards?lang=en",
        {"email": "steward@example.lv", "municipality": "cesis"},
    )
    assert again.status_code == 422 and "already a steward" in again.text

    index = steward.get("/steward?lang=en")
    assert 'href="/steward/cesis?lang=en"' in index.text
    page = steward.get("/steward/cesis?year=2026&lang=en")
    assert page.status_code == 200
    assert "Volunteering in the territory: Cēsis" in page.text
    assert "33.0" in page.text  # 3 + 4 + ... + 8 hours in Cēsis; Rīga's 100 hours are not there
    assert "100.0" not in page.text
    assert steward.get("/steward/riga?year=2026&lang=en").status_code == 404  # a steward of Cēsis, not of Rīga

    # The same figures as downloads, linked from the page.
    assert 'href="/steward/cesis/export.csv?year=2026&amp;sep=;&amp;lang=en"' in page.text
    semicolon = steward.get("/steward/cesis/export.csv?year=2026&sep=;&lang=en")
    assert semicolon.status_code == 200 and semicolon.headers["content-type"].startswith("text/csv")
    cells = [
        cell for row in csv.reader(io.StringIO(semicolon.content.decode("utf-8-sig")), delimiter=";") for cell in row
    ]
    assert "33,0" in cells and "100,0" not in cells
    book = load_workbook(io.BytesIO(steward.get("/steward/cesis/export.xlsx?year=2026&lang=en").content))
    numbers = {cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row}
    assert 33.0 in numbers and 100.0 not in numbers
    pdf = steward.get("/steward/cesis/export.pdf?year=2026&lang=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "Cēsis" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert steward.get("/steward/riga/export.csv?year=2026").status_code == 404
    assert other.get("/steward/cesis/export.csv?year=2026").status_code == 404
    assert steward.get("/steward/cesis/export.docx?year=2026").status_code == 404
    assert other.get("/steward/cesis?year=2026&lang=en").status_code == 404  # signed in, not a steward
    anonymous = TestClient(app).get("/steward/cesis?lang=en", follow_redirects=False)
    assert anonymous.status_code in (303, 307) and "/login" in anonymous.headers["location"]
    # Only a platform administrator grants: anyone else is answered as if the page did not exist.
    assert other.get("/admin/stewards?lang=en").status_code == 404

    with session_factory() as session:
        row = session.scalars(select(StewardRow)).one()
    revoked = submit(admin, "/admin/stewards?lang=en", f"/admin/stewards/{row.user_id}/cesis/revoke?lang=en")
    assert revoked.status_code == 303
    assert steward.get("/steward/cesis?year=2026&lang=en").status_code == 404
    actions = _audit(session_factory)
    assert ("steward.grant", {"municipality": "cesis"}) in actions
    assert ("steward.revoke", {"municipality": "cesis"}) in actions
