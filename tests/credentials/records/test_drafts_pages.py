"""The volunteer's statement page behind the invitation link: plain HTML forms, Latvian first, English a click away."""

from __future__ import annotations

import re

from tests.credentials.holders.test_claims import _pdf_text
from tests.credentials.records.test_drafts import invite, mission  # noqa: F401  (the fixture)
from tests.pages import post_form


def labels_cover_inputs(html: str) -> None:
    """Every visible form control has a <label for=...>: screen readers name each one."""
    ids = set(re.findall(r'<(?:input|textarea|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert ids and ids <= labelled, ids - labelled


def form_of(mission, **changes) -> dict:
    core = list(mission.core_competences)
    data = {
        "volunteer_kind": "named",
        "volunteer_name": "Anna Kalniņa",
        "volunteer_email": "",
        "start_date": "2026-10-01",
        "end_date": "2026-10-02",
        "hours": "8",
        "municipality": "Rīga",
        "role": "",
        "narrative": "Stādīju kokus.",
        "competence": [core[0], core[1]],
        f"note:{core[1]}": "Strādāju komandā.",
        "action": "save",
    }
    data.update(changes)
    return data


def test_invitation_form_in_latvian_and_english_saves_and_submits(client, make_org, mission):  # noqa: F811
    org = make_org("forms-org")
    token = invite(client, org, mission)["token"]
    page = client.get(f"/invite/{token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="lv">' in html and "Jūsu brīvprātīgā darba apliecinājums" in html
    assert f'action="/invite/{token}?lang=lv"' in html and "<script" not in html
    assert f'href="/invite/{token}?lang=en"' in html
    assert page.headers["referrer-policy"] == "same-origin"
    labels_cover_inputs(html)
    for core in mission.core_competences:
        assert f'value="{core}"' in html

    english = client.get(f"/invite/{token}?lang=en").text
    assert '<html lang="en">' in english and "Your volunteering statement" in english

    # A mistake keeps what was typed and says what is wrong, next to the field.
    bad = post_form(client, f"/invite/{token}?lang=en", data=form_of(mission, hours="0"))
    assert bad.status_code == 422
    assert "Hours must be greater than zero." in bad.text and 'aria-invalid="true"' in bad.text
    assert 'value="Anna Kalniņa"' in bad.text and "Strādāju komandā." in bad.text

    saved = post_form(client, f"/invite/{token}", data=form_of(mission))
    assert saved.status_code == 200, saved.text
    assert "melnraksts" in saved.text and 'id="personal-link"' in saved.text
    again = client.get(f"/invite/{token}").text
    assert "Strādāju komandā." in again and 'id="personal-link"' not in again
    assert 'value="Rīga"' in again and 'value="riga"' not in again  # the name, not the catalogue code
    assert 'name="volunteer_kind"' not in again  # who the volunteer is was settled by the first save

    submitted = post_form(client, f"/invite/{token}", data=form_of(mission, action="submit"))
    assert submitted.status_code == 200
    assert "iesniegts" in submitted.text and "<form" not in submitted.text.split("</header>", 1)[1]
    assert "<dd>Rīga</dd>" in submitted.text
    api = client.get(f"/invitations/{token}/statement").json()
    assert api["status"] == "submitted" and api["statement"]["narrative"] == "Stādīju kokus."
    notes = {c["uri"]: c for c in api["statement"]["competences"]}
    assert notes[list(mission.core_competences)[1]] == {
        "uri": list(mission.core_competences)[1],
        "attested_by": "self",
        "note": "Strādāju komandā.",
    }

    # Returned: the comment is on the page and the form is back.
    client.post(f"/records/{api['statement']['id']}/return", json={"comment": "Pievieno lomu."}, headers=org.headers())
    returned = client.get(f"/invite/{token}").text
    assert "Pievieno lomu." in returned and "<form" in returned


def test_pseudonymous_form_shows_the_identifier_once(client, make_org, mission):  # noqa: F811
    org = make_org("forms-anon")
    token = invite(client, org, mission)["token"]
    page = post_form(
        client, f"/invite/{token}?lang=en", data=form_of(mission, volunteer_kind="pseudonymous", volunteer_name="")
    )
    assert page.status_code == 200, page.text
    assert re.search(r'<code id="pseudonym">[A-Za-z0-9_-]{16}</code>', page.text)
    assert 'id="pseudonym"' not in client.get(f"/invite/{token}").text


def test_unknown_invitation_page_is_not_found(client):
    page = client.get("/invite/nope?lang=en")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no such invitation." in page.text


def test_an_issued_statements_page_leads_on_to_the_credential_and_the_volunteers_own_copy(client, make_org, mission):  # noqa: F811
    """Before, the page only said "izsniegts": nothing led from the statement to what it became."""
    org = make_org("forms-issued")
    token = invite(client, org, mission)["token"]
    pseudonymous = form_of(mission, volunteer_kind="pseudonymous", volunteer_name="", action="submit")
    assert post_form(client, f"/invite/{token}?lang=en", data=pseudonymous).status_code == 200
    record_id = client.get(f"/invitations/{token}/statement").json()["statement"]["id"]
    assert client.get(f"/invitations/{token}/statement").json()["credential_id"] is None
    assert client.get(f"/invite/{token}/certificate.pdf").status_code == 404  # nothing issued yet

    assert client.post(f"/records/{record_id}/approve", headers=org.headers()).status_code == 200
    issued = client.post(f"/records/{record_id}/issue", headers=org.headers()).json()
    credential_id = issued["credential_id"]

    assert client.get(f"/invitations/{token}/statement").json()["credential_id"] == credential_id
    page = client.get(f"/invite/{token}?lang=en").text
    assert "Your credential is issued" in page
    assert f'href="/v/{credential_id}?lang=en"' in page
    assert f'href="/invite/{token}/certificate.pdf?language=en"' in page
    assert 'href="/login/link?lang=en"' in page and 'href="/claim?lang=en"' in page
    assert client.get(f"/v/{credential_id}?lang=en").status_code == 200

    # The volunteer's own copy carries the claim code, through which a pseudonymous volunteer keeps it.
    own = client.get(f"/invite/{token}/certificate.pdf?language=en")
    assert own.status_code == 200 and own.headers["content-type"] == "application/pdf"
    assert own.headers["cache-control"] == "private, no-store"
    assert issued["claim_code"] in _pdf_text(own.content)
    assert "Apliecinājums ir izsniegts" in client.get(f"/invite/{token}").text
