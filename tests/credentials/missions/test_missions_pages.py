"""The mission pages of the workspace, posted as a browser does (CSRF token included): create, volunteers, hours,
statuses, issue all with the progress page, the dashboard; a viewer refused and another organisation's member
answered 404, nothing written."""

from __future__ import annotations

import re
import time
import zipfile
from datetime import timedelta
from io import BytesIO

from credentials.common import today_in_latvia
from tests.credentials.missions.helpers import festival_dates, pasted
from tests.pages import csrf_of, submit


def _create(workspace, **changes) -> str:
    start, end = festival_dates()
    data = {
        "mission_type": "event-support",
        "title": "Jāņu festivāls",
        "municipality": "cesis",
        "start_date": start,
        "end_date": end,
        "planned_volunteers": "120",
        "visibility": "public",
        **changes,
    }
    new = f"{workspace.home}/missions/new?lang=en"
    answer = submit(workspace.client, new, new, data)
    assert answer.status_code == 303, answer.text
    return re.search(r"/missions/([0-9a-f]+)", answer.headers["location"]).group(1)


def _participants(page_html: str) -> list[str]:
    return re.findall(r"/volunteers/([0-9a-f]{32})\?lang", page_html)


def test_a_coordinator_runs_a_festival_from_the_pages(workspace):
    client, home = workspace.client, workspace.home
    # the mission form: the mission type found by a search that works without JavaScript
    found = client.get(f"{home}/missions/new?lang=en&q=festival")
    assert found.status_code == 200 and 'value="festival-support"' in found.text
    assert 'value="animal-shelter-care"' not in found.text and "1 mission type found" in found.text
    mission_id = _create(workspace)
    mission_url = f"{home}/missions/{mission_id}?lang=en"
    page = client.get(mission_url)
    assert "Jāņu festivāls" in page.text and "The mission is created" not in page.text  # notice only after redirect

    # a pasted list of 12, then the same list again: nobody twice
    for _ in range(2):
        added = submit(
            client, mission_url, f"{home}/missions/{mission_id}/volunteers/list?lang=en", {"text": pasted(12)}
        )
        assert added.status_code == 200, added.text
    assert "0 volunteers added; 12 were on the mission already." in added.text
    # one pseudonymous volunteer, the identifier made here and shown once
    one = submit(client, mission_url, f"{home}/missions/{mission_id}/volunteers?lang=en", {"kind": "pseudonymous"})
    assert one.status_code == 201 and "The volunteer&#39;s pseudonym:" in one.text
    people = _participants(client.get(mission_url).text)
    assert len(people) == 13

    for action in ("approve", "start"):
        done = submit(
            client, mission_url, f"{home}/missions/{mission_id}/volunteers/status?lang=en", {"action": action}
        )
        assert "Status changed: 13; could not change: 0." in done.text
    start, _ = festival_dates()
    for position, pid in enumerate(people):
        url = f"{home}/missions/{mission_id}/volunteers/{pid}?lang=en"
        data = (
            {
                "mode": "sessions",
                "session_date": [start, start],
                "session_hours": ["4", "3,5"],
                "session_note": ["", ""],
            }
            if position == 0
            else {"mode": "total", "hours": "10"}
        )
        saved = submit(client, url, f"{home}/missions/{mission_id}/volunteers/{pid}/hours?lang=en", data)
        assert saved.status_code == 303, saved.text
    sessions_page = client.get(f"{home}/missions/{mission_id}/volunteers/{people[0]}?lang=en")
    assert "<dd>7.5</dd>" in sessions_page.text
    finished = submit(
        client, mission_url, f"{home}/missions/{mission_id}/volunteers/status?lang=en", {"action": "finish"}
    )
    assert "Status changed: 13" in finished.text

    issued = submit(client, mission_url, f"{home}/missions/{mission_id}/issue?lang=en")
    assert issued.status_code == 303
    progress_url = issued.headers["location"]
    page = client.get(progress_url)
    assert page.status_code == 200 and "<progress" in page.text
    deadline = time.monotonic() + 120
    while "Done" not in page.text:
        # while running the page refreshes itself without JavaScript, and htmx polls the fragment
        assert 'http-equiv="refresh"' in page.text and "hx-trigger" in page.text
        assert time.monotonic() < deadline
        time.sleep(0.2)
        page = client.get(progress_url)
    assert "Issued: 13; issued before: 0; failed: 0." in page.text
    assert 'http-equiv="refresh"' not in page.text
    assert len(re.findall(r'href="/v/[0-9a-f]+', page.text)) == 13
    fragment = client.get(progress_url.replace("?", "/progress?"))
    assert fragment.text.lstrip().startswith("<section") and "hx-trigger" not in fragment.text
    archive = client.get(re.search(r'href="([^"]+certificates\.zip[^"]*)"', page.text).group(1).replace("&amp;", "&"))
    assert archive.status_code == 200
    assert len(zipfile.ZipFile(BytesIO(archive.content)).namelist()) == 13

    # the dashboard counts the year
    dashboard = client.get(f"{home}?lang=en")
    assert dashboard.status_code == 200
    assert re.search(r'stat__value">13</span> <span class="stat__label">credentials issued', dashboard.text)


