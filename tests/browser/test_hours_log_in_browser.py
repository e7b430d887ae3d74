"""The volunteer's hours log at a phone's width (390 px) in headless Chromium, judged by the shared harness (axe:
no serious or critical violation, nothing sideways, touch targets, 16 px inputs; screenshots): a session logged with
a registered organisation found by name and competences found in the catalogue, one with a free-text organisation,
and the registered organisation's session sent as a statement, which then waits in its inbox."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from base.db import transaction
from issuers import service as issuers
from tests.browser.harness import PHONE, chromium, click_and_wait, fill, inspect, open_page, signed_in, text_of

FONT_SIZES = (
    "return [...document.querySelectorAll('main input:not([type=hidden]):not([type=checkbox]):not([type=radio]),"
    " main select, main textarea')]"
    ".filter(e => e.offsetParent !== null).map(e => [e.name, parseFloat(getComputedStyle(e).fontSize)]);"
)


def _inputs_are_16px(driver) -> None:
    small = [(name, size) for name, size in driver.execute_script(FONT_SIZES) if size < 16]
    assert not small, f"inputs below 16 px: {small}"


def _press(driver, label: str) -> None:
    buttons = [
        b
        for b in driver.find_elements(By.CSS_SELECTOR, "main form button, main form [type=submit]")
        if b.text.strip() == label
    ]
    assert buttons, f"no button {label!r}"
    click_and_wait(driver, buttons[0])


def _tick(driver, text: str) -> None:
    label = next(e for e in driver.find_elements(By.CSS_SELECTOR, "main form label") if e.text.strip() == text)
    label.click()


def test_logging_sessions_and_sending_a_statement_on_a_phone(live_server, make_org, app):
    make_org("log-org", legal_name="Biedrība „Upes krasts”")
    with transaction(app.state.session_factory) as session:
        issuers.create_user(session, "liga@example.lv", "Līga Bērziņa", "volunteer-password-1")
    with chromium(PHONE) as driver:
        signed_in(driver, live_server, "liga@example.lv", "volunteer-password-1")
        open_page(driver, f"{live_server.url}/my/log")
        assert "Žurnālā vēl nav neviena ieraksta." in text_of(driver, "main")
        inspect(driver, "log-empty")

        # A registered organisation found by a part of its name, competences found in the catalogue.
        click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Pievienot ierakstu"))
        fill(driver, {"organisation_name": "upes"})
        _press(driver, "Meklēt reģistrētās organizācijas")
        _tick(driver, "Biedrība „Upes krasts”")
        fill(driver, {"hours": "3,5", "activity": "Vadīju informācijas punktu", "competence_query": "komand"})
        _press(driver, "Meklēt")
        assert "strādāt komandā" in text_of(driver, "main form")
        _tick(driver, "strādāt komandā")
        _inputs_are_16px(driver)
        inspect(driver, "log-session-form")
        _press(driver, "Saglabāt ierakstu")
        assert "Ieraksts saglabāts jūsu žurnālā." in text_of(driver, "main")

        # A free-text organisation: kept in the log only.
        click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Pievienot ierakstu"))
        fill(driver, {"organisation_name": "Kaimiņu talka", "hours": "2", "activity": "Grābu lapas"})
        _press(driver, "Saglabāt ierakstu")
        main = text_of(driver, "main")
        assert "Kaimiņu talka" in main and "nav reģistrēta" in main and "5,5" in main
        inspect(driver, "log-list")

        # Sent as a statement: the form offers the registered organisation's session only.
        click_and_wait(driver, driver.find_element(By.LINK_TEXT, "Nosūtīt kā apliecinājumu"))
        form = text_of(driver, "main form")
        assert "Vadīju informācijas punktu" in form and "Grābu lapas" not in form
        fill(driver, {"mission_type": "Pasākumu atbalsts", "title": "Rudens festivāls"})
        _inputs_are_16px(driver)
        inspect(driver, "log-send")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "main form .form-actions button"))
        main = text_of(driver, "main")
        assert "Apliecinājums nosūtīts organizācijai." in main
        assert "Apliecinājums nosūtīts, gaida apstiprinājumu" in main
        inspect(driver, "log-sent")

        # It waits in the organisation's inbox.
        driver.delete_all_cookies()
        signed_in(driver, live_server, "admin@log-org.example.lv", "admin-password-1")
        open_page(driver, f"{live_server.url}/org/log-org/statements")
        assert "Līga Bērziņa" in text_of(driver, "main") and "Rudens festivāls" in text_of(driver, "main")
