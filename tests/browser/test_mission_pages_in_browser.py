"""The mission pages of the workspace in headless Chromium at 390 px and 1280 px: a coordinator signs in, creates a
mission with the form, pastes a list of volunteers, enters hours, and issues everyone with the progress bar; every
page on the way passes axe-core (no serious or critical violation) and does not scroll sideways. Screenshots go where
test_pages_in_browser.py puts them."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.test_pages_in_browser import browser, click_and_wait, inspect, open_page  # noqa: F401 - fixture
from tests.credentials.missions.helpers import festival_dates, pasted


def _fill(browser, field_id: str, value: str) -> None:
    element = browser.find_element(By.ID, field_id)
    element.clear()
    element.send_keys(value)


def _submit(browser, form_action_part: str) -> None:
    form = browser.find_element(By.CSS_SELECTOR, f'form[method=post][action*="{form_action_part}"]')
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))


def test_mission_pages(browser, live_server, make_org):  # noqa: F811 - the fixture imported above
    org = make_org("browser-missions", legal_name="Biedrība „Festivāls”")
    base = live_server.url
    open_page(browser, f"{base}/login?lang=en")
    _fill(browser, "email", "admin@browser-missions.example.lv")
    _fill(browser, "password", "admin-password-1")
    _submit(browser, "/login")
    open_page(browser, f"{base}/org/browser-missions?lang=en")
    inspect(browser, "workspace-dashboard-empty")

    open_page(browser, f"{base}/org/browser-missions/missions/new?lang=en&q=festival")
    inspect(browser, "mission-form")
    start, end = festival_dates()
    Select(browser.find_element(By.ID, "mission_type")).select_by_value("festival-support")
    _fill(browser, "title", "Jāņu festivāls")
    Select(browser.find_element(By.ID, "municipality")).select_by_value("cesis")
    for field, value in (("start_date", start), ("end_date", end)):
        browser.execute_script("arguments[0].value = arguments[1];", browser.find_element(By.ID, field), value)
    _fill(browser, "planned_volunteers", "12")
    _submit(browser, "/missions/new")
    assert "The mission is created" in browser.page_source
    mission_url = browser.current_url.split("?")[0]
    mission_id = mission_url.rsplit("/", 1)[1]

    _fill(browser, "text", pasted(12))
    _submit(browser, "/volunteers/list")
    assert "12 volunteers added" in browser.page_source
    inspect(browser, "mission-page")

    # statuses and hours through the API (the pages for them are covered by the page tests)
    api = f"{base}/missions/{mission_id}/volunteers"
    for action in ("approve", "start"):
        assert (
            httpx.post(f"{api}/status", json={"action": action}, headers=org.headers(), timeout=30).status_code == 200
        )
    people = httpx.get(api, headers=org.headers(), timeout=30).json()["volunteers"]
    for person in people:
        httpx.put(f"{api}/{person['id']}/hours", json={"hours": 10}, headers=org.headers(), timeout=30)
    open_page(browser, f"{mission_url}/volunteers/{people[0]['id']}?lang=en")
    inspect(browser, "mission-volunteer")
    assert httpx.post(f"{api}/status", json={"action": "finish"}, headers=org.headers(), timeout=30).status_code == 200

    open_page(browser, f"{mission_url}?lang=en")
    _submit(browser, f"/missions/{mission_id}/issue")
    # htmx swaps the progress in every second; once done, the verification links come with it
    WebDriverWait(browser, 120).until(lambda driver: len(driver.find_elements(By.CSS_SELECTOR, 'a[href^="/v/"]')) == 12)
    assert "Issued: 12; issued before: 0; failed: 0." in browser.page_source
    assert browser.find_element(By.ID, "progress-bar").get_attribute("value") == "12"
    inspect(browser, "mission-issue-progress")

    open_page(browser, f"{base}/org/browser-missions/missions?lang=en")
    inspect(browser, "missions-list")
    open_page(browser, f"{base}/org/browser-missions?lang=en")
    inspect(browser, "workspace-dashboard")
