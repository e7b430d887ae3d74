"""Headless Chromium against the real service: the verdicts as a person reads them off the page."""

from __future__ import annotations

import copy
import json

import httpx
import pytest
from selenium.webdriver.common.by import By

from tests.browser.harness import DESKTOP, chromium, click_and_wait
from tests.credentials.helpers import record_body


@pytest.fixture
def browser():
    # A Latvian browser: the pages speak the browser's language first (an English one gets English)
    with chromium(DESKTOP, lang="lv") as driver:
        yield driver


def issue_live(live_server, org, **changes) -> dict:
    record = httpx.post(f"{live_server.url}/records", json=record_body(**changes), headers=org.headers(), timeout=30)
    assert record.status_code == 201, record.text
    issued = httpx.post(f"{live_server.url}/records/{record.json()['id']}/issue", headers=org.headers(), timeout=60)
    assert issued.status_code == 201, issued.text
    return issued.json()


def paste(browser, live_server, credential: dict) -> str:
    browser.get(f"{live_server.url}/verify")
    field = browser.find_element(By.ID, "credential")
    # Filling a 6 kB textarea key by key is slow; the form itself is submitted as a person would.
    browser.execute_script("arguments[0].value = arguments[1];", field, json.dumps(credential))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.verify-form button[type=submit]"))
    return verdict(browser)


def verdict(browser) -> str:
    return browser.find_element(By.CSS_SELECTOR, ".verdict__text").text


def test_verdicts_read_off_the_page(browser, live_server, make_org):
    org = make_org("browser-org", legal_name="Biedrība „Pārlūks”")
    valid = issue_live(live_server, org)
    revoked = issue_live(live_server, org, hours=3, start_date="2026-07-01", end_date="2026-07-01")
    httpx.post(
        f"{live_server.url}/credentials/{revoked['credential_id']}/revoke",
        json={"reason": "Kļūda"},
        headers=org.headers(),
        timeout=30,
    )
    tampered = copy.deepcopy(valid["credential"])
    tampered["credentialSubject"]["result"][0]["value"] = "43"

    assert paste(browser, live_server, valid["credential"]) == "Derīgs"
    assert "Biedrība „Pārlūks”" in browser.find_element(By.ID, "issuer").text
    assert browser.find_element(By.ID, "hours").text == "42"
    assert paste(browser, live_server, revoked["credential"]) == "Atsaukts"
    # The checks are folded below the facts: open them as a person would.
    browser.find_element(By.CSS_SELECTOR, ".checks-details summary").click()
    assert "Izdevējs apliecinājumu ir atsaucis." in browser.find_element(By.CSS_SELECTOR, ".checks").text
    assert paste(browser, live_server, tampered) == "Nederīgs: mainīts vai bojāts"
    browser.find_element(By.CSS_SELECTOR, ".checks-details summary").click()
    failed = browser.find_elements(By.CSS_SELECTOR, '.check[data-status="failed"]')
    assert any("Paraksts neatbilst saturam" in item.text for item in failed)

    # The QR target, then English one click away.
    browser.get(f"{live_server.url}/v/{valid['credential_id']}")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "lv"
    assert verdict(browser) == "Derīgs"
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, '.language-switch a[hreflang="en"]'))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert verdict(browser) == "Valid"
    assert browser.find_element(By.CSS_SELECTOR, "#issuer").text.startswith("Biedrība „Pārlūks”")
    competence = browser.find_element(By.CSS_SELECTOR, ".competences a")
    assert competence.get_attribute("href").startswith("http://data.europa.eu/esco/skill/")

    browser.get(f"{live_server.url}/v/{revoked['credential_id']}?lang=en")
    assert verdict(browser) == "Revoked"
    browser.get(f"{live_server.url}/v/nothing-here")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Apliecinājums nav atrasts"

    # A Ukrainian phone scanning the QR code reads the verdict in Ukrainian; ?lang= still decides over the browser.
    page = httpx.get(f"{live_server.url}/v/{valid['credential_id']}", headers={"Accept-Language": "uk-UA,uk;q=0.9"})
    assert '<html lang="uk">' in page.text and "Чинне" in page.text
    page = httpx.get(f"{live_server.url}/v/{valid['credential_id']}?lang=ru", headers={"Accept-Language": "uk"})
    assert '<html lang="ru">' in page.text and "Действительно" in page.text
