"""Issue 16's whole journey in headless Chromium: register an organisation -> the platform administrator verifies it
-> the organiser signs in -> creates a mission -> adds three volunteers (one pseudonymous, one invited who drafts a
statement) -> enters hours -> approves -> issues everyone at once while the progress bar follows the batch runner ->
downloads the ZIP of certificates -> revokes one credential with a reason -> the public page shows it revoked.

Run with the mouse at 390 px and 1280 px, every page judged by the harness (axe: no serious or critical violation,
nothing sideways, touch targets on the phone) and screenshotted; and the same journey with the keyboard only (TAB,
typing, Enter, Space: every TAB stop shows the focus).

The invited volunteer's e-mail arrives at a real SMTP server on loopback (tests/smtp.py); they open its link.
"""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from credentials.common import today_in_latvia
from tests.browser.harness import (
    DESKTOP,
    allow_downloads,
    choose_with_keys,
    chromium,
    click_and_wait,
    date_keys,
    downloaded,
    fill,
    inspect,
    open_page,
    press,
    press_enter,
    press_space,
    tab_to,
    text_of,
    wait_until,
)
from tests.issuers.test_workspace_access import mailed_link

ORGANISATION = "Biedrība „Ceļš uz mājām”"
VOLUNTEER_EMAIL = "janis.berzins@example.lv"
OWNER_EMAIL, OWNER_PASSWORD = "ilze@celsmajam.example.lv", "ilzes-parole-2026"
ADMIN_EMAIL, ADMIN_PASSWORD = "root@platform.example.lv", "platform-password-1"


class Mouse:
    """A person with a mouse (or a finger): clicks fields and buttons. Every page they reach is inspected."""

    def __init__(self, driver, inspect_pages: bool = True):
        self.driver = driver
        self.inspect_pages = inspect_pages

    def look(self, name: str) -> None:
        if self.inspect_pages:
            inspect(self.driver, name)

    def fill(self, fields: dict[str, str], form: str = "main form") -> None:
        fill(self.driver, fields, form)

    def press(self, element: WebElement, navigates: bool = True) -> None:
        if navigates:
            click_and_wait(self.driver, element)
        else:
            element.click()

    def tick(self, checkbox: WebElement) -> None:
        checkbox.click()
        assert checkbox.is_selected()


class Keyboard(Mouse):
    """A person with the keyboard only: TAB to each field (in the page's order) and type; Enter on links and
    buttons. tab_to asserts on every stop that the focus is visible."""

    def fill(self, fields: dict[str, str], form: str = "main form") -> None:
        container = self.driver.find_element(By.CSS_SELECTOR, form)
        targets = [(container.find_element(By.NAME, name), value) for name, value in fields.items()]
        order = self.driver.execute_script(
            "return arguments[0].map(e => [...document.querySelectorAll('*')].indexOf(e));", [t for t, _ in targets]
        )
        for (field, value), _ in sorted(zip(targets, order), key=lambda pair: pair[1]):
            if field.get_attribute("type") == "radio":  # TAB reaches a group's checked one; arrows choose
                name = json.dumps(field.get_attribute("name"))
                target = container.find_element(By.CSS_SELECTOR, f"[name={name}][value={json.dumps(value)}]")
                tab_to(self.driver, container.find_element(By.CSS_SELECTOR, f"[name={name}]:checked"))
                for _ in range(10):
                    if target.is_selected():
                        break
                    press(self.driver, Keys.ARROW_DOWN)
                assert target.is_selected()
                continue
            tab_to(self.driver, field)
            if field.tag_name == "select":
                choose_with_keys(self.driver, value)
            elif field.get_attribute("type") == "date":
                press(self.driver, date_keys(self.driver, value))
            else:
                press(self.driver, Keys.CONTROL + "a")  # what the field held, replaced as a person would
                press(self.driver, value)

    def press(self, element: WebElement, navigates: bool = True) -> None:
        tab_to(self.driver, element)
        press_enter(self.driver, navigates=navigates)

    def tick(self, checkbox: WebElement) -> None:
        tab_to(self.driver, checkbox)
        press_space(self.driver)
        assert checkbox.is_selected()


def button(driver, text: str, within: str = "main") -> WebElement:
    """The button (or link styled as one) whose visible text starts with `text`."""
    for element in driver.find_elements(By.CSS_SELECTOR, f"{within} button, {within} a"):
        if element.is_displayed() and element.text.strip().startswith(text):
            return element
    raise AssertionError(f"no button {text!r} on {driver.current_url}")


def link(driver, text: str, within: str = "main") -> WebElement:
    return button(driver, text, within)


def path_of(driver) -> str:
    return driver.current_url.split("?")[0].split("#")[0]


def sign_in(person: Mouse, server, email: str, password: str) -> None:
    open_page(person.driver, f"{server.url}/login")
    person.fill({"email": email, "password": password})
    person.press(button(person.driver, "Pierakstīties"))


