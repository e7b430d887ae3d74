"""The report pages in headless Chromium at 390 and 1280 px: the public statistics, the open-data dictionary, an
organisation's reports and a municipality's territory; nothing scrolls sideways and axe-core finds no serious or
critical violation. (The shared Chromium helpers of tests/browser are used as they are: the `browser` fixture moves
to tests/browser/conftest.py with branch hbrowser's harness, hence the lookup below.)"""

from __future__ import annotations

from selenium.webdriver.common.by import By

from base.db import transaction
from credentials.store import RecordRow, VolunteerRow
from tests.browser import test_pages_in_browser as shared

inspect, open_page = shared.inspect, shared.open_page
browser = getattr(shared, "browser", None)  # the fixture, where it is not in tests/browser/conftest.py


def _seed(app, org_id: str) -> None:
    """Eight volunteers in Cēsis, two mission types, spread over two months."""
    from datetime import date
    from decimal import Decimal

    with transaction(app.state.session_factory) as session:
        for n in range(8):
            volunteer = VolunteerRow(organisation_id=org_id, kind="pseudonymous", pseudonym_lookup=f"b{n}")
            session.add(volunteer)
            session.flush()
            session.add(
                RecordRow(
                    organisation_id=org_id,
                    volunteer_id=volunteer.id,
                    mission_type="event-support" if n < 6 else "clean-up",
                    catalogue_version="1.0.0",
                    title="Festivāls" if n < 6 else "Talka",
                    municipality="cesis",
                    start_date=date(2026, 5, 28),
                    end_date=date(2026, 6, 3),
                    hours=Decimal(14),
                    subject_salt="s",
                    status="approved",
                )
            )


def test_report_pages(browser, live_server, app, make_org):
    make_org("browser-town", legal_form="municipal-institution", municipality="Cēsu novads")
    with transaction(app.state.session_factory) as session:
        from issuers.store import OrganisationRow

        org_id = session.query(OrganisationRow).filter_by(slug="browser-town").one().id
    _seed(app, org_id)

    open_page(browser, f"{live_server.url}/statistics?year=2026&lang=lv")
    assert browser.find_element(By.CSS_SELECTOR, "#table-by-month").text.startswith("Pa mēnešiem")
    inspect(browser, "statistics")
    open_page(browser, f"{live_server.url}/statistics/dictionary")
    inspect(browser, "statistics-dictionary")

    open_page(browser, f"{live_server.url}/login")
    browser.find_element(By.NAME, "email").send_keys("admin@browser-town.example.lv")
    browser.find_element(By.NAME, "password").send_keys("admin-password-1")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    for report in ("activity", "hours", "popular", "statements", "missions", "annual", "territory"):
        open_page(browser, f"{live_server.url}/org/browser-town/reports/{report}?year=2026&lang=lv")
        assert browser.find_element(By.TAG_NAME, "h1").text
        inspect(browser, f"reports-{report}")

    # A steward of Cēsis (no organisation of their own): the list of their territories, then the territory.
    from issuers import service
    from tests.conftest import _operator

    with transaction(app.state.session_factory) as session:
        service.create_user(session, "steward@example.lv", "Steward", "steward-password-1")
        service.grant_steward(session, _operator(), "steward@example.lv", "cesis")
    browser.delete_all_cookies()
    open_page(browser, f"{live_server.url}/login")
    browser.find_element(By.NAME, "email").send_keys("steward@example.lv")
    browser.find_element(By.NAME, "password").send_keys("steward-password-1")
    shared.click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    open_page(browser, f"{live_server.url}/steward?lang=lv")
    inspect(browser, "steward-index")
    shared.click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main a[href^='/steward/cesis']"))
    assert "Cēsu novads" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_elements(By.CSS_SELECTOR, "main a[href^='/steward/cesis/export.pdf']")
    inspect(browser, "steward-territory")
