"""The workspace's way in, settings and administration pages in headless Chromium at 390 px and 1280 px: nothing
scrolls sideways, and axe-core finds no serious or critical violation (tests/browser/harness.py: also touch targets on phones).
Screenshots go to $VOLCRED_SCREENSHOTS like the public pages'."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from base.db import transaction
from issuers import service
from tests.browser.harness import click_and_wait, inspect, open_page, signed_in


def test_public_pages_of_the_way_in(browser, live_server, make_org):
    make_org("invited-org", legal_name="Biedrība „Ielūgums”")
    url = live_server.url
    for path, name in (
        ("/", "landing"),
        ("/login", "login"),
        ("/register", "register"),
        ("/password/forgot", "forgot"),
    ):
        open_page(browser, f"{url}{path}")
        inspect(browser, f"ws-{name}")
    # the registration form's field messages
    open_page(browser, f"{url}/register")
    browser.find_element(By.ID, "registration_number").send_keys("40003032940")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]"))
    assert browser.find_element(By.ID, "registration_number-error").is_displayed()
    inspect(browser, "ws-register-errors")


def test_settings_and_administration_pages(browser, live_server, make_org, app):
    make_org("ws-browser", legal_name="Biedrība „Pārlūks”")
    make_org("waiting-org", status="pending", legal_name="Biedrība „Gaida”")
    with transaction(app.state.session_factory) as session:
        service.create_user(
            session, "root@platform.example.lv", "Platforma", "platform-password-1", platform_admin=True
        )
    url = live_server.url
    signed_in(browser, live_server, "admin@ws-browser.example.lv", "admin-password-1")
    for path, name in (
        ("", "settings-profile"),
        ("/members", "settings-members"),
        ("/tokens", "settings-tokens"),
        ("/keys", "settings-keys"),
    ):
        open_page(browser, f"{url}/org/ws-browser/settings{path}")
        inspect(browser, name)
    open_page(browser, f"{url}/account")
    inspect(browser, "account")
    # a new token's secret, shown once
    open_page(browser, f"{url}/org/ws-browser/settings/tokens")
    browser.find_element(By.ID, "name").send_keys("Uzskaites sistēma")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.form button[type=submit]"))
    assert browser.find_element(By.ID, "new-secret").get_attribute("value").startswith("vco_")
    inspect(browser, "settings-token-created")

    open_page(browser, f"{url}/org/ws-browser")  # sign out with the header's button
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button"))
    signed_in(browser, live_server, "root@platform.example.lv", "platform-password-1")
    open_page(browser, f"{url}/admin/organisations")
    inspect(browser, "admin-organisations")
    open_page(browser, f"{url}/admin/organisations/waiting-org/verify")
    inspect(browser, "admin-confirm")
