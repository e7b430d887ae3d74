"""The organiser's credentials in the workspace: search and filter, a credential's page with its certificate and
public page, revoke / suspend / reinstate with a reason, and a correction that supersedes it; every form refused to
whoever may not use it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from credentials.store import CredentialRow
from tests.credentials.helpers import issue, record_body
from tests.credentials.workspace_helpers import check_form_refusals
from tests.pages import submit


@pytest.fixture
def issued(workspace):
    """Three credentials: two named volunteers on different missions and periods, one pseudonymous."""
    made = {}
    made["anna"] = issue(
        workspace.client,
        workspace.org,
        record_body(volunteer={"name": "Anna Kalniņa", "email": "anna@example.lv"}, title="Jāņu festivāls"),
    )[1]["credential_id"]
    made["janis"] = issue(
        workspace.client,
        workspace.org,
        record_body(
            volunteer={"name": "Jānis Liepa", "email": "janis@example.lv"},
            title="Rudens talka",
            start_date="2026-09-10",
            end_date="2026-09-12",
            hours=12,
        ),
    )[1]["credential_id"]
    made["pseudonym"] = issue(
        workspace.client,
        workspace.org,
        record_body(
            volunteer={"pseudonym": "zils-putns-2026"},
            title="Ziemassvētku tirdziņš",
            start_date="2026-11-02",
            end_date="2026-11-02",
            hours=5,
        ),
    )[1]["credential_id"]
    return made


def listed(client, query: str = "") -> str:
    answer = client.get(f"/org/ws-org/credentials?lang=en{query}")
    assert answer.status_code == 200
    return answer.text


def test_search_and_filters_find_the_right_credentials(workspace, issued):
    everything = listed(workspace.client)
    assert "3 credentials found." in everything
    assert everything.index("Ziemassvētku tirdziņš") < everything.index("Jāņu festivāls")  # newest first
    assert "Pseudonymous volunteer VK-" in everything and "zils-putns" not in everything
    only_anna = listed(workspace.client, "&volunteer=kalni")
    assert "1 credential found." in only_anna and "Anna Kalniņa" in only_anna and "Jānis Liepa" not in only_anna
    by_pseudonym = listed(workspace.client, "&volunteer=zils-putns-2026")
    assert "1 credential found." in by_pseudonym and "Ziemassvētku tirdziņš" in by_pseudonym
    by_mission = listed(workspace.client, "&mission=rudens")
    assert "1 credential found." in by_mission and "Jānis Liepa" in by_mission
    by_period = listed(workspace.client, "&from=2026-09-01&to=2026-09-30")
    assert (
        "1 credential found." in by_period
        and "Rudens talka" in by_period
        and "Sep 10\u2009–\u200912, 2026" in by_period
    )
    nothing = listed(workspace.client, "&volunteer=100%25")  # a % is text, not a wildcard
    assert "0 credentials found." in nothing and "No credential matches." in nothing
    workspace.client.post(
        f"/credentials/{issued['janis']}/revoke", json={"reason": "Kļūda"}, headers=workspace.org.headers()
    )
    revoked = listed(workspace.client, "&status=revoked")
    assert "1 credential found." in revoked and "Jānis Liepa" in revoked
    active = listed(workspace.client, "&status=active")
    assert "2 credentials found." in active


def test_the_list_is_paginated_and_keeps_its_filters(workspace, issued):
    import credentials.workspace.pages as pages

    original, pages.PER_PAGE = pages.PER_PAGE, 2
    try:
        first = listed(workspace.client, "&status=active")
        second = listed(workspace.client, "&status=active&page=2")
    finally:
        pages.PER_PAGE = original
    assert "Page 1 of 2" in first and "status=active" in first.split('rel="next"')[0].rsplit("href=", 1)[1]
    assert "Page 2 of 2" in second and "Jāņu festivāls" in second and "Ziemassvētku" not in second


def test_a_credentials_page_downloads_its_certificate_and_links_its_public_page(workspace, issued):
    page = workspace.client.get(f"/org/ws-org/credentials/{issued['anna']}?lang=en")
    assert page.status_code == 200
    assert f"/v/{issued['anna']}" in page.text and "Anna Kalniņa" in page.text and "Active" in page.text
    for language in ("lv", "en", "bilingual"):
        assert f"certificate.pdf?language={language}" in page.text
    pdf = workspace.client.get(f"/org/ws-org/credentials/{issued['anna']}/certificate.pdf?language=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_revoke_with_a_reason_shows_on_the_public_page(workspace, issued):
    page_url = f"/org/ws-org/credentials/{issued['anna']}?lang=en"
    without = submit(
        workspace.client, page_url, f"/org/ws-org/credentials/{issued['anna']}/revoke?lang=en", {"reason": ""}
    )
    assert without.status_code == 422 and 'id="revoke-reason-error"' in without.text
    answer = submit(
        workspace.client,
        page_url,
        f"/org/ws-org/credentials/{issued['anna']}/revoke?lang=en",
        {"reason": "Darbs nenotika"},
    )
    assert answer.status_code == 303
    shown = workspace.client.get(answer.headers["location"])
    assert "The credential is revoked." in shown.text and "Darbs nenotika" in shown.text
    assert f'action="/org/ws-org/credentials/{issued["anna"]}/revoke' not in shown.text  # final: no more buttons
    assert 'data-verdict="revoked"' in workspace.client.get(f"/v/{issued['anna']}").text


def test_suspend_and_reinstate(workspace, issued):
    page_url = f"/org/ws-org/credentials/{issued['janis']}?lang=en"
    suspended = submit(
        workspace.client,
        page_url,
        f"/org/ws-org/credentials/{issued['janis']}/suspend?lang=en",
        {"reason": "Pārbaudām"},
    )
    assert suspended.status_code == 303
    assert 'data-verdict="suspended"' in workspace.client.get(f"/v/{issued['janis']}").text
    shown = workspace.client.get(page_url)
    assert "Reinstate" in shown.text
    back = submit(workspace.client, page_url, f"/org/ws-org/credentials/{issued['janis']}/unsuspend?lang=en", {})
    assert back.status_code == 303
    assert 'data-verdict="valid"' in workspace.client.get(f"/v/{issued['janis']}").text


def test_a_correction_supersedes_the_credential_once_issued(workspace, issued, session_factory):
    page_url = f"/org/ws-org/credentials/{issued['janis']}/correct?lang=en"
    form = workspace.client.get(page_url)
    assert form.status_code == 200 and 'value="12"' in form.text
    selected = form.text.split('name="municipality"')[1].split(" selected")[0].rsplit('value="', 1)[1].split('"')[0]
    bad = submit(
        workspace.client,
        page_url,
        f"/org/ws-org/credentials/{issued['janis']}/correct?lang=en",
        {
            "title": "Rudens talka",
            "municipality": selected,
            "start_date": "2026-09-10",
            "end_date": "2026-09-12",
            "hours": "abc",
        },
    )
    assert bad.status_code == 422 and 'id="hours-error"' in bad.text and 'value="abc"' in bad.text
    with session_factory() as session:
        assert session.scalar(select(CredentialRow).where(CredentialRow.id == issued["janis"])).status == "active"
    answer = submit(
        workspace.client,
        page_url,
        f"/org/ws-org/credentials/{issued['janis']}/correct?lang=en",
        {
            "title": "Rudens talka",
            "municipality": selected,
            "start_date": "2026-09-10",
            "end_date": "2026-09-12",
            "hours": "14",
        },
    )
    assert answer.status_code == 303
    correction = workspace.client.get(answer.headers["location"])
    assert "This corrects the credential" in correction.text and "Issue the credential" in correction.text
    record_url = answer.headers["location"].split("?")[0]
    issued_again = submit(workspace.client, answer.headers["location"], f"{record_url}/issue?lang=en", {})
    assert issued_again.status_code == 303
    old = workspace.client.get(f"/org/ws-org/credentials/{issued['janis']}?lang=en")
    assert "Revoked" in old.text and "superseded" in old.text and "Open the corrected credential" in old.text
    assert 'data-verdict="revoked"' in workspace.client.get(f"/v/{issued['janis']}").text


def test_credential_forms_are_refused_to_anyone_who_may_not_use_them(workspace, issued, session_factory, stranger):
    page_url = f"/org/ws-org/credentials/{issued['anna']}"
    for action, data in (
        (f"{page_url}/revoke", {"reason": "Nē"}),
        (f"{page_url}/suspend", {"reason": "Nē"}),
        (f"{page_url}/correct", {"hours": "3"}),
    ):
        check_form_refusals(workspace, session_factory, page_url, action, data, stranger)
    assert stranger.get(page_url).status_code == 404
    assert stranger.get(f"{page_url}/certificate.pdf").status_code == 404
    suspended = workspace.client.post(
        f"/credentials/{issued['anna']}/suspend", json={"reason": "Pārbaude"}, headers=workspace.org.headers()
    )
    assert suspended.status_code == 200
    check_form_refusals(workspace, session_factory, page_url, f"{page_url}/unsuspend", {}, stranger)
    assert "0 credentials found." not in listed(workspace.client)
    assert stranger.get("/org/ws-org/credentials").status_code == 404
