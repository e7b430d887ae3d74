"""The public pages in headless Chromium at a phone's width (390 px) and a desktop's (1280 px): nothing scrolls
sideways, the verification page shows who, what, when and how long before the checks, touch targets are big enough,
and axe-core (from this folder's npm packages, injected into the page) finds no serious or critical violation.
Screenshots of every page at both widths go to $VOLCRED_SCREENSHOTS (default: volcred-screenshots in the temporary
folder) to be looked at."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from credentials.common import credential_loader, today_in_latvia
from credentials.proofs.dataintegrity import Ed25519Signature, format_created, sign
from issuers.multikey import did_key_for, did_key_verification_method_id
from tests.browser.harness import (
    PHONE_HEIGHT,
    click_and_wait,
    inspect,
    open_page,
    screenshot,
    wait_until,
)
from tests.credentials.helpers import record_body


def committed(check) -> None:
    """Waits until a write the service acknowledged can be read back. The request's transaction is committed by a
    FastAPI dependency whose exit runs after the response has been sent, so the next request may come too early
    (reported; these tests are about the pages, not about that)."""
    wait_until(check, 10, "an acknowledged write never became visible")


def issue_live(live_server, org, **changes) -> dict:
    record = httpx.post(f"{live_server.url}/records", json=record_body(**changes), headers=org.headers(), timeout=30)
    assert record.status_code == 201, record.text
    record_url = f"{live_server.url}/records/{record.json()['id']}"
    committed(lambda: httpx.get(record_url, headers=org.headers(), timeout=30).status_code == 200)
    issued = httpx.post(f"{record_url}/issue", headers=org.headers(), timeout=60)
    assert issued.status_code == 201, issued.text
    credential_id = issued.json()["credential_id"]
    committed(lambda: httpx.get(f"{live_server.url}/credentials/{credential_id}/status", timeout=30).status_code == 200)
    return issued.json()


def change_status(live_server, org, credential_id: str, action: str, status: str) -> None:
    answer = httpx.post(
        f"{live_server.url}/credentials/{credential_id}/{action}",
        json={"reason": "Kļūda"},
        headers=org.headers(),
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    committed(
        lambda: (
            httpx.get(f"{live_server.url}/credentials/{credential_id}/status", timeout=30).json()["status"] == status
        )
    )


def signed_by_an_unknown_issuer(credential: dict) -> dict:
    """The same credential correctly signed by a did:key that no registry knows."""
    key = Ed25519PrivateKey.generate()
    did = did_key_for(key.public_key())
    document = copy.deepcopy(credential)
    for field in ("proof", "credentialStatus", "id"):
        document.pop(field, None)
    document["issuer"] = {**document["issuer"], "id": did} if isinstance(document["issuer"], dict) else did
    document["validFrom"] = format_created(datetime.now(UTC))
    return sign(
        document,
        suite=Ed25519Signature(key),
        verification_method=did_key_verification_method_id(did),
        loader=credential_loader(),
    )


def rect(browser, selector: str) -> dict:
    return browser.execute_script(
        "return arguments[0].getBoundingClientRect().toJSON();", browser.find_element(By.CSS_SELECTOR, selector)
    )


def test_verification_pages(browser, live_server, make_org):
    org = make_org("browser-pages", legal_name="Biedrība „Pārlūks”")
    valid = issue_live(live_server, org)
    revoked = issue_live(live_server, org, hours=3, start_date="2026-07-01", end_date="2026-07-01")
    change_status(live_server, org, revoked["credential_id"], "revoke", "revoked")

    open_page(browser, f"{live_server.url}/v/{valid['credential_id']}")
    assert browser.find_element(By.CSS_SELECTOR, ".verdict__text").text == "Derīgs"
    # On a phone, after the QR code: verdict, volunteer, title, period and hours are on the first screen.
    for selector in (".verdict", "#volunteer", "#title", "#period", "#hours"):
        assert rect(browser, selector)["bottom"] <= PHONE_HEIGHT, (selector, rect(browser, selector))
    assert rect(browser, ".checks-details")["top"] > rect(browser, ".competences")["bottom"]
    assert not browser.find_element(By.CSS_SELECTOR, ".checks").is_displayed()  # folded
    assert browser.find_element(By.ID, "hours").text == "42"
    inspect(browser, "v-valid")
    browser.find_element(By.CSS_SELECTOR, ".checks-details summary").click()
    assert browser.find_element(By.CSS_SELECTOR, ".checks").is_displayed()
    inspect(browser, "v-valid-checks-open")

    open_page(browser, f"{live_server.url}/v/{revoked['credential_id']}")
    today = today_in_latvia().isoformat()  # the day in Latvia, as the page shows it
    assert browser.find_element(By.CSS_SELECTOR, ".verdict__text").text == "Atsaukts"
    assert browser.find_element(By.ID, "status-change").text.startswith(f"Atsaukts {today}. Iemesls:")
    assert browser.find_element(By.ID, "issued").text == revoked["credential"]["validFrom"][:10]
    assert rect(browser, "#status-change")["bottom"] <= PHONE_HEIGHT
    inspect(browser, "v-revoked")

    # A suspended credential is not valid (red), and says since when.
    suspended = issue_live(live_server, org, hours=4, start_date="2026-07-02", end_date="2026-07-02")
    change_status(live_server, org, suspended["credential_id"], "suspend", "suspended")
    open_page(browser, f"{live_server.url}/v/{suspended['credential_id']}")
    verdict = browser.find_element(By.CSS_SELECTOR, ".verdict")
    assert verdict.get_attribute("data-tone") == "bad", (verdict.get_attribute("data-verdict"), verdict.text)
    assert browser.find_element(By.ID, "status-change").text.startswith("Apturēts kopš")
    inspect(browser, "v-suspended")

    # Each tone reads apart at a glance: green, amber, red borders (and marks that differ without colour).
    border = "return getComputedStyle(document.querySelector('.verdict')).borderTopColor;"
    borders = {}
    for credential_id, tone in ((valid["credential_id"], "good"), (revoked["credential_id"], "bad")):
        open_page(browser, f"{live_server.url}/v/{credential_id}")
        borders[tone] = browser.execute_script(border)

    # A correctly signed credential from an issuer no registry knows: amber, never the green verdict.
    open_page(browser, f"{live_server.url}/verify")
    field = browser.find_element(By.ID, "credential")
    browser.execute_script(
        "arguments[0].value = arguments[1];", field, json.dumps(signed_by_an_unknown_issuer(valid["credential"]))
    )
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.verify-form button[type=submit]"))
    section = browser.find_element(By.CSS_SELECTOR, ".verdict")
    assert (section.get_attribute("data-verdict"), section.get_attribute("data-tone")) == ("unknown_issuer", "caution")
    borders["caution"] = browser.execute_script(border)
    assert borders == {"good": "rgb(27, 107, 58)", "caution": "rgb(178, 107, 0)", "bad": "rgb(164, 38, 44)"}
    assert browser.find_element(By.ID, "issuer").text == "Nav reģistrā"
    inspect(browser, "verify-unknown-issuer")


def test_verify_form_takes_a_link_and_explains_what_it_cannot_read(browser, live_server, make_org):
    org = make_org("browser-form")
    valid = issue_live(live_server, org)
    open_page(browser, f"{live_server.url}/verify")
    inspect(browser, "verify-form")

    browser.find_element(By.ID, "credential").send_keys("Anna Ozola, 42 stundas")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.verify-form button[type=submit]"))
    alert = browser.find_element(By.CSS_SELECTOR, '[role="alert"]').text
    assert "Tas nav ne apliecinājums, ne pārbaudes saite" in alert and "JSON (" not in alert
    inspect(browser, "verify-form-error")

    field = browser.find_element(By.ID, "credential")
    field.clear()
    field.send_keys(valid["verify_url"])
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.verify-form button[type=submit]"))
    assert browser.current_url == f"{live_server.url}/v/{valid['credential_id']}?lang=lv"
    assert browser.find_element(By.CSS_SELECTOR, ".verdict__text").text == "Derīgs"


def test_catalogue_fits_a_phone(browser, live_server):
    open_page(browser, f"{live_server.url}/catalogue/browse")
    assert browser.find_elements(By.CSS_SELECTOR, ".card")
    inspect(browser, "catalogue-browse")


@pytest.mark.parametrize("lang", ["ru", "uk"])
def test_the_language_switch_fits_a_phone_in_every_language(browser, live_server, lang):
    """Four languages, each named in itself, on every page: the switch stays inside the screen, its links are 44 px
    touch targets, and a link leads to the same page in that language."""
    open_page(browser, f"{live_server.url}/catalogue/browse?q=sport&lang={lang}")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    links = browser.find_elements(By.CSS_SELECTOR, ".language-switch a")
    assert [link.text for link in links] == ["Latviešu", "English", "Русский", "Українська"]
    for link in links:
        box = browser.execute_script("return arguments[0].getBoundingClientRect().toJSON();", link)
        assert box["height"] >= 44 and box["right"] <= browser.width, (link.text, box)
    inspect(browser, f"catalogue-browse-{lang}")
    click_and_wait(browser, links[3 if lang == "ru" else 2])
    other = "uk" if lang == "ru" else "ru"
    assert browser.current_url == f"{live_server.url}/catalogue/browse?q=sport&lang={other}"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == other
    open_page(browser, f"{live_server.url}/verify?lang={lang}")
    inspect(browser, f"verify-form-{lang}")


def test_statement_form_has_touch_sized_fields(browser, live_server, make_org):
    org = make_org("browser-statement")
    from catalogue import load_catalogue

    mission = load_catalogue().mission_types[0]
    invitation = httpx.post(
        f"{live_server.url}/invitations",
        headers=org.headers(),
        timeout=30,
        json={
            "mission_type": mission.code,
            "title": "Rudens talka",
            "start_date": "2026-10-01",
            "end_date": "2026-10-05",
        },
    )
    assert invitation.status_code == 201, invitation.text
    token = invitation.json()["token"]
    committed(lambda: httpx.get(f"{live_server.url}/invitations/{token}/statement", timeout=30).status_code == 200)
    open_page(browser, f"{live_server.url}/invite/{token}")
    fields = browser.find_elements(
        By.CSS_SELECTOR,
        ".statement-form input:not([type=hidden]), .statement-form textarea, .statement-form select, "
        ".statement-form button, .statement-form summary",
    )
    assert len([element for element in fields if element.is_displayed()]) > 5
    # No zoom-in on focus (16 px text); inspect() below checks they are big enough to touch on a phone.
    fonts = browser.execute_script(
        "return [...document.querySelectorAll('.statement-form input, .statement-form textarea, .statement-form select')]"
        ".filter(e => !['hidden', 'checkbox', 'radio'].includes(e.type)).map(e => parseFloat(getComputedStyle(e).fontSize));"
    )
    assert min(fonts) >= 16, fonts
    inspect(browser, "statement-form")

    # Submitted, approved and issued: the page leads on to the credential.
    body = {
        "volunteer": {"name": "Līga Bērziņa"},
        "start_date": "2026-10-01",
        "end_date": "2026-10-05",
        "hours": "12",
        "municipality": "Cēsu novads",
        "competences": [next(iter(mission.core_competences))],
        "submit": True,
    }
    saved = httpx.put(f"{live_server.url}/invitations/{token}/statement", json=body, timeout=30)
    assert saved.status_code == 200, saved.text
    record_url = f"{live_server.url}/records/{saved.json()['statement']['id']}"
    committed(lambda: httpx.get(record_url, headers=org.headers(), timeout=30).json()["status"] == "submitted")
    assert httpx.post(f"{record_url}/approve", headers=org.headers(), timeout=30).status_code == 200
    committed(lambda: httpx.get(record_url, headers=org.headers(), timeout=30).json()["status"] == "approved")
    assert httpx.post(f"{record_url}/issue", headers=org.headers(), timeout=60).status_code == 201
    committed(lambda: httpx.get(f"{live_server.url}/invitations/{token}/statement", timeout=30).json()["credential_id"])
    open_page(browser, f"{live_server.url}/invite/{token}")
    click_and_wait(browser, browser.find_element(By.ID, "credential-link"))
    assert "Līga Bērziņa" in browser.find_element(By.TAG_NAME, "main").text
    open_page(browser, f"{live_server.url}/invite/{token}")
    inspect(browser, "statement-issued")


def test_docs_work_offline(browser, live_server):
    open_page(browser, f"{live_server.url}/docs")
    WebDriverWait(browser, 30).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".opblock"))
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name);")
    assert loaded and all(url.startswith(live_server.url + "/") for url in loaded), loaded
    screenshot(browser, "docs")