def test_wrong_hours_show_the_records_message_next_to_the_field_and_keep_what_was_typed(workspace):
    client, home = workspace.client, workspace.home
    mission_id = _create(workspace)
    mission_url = f"{home}/missions/{mission_id}?lang=en"
    submit(client, mission_url, f"{home}/missions/{mission_id}/volunteers?lang=en", {"name": "Anna"})
    pid = _participants(client.get(mission_url).text)[0]
    url = f"{home}/missions/{mission_id}/volunteers/{pid}?lang=en"
    wrong = submit(
        client, url, f"{home}/missions/{mission_id}/volunteers/{pid}/hours?lang=en", {"mode": "total", "hours": "100"}
    )
    assert wrong.status_code == 422
    assert 'id="hours-error">The period has 3 days; it cannot hold more than 72 hours.' in wrong.text
    assert 'value="100"' in wrong.text and 'href="#hours"' in wrong.text
    future = (today_in_latvia() + timedelta(days=1)).isoformat()
    wrong = submit(
        client,
        url,
        f"{home}/missions/{mission_id}/volunteers/{pid}/hours?lang=en",
        {"mode": "sessions", "session_date": [future], "session_hours": ["25"], "session_note": [""]},
    )
    assert 'id="sessions[0].date-error">The date cannot be in the future' in wrong.text
    assert 'id="sessions[0].hours-error">The period has 1 day; it cannot hold more than 24 hours.' in wrong.text
    assert client.get(url).text.count("<dd>—</dd>") >= 1  # nothing saved

    # a list with a wrong line adds nobody: the lines are listed, the summary points at the list's box
    listed = submit(
        client,
        mission_url,
        f"{home}/missions/{mission_id}/volunteers/list?lang=en",
        {"text": "Jānis, janis@example.lv\nPēteris, not-an-address@"},
    )
    assert listed.status_code == 422 and 'href="#text"' in listed.text
    assert '<td data-label="Line">2</td><td data-label="Field">email</td>' in listed.text
    assert "Pēteris, not-an-address@" in listed.text and "Jānis" not in client.get(mission_url).text

    # the mission form keeps what was typed too
    new = f"{home}/missions/new?lang=en"
    refused = submit(
        client, new, new, {"mission_type": "event-support", "municipality": "nowhere", "start_date": "2026-02-30"}
    )
    assert refused.status_code == 422
    assert 'id="start_date-error">The date must be in the form YYYY-MM-DD.' in refused.text
    assert 'value="2026-02-30"' in refused.text


