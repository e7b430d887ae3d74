"""/claim in headless Chromium at a phone's width: a pseudonymous volunteer types the code from their certificate
(a typo first), makes a pocket and sees its secret link to save; axe, touch targets and sideways scroll on each page.
Screenshots: claim-form-390.png, claim-typo-390.png, claim-pocket-390.png, and the organiser's view of the code
right after issuing, claim-workspace-code-390.png."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from base.db import transaction
from credentials.holders import service
from tests.browser.harness import PHONE, chromium, click_and_wait, fill, inspect, open_page, signed_in, text_of
from tests.browser.test_pages_in_browser import issue_live


def test_a_volunteer_claims_a_credential_into_a_new_pocket_on_a_phone(live_server, make_org, session_factory):
    org = make_org("claim-browser")
    issued = issue_live(live_server, org, volunteer={"pseudonym": "VOL-PHONE-1"})
    code = issued["claim_code"]
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    with chromium(PHONE, lang="en") as driver:
        open_page(driver, f"{live_server.url}/claim?lang=en")
        inspect(driver, "claim-form")
        fill(driver, {"code": typo})
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "button[value=new]"))
        assert "This code has a typo" in text_of(driver, "#code-error")
        inspect(driver, "claim-typo")
        fill(driver, {"code": code.lower()})
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "button[value=new]"))
        assert "Save this link now" in text_of(driver, "main")
        link = driver.find_element(By.ID, "pocket-link").text.strip()
        assert link.startswith(f"{live_server.url}/pocket/vcp_")
        inspect(driver, "claim-pocket")
        # The organiser sees a new credential's code right after issuing, on its page in the workspace (the one
        # claimed above no longer shows it: it is held).
        another = issue_live(live_server, org, volunteer={"pseudonym": "VOL-PHONE-2"})
        signed_in(driver, live_server, "admin@claim-browser.example.lv", "admin-password-1")
        credential_page = f"/org/claim-browser/credentials/{another['credential_id']}"
        open_page(driver, f"{live_server.url}{credential_page}?lang=en&notice=notice.credential_issued")
        assert driver.find_element(By.ID, "claim-code").get_attribute("value") == another["claim_code"]
        inspect(driver, "claim-workspace-code")
    with transaction(session_factory) as session:
        pocket = service.pocket_by_token(session, link.rsplit("/", 1)[-1])
        assert [row.id for row in service.held_credentials(session, pocket)] == [issued["credential_id"]]
