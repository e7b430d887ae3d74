"""Recognition levels' pages: the administrator's schemes (only platform administrators, CSRF-checked), the
volunteer's progress and request, and the level's public page and JSON."""

from __future__ import annotations

import re

from base.db import transaction
from credentials.certificates.render import extract_embedded_credential
from credentials.levels.store import LevelSchemeRow
from issuers import service as issuers
from issuers.store import AuditEntryRow
from tests.credentials.certificates.test_certificates_api import pdf_text
from tests.credentials.levels.helpers import issue_held, make_scheme, two_domains, volunteer
from tests.pages import csrf_of, sign_in, submit


def _admin(app, client):
    with transaction(app.state.session_factory) as session:
        issuers.create_user(session, "root@platform.example.lv", "Platform", "platform-password-1", platform_admin=True)
    assert sign_in(client, "root@platform.example.lv", "platform-password-1").status_code == 303


SCHEME = {
    "name_lv": "Atzinība",
    "name_en": "Recognition",
    "name_ru": "Признание",
    "name_uk": "Визнання",
    "period": "calendar_year",
    "bonus_en": "A museum pass.",
    "level_1_name_lv": "Sudrabs",
    "level_1_name_en": "Silver",
    "level_1_threshold": "50",
    "level_2_name_lv": "Zelts",
    "level_2_name_en": "Gold",
    "level_2_threshold": "100,5",
}


def test_the_administrator_creates_and_edits_a_scheme(app, client):
    _admin(app, client)
    culture, _ = two_domains()
    created = submit(client, "/admin/levels/new?lang=en", "/admin/levels?lang=en", {**SCHEME, "domains": [culture]})
    assert created.status_code == 303, created.text
    listing = client.get(created.headers["location"])
    assert "Recognition" in listing.text and "Gold (100.5 h)" in listing.text
    with transaction(app.state.session_factory) as session:
        scheme = session.query(LevelSchemeRow).one()
        assert scheme.domains == [culture] and scheme.bonus_note["en"] == "A museum pass."
        audited = session.query(AuditEntryRow).filter_by(action="level_scheme.create").one()
        assert audited.subject_id == scheme.id and audited.actor_id
    edited = submit(
        client,
        f"/admin/levels/{scheme.id}?lang=en",
        f"/admin/levels/{scheme.id}?lang=en",
        {**SCHEME, "name_en": "Thanks"},
    )
    assert edited.status_code == 303
    assert "Thanks" in client.get("/admin/levels?lang=en").text

    refused = submit(
        client,
        "/admin/levels/new?lang=en",
        "/admin/levels?lang=en",
        {**SCHEME, "name_en": "", "level_1_threshold": "x"},
    )
    assert refused.status_code == 422
    assert 'id="name_en-error"' in refused.text and 'id="level_1_threshold-error"' in refused.text

    # Without the form's token: refused, nothing written.
    forged = client.post("/admin/levels", data=SCHEME, follow_redirects=False)
    assert forged.status_code == 403
    with transaction(app.state.session_factory) as session:
        assert session.query(LevelSchemeRow).count() == 1


def test_only_a_platform_administrator_sees_the_schemes(app, client):
    volunteer(app, "ilze@example.lv", "ilze-password-1")
    sign_in(client, "ilze@example.lv", "ilze-password-1")
    assert client.get("/admin/levels").status_code == 404
    page = client.get("/my/levels?lang=en")
    refused = client.post("/admin/levels", data={**SCHEME, "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert refused.status_code == 404
    with transaction(app.state.session_factory) as session:
        assert session.query(LevelSchemeRow).count() == 0


def test_a_volunteer_sees_progress_requests_a_level_and_it_verifies(app, client, make_org):
    org = make_org("levels-p")
    user_id = volunteer(app)
    issue_held(app, client, org, user_id, 30, "2026-03-01")
    issue_held(app, client, org, user_id, 25, "2026-04-01", title="Talka")
    revoked = issue_held(app, client, org, user_id, 9, "2026-04-02", title="Atsauktais")
    client.post(f"/credentials/{revoked}/revoke", headers=org.headers(), json={"reason": "Kļūda"})
    scheme_id, levels = make_scheme(app)
    sign_in(client, "anna@example.lv", "anna-password-1")
    page = client.get("/my/levels?lang=en")
    assert page.status_code == 200
    assert "55 of 100 hours counted" in page.text  # the next level's threshold once silver is reached
    assert "Revoked: not counted" in page.text
    assert re.search(r'<progress value="55(\.00)?" max="100(\.00)?"', page.text)

    requested = submit(
        client,
        "/my/levels?lang=en",
        "/my/levels/request?lang=en",
        {"scheme_id": scheme_id, "level_id": levels["Silver"]},
    )
    assert requested.status_code == 303, requested.text
    after = client.get(requested.headers["location"])
    assert "The level credential has been issued." in after.text
    award_id = re.search(r'href="/v/([0-9a-f]{32})\?lang=en">Verification page', after.text).group(1)
    document = client.get(f"/levels/credentials/{award_id}").json()
    assert client.post("/credentials/verify", json={"verifiableCredential": document}).json()["verified"] is True
    public = client.get(f"/v/{award_id}?lang=en")
    assert public.status_code == 200 and "Silver" in public.text
    pdf = client.get(f"/my/levels/{award_id}.pdf?lang=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert extract_embedded_credential(pdf.content) == document  # the signed level credential, as issued
    assert "Recognition level" in pdf_text(pdf.content) and "55" in pdf_text(pdf.content)
    assert "Reg. No." not in pdf_text(pdf.content)  # the platform has no registration number to print
    ukrainian = pdf_text(client.get(f"/my/levels/{award_id}.pdf?lang=uk").content)
    assert "Рівень визнання" in ukrainian and "Recognition level" not in ukrainian
    client.cookies.clear()
    volunteer(app, "ilze@example.lv", "ilze-password-1")
    sign_in(client, "ilze@example.lv", "ilze-password-1")
    assert client.get(f"/my/levels/{award_id}.pdf").status_code == 404  # not hers

    gold = submit(
        client, "/my/levels?lang=en", "/my/levels/request?lang=en", {"scheme_id": scheme_id, "level_id": levels["Gold"]}
    )
    assert gold.status_code == 409 and "do not reach this level" in gold.text


def test_another_volunteer_cannot_request_on_my_behalf(app, client, make_org):
    org = make_org("levels-o")
    anna = volunteer(app)
    issue_held(app, client, org, anna, 60, "2026-03-01")
    scheme_id, levels = make_scheme(app)
    volunteer(app, "ilze@example.lv", "ilze-password-1")
    sign_in(client, "ilze@example.lv", "ilze-password-1")
    tried = submit(
        client,
        "/my/levels?lang=en",
        "/my/levels/request?lang=en",
        {"scheme_id": scheme_id, "level_id": levels["Silver"]},
    )
    assert tried.status_code == 409  # counted on Ilze's own (empty) holder, never Anna's
    assert "0 of 50 hours counted" in client.get("/my/levels?lang=en").text
