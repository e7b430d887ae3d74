"""The organiser's workspace in headless Chromium at 390 px and 1280 px: the sign-in page and the dashboard, each
judged by the harness (axe: no serious or critical violation; nothing sideways; touch targets on a phone) and
screenshotted; signing in and out with the mouse and with the keyboard only."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.browser.harness import (
    click_and_wait,
    inspect,
    open_page,
    press_enter,
    signed_in,
    submit,
    tab_to,
    text_of,
    type_text,
)


def test_sign_in_page_dashboard_and_sign_out(browser, live_server, make_org):
    make_org("ws-browser", legal_name="Biedrība „Darba vieta”")
    open_page(browser, f"{live_server.url}/dashboard")
    assert "/login" in browser.current_url  # not signed in: to the sign-in page, and back after it
    assert text_of(browser, "h1") == "Pierakstīties"
    inspect(browser, "ws-login")

    submit(browser, {"email": "admin@ws-browser.example.lv", "password": "not-the-password"})
    summary = text_of(browser, ".error-summary")
    assert summary, "a wrong password says so"
    assert browser.find_element(By.NAME, "email").get_attribute("value") == "admin@ws-browser.example.lv"
    inspect(browser, "ws-login-error")

    signed_in(browser, live_server, "admin@ws-browser.example.lv", "admin-password-1")
    assert browser.current_url.split("?")[0] == f"{live_server.url}/org/ws-browser"
    assert text_of(browser, ".workspace-bar__name") == "Biedrība „Darba vieta”"
    current = browser.find_element(By.CSS_SELECTOR, '.workspace-nav a[aria-current="page"]')
    assert current.text == "Pārskats"
    inspect(browser, "ws-dashboard")

    # The language switch keeps the page.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, '.language-switch a[hreflang="en"]'))
    assert browser.current_url.split("?")[0] == f"{live_server.url}/org/ws-browser"
    assert text_of(browser, "h1") == "Overview"
    inspect(browser, "ws-dashboard-en")

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button"))
    assert browser.current_url.split("?")[0] == f"{live_server.url}/login"
    open_page(browser, f"{live_server.url}/org/ws-browser")
    assert "/login" in browser.current_url  # signed out for real


def test_sign_in_and_out_with_the_keyboard_only(browser, live_server, make_org):
    make_org("ws-keys")
    open_page(browser, f"{live_server.url}/login")
    # Every TAB stop on the way shows where the focus is (tab_to asserts it).
    tab_to(browser, "E-pasts")
    type_text(browser, "admin@ws-keys.example.lv")
    tab_to(browser, "Parole")
    type_text(browser, "admin-password-1")
    tab_to(browser, "Pierakstīties")
    press_enter(browser)
    assert browser.current_url.split("?")[0] == f"{live_server.url}/org/ws-keys"

    # The skip link is the first stop and leads to the content.
    tab_to(browser, "Pāriet uz saturu", limit=1)
    tab_to(browser, "Pārskats")
    press_enter(browser)
    assert text_of(browser, "h1") == "Pārskats"
    tab_to(browser, "Iziet")
    press_enter(browser)
    assert browser.current_url.split("?")[0] == f"{live_server.url}/login"
    assert text_of(browser, "h1") == "Pierakstīties"
