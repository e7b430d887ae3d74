"""The public verification pages over the real app: /v/{id}, /verify (paste, PDF or JSON upload), languages,
links to the public JSON and exports, and a readable 404."""

from __future__ import annotations

import copy
import html as html_lib
import json
import re

import pytest

from catalogue import load_catalogue
from credentials.common import today_in_latvia
from tests.credentials.helpers import issue
from tests.pages import post_form


def verdict_of(html: str) -> str:
    return re.search(r'data-verdict="([a-z_]+)"', html)[1]


def test_verification_page_is_latvian_by_default_and_in_the_browser_s_language(client, make_org):
    org = make_org("page-org", legal_name="Biedrība „Lapa”")
    _, issued = issue(client, org)
    page = client.get(f"/v/{issued['credential_id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="lv">' in html and verdict_of(html) == "valid"
    assert "Derīgs" in html and "Biedrība „Lapa”" in html and "Kārlis Ozoliņš" in html
    assert "Jāņu festivāla brīvprātīgais" in html and "2026-06-20 – 2026-06-24" in html
    assert re.search(r'id="hours">\s*42', html)
    assert 'href="http://data.europa.eu/esco/skill/' in html
    # the verdict first, then who, what, when and how long, then the checks, folded
    order = [
        "data-verdict=",
        'id="volunteer"',
        'id="title"',
        'id="period"',
        'id="hours"',
        'class="competences"',
        '<details class="checks-details"',
        "data-check=",
    ]
    assert [html.index(marker) for marker in order] == sorted(html.index(marker) for marker in order)
    assert re.search(r'<details class="checks-details" id="checks-details">', html)  # folded: no `open`
    english = client.get(f"/v/{issued['credential_id']}?lang=en").text
    assert '<html lang="en">' in english and "Valid" in english and "Issued by" in english
    assert f'href="/v/{issued["credential_id"]}?lang=en"' in html  # one click away
    browser = client.get(f"/v/{issued['credential_id']}", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en">' in browser and "Valid" in browser
    ukrainian = client.get(f"/v/{issued['credential_id']}", headers={"Accept-Language": "uk-UA,uk;q=0.9,ru;q=0.8"})
    assert '<html lang="uk">' in ukrainian.text and "Чинне" in ukrainian.text and "Видано" in ukrainian.text
    assert f'href="/v/{issued["credential_id"]}?lang=lv"' in ukrainian.text  # Latvian one click away
    mission = load_catalogue().mission_types[0]  # the one tests.credentials.helpers records
    assert f'<dd id="mission">{mission.name.uk}</dd>' in ukrainian.text  # the catalogue's Ukrainian name
    assert re.search(r'<a href="http://data.europa.eu/esco/skill/[^"]+" lang="en">', ukrainian.text)  # English label
    russian = client.get(f"/v/{issued['credential_id']}?lang=ru", headers={"Accept-Language": "uk"}).text
    assert '<html lang="ru">' in russian and "Действительно" in russian


def test_downloads_and_exports_linked_from_the_page_are_public(client, make_org):
    org = make_org("page-links")
    _, issued = issue(client, org)
    html = client.get(f"/v/{issued['credential_id']}").text
    links = re.findall(r'href="(/credentials/[^"]+)"', html)
    assert links and not any(link.endswith(".pdf") for link in links)
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, (link, response.text)
    assert json.loads(client.get(links[0]).text) == issued["credential"]


def test_revoked_credential_page(client, make_org):
    org = make_org("page-revoked")
    _, issued = issue(client, org)
    client.post(f"/credentials/{issued['credential_id']}/revoke", json={"reason": "Kļūda"}, headers=org.headers())
    html = client.get(f"/v/{issued['credential_id']}?lang=en").text
    assert verdict_of(html) == "revoked" and "The issuer has revoked the credential." in html
    assert 'class="verdict verdict--bad"' in html
    # When, in which category (never the organiser's own words, which may name a person), and when it was issued.
    today = today_in_latvia().isoformat()  # the day in Latvia, as the page shows it
    assert re.search(
        rf'<strong>Revoked on {today}\.</strong>\s*<span id="status-reason">Reason: withdrawn by the issuer', html
    )
    assert "Kļūda" not in html
    assert re.search(rf'id="issued">{issued["credential"]["validFrom"][:10]}<', html)
    latvian = client.get(f"/v/{issued['credential_id']}").text
    assert f"Atsaukts {today}." in latvian and "Iemesls: izdevējs to atsauca" in latvian


def test_suspended_and_superseded_credentials_say_since_when_and_why(client, make_org):
    org = make_org("page-suspended")
    record, issued = issue(client, org)
    client.post(f"/credentials/{issued['credential_id']}/suspend", json={"reason": "Pārbaude"}, headers=org.headers())
    html = client.get(f"/v/{issued['credential_id']}?lang=en").text
    assert verdict_of(html) == "suspended" and "Suspended since" in html and "the issuer is looking into it" in html
    client.post(f"/credentials/{issued['credential_id']}/unsuspend", headers=org.headers())
    assert 'id="status-change"' not in client.get(f"/v/{issued['credential_id']}").text

    revised = client.post(f"/records/{record['id']}/revise", json={"hours": 40}, headers=org.headers())
    assert client.post(f"/records/{revised.json()['id']}/issue", headers=org.headers()).status_code == 201
    old = client.get(f"/v/{issued['credential_id']}?lang=en").text
    assert verdict_of(old) == "revoked" and "Reason: replaced by a corrected credential." in old


def test_unknown_id_is_a_readable_404(client):
    response = client.get("/v/does-not-exist")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "Apliecinājums nav atrasts" in response.text and "does-not-exist" in response.text


def test_pasting_json_and_uploading_files(client, make_org):
    org = make_org("page-upload")
    _, issued = issue(client, org)
    pasted = post_form(client, "/verify?lang=en", data={"credential": json.dumps(issued["credential"])})
    assert pasted.status_code == 200 and verdict_of(pasted.text) == "valid"
    tampered = copy.deepcopy(issued["credential"])
    tampered["credentialSubject"]["result"][0]["value"] = "43"
    bad = post_form(client, "/verify", data={"credential": json.dumps(tampered)})
    assert verdict_of(bad.text) == "invalid" and "Nederīgs" in bad.text
    assert "/export/edc" not in bad.text  # no downloads offered for an altered credential
    uploaded = post_form(
        client, "/verify", files={"file": ("c.json", json.dumps(issued["credential"]).encode(), "application/json")}
    )
    assert verdict_of(uploaded.text) == "valid"
    pdf = client.get(f"/credentials/{issued['credential_id']}.pdf", headers=org.headers()).content
    from_pdf = post_form(client, "/verify", files={"file": ("certificate.pdf", pdf, "application/pdf")})
    assert verdict_of(from_pdf.text) == "valid" and "Kārlis Ozoliņš" in from_pdf.text


def test_unreadable_input_is_explained_on_the_form(client):
    response = post_form(client, "/verify?lang=en", data={"credential": "{not json"})
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "looks like JSON but is incomplete or broken" in response.text
    assert "Expecting" not in response.text and "line 1" not in response.text  # no parser text for a person
    assert "{not json" in response.text  # what was pasted is kept for correction
    empty = post_form(client, "/verify", data={"credential": ""})
    assert empty.status_code == 400 and "Izvēlieties failu vai ielīmējiet pārbaudes saiti" in empty.text


def test_a_pasted_link_or_id_opens_the_credentials_page(client, make_org, settings):
    org = make_org("page-link")
    _, issued = issue(client, org)
    credential_id = issued["credential_id"]
    for pasted in (
        issued["verify_url"],
        f"  {settings.public_base_url}/v/{credential_id}?lang=en\n",
        credential_id,
        f"{settings.public_base_url}/credentials/{credential_id}",
        settings.public_base_url.removeprefix("http://") + f"/v/{credential_id}",
    ):
        answer = post_form(client, "/verify?lang=en", data={"credential": pasted}, follow_redirects=False)
        assert answer.status_code == 303, (pasted, answer.text)
        assert answer.headers["location"] == f"/v/{credential_id}?lang=en"
    page = post_form(client, "/verify", data={"credential": issued["verify_url"]})
    assert verdict_of(page.text) == "valid" and "Kārlis Ozoliņš" in page.text


@pytest.mark.parametrize(
    "pasted, lang, expected",
    [
        (
            "https://apliecinajumi.example.org/v/0123456789abcdef",
            "lv",
            "Saite ved uz citu vietni (apliecinajumi.example.org)",
        ),
        ("https://apliecinajumi.example.org/v/0123456789abcdef", "en", "The link leads to another site"),
        (
            "0123456789abcdef0123456789abcdef",
            "lv",
            "nav apliecinājuma ar identifikatoru 0123456789abcdef0123456789abcdef",
        ),
        ("Anna Ozola, 42 stundas", "lv", "Tas nav ne apliecinājums, ne pārbaudes saite"),
        ("Anna Ozola, 42 hours", "en", "This is neither a credential nor a verification link"),
        (
            '{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ',
            "lv",
            "izskatās pēc JSON, taču nav pilnīgs",
        ),
    ],
)
def test_what_cannot_be_verified_is_said_plainly(client, pasted, lang, expected):
    answer = post_form(client, f"/verify?lang={lang}", data={"credential": pasted})
    assert answer.status_code == 400
    assert expected in answer.text
    assert f'<html lang="{lang}">' in answer.text


@pytest.mark.parametrize(
    "content, expected",
    [
        (b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "Šajā PDF nav apliecinājuma"),
        (bytes(range(256)) * 4, "Fails nav ne PDF, ne teksta (JSON) fails"),
        (b"name,hours\nAnna,42\n", "Faila saturu nevar nolasīt kā apliecinājuma JSON"),
    ],
)
def test_an_unreadable_file_is_explained(client, content, expected):
    answer = post_form(client, "/verify", files={"file": ("upload.bin", content, "application/octet-stream")})
    assert answer.status_code == 400 and expected in answer.text


def test_form_is_accessible_html(client):
    html = client.get("/verify").text
    assert '<html lang="lv">' in html
    for field in ("file", "credential"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert 'enctype="multipart/form-data"' in html and "<script" not in html


def test_uploaded_result_switches_language_without_uploading_again(client, make_org):
    org = make_org("page-switch")
    _, issued = issue(client, org)
    html = post_form(client, "/verify", data={"credential": json.dumps(issued["credential"])}).text
    form = re.search(r'<form method="post" action="(/verify\?lang=en)"(.*?)</form>', html, re.S)
    assert form, html
    fields = {name: html_lib.unescape(value) for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', form[2])}
    assert set(fields) == {"credential", "csrf_token"}  # the credential goes again, with the form's token
    again = client.post(form[1], data=fields)
    assert '<html lang="en">' in again.text and verdict_of(again.text) == "valid"


def test_competence_links_are_only_web_addresses(client, make_org):
    org = make_org("page-xss")
    _, issued = issue(client, org)
    changed = copy.deepcopy(issued["credential"])
    changed["credentialSubject"]["achievement"]["alignment"][0]["targetUrl"] = "javascript:alert(1)"
    html = post_form(client, "/verify", data={"credential": json.dumps(changed)}).text
    assert verdict_of(html) == "invalid"
    assert 'href="javascript:' not in html and "<code>javascript:alert(1)</code>" in html


def test_every_verdict_has_a_plain_explanation_in_both_languages():
    from base.i18n import messages
    from verify.core import VERDICTS

    for verdict in VERDICTS:
        lv, en = (messages().get(f"verify.page.explain.{verdict}", lang) for lang in ("lv", "en"))
        assert lv and en and lv != en
