"""The volunteer's account: signing in by an e-mailed one-time link, credentials from several organisations waiting
at the proven address, confirming them, downloads, and removing the account (personal data erased, credentials
still verifiable)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from base.db import transaction, utcnow
from base.mail.store import OutboxRow
from credentials.holders import service as holders
from credentials.holders.store import HeldCredentialRow, HolderRow
from credentials.store import CredentialRow, VolunteerRow
from issuers.store import AccountTokenRow, ApiTokenRow, UserRow
from tests.credentials.helpers import issue, record_body
from tests.issuers.test_workspace_access import mailed_link
from tests.pages import csrf_of, sign_in, submit

ANNA = "anna.ozola@example.lv"


@pytest.fixture
def two_organisations(client, make_org):
    """Credentials for Anna from two organisations (the second wrote her address in capitals), and one for someone
    else; returns the ids (anna's first org, anna's second org, the other person's)."""
    first, second = make_org("alpha", legal_name="Biedrība Alfa"), make_org("beta", legal_name="Fonds Beta")
    _, one = issue(client, first, record_body(volunteer={"name": "Anna Ozola", "email": ANNA}, title="Festivāls"))
    _, two = issue(
        client,
        second,
        record_body(
            volunteer={"name": "A. Ozola", "email": ANNA.upper()},
            title="Talka",
            hours=8,
            end_date="2025-06-24",
            start_date="2025-06-20",
        ),
    )
    _, other = issue(client, first, record_body(volunteer={"name": "Cits", "email": "cits@example.lv"}, title="Cits"))
    return one["credential_id"], two["credential_id"], other["credential_id"]


def signed_in_by_link(client, smtp_server, email: str = ANNA):
    answer = submit(client, "/login/link", "/login/link", {"email": email})
    assert answer.status_code == 200
    link = mailed_link(smtp_server, email.lower(), "/login/link/")
    confirm = client.get(link)
    assert confirm.status_code == 200
    assert (
        confirm.headers["cache-control"] == "private, no-store" and confirm.headers["referrer-policy"] != "no-referrer"
    )
    done = client.post(link, data={"csrf_token": csrf_of(confirm.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/my")
    return link


def count(session_factory, model, *where) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_volunteer_signs_in_by_link_and_confirms_credentials_from_two_organisations(
    client, two_organisations, session_factory, smtp_server
):
    first, second, others = two_organisations
    link = signed_in_by_link(client, smtp_server)

    page = client.get("/my?lang=en")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store" and page.headers["x-robots-tag"] == "noindex"
    assert "Credentials waiting for you" in page.text
    assert "Festivāls" in page.text and "Talka" in page.text and "Cits" not in page.text
    assert others not in page.text

    with session_factory() as session:  # the account: the proven address, no name, no password
        user = session.scalars(select(UserRow).where(UserRow.email == ANNA)).one()
        assert user.password_hash is None and user.name == ""
    with TestClient(client.app) as other:  # no password: a password sign-in fails, whatever is typed
        assert sign_in(other, ANNA, "").status_code == 401
        assert sign_in(other, ANNA, "any-password-at-all").status_code == 401

    # a link works once
    assert client.get(link).status_code == 404
    assert client.post(link, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False).status_code == 404

    # someone else's credential cannot be confirmed
    refused = client.post("/my/confirm", data={"csrf_token": csrf_of(page.text), "credential_id": others})
    assert refused.status_code == 404
    confirmed = client.post("/my/confirm?lang=en", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert confirmed.status_code == 303
    page = client.get("/my?lang=en")
    assert "Credentials waiting for you" not in page.text
    assert "Biedrība Alfa" in page.text and "Fonds Beta" in page.text
    assert "Verified hours in total: 50" in page.text
    assert re.search(r"<th scope=\"row\">2026</th><td class=\"number\">42</td>", page.text)
    assert re.search(r"<th scope=\"row\">2025</th><td class=\"number\">8</td>", page.text)
    assert "Competences gathered" in page.text
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&amp;name=Festiv" in page.text
    assert f"certId={first}" in page.text and f"/v/{second}" in page.text
    assert f"/credentials/{first}/export/edc" in page.text
    with session_factory() as session:
        held = session.scalars(select(HeldCredentialRow)).all()
        assert {row.credential_id for row in held} == {first, second} and {row.via for row in held} == {"email"}

    pdf = client.get(f"/my/credentials/{first}.pdf?language=en")
    assert (
        pdf.status_code == 200
        and pdf.content.startswith(b"%PDF")
        and pdf.headers["cache-control"] == "private, no-store"
    )
    assert client.get(f"/my/credentials/{first}.pdf?language=xx").status_code == 422
    document = client.get(f"/my/credentials/{second}.json")
    assert document.status_code == 200 and json.loads(document.content)["id"].endswith(second)
    assert client.get(f"/my/credentials/{others}.pdf").status_code == 404
    assert client.get(f"/my/credentials/{others}.json").status_code == 404

    clr = client.get("/my/export/clr")
    assert clr.status_code == 200
    bundled = clr.json()["credentialSubject"]["verifiableCredential"]
    assert sorted(item["id"].rsplit("/", 1)[-1] for item in bundled) == sorted([first, second])

    # without signing in, nothing of this is reachable
    with TestClient(client.app) as stranger:
        assert stranger.get("/my", follow_redirects=False).status_code == 303
        for path in (f"/my/credentials/{first}.pdf", f"/my/credentials/{first}.json", "/my/export/clr"):
            refused = stranger.get(path, follow_redirects=False)
            assert refused.status_code == 303 and refused.headers["location"].startswith("/login"), path


def test_asking_for_a_link_says_the_same_for_any_address(client, make_org, session_factory):
    make_org("alpha")
    known = submit(client, "/login/link", "/login/link", {"email": "admin@alpha.example.lv"})
    unknown = submit(client, "/login/link", "/login/link", {"email": "nobody@example.lv"})
    assert known.status_code == unknown.status_code == 200

    def sentence(html: str) -> str:
        return re.search(r'role="status">([^<]+)<', html).group(1)

    assert sentence(known.text) == sentence(unknown.text)
    # both get a link (a first one makes the account); the secrets are kept only as hashes
    with session_factory() as session:
        tokens = session.scalars(select(AccountTokenRow).where(AccountTokenRow.purpose == "sign_in")).all()
        assert sorted(t.email for t in tokens) == ["admin@alpha.example.lv", "nobody@example.lv"]
        assert all(len(t.token_hash) == 64 for t in tokens)
    assert count(session_factory, OutboxRow) == 2
    assert count(session_factory, UserRow, UserRow.email == "nobody@example.lv") == 0  # not until the link is used

    bad = submit(client, "/login/link", "/login/link", {"email": "not-an-address"})
    assert bad.status_code == 422 and "error" in bad.text


def test_asking_for_links_is_throttled_per_address(client):
    answers = [submit(client, "/login/link", "/login/link", {"email": "x@example.lv"}).status_code for _ in range(7)]
    assert answers[:5] == [200] * 5 and answers[-1] == 429


def test_an_expired_link_is_refused_and_an_older_one_still_works(client, session_factory, smtp_server):
    submit(client, "/login/link", "/login/link", {"email": ANNA})
    first = mailed_link(smtp_server, ANNA, "/login/link/")
    submit(client, "/login/link", "/login/link", {"email": ANNA})  # "send me my link again"
    smtp_server.wait_for(2)
    second = mailed_link(smtp_server, ANNA, "/login/link/")
    assert first != second
    with transaction(session_factory) as session:
        row = session.scalars(select(AccountTokenRow).order_by(AccountTokenRow.created_at)).first()
        row.expires_at = utcnow() - timedelta(seconds=1)
    expired = first if row.token_hash == _hash(first) else second
    working = second if expired == first else first
    assert client.get(expired).status_code == 404
    assert client.get(working).status_code == 200


def _hash(link: str) -> str:
    from issuers.auth import hash_token

    return hash_token(link.rsplit("/", 1)[-1])


def test_a_member_sees_the_way_to_my_and_a_volunteer_lands_there(client, make_org, smtp_server):
    make_org("alpha")
    make_org("beta")
    with TestClient(client.app) as member:
        sign_in(member, "admin@alpha.example.lv", "admin-password-1")
        # one organisation: straight to it; the header's choice page links to /my for someone in several
        assert member.get("/dashboard", follow_redirects=False).headers["location"].startswith("/org/alpha")
        assert member.get("/my").status_code == 200
    signed_in_by_link(client, smtp_server, "volunteer@example.lv")
    assert client.get("/dashboard", follow_redirects=False).headers["location"].startswith("/my")


def test_removing_the_account_erases_personal_data_and_the_credentials_stay_verifiable(
    client, app, two_organisations, session_factory, smtp_server
):
    first, second, _ = two_organisations
    signed_in_by_link(client, smtp_server)
    page = client.get("/my")
    client.post("/my/confirm", data={"csrf_token": csrf_of(page.text)})
    assert client.get(f"/my/credentials/{first}.pdf?language=lv").status_code == 200
    cache = app.state.settings.data_dir / "certificates"
    assert any(path.name.startswith(f"certificate-{first}.") for path in cache.iterdir())
    with session_factory() as session:
        user_id = session.scalars(select(UserRow.id).where(UserRow.email == ANNA)).one()

    confirm = client.get("/my/remove?lang=en")
    assert confirm.status_code == 200 and ANNA in confirm.text
    assert client.post("/my/remove", data={}).status_code == 403  # CSRF
    removed = client.post("/my/remove?lang=en", data={"csrf_token": csrf_of(confirm.text)}, follow_redirects=False)
    assert removed.status_code == 303 and "vc_session" not in client.cookies

    assert count(session_factory, UserRow, UserRow.email == ANNA) == 0
    assert count(session_factory, ApiTokenRow, ApiTokenRow.user_id == user_id) == 0
    assert count(session_factory, AccountTokenRow, AccountTokenRow.email == ANNA) == 0
    assert count(session_factory, OutboxRow, func.lower(OutboxRow.recipient) == ANNA) == 0
    assert count(session_factory, HolderRow) == 0 and count(session_factory, HeldCredentialRow) == 0
    assert not any(path.name.startswith(f"certificate-{first}.") for path in cache.iterdir())
    # the organisations' records stay theirs, and the credentials stay valid and verifiable
    assert count(session_factory, VolunteerRow, func.lower(VolunteerRow.email) == ANNA) == 2
    with session_factory() as session:
        assert {row.status for row in session.scalars(select(CredentialRow))} == {"active"}
    for credential_id in (first, second):
        verdict = client.get(f"/v/{credential_id}?lang=en")
        assert verdict.status_code == 200 and "valid" in verdict.text.lower()
    assert client.get("/my", follow_redirects=False).status_code == 303  # signed out
    with session_factory() as session:
        from issuers.store import AuditEntryRow

        entry = session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "account.remove")).one()
        assert ANNA not in json.dumps(entry.details) and entry.subject_id == user_id


def test_a_member_of_an_organisation_cannot_remove_the_account_here(workspace):
    client = workspace.client
    page = client.get("/my/remove?lang=en")
    assert page.status_code == 200 and "Leave your organisations first" in page.text
    refused = client.post("/my/remove", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert refused.status_code == 409


def test_a_pocket_shows_its_credentials_without_any_e_mail(client, app, make_org):
    org = make_org("alpha")
    _, issued = issue(client, org, record_body(volunteer={"pseudonym": "ozols-42"}, title="Kabatas darbs"))
    with transaction(app.state.session_factory) as session:
        pocket, token = holders.create_pocket(session, "en")
        holders.hold(session, pocket, issued["credential_id"], via="code")
    page = client.get(f"/pocket/{token}?lang=en")
    assert page.status_code == 200 and "Kabatas darbs" in page.text
    assert "waiting for you" not in page.text and "Remove my account" not in page.text and "/claim" in page.text
    assert page.headers["cache-control"] == "private, no-store"
    assert client.get(f"/pocket/{token}/credentials/{issued['credential_id']}.pdf").status_code == 200
    assert client.get(f"/pocket/{token}/export/clr").status_code == 200
    assert client.get("/pocket/vcp_unknown").status_code == 404


def test_every_new_form_refuses_a_post_without_its_csrf_token(client, smtp_server):
    for path in ("/login/link", "/login/link/vca_whatever", "/my/confirm", "/my/remove"):
        assert client.post(path, data={"email": ANNA}, follow_redirects=False).status_code == 403, path


@pytest.mark.parametrize("lang", ["lv", "en", "ru", "uk"])
def test_the_place_the_way_in_and_the_e_mail_speak_four_languages(client, two_organisations, smtp_server, lang):
    from base.i18n import messages

    submit(client, f"/login/link?lang={lang}", f"/login/link?lang={lang}", {"email": ANNA})
    subject = messages().get("mail.sign_in_link.subject", lang)
    # The issuing e-mails of the two organisations' credentials arrive too (credentials.notices).
    smtp_server.wait_for(4)
    [mail] = [each for each in smtp_server.messages() if each.message["Subject"] == subject]
    assert f"?lang={lang}" in mail.text
    signed_in_by_link(client, smtp_server)
    client.post("/my/confirm", data={"csrf_token": csrf_of(client.get("/my").text)})
    for path in ("/my", "/my/remove", "/login/link"):
        page = client.get(f"{path}?lang={lang}")
        assert page.status_code == 200 and f'<html lang="{lang}">' in page.text, path
    assert messages().get("my.held_title", lang) in client.get(f"/my?lang={lang}").text