def sign_out(person: Mouse) -> None:
    person.press(button(person.driver, "Iziet", within="header"))
    assert path_of(person.driver).endswith("/login")


def journey(person: Mouse, server, mail, tmp_path) -> None:
    driver = person.driver

    # --- Register the organisation (its owner's account with it): it waits for verification -----------------
    open_page(driver, f"{server.url}/register")
    person.look("journey-register")
    person.fill(
        {
            "name": "Ilze Kalniņa",
            "email": OWNER_EMAIL,
            "password": OWNER_PASSWORD,
            "legal_name": ORGANISATION,
            "registration_number": "40109245038",
            "legal_form": "association-or-foundation",
            "municipality": "Cēsu novads",
        }
    )
    person.press(button(driver, "Reģistrēt"))
    assert "/org/" in path_of(driver), text_of(driver, "main")[:500]
    slug = path_of(driver).rsplit("/", 1)[1]
    assert "Gaida apstiprinājumu" in text_of(driver, ".workspace-bar")
    person.look("journey-registered")
    sign_out(person)

    # --- The platform administrator verifies it ------------------------------------------------------------
    sign_in(person, server, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert path_of(driver).endswith("/admin/organisations")
    assert ORGANISATION in text_of(driver, "main")
    person.look("journey-admin-organisations")
    person.press(driver.find_element(By.CSS_SELECTOR, f'main a[href^="/admin/organisations/{slug}/verify"]'))
    assert "40109245038" in text_of(driver, "main")  # the registration number and its check, before deciding
    person.look("journey-admin-verify")
    person.press(button(driver, "Apstiprināt"))
    assert "Organizācija apstiprināta." in text_of(driver, "main")
    sign_out(person)

    # --- The organiser signs in: their verified organisation's dashboard --------------------------------------
    sign_in(person, server, OWNER_EMAIL, OWNER_PASSWORD)
    assert path_of(driver) == f"{server.url}/org/{slug}"
    assert "Gaida apstiprinājumu" not in text_of(driver, ".workspace-bar")
    person.look("journey-dashboard")

    # --- A mission: the town's festival -----------------------------------------------------------------------
    start = today_in_latvia() - timedelta(days=30)
    end = start + timedelta(days=2)
    work = {
        "mission_type": "event-support",
        "title": "Cēsu pilsētas svētki",
        "municipality": "Cēsu novads",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
    }
    person.press(link(driver, "Misijas", within=".workspace-nav"))
    person.look("journey-missions")
    person.press(link(driver, "Jauna misija"))
    person.look("journey-mission-new")
    new_mission = 'main form[method="post"]'
    person.fill({**work, "planned_volunteers": "3", "visibility": "public"}, new_mission)
    person.press(button(driver, "Saglabāt", within=new_mission))
    assert text_of(driver, "h1") == "Cēsu pilsētas svētki", text_of(driver, "main")[:500]
    person.look("journey-mission")

    # --- Three volunteers: one named, one pseudonymous, and one invited to draft a statement ---------------
    add_one = 'form[action*="/volunteers?"]'
    person.fill({"name": "Anna Ozola"}, add_one)
    person.press(button(driver, "Pievienot", within=add_one))
    assert "Anna Ozola" in text_of(driver, "table")
    person.fill({"kind": "pseudonymous"}, add_one)
    person.press(button(driver, "Pievienot", within=add_one))
    assert "Brīvprātīgā pseidonīms:" in text_of(driver, "main")  # made here, shown once: the volunteer keeps it
    person.look("journey-mission-volunteers")
    # The third is invited by e-mail from the mission's page to draft their own statement.
    person.press(link(driver, "Uzaicināt brīvprātīgos aprakstīt savu darbu"))
    person.look("journey-invite")
    invite_form = "form.invite-form"
    person.fill({"emails": VOLUNTEER_EMAIL}, invite_form)
    person.press(button(driver, "Sūtīt uzaicinājumus", within=invite_form))
    assert "Nosūtīts 1 uzaicinājums" in text_of(driver, "main"), text_of(driver, "main")[:500]
    assert f"nosūtīts uz {VOLUNTEER_EMAIL}" in text_of(driver, "table")
    person.look("journey-invited")

    # The invited volunteer opens the e-mailed link, drafts their statement and submits it to the organiser.
    open_page(driver, f"{server.url}{mailed_link(mail, VOLUNTEER_EMAIL, '/invite/')}")
    person.look("journey-statement-form")
    person.fill({"volunteer_name": "Jānis Bērziņš", "hours": "9", "municipality": "Cēsu novads"}, "form.statement-form")
    person.tick(driver.find_element(By.CSS_SELECTOR, "form.statement-form input[name=competence]"))
    person.press(button(driver, "Iesniegt organizatoram"))
    assert "Apliecinājums iesniegts organizatoram." in text_of(driver, "main"), text_of(driver, "main")[:500]
    person.look("journey-statement-submitted")

    # --- Hours of the two on the mission, then approved -> active -> finished for everyone ------------------
    open_page(driver, f"{server.url}/org/{slug}")  # the organiser back in their workspace
    person.press(link(driver, "Misijas", within=".workspace-nav"))
    person.press(link(driver, "Cēsu pilsētas svētki", within="table"))
    for who, hours in (("Anna Ozola", "12"), ("Pseidonīms brīvprātīgais", "7,5")):
        person.press(link(driver, who, within="table"))
        hours_form = 'form[action*="/hours"]'
        person.fill({"hours": hours}, hours_form)
        person.press(button(driver, "Saglabāt", within=hours_form))
        assert "Stundas saglabātas." in text_of(driver, "main"), text_of(driver, "main")[:500]
        person.look("journey-hours")
        person.press(link(driver, "← Cēsu pilsētas svētki"))
    everyone = 'form[action*="/volunteers/status"]'
    for step in ("approve", "start", "finish"):
        person.fill({"action": step}, everyone)
        person.press(button(driver, "Izpildīt", within=everyone))
    assert len(driver.find_elements(By.CSS_SELECTOR, "table .badge--finished")) == 2
    person.look("journey-mission-finished")

    # --- The organiser approves the statement in the inbox, and issues its credential ------------------------
    open_page(driver, f"{server.url}/org/{slug}")
    person.press(link(driver, "Apliecinājumu pieteikumi", within=".workspace-nav"))
    assert "Jānis Bērziņš" in text_of(driver, "main")
    person.look("journey-statements")
    person.press(link(driver, "Jānis Bērziņš"))
    person.look("journey-statement-review")
    person.press(button(driver, "Apstiprināt"))
    person.look("journey-statement-approved")
    person.press(button(driver, "Izsniegt apliecinājumu"))
    assert "Atvērt publisko pārbaudes lapu" in text_of(driver, "main")

    # --- Issue everyone finished on the mission at once, the progress bar following the batch runner --------
    person.press(link(driver, "Misijas", within=".workspace-nav"))
    person.press(link(driver, "Cēsu pilsētas svētki", within="table"))
    issue_all = 'form[action*="/issue?"]'
    person.press(button(driver, "Izsniegt apliecinājumus visiem pabeigušajiem", within=issue_all))
    assert driver.find_element(By.ID, "progress-bar").get_attribute("max") == "2"
    wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, 'a[href*="certificates.zip"]'), 90, "never finished")
    progress = driver.find_element(By.ID, "progress-bar")
    assert progress.get_attribute("value") == progress.get_attribute("max") == "2"  # followed live, no reload
    assert text_of(driver, "#progress-heading") == "Gatavs"
    person.look("journey-issued")

    # --- Download the ZIP of certificates ------------------------------------------------------------------
    allow_downloads(driver, tmp_path / "downloads")
    person.press(link(driver, "Lejupielādēt apliecības (ZIP)"), navigates=False)
    archive = downloaded(tmp_path / "downloads", ".zip", 120)
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        assert len(names) == 2 and all(name.endswith(".pdf") for name in names), names
        assert all(opened.read(name).startswith(b"%PDF") for name in names)

    # --- Revoke Anna's credential with a reason ------------------------------------------------------------
    person.press(link(driver, "Apliecinājumi", within=".workspace-nav"))
    person.look("journey-credentials")
    person.fill({"volunteer": "Anna Ozola"}, "form.filters")
    person.press(button(driver, "Meklēt", within="form.filters"))
    person.press(link(driver, "Anna Ozola", within="table"))
    person.look("journey-credential")
    person.fill({"reason": "Stundas ierakstītas kļūdaini"}, 'form[action*="/revoke"]')
    person.press(button(driver, "Atsaukt", within='form[action*="/revoke"]'))
    assert "Stundas ierakstītas kļūdaini" in text_of(driver, "main")  # the reason, for the organisation
    person.look("journey-credential-revoked")

    # --- The public page shows it revoked since today (the organiser's own words stay in the workspace) -------
    person.press(link(driver, "Atvērt publisko pārbaudes lapu"))
    assert "/v/" in path_of(driver)
    assert text_of(driver, ".verdict__text") == "Atsaukts"
    assert text_of(driver, "#status-change").startswith(f"Atsaukts {today_in_latvia().isoformat()}.")
    person.look("journey-public-revoked")


@pytest.fixture
def platform_account(platform_admin):
    """The platform administrator's account (its sign-in details are ADMIN_EMAIL, ADMIN_PASSWORD)."""
    return platform_admin


def test_the_organisers_journey(browser, smtp_server, live_server, platform_account, tmp_path):
    journey(Mouse(browser), live_server, smtp_server, tmp_path)


def test_the_organisers_journey_with_the_keyboard_only(smtp_server, live_server, platform_account, tmp_path):
    with chromium(DESKTOP) as driver:
        journey(Keyboard(driver, inspect_pages=False), live_server, smtp_server, tmp_path)
