"""Certificates through the service: the organisation's download, the volunteer's page, and offline verification."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

from pypdf import PdfReader

from credentials.certificates.render import extract_embedded_credential
from tests.conftest import TEST_KEK
from tests.credentials.helpers import issue, record_body


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_organisation_downloads_the_certificate_with_the_credential_inside(client, make_org):
    org = make_org("certs", signatory_name="Ilze Kļaviņa", signatory_position="Valdes priekšsēdētāja")
    record, issued = issue(client, org, record_body(volunteer={"name": "Žanis Ķēniņš", "email": "z@example.lv"}))
    response = client.get(f"/credentials/{issued['credential_id']}.pdf", headers=org.headers("coordinator"))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert extract_embedded_credential(response.content) == issued["credential"]
    text = pdf_text(response.content)
    assert "Žanis Ķēniņš" in text and "42" in text and "Ilze Kļaviņa" in text
    english = client.get(f"/credentials/{issued['credential_id']}.pdf?language=en", headers=org.headers())
    assert "CERTIFICATE" in pdf_text(english.content).upper()


def test_certificate_is_not_for_strangers(client, make_org):
    own, other = make_org("cert-own"), make_org("cert-other")
    _, issued = issue(client, own)
    assert client.get(f"/credentials/{issued['credential_id']}.pdf").status_code == 401
    assert client.get(f"/credentials/{issued['credential_id']}.pdf", headers=other.headers()).status_code == 404
    bad = client.get(f"/credentials/{issued['credential_id']}.pdf?language=de", headers=own.headers())
    assert bad.status_code == 422


def test_volunteer_page_lists_credentials_with_downloads(client, make_org):
    org = make_org("my-page")
    record, issued = issue(client, org)
    link = record["volunteer_link"].removeprefix("http://127.0.0.1:8000")
    second = client.post(
        "/records", json=record_body(start_date="2026-07-01", end_date="2026-07-02", hours=10), headers=org.headers()
    ).json()
    client.post(f"/records/{second['id']}/issue", headers=org.headers())
    page = client.get(link)
    assert page.status_code == 200 and page.headers["referrer-policy"] == "same-origin"
    assert "Mani apliecinājumi" in page.text and "Kopā derīgajos apliecinājumos: 52 stundas" in page.text
    assert client.get(link + "?lang=en").text.count("Bilingual PDF") == 2
    pdf = client.get(f"{link}/credentials/{issued['credential_id']}.pdf?language=bilingual")
    assert pdf.status_code == 200 and extract_embedded_credential(pdf.content)["id"] == issued["credential"]["id"]
    as_json = client.get(f"{link}/credentials/{issued['credential_id']}.json")
    assert as_json.json() == issued["credential"]
    assert client.get("/me/not-a-real-link").status_code == 404


def test_volunteer_link_opens_only_own_credentials(client, make_org):
    org = make_org("separate")
    mine, _ = issue(client, org)
    _, theirs = issue(client, org, record_body(volunteer={"name": "Cits Cilvēks", "email": "cits@example.lv"}))
    link = mine["volunteer_link"].removeprefix("http://127.0.0.1:8000")
    assert client.get(f"{link}/credentials/{theirs['credential_id']}.pdf").status_code == 404
    assert client.get(f"{link}/credentials/{theirs['credential_id']}.json").status_code == 404


def test_pseudonymous_certificate_shows_no_name(client, make_org):
    org = make_org("pseudo-cert")
    _, issued = issue(client, org, record_body(volunteer={"pseudonym": "VOL-QX7P-2M4K-ZZ"}))
    text = pdf_text(client.get(f"/credentials/{issued['credential_id']}.pdf", headers=org.headers()).content)
    assert "Brīvprātīgais" in text and "VK-" in text
    assert "VOL-QX7P" not in text and "Kārlis" not in text


def test_volcred_verify_accepts_the_certificate_pdf(client, make_org, database_url, tmp_path):
    org = make_org("offline-pdf")
    _, issued = issue(client, org)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(client.get(f"/credentials/{issued['credential_id']}.pdf", headers=org.headers()).content)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "VOLCRED_LANG": "en",
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "verify", str(pdf), "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["verdict"] == "valid"
    tampered = tmp_path / "tampered.json"
    credential = dict(issued["credential"], name="Cits nosaukums")
    tampered.write_text(json.dumps(credential))
    refused = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "verify", str(tampered)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert refused.returncode == 1 and "Invalid" in refused.stdout, refused.stdout
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7 nothing here")
    unreadable = subprocess.run(
        [sys.executable, "-m", "volcred.cli", "verify", str(garbage)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert unreadable.returncode == 2 and "cannot be read" in unreadable.stderr


def test_a_suspended_or_revoked_credentials_certificate_says_so(client, make_org):
    org = make_org("marked-cert")
    _, issued = issue(client, org)
    credential_id = issued["credential_id"]
    url = f"/credentials/{credential_id}.pdf"

    def text(language: str = "lv") -> str:
        response = client.get(f"{url}?language={language}", headers=org.headers())
        assert response.status_code == 200, response.text
        assert extract_embedded_credential(response.content) == issued["credential"]
        return pdf_text(response.content)

    assert "ATSAUKTS" not in text() and "APTURĒTS" not in text()  # rendered once, then from the cache
    actions = (("suspend", "APTURĒTS", "SUSPENDED"), ("unsuspend", None, None), ("revoke", "ATSAUKTS", "REVOKED"))
    for action, latvian, english in actions:
        response = client.post(
            f"/credentials/{credential_id}/{action}", json={"reason": "Pārbaude"}, headers=org.headers()
        )
        assert response.status_code == 200, response.text
        if latvian is None:
            assert "APTURĒTS" not in text() and "ATSAUKTS" not in text()
        else:
            assert latvian in text() and english in text("en") and f"{latvian}\n{english}" in text("bilingual")


def test_certificates_in_russian_and_ukrainian_with_the_catalogues_names_and_cyrillic_that_renders(client, make_org):
    from catalogue import load_catalogue

    mission = load_catalogue().mission_types[0]
    org = make_org("cyrillic")
    record, issued = issue(client, org, record_body(mission, hours="12.5"))
    texts = {}
    for language in ("ru", "uk"):
        response = client.get(f"/credentials/{issued['credential_id']}.pdf?language={language}", headers=org.headers())
        assert response.status_code == 200, response.text
        assert extract_embedded_credential(response.content) == issued["credential"]
        texts[language] = " ".join(pdf_text(response.content).split())
    ru, uk = texts["ru"], texts["uk"]
    assert "СЕРТИФИКАТ" in ru.upper() and "Развитые компетенции" in ru and "Часы".upper() in ru.upper()
    assert mission.name.ru in ru and "12,5" in ru and "Kārlis Ozoliņš" in ru
    assert "СЕРТИФІКАТ" in uk.upper() and "Розвинені компетентності" in uk and "ГОДИНИ" in uk.upper()
    assert mission.name.uk in uk and "Развитые" not in uk
    # the volunteer's own page offers both, and bilingual stays Latvian and English
    link = record["volunteer_link"].removeprefix("http://127.0.0.1:8000")
    page = client.get(link + "?lang=uk").text
    assert "PDF українською" in page and "PDF російською" in page
    mine = client.get(f"{link}/credentials/{issued['credential_id']}.pdf?language=uk")
    assert mine.status_code == 200 and "Розвинені компетентності" in pdf_text(mine.content)
    bilingual = pdf_text(client.get(f"{link}/credentials/{issued['credential_id']}.pdf?language=bilingual").content)
    assert "Competences developed" in bilingual and "Развитые" not in bilingual and "Розвинені" not in bilingual
