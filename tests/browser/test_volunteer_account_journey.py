"""A volunteer's account in headless Chromium, at 390 px and 1280 px: two organisations issue credentials (through
the API of the real service) to the same e-mail address; the volunteer asks for a sign-in link on /login, reads it in
the e-mail the real SMTP server on loopback received, follows it, confirms both credentials, sees the totals and both
organisations, and downloads a certificate. Every page is judged by the harness (axe: no serious or critical
violation, nothing sideways, touch targets on the phone) and screenshotted."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.browser.harness import allow_downloads, click_and_wait, downloaded, fill, inspect, open_page, text_of
from tests.browser.test_pages_in_browser import issue_live
from tests.issuers.test_workspace_access import mailed_link

ANNA = "anna.ozola@example.lv"


def link_or_button(driver, text: str):
    """The visible link or button in <main> whose text starts with `text`."""
    for element in driver.find_elements(By.CSS_SELECTOR, "main a, main button"):
        if element.is_displayed() and element.text.strip().startswith(text):
            return element
    raise AssertionError(f"no link or button {text!r} on {driver.current_url}")


def test_a_volunteer_finds_credentials_from_two_organisations(browser, live_server, smtp_server, make_org, tmp_path):
    alfa = make_org("alfa", legal_name="Biedrība „Alfa”")
    beta = make_org("beta", legal_name="Fonds „Beta”")
    issue_live(live_server, alfa, volunteer={"name": "Anna Ozola", "email": ANNA}, title="Jāņu festivāls")
    issue_live(
        live_server,
        beta,
        volunteer={"name": "Anna Ozola", "email": ANNA},
        title="Pavasara talka",
        hours=8,
        start_date="2025-04-26",
        end_date="2025-04-26",
    )

    open_page(browser, f"{live_server.url}/login?lang=en")
    inspect(browser, "account-login")
    click_and_wait(browser, link_or_button(browser, "Send me a sign-in link"))
    inspect(browser, "account-link-ask")
    fill(browser, {"email": ANNA})
    click_and_wait(browser, link_or_button(browser, "Send the link"))
    assert "a message with a sign-in link will arrive" in text_of(browser, "main")
    inspect(browser, "account-link-sent")

    link = mailed_link(smtp_server, ANNA, "/login/link/")
    open_page(browser, f"{live_server.url}{link}?lang=en")  # the e-mail's link names its language too
    inspect(browser, "account-link-follow")
    click_and_wait(browser, link_or_button(browser, "Continue and sign in"))
    assert browser.current_url.startswith(f"{live_server.url}/my")
    main = text_of(browser, "main")
    assert "Credentials waiting for you" in main and "Jāņu festivāls" in main and "Pavasara talka" in main
    inspect(browser, "account-waiting")

    click_and_wait(browser, link_or_button(browser, "Confirm all (2)"))
    main = text_of(browser, "main")
    assert "Credentials waiting for you" not in main
    assert "Biedrība „Alfa”" in main and "Fonds „Beta”" in main
    assert "Verified hours in total: 50" in main
    assert "Competences gathered" in main
    inspect(browser, "account-held")

    downloads = tmp_path / "downloads"
    allow_downloads(browser, downloads)
    link_or_button(browser, "PDF in English").click()
    pdf = downloaded(downloads, ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")

    click_and_wait(browser, link_or_button(browser, "Remove my account"))
    inspect(browser, "account-remove")
