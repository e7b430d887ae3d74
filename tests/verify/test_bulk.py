"""Bulk check: a CSV of links or a ZIP of files in, one verdict per row out; limits refuse hostile uploads."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile

from tests.credentials.helpers import issue, record_body
from verify import bulk


def rows_of(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def three_credentials(client, org):
    _, valid = issue(client, org)
    _, revoked = issue(client, org, record_body(hours=5, start_date="2026-07-01", end_date="2026-07-01"))
    _, suspended = issue(client, org, record_body(hours=6, start_date="2026-07-02", end_date="2026-07-02"))
    client.post(f"/credentials/{revoked['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    client.post(f"/credentials/{suspended['credential_id']}/suspend", json={"reason": "?"}, headers=org.headers())
    return valid, revoked, suspended


def test_csv_of_links_gives_one_verdict_per_row(client, make_org, settings):
    org = make_org("bulk-csv", legal_name="Biedrība „Daudzie”")
    valid, revoked, suspended = three_credentials(client, org)
    base = settings.public_base_url
    lines = [
        "link;note",
        f"{base}/v/{valid['credential_id']};a",
        f"{revoked['credential']['id']};b",
        f"{base}/v/{suspended['credential_id']}?lang=en;c",
        f"{base}/v/no-such-credential;d",
        "https://elsewhere.example/v/123;e",
    ]
    response = client.post("/verify/bulk?lang=en", files={"file": ("links.csv", "\n".join(lines).encode(), "text/csv")})
    rows = rows_of(response)
    assert [r["verdict"] for r in rows] == ["valid", "revoked", "suspended", "not_found", "not_found"]
    assert [r["row"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[0]["issuer"] == f"Biedrība „Daudzie” ({'40001441955'})"
    assert "revoked" in rows[1]["reason"] and rows[4]["source"] == "https://elsewhere.example/v/123"
    # Whose credential and for what: a "valid" must not be read as valid for the person who handed it in.
    assert rows[0]["volunteer"] == "Kārlis Ozoliņš" and rows[0]["title"] == "Jāņu festivāla brīvprātīgais"
    assert rows[0]["period"] == "2026-06-20 – 2026-06-24" and rows[0]["hours"] == "42"
    assert rows[0]["issued"] == valid["credential"]["validFrom"][:10]
    assert rows[1]["period"] == "2026-07-01" and rows[1]["hours"] == "5"
    assert rows[3]["volunteer"] == rows[3]["title"] == rows[3]["hours"] == ""


def test_a_pseudonymous_volunteer_is_said_to_be_one(client, make_org):
    org = make_org("bulk-pseudonym")
    _, issued = issue(client, org, record_body(volunteer={"pseudonym": "meza-lacis-7"}))
    rows = rows_of(
        client.post("/verify/bulk", files={"file": ("links.csv", issued["verify_url"].encode(), "text/csv")})
    )
    assert rows[0]["verdict"] == "valid" and rows[0]["volunteer"] == "pseidonīms"
    assert "meza-lacis-7" not in ";".join(rows[0].values())


def test_zip_of_json_and_pdf_files(client, make_org):
    org = make_org("bulk-zip")
    valid, revoked, _ = three_credentials(client, org)
    tampered = copy.deepcopy(valid["credential"])
    tampered["credentialSubject"]["result"][0]["value"] = "43"
    pdf = client.get(f"/credentials/{valid['credential_id']}.pdf", headers=org.headers()).content
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a-valid.json", json.dumps(valid["credential"]))
        archive.writestr("b-revoked.json", json.dumps(revoked["credential"]))
        archive.writestr("c-tampered.json", json.dumps(tampered))
        archive.writestr("d-certificate.pdf", pdf)
        archive.writestr("e-notes.txt", "hello")
        archive.writestr("__MACOSX/._a-valid.json", "junk")
    rows = rows_of(client.post("/verify/bulk", files={"file": ("many.zip", buffer.getvalue(), "application/zip")}))
    assert [(r["source"], r["verdict"]) for r in rows] == [
        ("a-valid.json", "valid"),
        ("b-revoked.json", "revoked"),
        ("c-tampered.json", "invalid"),
        ("d-certificate.pdf", "valid"),
        ("e-notes.txt", "unreadable"),
    ]
    assert rows[1]["reason"].startswith("Atsaukts")  # Latvian by default
    # What is not a credential is said plainly, without the JSON parser's own words.
    assert "Faila saturu nevar nolasīt kā apliecinājuma JSON" in rows[4]["reason"]
    assert "Expecting" not in rows[4]["reason"] and "not JSON" not in rows[4]["reason"]


def test_zip_bomb_and_too_many_entries_are_refused_with_problems(client):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(6):
            archive.writestr(f"{n}.json", b" " * (10 * 1024 * 1024))  # 60 MB of spaces in ~60 kB
    response = client.post("/verify/bulk?lang=en", files={"file": ("bomb.zip", bomb.getvalue(), "application/zip")})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    assert "Unpacked" in response.json()["title"] + response.json().get("detail", "")
    many = "\n".join(f"https://x.example/v/{n}" for n in range(bulk.MAX_ENTRIES + 1)).encode()
    too_many = client.post("/verify/bulk", files={"file": ("links.csv", many, "text/csv")})
    assert too_many.status_code == 422 and "200" in json.dumps(too_many.json(), ensure_ascii=False)


def test_a_lying_zip_header_gains_nothing():
    # Declared small, actually large: reading stops at the limit.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.json", b" " * (bulk.MAX_FILE_BYTES + 10))
    data = bytearray(buffer.getvalue())
    # patch the uncompressed size in the central directory (offset 24 after the signature PK\x01\x02)
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    entries = bulk.entries_from_zip(bytes(data))
    assert entries[0].unresolved == bulk.UNREADABLE


def test_page_form_shows_errors_readably(client):
    page = client.get("/verify/bulk")
    assert page.status_code == 200 and '<label for="file">' in page.text
    response = client.post(
        "/verify/bulk", data={"page": "1"}, files={"file": ("x.zip", b"PK\x03\x04broken", "application/zip")}
    )
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "ZIP arhīvu nevar atvērt." in response.text
