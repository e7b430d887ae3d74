"""Registration of organisations: validation, images, status changes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

REGISTRATION = {
    "legal_name": "Biedrība „Palīdzīgās rokas”",
    "registration_number": "40003032949",
    "legal_form": "association-or-foundation",
    "municipality": "cesu novads",
    "contact_email": "info@rokas.example.lv",
    "signatory_name": "Anna Ozola",
    "signatory_position": "Valdes locekle",
    "admin": {"email": "anna@rokas.example.lv", "name": "Anna Ozola", "password": "ļoti-droša-parole"},
}


def register(client, **changes):
    return client.post("/organisations", json={**REGISTRATION, **changes}, headers={"Accept-Language": "en"})


def test_registration_creates_pending_organisation_with_key_and_normalised_fields(client):
    response = register(client, registration_number="LV 4000-3032949")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "pending"
    assert body["slug"] == "biedriba-palidzigas-rokas"
    assert body["registration_number"] == "40003032949"
    assert body["municipality"] == "cesis"
    assert body["did"] == "did:web:127.0.0.1%3A8000:issuers:biedriba-palidzigas-rokas"
    assert [k["status"] for k in body["keys"]] == ["active"]
    assert body["keys"][0]["publicKeyMultibase"].startswith("z6Mk")
    assert "private" not in response.text.lower()


@pytest.mark.parametrize(
    "number, reason",
    [
        ("4000303294", "11 digits"),
        ("40003032948", "check digit"),
        ("abcdefghijk", "11 digits"),
        ("21037512345", "personal identity code"),
    ],
)
def test_bad_registration_numbers_are_refused_with_a_reason(client, number, reason):
    response = register(client, registration_number=number)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert reason in errors["registration_number"]


def test_every_problem_is_reported_at_once_in_latvian_by_default(client):
    response = client.post(
        "/organisations",
        json={
            **REGISTRATION,
            "registration_number": "1",
            "municipality": "Tallinn",
            "legal_form": "company",
            "website": "ftp://x",
        },
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"registration_number", "municipality", "legal_form", "website"}
    messages = " ".join(e["message"] for e in response.json()["errors"])
    assert "nav Latvijas pašvaldība" in messages
    assert all(e["message_en"] and e["message_lv"] for e in response.json()["errors"])


def test_duplicate_registration_number_and_slug_conflict(client):
    assert register(client).status_code == 201
    again = register(client, admin=None, slug="other-slug")
    assert again.status_code == 409
    slug_clash = register(client, admin=None, registration_number="40008002279")
    assert slug_clash.status_code == 409


def test_pending_organisation_is_hidden_until_a_platform_admin_verifies_it(client, platform_admin):
    slug = register(client).json()["slug"]
    assert client.get(f"/organisations/{slug}").status_code == 404
    assert client.get(f"/issuers/{slug}/did.json").status_code == 404
    assert client.get("/registry").json()["issuers"] == []
    verified = client.post(f"/organisations/{slug}/verify", headers=platform_admin)
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    assert client.get(f"/organisations/{slug}").json()["status"] == "verified"
    assert [e["slug"] for e in client.get("/registry").json()["issuers"]] == [slug]


def test_organisation_admin_cannot_verify_own_organisation(client):
    register(client)
    login = client.post("/auth/login", json={"email": "anna@rokas.example.lv", "password": "ļoti-droša-parole"})
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    response = client.post("/organisations/biedriba-palidzigas-rokas/verify", headers=headers)
    assert response.status_code == 403
    assert client.get("/organisations/biedriba-palidzigas-rokas", headers=headers).json()["status"] == "pending"


def png_bytes(size=(64, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


def test_png_logo_is_stored_and_served(client, make_org):
    org = make_org("logo-org")
    response = client.put(
        f"/organisations/{org.slug}/logo",
        files={"file": ("logo.png", png_bytes(), "image/png")},
        headers=org.headers("admin"),
    )
    assert response.status_code == 200, response.text
    served = client.get(f"/organisations/{org.slug}/logo")
    assert served.headers["content-type"] == "image/png" and served.content == png_bytes()


def test_api_requests_leave_the_organisations_images_unread(client, make_org, app):
    """Logo and signature image (up to 512 KiB each) are read where they are shown, not by every request that
    authenticates as the organisation; the organisation's view still says whether it has them."""
    from sqlalchemy import event

    from tests.credentials.helpers import record_body

    org = make_org("images-unread")
    for which in ("logo", "signature"):
        uploaded = client.put(
            f"/organisations/{org.slug}/{which}",
            files={"file": (f"{which}.png", png_bytes((400, 200)), "image/png")},
            headers=org.headers("admin"),
        )
        assert uploaded.status_code == 200, uploaded.text
    statements: list[str] = []
    event.listen(app.state.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert client.post("/records", json=record_body(), headers=org.headers()).status_code == 201
    view = client.get(f"/organisations/{org.slug}", headers=org.headers()).json()
    assert view["has_logo"] and view["has_signature_image"]
    read = " ".join(statements)
    assert "organisations.logo," not in read and "organisations.signature_image" not in read
    statements.clear()
    assert client.get(f"/organisations/{org.slug}/logo").content.startswith(b"\x89PNG")  # where it is shown
    assert "organisations.logo" in " ".join(statements)


def test_oversized_logo_is_refused(client, make_org):
    org = make_org("big-logo")
    huge = b"\x89PNG\r\n\x1a\n" + b"0" * (600 * 1024)
    response = client.put(
        f"/organisations/{org.slug}/logo", files={"file": ("logo.png", huge, "image/png")}, headers=org.headers("admin")
    )
    assert response.status_code == 422
    assert (
        "512 KiB"
        in client.put(
            f"/organisations/{org.slug}/logo?lang=en",
            files={"file": ("logo.png", huge, "image/png")},
            headers=org.headers("admin"),
        ).json()["detail"]
    )
    assert client.get(f"/organisations/{org.slug}/logo").status_code == 404


def test_fake_png_and_unknown_types_are_refused(client, make_org):
    org = make_org("fake-logo")
    for data in (b"\x89PNG\r\n\x1a\nnot really a png", b"GIF89a....", b"%PDF-1.7"):
        response = client.put(
            f"/organisations/{org.slug}/logo", files={"file": ("x", data, "image/png")}, headers=org.headers("admin")
        )
        assert response.status_code == 422, data


MALICIOUS_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)" viewBox="0 0 10 10">
  <script>alert('x')</script>
  <foreignObject><iframe src="https://evil.example"/></foreignObject>
  <a xlink:href="javascript:alert(2)"><rect width="10" height="10" fill="green" onclick="steal()"/></a>
  <image href="https://tracker.example/pixel.png" width="1" height="1"/>
  <style>@import url(https://evil.example/x.css); rect { fill: red }</style>
  <circle cx="5" cy="5" r="3" fill="blue"/>
</svg>"""


def test_malicious_svg_logo_is_sanitised(client, make_org):
    org = make_org("svg-logo")
    response = client.put(
        f"/organisations/{org.slug}/logo",
        files={"file": ("logo.svg", MALICIOUS_SVG, "image/svg+xml")},
        headers=org.headers("admin"),
    )
    assert response.status_code == 200, response.text
    served = client.get(f"/organisations/{org.slug}/logo")
    assert served.headers["content-type"].startswith("image/svg+xml")
    assert "sandbox" in served.headers["content-security-policy"]
    text = served.text.lower()
    for bad in ("script", "onload", "onclick", "foreignobject", "iframe", "javascript:", "evil.example", "tracker"):
        assert bad not in text, bad
    assert "<circle" in text or ":circle" in text


def test_svg_with_entities_is_refused(client, make_org):
    org = make_org("xxe-logo")
    xxe = b"""<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>"""
    response = client.put(
        f"/organisations/{org.slug}/logo",
        files={"file": ("logo.svg", xxe, "image/svg+xml")},
        headers=org.headers("admin"),
    )
    assert response.status_code == 422
    assert client.get(f"/organisations/{org.slug}/logo").status_code == 404


def test_municipality_list_has_all_43_local_governments():
    from issuers.municipalities import all_municipalities, find_municipality

    municipalities = all_municipalities()
    assert len(municipalities) == 43
    assert sum(m.state_city for m in municipalities) == 7
    assert find_municipality("RĪGA").code == "riga"
    assert find_municipality("Rezeknes novads").lv == "Rēzeknes novads"
    assert find_municipality("Tallinn") is None
