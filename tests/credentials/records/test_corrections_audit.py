"""Corrections supersede the old credential; every issuance, status change, approval, return and key event is in
the hash-chained audit log, and `volcred audit verify` names the first tampered entry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from sqlalchemy import text

from credentials.service import credential_status_summary
from tests.credentials.helpers import issue, record_body


def test_revision_supersedes_the_old_credential(client, make_org, session_factory):
    org = make_org("corrections")
    record, issued = issue(client, org)
    old_id = issued["credential_id"]
    assert client.get(f"/credentials/{old_id}/status").json()["status"] == "active"

    bad = client.post(f"/records/{record['id']}/revise", json={"hours": 0}, headers=org.headers())
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "hours"
    revised = client.post(
        f"/records/{record['id']}/revise",
        json={"hours": 39, "role": "Informācijas punkts (vadītājs)"},
        headers=org.headers(),
    )
    assert revised.status_code == 201, revised.text
    assert revised.json()["status"] == "approved" and revised.json()["revises_id"] == record["id"]
    # Until the correction is issued, the old credential stands.
    assert client.get(f"/credentials/{old_id}/status").json()["status"] == "active"
    second = client.post(f"/records/{record['id']}/revise", json={"hours": 41}, headers=org.headers())
    assert second.status_code == 409 and revised.json()["id"] in second.json()["detail"]
    # The correction can still be edited before it is issued.
    edited = client.post(f"/records/{revised.json()['id']}/approve", json={"hours": 40}, headers=org.headers())
    assert edited.status_code == 200 and edited.json()["hours"] == "40"

    new = client.post(f"/records/{revised.json()['id']}/issue", headers=org.headers())
    assert new.status_code == 201, new.text
    new_id = new.json()["credential_id"]
    assert new.json()["credential"]["credentialSubject"]["result"][0]["value"] == "40"

    status = client.get(f"/credentials/{old_id}/status")  # public: no token
    assert status.status_code == 200
    body = status.json()
    assert (body["status"], body["reason"], body["superseded_by"]) == ("revoked", "superseded", new_id)
    assert body["superseded_by_url"].endswith(f"/credentials/{new_id}")
    with session_factory() as session:
        summary = credential_status_summary(session, old_id)
    assert (summary.status, summary.reason, summary.superseded_by) == ("revoked", "superseded", new_id)
    assert client.get(f"/credentials/{new_id}/status").json()["status"] == "active"
    # The old certificate's QR code leads to a page that says it was corrected and links to the new one.
    old_page = client.get(f"/v/{old_id}?lang=en")
    assert (
        'data-verdict="revoked"' in old_page.text
        and f'href="http://127.0.0.1:8000/v/{new_id}?lang=en"' in old_page.text
    )
    assert "The organisation has corrected this credential" in old_page.text
    assert "data-superseded" not in client.get(f"/v/{new_id}").text

    old_doc = client.get(f"/credentials/{old_id}").json()
    old_verdict = client.post("/credentials/verify", json={"verifiableCredential": old_doc}).json()
    assert old_verdict["verified"] is False
    new_verdict = client.post("/credentials/verify", json={"verifiableCredential": new.json()["credential"]}).json()
    assert new_verdict["verified"] is True, new_verdict
    # The superseded record cannot be corrected again (its correction can).
    assert client.post(f"/records/{record['id']}/revise", json={}, headers=org.headers()).status_code == 409
    assert client.get("/credentials/unknown/status").status_code == 404


def test_only_the_own_organisation_revises(client, make_org):
    own, other = make_org("own-rev"), make_org("other-rev")
    record, _ = issue(client, own)
    for headers in (other.headers(), other.headers("admin"), {}):
        assert client.post(f"/records/{record['id']}/revise", json={"hours": 3}, headers=headers).status_code in (
            401,
            403,
            404,
        )


def volcred(args, database_url, tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        "VOLCRED_LANG": "en",
    }
    return subprocess.run(
        [sys.executable, "-m", "volcred.cli", *args], capture_output=True, text=True, env=environment, cwd=tmp_path
    )


def audit_rows(session_factory) -> list:
    with session_factory() as session:
        return session.execute(
            text(
                "SELECT seq, action, organisation_id, subject_id, actor_id, details, prev_hash, "
                "hash FROM audit_log ORDER BY seq"
            )
        ).all()


def test_audit_log_records_actions_and_detects_tampering(client, make_org, session_factory, database_url, tmp_path):
    org = make_org("audited")
    setup = len(audit_rows(session_factory))  # the organisation's registration is audited too
    invitation = client.post(
        "/invitations", json={"mission_type": record_body()["mission_type"]}, headers=org.headers()
    ).json()
    from catalogue import load_catalogue

    body = {key: value for key, value in record_body().items() if key not in ("mission_type", "title")}
    body["competences"] = list(load_catalogue().mission_types[0].core_competences)
    saved = client.put(f"/invitations/{invitation['token']}/statement", json={**body, "submit": True})
    assert saved.status_code == 200, saved.text
    record_id = saved.json()["statement"]["id"]
    assert (
        client.post(
            f"/records/{record_id}/return", json={"comment": "Precizē, lūdzu."}, headers=org.headers()
        ).status_code
        == 200
    )
    client.put(f"/invitations/{invitation['token']}/statement", json={**body, "hours": 40, "submit": True})
    assert client.post(f"/records/{record_id}/approve", headers=org.headers()).status_code == 200
    credential_id = client.post(f"/records/{record_id}/issue", headers=org.headers()).json()["credential_id"]
    for action, reason in (("suspend", "Pārbaude: Kārlis Ozoliņš"), ("unsuspend", None), ("revoke", "Kļūda")):
        response = client.post(f"/credentials/{credential_id}/{action}", json={"reason": reason}, headers=org.headers())
        assert response.status_code == 200, response.text
    assert client.post(f"/organisations/{org.slug}/keys/rotate", headers=org.headers("admin")).status_code == 201
    assert (
        client.post(f"/organisations/{org.slug}/keys/key-1/compromise", headers=org.headers("admin")).status_code == 200
    )

    rows = audit_rows(session_factory)[setup:]
    assert [row.action for row in rows] == [
        "invitation.create",
        "record.return",
        "record.approve",
        "credential.issue",
        "credential.suspend",
        "credential.unsuspend",
        "credential.revoke",
        "key.rotate",
        "key.compromise",
    ]
    assert [row.seq for row in rows] == list(range(setup + 1, setup + 10))
    assert all(row.prev_hash == before.hash for before, row in zip(rows, rows[1:]))
    assert {row.organisation_id for row in rows} == {org.org_id}
    dump = json.dumps([list(map(str, row)) for row in rows], ensure_ascii=False)
    for personal in ("Kārlis", "Ozoliņš", "karlis@example.lv", "Precizē", "Kļūda"):
        assert personal not in dump

    intact = volcred(["audit", "verify", "--json"], database_url, tmp_path)
    assert intact.returncode == 0, intact.stderr
    assert json.loads(intact.stdout) == {"ok": True, "entries": setup + 9, "broken_entry": None, "reason": None}

    # Someone edits one entry directly in the database: the chain names it.
    with session_factory() as session, session.begin():
        session.execute(text("UPDATE audit_log SET subject_id = 'someone-else' WHERE seq = :seq"), {"seq": setup + 4})
    broken = volcred(["audit", "verify"], database_url, tmp_path)
    assert broken.returncode == 1
    assert f"first broken entry is no. {setup + 4}" in broken.stderr
    assert (
        json.loads(volcred(["audit", "verify", "--json"], database_url, tmp_path).stdout)["broken_entry"] == setup + 4
    )

    # Re-hashing the edited entry does not help: the next entry still points at the original hash.
    from issuers.store import AuditEntryRow

    with session_factory() as session, session.begin():
        row = session.get(AuditEntryRow, setup + 4)
        session.execute(
            text("UPDATE audit_log SET hash = :h WHERE seq = :seq"), {"h": row.entry().hash(), "seq": setup + 4}
        )
    result = json.loads(volcred(["audit", "verify", "--json"], database_url, tmp_path).stdout)
    assert (result["broken_entry"], result["reason"]) == (setup + 5, "link")


def test_dropping_audit_entries_is_detected(client, make_org, session_factory, database_url, tmp_path):
    org = make_org("truncated")
    setup = len(audit_rows(session_factory))  # the organisation's registration is audited too
    issue(client, org)
    issue(client, org, record_body(start_date="2026-07-01", end_date="2026-07-02", hours=8))
    # Two records made (approved at once) and issued: four entries.
    assert [row.action for row in audit_rows(session_factory)[setup:]] == ["record.approve", "credential.issue"] * 2
    with session_factory() as session, session.begin():
        session.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": setup + 4})
    result = volcred(["audit", "verify", "--json"], database_url, tmp_path)
    assert result.returncode == 1
    expected = {"ok": False, "entries": setup + 3, "broken_entry": setup + 4, "reason": "head"}
    assert json.loads(result.stdout) == expected
    with session_factory() as session, session.begin():
        session.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": setup + 2})
    result = json.loads(volcred(["audit", "verify", "--json"], database_url, tmp_path).stdout)
    assert (result["broken_entry"], result["reason"]) == (setup + 2, "sequence")


def test_concurrent_issuance_keeps_one_chain(client, make_org, session_factory):
    org = make_org("concurrent")
    setup = len(audit_rows(session_factory))  # the organisation's registration is audited too
    ids = [
        client.post(
            "/records",
            json=record_body(start_date=f"2026-03-{n:02d}", end_date=f"2026-03-{n:02d}", hours=2),
            headers=org.headers(),
        ).json()["id"]
        for n in range(1, 7)
    ]
    errors = []

    def issue_one(record_id):
        response = client.post(f"/records/{record_id}/issue", headers=org.headers())
        if response.status_code != 201:
            errors.append(response.text)

    threads = [threading.Thread(target=issue_one, args=(record_id,)) for record_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    from issuers.store import verify_audit_log

    with session_factory() as session:
        result = verify_audit_log(session)
    assert result.ok and result.entries == setup + 12  # six approvals as made, six issuances


def test_audit_entries_commit_and_roll_back_with_their_transaction(client, session_factory):
    from issuers.store import append_audit, verify_audit_log

    with session_factory() as session:
        with session.begin():
            append_audit(session, "record.approve", subject_id="kept-1")
            try:
                with session.begin_nested():
                    append_audit(session, "record.approve", subject_id="dropped-savepoint")
                    raise ValueError("the action failed")
            except ValueError:
                pass
            with session.begin_nested():
                append_audit(session, "record.approve", subject_id="kept-2")
        session.begin()
        append_audit(session, "record.approve", subject_id="dropped-rollback")
        session.rollback()
    rows = audit_rows(session_factory)
    assert [row.subject_id for row in rows] == ["kept-1", "kept-2"]
    with session_factory() as session:
        assert verify_audit_log(session).ok
