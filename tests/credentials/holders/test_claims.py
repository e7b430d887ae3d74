"""Claim codes: derived per credential, typos told from wrong codes, and /claim putting a credential into an account
or a pseudonymous pocket (which stores no personal data), once, throttled, CSRF-protected."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from base.db import transaction
from base.errors import UserError
from credentials.holders import claims, service
from credentials.holders.store import HeldCredentialRow, HolderRow
from credentials.store import CredentialRow
from issuers import service as issuers
from issuers.store import AuditEntryRow
from issuers.throttle import Throttle
from tests.credentials.helpers import issue, record_body
from tests.pages import csrf_of, sign_in, submit
from volcred.public_limits import throttle_rates

KEK = b"k" * 32
PSEUDONYMOUS = {"pseudonym": "VOL-QX7P-2M4K-ZZ"}
CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


@pytest.fixture
def org(make_org):
    return make_org("claims")


def _pseudonymous_credential(client, org, pseudonym: str = PSEUDONYMOUS["pseudonym"]) -> dict:
    _, issued = issue(client, org, record_body(volunteer={"pseudonym": pseudonym}))
    return issued


def _held(app, credential_id: str) -> HeldCredentialRow | None:
    with transaction(app.state.session_factory) as session:
        row = session.get(HeldCredentialRow, credential_id)
        if row is not None:
            session.expunge(row)
        return row


def _holder_credentials(app, holder_id: str) -> list[str]:
    with transaction(app.state.session_factory) as session:
        return [row.id for row in service.held_credentials(session, session.get(HolderRow, holder_id))]


def _claim(client, code: str, **fields):
    return submit(client, "/claim", "/claim?lang=en", {"code": code, **fields})


# --- the code ------------------------------------------------------------------------------------------------------


def test_a_code_is_stable_per_credential_and_differs_between_credentials_and_keys():
    first, second = "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdee"
    code = claims.claim_code(KEK, first)
    assert CODE.match(code)
    assert claims.claim_code(KEK, first) == code
    assert claims.claim_code(KEK, second) != code
    assert claims.claim_code(KEK, second)[:9] == code[:9]  # the same lookup prefix, another MAC
    assert claims.claim_code(b"o" * 32, first) != code  # another service's key makes other codes


def test_a_typo_is_told_apart_from_a_wrong_code(app, client, org):
    issued = _pseudonymous_credential(client, org)
    code = issued["claim_code"]
    kek = app.state.settings.encryption_key
    assert code == claims.claim_code(kek, issued["credential_id"])
    symbols = code.replace("-", "")
    with transaction(app.state.session_factory) as session:
        # Forgiving: lower case, spaces, O for 0 and l for 1 (when the code has them).
        typed = " ".join(symbols[i : i + 4] for i in range(0, 16, 4)).lower().replace("0", "o").replace("1", "l")
        assert claims.credential_by_code(session, kek, typed).id == issued["credential_id"]
        for position in range(16):  # any single wrong symbol is a typo
            other = claims.ALPHABET[(claims.ALPHABET.index(symbols[position]) + 7) % 32]
            wrong = symbols[:position] + other + symbols[position + 1 :]
            with pytest.raises(UserError) as refused:
                claims.credential_by_code(session, kek, wrong)
            assert refused.value.key == "claim.code_typo"
        swapped = next(
            symbols[:i] + symbols[i + 1] + symbols[i] + symbols[i + 2 :]
            for i in range(15)
            if symbols[i] != symbols[i + 1]
        )
        with pytest.raises(UserError) as refused:
            claims.credential_by_code(session, kek, swapped)
        assert refused.value.key == "claim.code_typo"
        # A well-formed code of no credential (the right check symbol, a wrong MAC): unknown, not a typo.
        body = symbols[:8] + ("0000000" if symbols[8:15] != "0000000" else "1111111")
        unknown = body + claims._check_symbol(body)
        with pytest.raises(UserError) as refused:
            claims.credential_by_code(session, kek, unknown)
        assert refused.value.key == "claim.code_unknown"
        for malformed, key in (("ABCD", "claim.code_malformed"), ("UUUU-UUUU-UUUU-UUUU", "claim.code_malformed")):
            with pytest.raises(UserError) as refused:
                claims.credential_by_code(session, kek, malformed)
            assert refused.value.key == key


# --- /claim --------------------------------------------------------------------------------------------------------


def test_claim_into_a_new_pocket_shows_its_link_once_and_stores_no_personal_data(app, client, org):
    issued = _pseudonymous_credential(client, org)
    page = client.get("/claim?lang=en")
    assert page.status_code == 200 and "Claim code" in page.text and "Create a pocket" in page.text
    answer = _claim(client, issued["claim_code"].lower(), into="new")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "private, no-store"
    link = re.search(r'id="pocket-link"[^>]*>(http://127\.0\.0\.1:8000/pocket/(vcp_[^<]+))</p>', answer.text)
    assert link and "Save this link now" in answer.text
    token = link.group(2)
    assert f'href="/pocket/{token}?lang=uk"' in answer.text  # switching language keeps the way to the pocket
    held = _held(app, issued["credential_id"])
    assert held is not None and held.via == "code"
    with transaction(app.state.session_factory) as session:
        pocket = service.pocket_by_token(session, token)
        assert pocket.id == held.holder_id and pocket.user_id is None and pocket.language == "en"
        assert [c.id for c in service.held_credentials(session, pocket)] == [issued["credential_id"]]
        # Nothing but ids, the link's hash, a language and times: no name, no e-mail, no pseudonym, no token.
        row = session.execute(select(HolderRow.__table__).where(HolderRow.id == pocket.id)).mappings().one()
        assert set(row.keys()) == {"id", "user_id", "access_token_hash", "language", "created_at"}
        assert row["access_token_hash"] != token and token not in str(dict(row))
        audit = session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "credential.claim")).one()
        assert audit.subject_id == issued["credential_id"] and audit.actor_id is None
        assert audit.details == {"holder_id": pocket.id, "into": "new_pocket"}
        assert PSEUDONYMOUS["pseudonym"] not in str(audit.details)


def test_claim_into_an_existing_pocket_by_its_pasted_link_then_twice_is_a_no_op(app, client, org):
    first, second = _pseudonymous_credential(client, org), _pseudonymous_credential(client, org, "VOL-OTHER-ONE")
    with transaction(app.state.session_factory) as session:
        pocket, token = service.create_pocket(session, "lv")
        pocket_id = pocket.id
    pasted = f"  http://127.0.0.1:8000/pocket/{token}  "
    for issued in (first, second):
        answer = _claim(client, issued["claim_code"], pocket=pasted, into="pocket")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/pocket/{token}?lang=en&notice=notice.credential_claimed"
    assert sorted(_holder_credentials(app, pocket_id)) == sorted([first["credential_id"], second["credential_id"]])
    # Again, with Enter in the link field (the form's first button): the same pocket, nothing new.
    again = _claim(client, first["claim_code"], pocket=token, into="new")
    assert again.status_code == 303 and again.headers["location"].startswith(f"/pocket/{token}")
    with transaction(app.state.session_factory) as session:
        assert session.query(HolderRow).count() == 1
        claimed = session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "credential.claim")).all()
        assert len(claimed) == 2


def test_claim_by_a_signed_in_volunteer_goes_to_their_account(app, client, org):
    issued = _pseudonymous_credential(client, org)
    with transaction(app.state.session_factory) as session:
        user_id = issuers.create_user(session, "volunteer@example.lv", "Volunteer", "volunteer-password-1").id
    assert sign_in(client, "volunteer@example.lv", "volunteer-password-1").status_code == 303
    page = client.get("/claim?lang=uk")
    assert "Додати до мого облікового запису" in page.text and 'name="pocket"' not in page.text
    assert "volunteer@example.lv" in page.text  # whose account it goes to
    answer = _claim(client, issued["claim_code"], into="new")  # whatever the form says: the account
    assert answer.status_code == 303 and answer.headers["location"] == "/my?lang=en&notice=notice.credential_claimed"
    with transaction(app.state.session_factory) as session:
        holder = service.holder_of_user(session, user_id)
        assert [c.id for c in service.held_credentials(session, holder)] == [issued["credential_id"]]
        assert session.query(HolderRow).count() == 1  # no pocket was made
        audit = session.scalars(select(AuditEntryRow).where(AuditEntryRow.action == "credential.claim")).one()
        assert audit.actor_id == user_id and audit.details["into"] == "account"


def test_a_code_another_holder_used_is_refused_and_makes_no_pocket(app, client, org):
    issued = _pseudonymous_credential(client, org)
    with transaction(app.state.session_factory) as session:
        theirs, _ = service.create_pocket(session)
        service.hold(session, theirs, issued["credential_id"], "code")
        mine, my_token = service.create_pocket(session)
        theirs_id, mine_id = theirs.id, mine.id
    for fields in ({"into": "new"}, {"into": "pocket", "pocket": my_token}):
        answer = _claim(client, issued["claim_code"], **fields)
        assert answer.status_code == 409
        assert "Another person has already added this credential" in answer.text
    assert _held(app, issued["credential_id"]).holder_id == theirs_id
    assert _holder_credentials(app, mine_id) == []
    with transaction(app.state.session_factory) as session:
        assert session.query(HolderRow).count() == 2


def test_wrong_codes_and_links_are_told_next_to_their_field(app, client, org):
    issued = _pseudonymous_credential(client, org)
    code = issued["claim_code"]
    typo = code[:-2] + ("0" if code[-2] != "0" else "1") + code[-1]
    cases = [
        ({"code": ""}, "code", "Type the claim code."),
        ({"code": "ABC"}, "code", "A code has 16 letters and digits"),
        ({"code": typo}, "code", "This code has a typo"),
        ({"code": code, "into": "pocket", "pocket": ""}, "pocket", "That is not a pocket&#39;s link"),
        ({"code": code, "into": "pocket", "pocket": "vcp_not-a-pocket"}, "pocket", "There is no such link"),
    ]
    for fields, field, text in cases:
        answer = _claim(client, fields.pop("code"), **fields)
        assert answer.status_code == 422, (fields, answer.status_code)
        assert f'id="{field}-error"' in answer.text and text in answer.text, (fields, answer.text[-3000:])
        assert 'aria-invalid="true"' in answer.text
    assert _held(app, issued["credential_id"]) is None
    with transaction(app.state.session_factory) as session:
        assert session.query(HolderRow).count() == 0


def test_unknown_codes_are_throttled_per_client(app, client, org):
    settings = app.state.settings.model_copy(update={"claim_rate_limit": "3/minute"})
    app.state.throttle = Throttle(throttle_rates(settings))
    issued = _pseudonymous_credential(client, org)
    symbols = issued["claim_code"].replace("-", "")
    body = symbols[:8] + ("0000000" if symbols[8:15] != "0000000" else "1111111")
    unknown = body + claims._check_symbol(body)
    for _ in range(3):
        answer = _claim(client, unknown)
        assert answer.status_code == 422 and "No credential has this code" in answer.text
    refused = _claim(client, issued["claim_code"])  # now even the right code waits
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "Too many wrong codes" in refused.text
    assert _held(app, issued["credential_id"]) is None


def test_claim_without_the_forms_token_is_refused(app, client, org):
    issued = _pseudonymous_credential(client, org)
    client.get("/claim")
    assert client.post("/claim", data={"code": issued["claim_code"]}).status_code == 403
    token = csrf_of(client.get("/claim").text)
    cross = client.post(
        "/claim", data={"code": issued["claim_code"], "csrf_token": token}, headers={"Origin": "https://evil.example"}
    )
    assert cross.status_code == 403
    assert _held(app, issued["credential_id"]) is None


# --- where the code appears ----------------------------------------------------------------------------------------


def _pdf_text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def test_the_volunteers_own_certificate_carries_the_code_and_the_public_one_does_not(app, client, org):
    record, issued = issue(client, org)
    code, credential_id = issued["claim_code"], issued["credential_id"]
    assert issued["claim_url"] == "http://127.0.0.1:8000/claim"
    public = client.get(f"/credentials/{credential_id}.pdf?language=en", headers=org.headers())
    assert public.status_code == 200 and code not in _pdf_text(public.content)
    assert "claim code" not in _pdf_text(public.content).lower()
    link = record["volunteer_link"].removeprefix("http://127.0.0.1:8000")
    own = client.get(f"{link}/credentials/{credential_id}.pdf?language=en")
    text = _pdf_text(own.content)
    assert own.status_code == 200 and code in text and "http://127.0.0.1:8000/claim" in text
    assert "Your claim code" in text
    # Both again: each from its own cache entry, unchanged.
    assert client.get(f"/credentials/{credential_id}.pdf?language=en", headers=org.headers()).content == public.content
    assert client.get(f"{link}/credentials/{credential_id}.pdf?language=en").content == own.content


def test_the_workspace_shows_the_code_right_after_issuing_only(app, workspace):
    client = workspace.client
    org = workspace.org
    created = client.post("/records", json=record_body(volunteer=PSEUDONYMOUS), headers=org.headers()).json()
    issued = client.post(f"/records/{created['id']}/issue", headers=org.headers()).json()
    code = issued["claim_code"]
    page_url = f"{workspace.home}/credentials/{issued['credential_id']}"
    right_after = client.get(f"{page_url}?lang=en&notice=notice.credential_issued")
    assert right_after.status_code == 200 and code in right_after.text
    assert "The volunteer&#39;s claim code" in right_after.text
    assert code not in client.get(f"{page_url}?lang=en").text
    pdf = client.get(f"{page_url}/certificate.pdf?language=lv")  # the organiser's copy, to hand over
    assert pdf.status_code == 200 and code in _pdf_text(pdf.content)


def test_the_organisers_zip_of_a_batch_carries_each_credentials_code(app, client, org):
    from tests.credentials.batch_helpers import csv_bytes, good_row, upload, wait_for

    row = good_row(1) | {"volunteer_name": "", "volunteer_email": "", "volunteer_pseudonym": "ezis-2026-rudens"}
    report = wait_for(client, org, upload(client, org, csv_bytes([row])).json()["id"])
    response = client.get(f"/batches/{report['id']}/certificates.zip", params={"language": "en"}, headers=org.headers())
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    with transaction(app.state.session_factory) as session:
        (credential_id,) = session.scalars(select(CredentialRow.id)).all()
    (name,) = archive.namelist()
    code = claims.claim_code(app.state.settings.encryption_key, credential_id)
    assert code in _pdf_text(archive.read(name))
