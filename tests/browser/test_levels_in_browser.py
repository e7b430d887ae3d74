"""Recognition levels' pages in headless Chromium at 390 and 1280 px: the administrator's schemes and form, the
volunteer's progress before and after requesting a level; no sideways scroll, axe-core clean, touch targets."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from base.db import transaction
from issuers import service as issuers
from tests.browser.harness import inspect, open_page, signed_in, submit, text_of
from tests.credentials.levels.helpers import issue_held, make_scheme, volunteer


def test_levels_pages(browser, live_server, app, client, make_org):
    org = make_org("levels-browser")
    user_id = volunteer(app)
    issue_held(app, client, org, user_id, 30, "2026-03-01")
    issue_held(app, client, org, user_id, 25, "2026-04-01", title="Talka Gaujas krastā")
    revoked = issue_held(app, client, org, user_id, 8, "2026-04-02", title="Atsauktais pasākums")
    client.post(f"/credentials/{revoked}/revoke", headers=org.headers(), json={"reason": "Kļūda"})
    make_scheme(app)
    with transaction(app.state.session_factory) as session:
        issuers.create_user(session, "root@platform.example.lv", "Platform", "platform-password-1", platform_admin=True)

    signed_in(browser, live_server, "anna@example.lv", "anna-password-1")
    open_page(browser, f"{live_server.url}/my/levels?lang=lv")
    assert "Ieskaitītas 55 no 100 stundām" in text_of(browser, "main")
    inspect(browser, "my-levels")
    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    open_page(browser, f"{live_server.url}/my/levels?lang=lv")
    assert "Piešķirts" in text_of(browser, "main")
    inspect(browser, "my-levels-awarded")

    browser.delete_all_cookies()
    signed_in(browser, live_server, "root@platform.example.lv", "platform-password-1")
    open_page(browser, f"{live_server.url}/admin/levels?lang=lv")
    assert "Brīvprātīgo atzinība" in text_of(browser, "main")
    inspect(browser, "admin-levels")
    open_page(browser, f"{live_server.url}/admin/levels/new?lang=lv")
    submit(browser, {"name_lv": "Tikai latviski"})
    assert "Ierakstiet nosaukumu." in text_of(browser, "main")
    inspect(browser, "admin-levels-form-errors")
