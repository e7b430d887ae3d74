"""The workspace's statements, credentials and batches pages in headless Chromium at 390 px and 1280 px, judged by
the shared harness (axe: no serious or critical violation, nothing sideways, touch targets on a phone; screenshots):
a statement approved with an edit that shows as the organiser's, an upload whose errors are a table, a batch followed
live to 100 % without a reload, the credentials filtered, a credential suspended and reinstated, a correction's form."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By

from tests.browser.harness import click_and_wait, inspect, open_page, signed_in, submit, text_of, wait_until
from tests.credentials.batch_helpers import csv_bytes, good_row
from tests.credentials.helpers import record_body
from tests.credentials.records.test_drafts import statement
from tests.credentials.workspace_helpers import mission_with_options


def _prepared(server, org) -> dict:
    """Through the API of the running service: a submitted statement and two issued credentials."""
    api = httpx.Client(base_url=server.url, headers=org.headers(), timeout=60)
    mission = mission_with_options()
    invitation = api.post(
        "/invitations",
        json={
            "mission_type": mission.code,
            "title": "Rudens talka",
            "start_date": "2026-10-01",
            "end_date": "2026-10-05",
        },
    ).json()
    body = {**statement(mission, volunteer={"name": "Līga Bērziņa", "email": "liga@example.lv"}), "submit": True}
    assert httpx.put(f"{server.url}/invitations/{invitation['token']}/statement", json=body).status_code == 200
    credentials = []
    for name, email in (("Kārlis Ozoliņš", "karlis@example.lv"), ("Ilze Krūmiņa", "ilze@example.lv")):
        created = api.post("/records", json=record_body(volunteer={"name": name, "email": email})).json()
        credentials.append(api.post(f"/records/{created['id']}/issue").json()["credential_id"])
    return {"credentials": credentials}


def test_statements_credentials_and_batches_pages(browser, live_server, make_org, tmp_path):
    org = make_org("ws-pages", legal_name="Biedrība „Zaļā Cēsis”")
    made = _prepared(live_server, org)
    signed_in(browser, live_server, "admin@ws-pages.example.lv", "admin-password-1")
    home = f"{live_server.url}/org/ws-pages"

    # The inbox and a statement: approved with the hours changed, which then show as the organiser's edit.
    open_page(browser, f"{home}/statements")
    assert "Līga Bērziņa" in text_of(browser, "main")
    inspect(browser, "ws-statements")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Līga Bērziņa"))
    inspect(browser, "ws-statement")
    submit(browser, {"hours": "20"}, 'form[action*="/approve"]')
    assert "Pieteikums apstiprināts." in text_of(browser, "main")
    assert text_of(browser, "#changes-heading ~ div del") == "18,5"  # the volunteer's hours, crossed out
    assert text_of(browser, "#changes-heading ~ div ins") == "20"
    inspect(browser, "ws-statement-approved")

    # An upload with an error: the table of lines, columns and messages; then started and followed live.
    open_page(browser, f"{home}/batches")
    inspect(browser, "ws-batches")
    upload = tmp_path / "festivals.csv"
    upload.write_bytes(csv_bytes([good_row(1), {**good_row(2), "hours": "daudz"}, good_row(3)]))
    browser.find_element(By.ID, "file").send_keys(str(upload))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[enctype] [type=submit]"))
    assert "hours" in text_of(browser, "table")
    inspect(browser, "ws-batch-checked")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'form[action*="/start"] [type=submit]'))
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, 'a[href*="certificates.zip"]'), 90, "never finished")
    progress = browser.find_element(By.ID, "batch-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "2"
    assert "100" in text_of(browser, "label[for=batch-progress]")
    inspect(browser, "ws-batch-done")

    # The credentials: filtered by a volunteer's name; one suspended with a reason, then reinstated.
    open_page(browser, f"{home}/credentials")
    inspect(browser, "ws-credentials")
    submit(browser, {"volunteer": "Krūmiņa"}, "form.filters")
    assert "Ilze Krūmiņa" in text_of(browser, "table") and "Kārlis" not in text_of(browser, "table")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Ilze Krūmiņa"))
    inspect(browser, "ws-credential")
    submit(browser, {"reason": "Pārbaudām stundas"}, 'form[action*="/suspend"]')
    assert "Pārbaudām stundas" in text_of(browser, "main")
    inspect(browser, "ws-credential-suspended")
    submit(browser, {}, 'form[action*="/unsuspend"]')
    assert "Apliecinājums atjaunots." in text_of(browser, "main")

    open_page(browser, f"{home}/credentials/{made['credentials'][0]}/correct")
    inspect(browser, "ws-correction")