def test_a_viewer_reads_but_cannot_write_and_another_organisation_gets_404(workspace, make_org):
    client, home = workspace.client, workspace.home
    mission_id = _create(workspace)
    mission_url = f"{home}/missions/{mission_id}?lang=en"
    viewer = workspace.as_role("viewer")
    page = viewer.get(mission_url)
    assert page.status_code == 200 and "Add a volunteer" not in page.text and "Issue credentials" not in page.text
    token = csrf_of(page.text)
    for action, data in (
        (f"{home}/missions/{mission_id}/volunteers", {"name": "Zane"}),
        (f"{home}/missions/{mission_id}/volunteers/list", {"text": "Zane"}),
        (f"{home}/missions/{mission_id}/close", {}),
        (f"{home}/missions/{mission_id}/issue", {}),
        (
            f"{home}/missions/new",
            {"mission_type": "event-support", "municipality": "cesis", "start_date": "2026-01-01"},
        ),
    ):
        refused = viewer.post(action, data={**data, "csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 403, (action, refused.status_code)
    assert viewer.get(f"{home}/missions/new").status_code == 403

    # a member of another organisation: the mission does not exist for them, in pages and forms
    make_org("elsewhere")
    from fastapi.testclient import TestClient

    from tests.pages import sign_in

    with TestClient(workspace.app) as stranger:
        assert sign_in(stranger, "admin@elsewhere.example.lv", "admin-password-1").status_code == 303
        own = stranger.get("/org/elsewhere/missions?lang=en")
        assert own.status_code == 200
        assert stranger.get(f"/org/elsewhere/missions/{mission_id}").status_code == 404
        assert stranger.get(mission_url).status_code == 404
        answer = stranger.post(
            f"/org/elsewhere/missions/{mission_id}/volunteers",
            data={"name": "Zane", "csrf_token": csrf_of(own.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 404
    # a form without the token is refused
    assert client.post(f"{home}/missions/{mission_id}/close", follow_redirects=False).status_code == 403

    # nothing was written
    page = client.get(mission_url)
    assert "Zane" not in page.text and "The mission has no volunteers yet." in page.text
    assert "Close the mission" in page.text


def test_missions_list_filters_and_paginates(workspace):
    client, home = workspace.client, workspace.home
    for number in range(3):
        _create(workspace, title=f"Talka {number}")
    first = _create(workspace, title="Slēgtā talka")
    submit(client, f"{home}/missions/{first}?lang=en", f"{home}/missions/{first}/close?lang=en")
    open_list = client.get(f"{home}/missions?lang=en")
    assert "3 missions" in open_list.text and "Slēgtā talka" not in open_list.text
    closed = client.get(f"{home}/missions?status=closed&lang=en")
    assert "Slēgtā talka" in closed.text and "Talka 0" not in closed.text
    # copy makes a new open mission and opens its form
    copied = submit(client, f"{home}/missions/{first}?lang=en", f"{home}/missions/{first}/copy?lang=en")
    assert copied.status_code == 303 and copied.headers["location"].endswith("notice=notice.mission_copied")
    form = client.get(copied.headers["location"])
    assert 'value="Slēgtā talka"' in form.text and "competence-1" in form.text
    assert "4 missions" in client.get(f"{home}/missions?lang=en").text


def test_the_edit_form_changes_the_competences_and_keeps_a_refusal_next_to_its_field(workspace):
    client, home = workspace.client, workspace.home
    mission_id = _create(workspace)
    edit = f"{home}/missions/{mission_id}/edit?lang=en"
    form = client.get(edit).text
    offered = re.findall(r'name="competences" type="checkbox" value="([^"]+)"( checked)?', form)
    core = [uri for uri, checked in offered if checked]
    assert len(offered) > len(core) >= 2  # the mission type's core ones ticked, the optional ones offered
    optional = next(uri for uri, checked in offered if not checked)
    start, end = festival_dates()
    data = {
        "mission_type": "event-support",
        "title": "Jāņu festivāls 2026",
        "municipality": "cesis",
        "start_date": start,
        "end_date": end,
        "visibility": "closed",
        "competences": [core[0], optional],
        "competences_of": "event-support",
    }
    saved = submit(client, edit, edit, data)
    assert saved.status_code == 303, saved.text
    stored = client.get(f"/missions/{mission_id}", headers=workspace.org.headers()).json()
    assert stored["competences"] == [core[0], optional] and stored["title"] == "Jāņu festivāls 2026"
    refused = submit(client, edit, edit, {**data, "end_date": "2020-01-01"})
    assert refused.status_code == 422
    assert 'id="end_date-error">The end date is before the start date.' in refused.text
    assert client.get(f"/missions/{mission_id}", headers=workspace.org.headers()).json()["end_date"] == end
