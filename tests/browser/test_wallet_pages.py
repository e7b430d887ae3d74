"""The wallet page of a volunteer's credential in headless Chromium at 390 px and 1280 px: from the volunteer's page
to the explanation, then the QR code and the deep link; each passes axe-core, touch targets and no sideways scroll."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.browser.harness import click_and_wait, inspect, open_page
from tests.credentials.helpers import record_body


def test_wallet_offer_pages(browser, live_server, make_org):
    import httpx

    org = make_org("browser-wallet")
    base = live_server.url
    record = httpx.post(f"{base}/records", json=record_body(), headers=org.headers(), timeout=30).json()
    issued = httpx.post(f"{base}/records/{record['id']}/issue", headers=org.headers(), timeout=60).json()
    link = record["volunteer_link"]

    open_page(browser, f"{link}?lang=en")
    click_and_wait(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Add to a digital wallet"))
    assert browser.current_url.endswith(f"/credentials/{issued['credential_id']}/wallet?lang=en")
    inspect(browser, "wallet-explained")

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    qr = browser.find_element(By.CSS_SELECTOR, "img.wallet-offer__qr")
    assert qr.get_attribute("alt") == "QR code: the credential offer for a digital wallet"
    assert qr.size["width"] >= 200
    deep_link = browser.find_element(By.PARTIAL_LINK_TEXT, "Open in the wallet app")
    assert deep_link.get_attribute("href").startswith("openid-credential-offer://?credential_offer=")
    inspect(browser, "wallet-offer")

    open_page(browser, f"{link}/credentials/{issued['credential_id']}/wallet?lang=uk")
    inspect(browser, "wallet-explained-uk")
