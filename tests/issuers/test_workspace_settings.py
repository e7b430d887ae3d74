"""The organisation's settings pages: profile, images with the sample certificate, members and roles, API tokens and
signing keys. Every form: refused without the token, from another site, by a viewer and by another organisation's
member, and then nothing is written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import undefer

from issuers.store import ApiTokenRow, AuditEntryRow, MembershipRow, OrganisationRow, SigningKeyRow, UserRow
from tests.authz import database_snapshot
from tests.issuers.test_organisations import png_bytes
from tests.issuers.test_workspace_access import mailed_link
from tests.pages import csrf_of, submit

HOME = "/org/ws-org"
SETTINGS = f"{HOME}/settings"


def org_row(session_factory) -> OrganisationRow:
    with session_factory() as session:  # images too: the row is read after its session has closed
        return session.scalar(
            select(OrganisationRow)
            .where(OrganisationRow.slug == "ws-org")
            .options(undefer(OrganisationRow.logo), undefer(OrganisationRow.signature_image))
        )


def audit_actions(session_factory) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(AuditEntryRow.action).order_by(AuditEntryRow.seq)))


def member_id(session_factory, email: str) -> str:
    with session_factory() as session:
        return session.scalar(select(UserRow.id).where(UserRow.email == email))


def test_every_settings_page_renders_for_the_owner(workspace):
    for path in ("", "/members", "/tokens", "/keys"):
        page = workspace.client.get(f"{SETTINGS}{path}?lang=en")
        assert page.status_code == 200, path
        assert 'aria-current="page"' in page.text
    assert "Copy it now" not in workspace.client.get(f"{SETTINGS}/tokens").text


def test_a_viewer_reads_the_profile_keys_and_members_but_gets_no_forms_and_no_tokens(workspace):
    viewer = workspace.as_role("viewer")
    profile = viewer.get(f"{SETTINGS}?lang=en")
    assert profile.status_code == 200 and "owner changes the settings" in profile.text
    assert 'name="legal_name"' not in profile.text and "/settings/tokens" not in profile.text
    assert viewer.get(f"{SETTINGS}/tokens").status_code == 403
    members = viewer.get(f"{SETTINGS}/members")
    assert members.status_code == 200 and "/invite" not in members.text
    keys = viewer.get(f"{SETTINGS}/keys")
    assert keys.status_code == 200 and "/keys/rotate" not in keys.text


def test_the_owner_saves_the_profile_and_the_signatory_and_it_is_audited(workspace, session_factory):
    data = {
        "legal_name": "Biedrība „Jaunais nosaukums”",
        "contact_email": "info@ws-org.example.lv",
        "contact_phone": "+371 20000000",
        "address": "Brīvības iela 1, Rīga",
        "website": "https://ws-org.example.lv",
        "municipality": "riga",
        "signatory_name": "Anna Ozola",
        "signatory_position": "Valdes priekšsēdētāja",
    }
    answer = submit(workspace.client, SETTINGS, SETTINGS, data)
    assert answer.status_code == 303 and "notice.settings_saved" in answer.headers["location"]
    org = org_row(session_factory)
    assert (org.legal_name, org.signatory_name, org.website) == (data["legal_name"], "Anna Ozola", data["website"])
    assert "organisation.update" in audit_actions(session_factory)
    assert "Iestatījumi saglabāti." in workspace.client.get(answer.headers["location"]).text


def test_a_bad_profile_field_is_shown_next_to_it_and_nothing_is_saved(workspace, session_factory):
    before = database_snapshot(session_factory)
    answer = submit(
        workspace.client,
        SETTINGS,
        f"{SETTINGS}?lang=en",
        {"legal_name": "Biedrība ws-org", "municipality": "riga", "website": "ftp://nowhere", "contact_email": "x"},
    )
    assert answer.status_code == 422
    assert 'id="website-error"' in answer.text and 'id="contact_email-error"' in answer.text
    assert 'value="ftp://nowhere"' in answer.text
    assert database_snapshot(session_factory) == before


def test_logo_and_signature_upload_then_the_sample_certificate_shows_them(workspace, session_factory):
    for which in ("logo", "signature"):
        answer = submit(
            workspace.client,
            SETTINGS,
            f"{SETTINGS}/images/{which}",
            files={"file": (f"{which}.png", png_bytes(), "image/png")},
        )
        assert answer.status_code == 303, answer.text[:500]
    org = org_row(session_factory)
    assert org.logo_media_type == "image/png" and org.signature_media_type == "image/png"
    page = workspace.client.get(SETTINGS)
    assert "/settings/certificate-preview.pdf" in page.text
    preview = workspace.client.get(f"{SETTINGS}/certificate-preview.pdf?language=en")
    assert preview.status_code == 200 and preview.headers["content-type"] == "application/pdf"
    assert preview.content.startswith(b"%PDF")
    removed = submit(workspace.client, SETTINGS, f"{SETTINGS}/images/logo", {"remove": "yes"})
    assert removed.status_code == 303 and org_row(session_factory).logo is None
    assert audit_actions(session_factory).count("organisation.image") == 3


def test_a_file_that_is_no_image_is_refused_next_to_its_field(workspace, session_factory):
    before = database_snapshot(session_factory)
    answer = submit(
        workspace.client, SETTINGS, f"{SETTINGS}/images/logo", files={"file": ("x.png", b"%PDF-1.7", "image/png")}
    )
    assert answer.status_code == 422 and 'id="logo_file-error"' in answer.text
    assert database_snapshot(session_factory) == before


def test_the_sample_certificate_is_only_for_the_organisations_members(workspace, app, make_org):
    from fastapi.testclient import TestClient

    from tests.pages import sign_in

    make_org("other")
    with TestClient(app) as stranger:
        assert sign_in(stranger, "admin@other.example.lv", "admin-password-1").status_code == 303
        assert stranger.get(f"{SETTINGS}/certificate-preview.pdf").status_code == 404


# --- members -----------------------------------------------------------------------------------------------------


def test_roles_change_members_leave_and_the_last_owner_stays(workspace, session_factory):
    workspace.as_role("viewer", email="viewer@ws-org.example.lv")
    viewer_id = member_id(session_factory, "viewer@ws-org.example.lv")
    members = f"{SETTINGS}/members"
    changed = submit(workspace.client, members, f"{members}/{viewer_id}/role", {"role": "coordinator"})
    assert changed.status_code == 303
    with session_factory() as session:
        assert session.scalar(select(MembershipRow.role).where(MembershipRow.user_id == viewer_id)) == "coordinator"
    assert submit(workspace.client, members, f"{members}/{viewer_id}/remove").status_code == 303
    with session_factory() as session:
        assert session.scalar(select(MembershipRow).where(MembershipRow.user_id == viewer_id)) is None

    owner_id = member_id(session_factory, "admin@ws-org.example.lv")
    page = workspace.client.get(members)
    assert f"{owner_id}/remove" not in page.text  # the last owner offers no way out
    before = database_snapshot(session_factory)
    refused = submit(workspace.client, members, f"{members}/{owner_id}/role", {"role": "viewer"})
    assert refused.status_code == 409
    assert database_snapshot(session_factory) == before
    actions = audit_actions(session_factory)
    assert "member.role" in actions and "member.remove" in actions


def test_an_invitation_is_sent_by_e_mail_and_audited_without_the_address(workspace, session_factory, smtp_server):
    members = f"{SETTINGS}/members"
    bad = submit(workspace.client, members, f"{members}/invite", {"email": "nope", "role": "viewer"})
    assert bad.status_code == 422 and 'id="email-error"' in bad.text
    sent = submit(workspace.client, members, f"{members}/invite", {"email": "helper@example.lv", "role": "viewer"})
    assert sent.status_code == 303
    assert mailed_link(smtp_server, "helper@example.lv", "/invitations/member/")
    with session_factory() as session:
        entry = session.scalar(select(AuditEntryRow).where(AuditEntryRow.action == "member.invite"))
        assert entry.details == {"role": "viewer"} and "helper" not in str(entry.details)


# --- API tokens --------------------------------------------------------------------------------------------------


def test_a_token_is_shown_once_works_shows_its_last_use_and_is_revoked(workspace, session_factory):
    tokens = f"{SETTINGS}/tokens"
    created = submit(workspace.client, tokens, f"{tokens}?lang=en", {"name": "Uzskaite", "scopes": ["records:write"]})
    assert created.status_code == 200 and "Copy it now" in created.text
    assert created.headers["cache-control"] == "private, no-store"
    secret = re.search(r'id="new-secret"[^>]*value="(vco_[^"]+)"', created.text).group(1)
    assert secret not in workspace.client.get(tokens).text  # never again

    assert (
        workspace.client.get("/organisations/ws-org", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    listing = workspace.client.get(f"{tokens}?lang=en").text
    assert "Uzskaite" in listing and "Not used yet" not in listing.split("Uzskaite", 1)[1].split("</tr>", 1)[0]

    with session_factory() as session:
        token_id = session.scalar(select(ApiTokenRow.id).where(ApiTokenRow.name == "Uzskaite"))
    revoked = submit(workspace.client, tokens, f"{tokens}/{token_id}/revoke")
    assert revoked.status_code == 303
    answer = workspace.client.get("/organisations/ws-org/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401
    actions = audit_actions(session_factory)
    assert "token.create" in actions and "token.revoke" in actions


def test_a_token_without_any_right_is_refused_at_the_rights(workspace, session_factory):
    tokens = f"{SETTINGS}/tokens"
    before = database_snapshot(session_factory)
    answer = submit(workspace.client, tokens, tokens, {"name": "Nothing"})
    assert answer.status_code == 422 and 'id="scopes-error"' in answer.text
    assert database_snapshot(session_factory) == before


# --- signing keys ------------------------------------------------------------------------------------------------


def keys_of(session_factory) -> dict[str, str]:
    with session_factory() as session:
        return dict(session.execute(select(SigningKeyRow.fragment, SigningKeyRow.status)).all())


def test_rotating_needs_the_box_ticked_then_retires_the_old_key(workspace, session_factory):
    keys = f"{SETTINGS}/keys"
    before = database_snapshot(session_factory)
    unticked = submit(workspace.client, keys, f"{keys}/rotate", {})
    assert unticked.status_code == 422 and 'id="rotate_confirmed-error"' in unticked.text
    assert database_snapshot(session_factory) == before
    assert submit(workspace.client, keys, f"{keys}/rotate", {"confirmed": "yes"}).status_code == 303
    assert keys_of(session_factory) == {"key-1": "retired", "key-2": "active"}


def test_reporting_a_key_compromised_from_a_day_replaces_the_active_key(workspace, session_factory):
    keys = f"{SETTINGS}/keys"
    future = submit(workspace.client, keys, f"{keys}/key-1/compromise", {"since": "2999-01-01", "confirmed": "yes"})
    assert future.status_code == 422 and 'id="since-key-1-error"' in future.text
    done = submit(workspace.client, keys, f"{keys}/key-1/compromise", {"since": "2026-01-02", "confirmed": "yes"})
    assert done.status_code == 303
    assert keys_of(session_factory) == {"key-1": "compromised", "key-2": "active"}
    with session_factory() as session:
        key = session.scalar(select(SigningKeyRow).where(SigningKeyRow.fragment == "key-1"))
        assert key.compromised_at.isoformat().startswith("2026-01-01T22:00")  # the start of the day in Riga
    assert "key.compromise" in audit_actions(session_factory)


# --- every form, refused for everyone who may not post it ----------------------------------------------------------

FORMS = [
    (SETTINGS, SETTINGS, {"legal_name": "Pārņemts", "municipality": "riga"}, None),
    (SETTINGS, f"{SETTINGS}/images/logo", {"remove": "yes"}, None),
    (SETTINGS, f"{SETTINGS}/images/signature", {}, {"file": ("s.png", png_bytes(), "image/png")}),
    (f"{SETTINGS}/members", f"{SETTINGS}/members/invite", {"email": "x@example.lv", "role": "owner"}, None),
    (f"{SETTINGS}/members", f"{SETTINGS}/members/{{owner}}/role", {"role": "viewer"}, None),
    (f"{SETTINGS}/members", f"{SETTINGS}/members/{{owner}}/remove", {}, None),
    (f"{SETTINGS}/keys", f"{SETTINGS}/tokens", {"name": "x", "scopes": ["records:write"]}, None),
    (f"{SETTINGS}/keys", f"{SETTINGS}/tokens/{{token}}/revoke", {}, None),
    (f"{SETTINGS}/keys", f"{SETTINGS}/keys/rotate", {"confirmed": "yes"}, None),
    (f"{SETTINGS}/keys", f"{SETTINGS}/keys/key-1/compromise", {"confirmed": "yes"}, None),
]


@pytest.mark.parametrize(
    ("page", "action", "data", "files"), FORMS, ids=[f[1].rsplit("/settings", 1)[1] or "/" for f in FORMS]
)
def test_each_settings_form_is_refused_to_those_who_may_not_post_it(
    workspace, app, make_org, session_factory, page, action, data, files
):
    from fastapi.testclient import TestClient

    from tests.pages import sign_in

    # a second owner, so "the last owner" is not why a removal or demotion is refused
    workspace.as_role("owner", email="second-owner@ws-org.example.lv")
    with session_factory() as session:
        token_id = session.scalar(select(ApiTokenRow.id).where(ApiTokenRow.kind == "organisation"))
    action = action.format(owner=member_id(session_factory, "second-owner@ws-org.example.lv"), token=token_id)
    viewer = workspace.as_role("viewer")
    coordinator = workspace.as_role("coordinator")
    make_org("other")
    stranger = TestClient(app)
    stranger.__enter__()
    assert sign_in(stranger, "admin@other.example.lv", "admin-password-1").status_code == 303
    owner = workspace.client
    token = csrf_of(owner.get(page).text)
    before = database_snapshot(session_factory)

    def post(client, body, **kwargs):
        return client.post(action, data=body, files=files, follow_redirects=False, **kwargs)

    assert post(owner, data).status_code == 403  # no token
    assert post(owner, {**data, "csrf_token": token}, headers={"origin": "https://evil.example"}).status_code == 403
    for member in (viewer, coordinator):
        assert post(member, {**data, "csrf_token": csrf_of(member.get(HOME).text)}).status_code == 403
    assert post(stranger, {**data, "csrf_token": csrf_of(stranger.get("/org/other").text)}).status_code == 404
    assert database_snapshot(session_factory) == before
    stranger.__exit__(None, None, None)
