"""Issue 17's whole journey for one volunteer on a phone (390 px, headless Chromium, the real service under uvicorn,
a real SMTP server on loopback, and a third-party wallet client from npm):

signs in by the link the SMTP server received -> finds and confirms credentials from two organisations -> logs a
session with one of them -> sends it as a statement -> the organisation approves and issues it -> the volunteer
receives the e-mail that it is issued -> the log shows it issued and their place holds it -> they claim it into the
wallet client (@sphereon/oid4vci-client), which receives the credential exactly as issued.

Every page on the way is judged by the harness (axe: no serious or critical violation, nothing sideways, touch
targets) and screenshotted."""

from __future__ import annotations

import html
import json
import re

import httpx
from selenium.webdriver.common.by import By

from tests.browser.harness import PHONE, chromium, click_and_wait, fill, inspect, open_page, text_of, wait_until
from tests.browser.test_pages_in_browser import issue_live
from tests.browser.test_volunteer_account_journey import link_or_button
from tests.interop.test_wallet_interop import wallet_claims
from tests.issuers.test_workspace_access import mailed_link

ANNA = "anna.ozola@example.lv"
OFFER = re.compile(r'href="(openid-credential-offer://[^"]+)"')


def _press(driver, label: str) -> None:
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, "main form button") if b.text.strip() == label]
    assert buttons, f"no button {label!r} on {driver.current_url}"
    click_and_wait(driver, buttons[0])


def _choose(driver, text: str) -> None:
    next(e for e in driver.find_elements(By.CSS_SELECTOR, "main form label") if e.text.strip() == text).click()


def test_a_volunteer_from_sign_in_to_wallet(live_server, smtp_server, make_org):
    alfa = make_org("alfa", legal_name="Biedrība „Alfa”")
    beta = make_org("beta", legal_name="Fonds „Beta”")
    issue_live(live_server, alfa, volunteer={"name": "Anna Ozola", "email": ANNA}, title="Jāņu festivāls")
    issue_live(live_server, beta, volunteer={"name": "Anna Ozola", "email": ANNA}, title="Pavasara talka", hours=8)

    with chromium(PHONE, lang="en") as driver:
        # Signs in by the link the SMTP server received; the two organisations' credentials wait to be confirmed.
        open_page(driver, f"{live_server.url}/login?lang=en")
        click_and_wait(driver, link_or_button(driver, "Send me a sign-in link"))
        fill(driver, {"email": ANNA})
        click_and_wait(driver, link_or_button(driver, "Send the link"))
        open_page(driver, f"{live_server.url}{mailed_link(smtp_server, ANNA, '/login/link/')}?lang=en")
        click_and_wait(driver, link_or_button(driver, "Continue and sign in"))
        click_and_wait(driver, link_or_button(driver, "Confirm all (2)"))
        main = text_of(driver, "main")
        assert "Biedrība „Alfa”" in main and "Fonds „Beta”" in main
        inspect(driver, "journey-my")

        # Logs a session with one of them and sends it as a statement (the account, made by the link, gives a name).
        open_page(driver, f"{live_server.url}/my/log?lang=en")
        click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Add a session"))
        fill(driver, {"organisation_name": "Alfa"})
        _press(driver, "Find registered organisations")
        _choose(driver, "Biedrība „Alfa”")
        fill(driver, {"hours": "4", "activity": "Guided visitors at the info point", "competence_query": "team"})
        _press(driver, "Search")
        _choose(
            driver,
            next(e.text.strip() for e in driver.find_elements(By.CSS_SELECTOR, "main form label") if "team" in e.text),
        )
        _press(driver, "Save the session")
        inspect(driver, "journey-log")
        click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Send as a statement"))
        fill(driver, {"mission_type": "Event support", "title": "Rudens festivāls", "volunteer_name": "Anna Ozola"})
        inspect(driver, "journey-send")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form .form-actions button"))
        assert "Statement sent, waiting for approval" in text_of(driver, "main")

        # The organisation approves and issues it (its API); the volunteer receives the e-mail.
        records = httpx.get(f"{live_server.url}/records?status=submitted", headers=alfa.headers(), timeout=30).json()
        [statement] = records["records"]
        assert statement["title"] == "Rudens festivāls"
        approved = httpx.post(
            f"{live_server.url}/records/{statement['id']}/approve", headers=alfa.headers(), timeout=30
        )
        assert approved.status_code == 200, approved.text
        issued = httpx.post(f"{live_server.url}/records/{statement['id']}/issue", headers=alfa.headers(), timeout=60)
        assert issued.status_code == 201, issued.text
        credential_id = issued.json()["credential_id"]
        wait_until(
            lambda: any(ANNA in m.rcpt_tos and f"/v/{credential_id}" in m.text for m in smtp_server.messages()),
            seconds=30,
            message="no e-mail that the credential is issued",
        )

        # The log shows it issued, and the volunteer's place holds it.
        open_page(driver, f"{live_server.url}/my/log?lang=en")
        assert "Credential issued" in text_of(driver, "main")
        open_page(driver, f"{live_server.url}/my?lang=en")
        assert "Rudens festivāls" in text_of(driver, "main")
        inspect(driver, "journey-my-after")

        # Into the wallet: the page's offer, claimed by a third-party wallet client.
        open_page(driver, f"{live_server.url}/my/credentials/{credential_id}/wallet?lang=en")
        _press(driver, "Show the QR code for a wallet")
        inspect(driver, "journey-wallet")
        offer = html.unescape(OFFER.search(driver.page_source).group(1))

    claimed = wallet_claims(offer)
    [received] = [entry["credential"] for entry in claimed["credentials"]]
    assert received == issued.json()["credential"]
    assert json.dumps(received, sort_keys=True) == json.dumps(
        httpx.get(f"{live_server.url}/credentials/{credential_id}", timeout=30).json(), sort_keys=True
    )
