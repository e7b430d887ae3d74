"""The e-mails volunteers and coordinators get (credentials.notices), sent by the service's own sender to a real SMTP
server on loopback: a credential issued, a statement approved or returned, the coordinators' daily digest."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from base.db import transaction
from base.mail import OutboxRow, render_email
from catalogue import load_catalogue
from credentials.notices import queue_review_digests
from tests.conftest import TEST_KEK, _operator
from tests.credentials.helpers import issue, record_body
from tests.credentials.records.test_drafts import invite, statement

TITLES = {
    "lv": ("Jūsu brīvprātīgā darba apliecinājums", "izsniedza jums apliecinājumu", "42 stundas"),
    "en": ("Your volunteering credential", "issued you a credential", "42 hours"),
    "ru": ("Ваше удостоверение о волонтёрской работе", "выдала вам удостоверение", "42 часа"),
    "uk": ("Ваше посвідчення про волонтерську роботу", "видала вам посвідчення", "42 години"),
}


@pytest.mark.parametrize("language", ["lv", "en"])  # a record (and its credential) is in Latvian or English
def test_an_issued_credential_is_emailed_to_its_volunteer_in_the_records_language(
    client, make_org, smtp_server, settings, language
):
    org = make_org("upes-krasts", legal_name="Biedrība Upes krasts")
    _, issued = issue(client, org, record_body(language=language))
    [received] = smtp_server.wait_for(1)
    subject, body, hours = TITLES[language]
    assert received.rcpt_tos == ["karlis@example.lv"]
    assert received.message["Content-Language"] == language
    assert (
        received.message["Subject"].startswith(subject)
        and "Jāņu festivāla brīvprātīgais" in received.message["Subject"]
    )
    text, html = received.text, received.html
    assert body in text and "Biedrība Upes krasts" in text and hours in text
    base = settings.public_base_url
    assert f"{base}/v/{issued['credential_id']}" in text and f'href="{base}/v/{issued["credential_id"]}"' in html
    assert f"{base}/my" in text and f'href="{base}/my"' in html


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_a_volunteer_with_an_account_reads_the_email_in_their_accounts_language(
    client, make_org, smtp_server, app, language
):
    # A newcomer who keeps their credentials in Ukrainian gets the next one's e-mail in Ukrainian, whatever the
    # credential's own language (Latvian or English).
    from credentials.holders.service import holder_for_user
    from issuers import service as issuers

    with transaction(app.state.session_factory) as session:
        user = issuers.create_user(session, "Karlis@Example.lv", "Kārlis", "volunteer-password-1")
        holder_for_user(session, user.id, language)
    org = make_org("upes-krasts", legal_name="Biedrība Upes krasts")
    issue(client, org, record_body(language="lv"))
    [received] = smtp_server.wait_for(1)
    subject, body, hours = TITLES[language]
    assert received.message["Content-Language"] == language and received.message["Subject"].startswith(subject)
    assert body in received.text and hours in received.text


@pytest.mark.parametrize(
    ("language", "hours", "expected"),
    [
        ("ru", Decimal(21), "«Jāņu festivāls» (20 июня 2026\u202fг. – 24 июня 2026\u202fг.): 21 час."),
        ("ru", Decimal("12.5"), "12,5 часа."),
        ("uk", Decimal(22), "«Jāņu festivāls» (20 червня 2026\u202fр. – 24 червня 2026\u202fр.): 22 години."),
        ("uk", Decimal(25), "25 годин."),
        ("lv", Decimal(11), "11 stundas."),
    ],
)
def test_every_email_reads_in_russian_and_ukrainian_too_with_the_right_plural(language, hours, expected):
    issued = render_email(
        "credentials/credential_issued",
        language,
        {
            "organisation": "Biedrība",
            "title": "Jāņu festivāls",
            "hours": hours,
            "start": date(2026, 6, 20),
            "end": date(2026, 6, 24),
            "verify_url": "https://x.example/v/1",
            "my_url": "https://x.example/my",
        },
    )
    assert expected in issued.text and f'<html lang="{language}">' in issued.html
    for name, context in [
        ("statement_approved", {"organisation": "B", "title": "T", "comment": "", "my_url": "https://x.example/my"}),
        ("statement_returned", {"organisation": "B", "title": "T", "comment": "?", "my_url": "https://x.example/my"}),
        ("review_digest", {"organisation": "B", "count": 5, "inbox_url": "https://x.example/org/b/statements"}),
    ]:
        rendered = render_email(f"credentials/{name}", language, context)
        assert rendered.subject and "mail." not in rendered.text  # every text found in the language's catalogue
    digest = render_email("credentials/review_digest", "uk", {"organisation": "B", "count": 5, "inbox_url": "u"})
    assert digest.subject == "«B»: 5 описів чекають на перевірку"


def test_a_pseudonymous_volunteer_or_one_without_an_address_gets_no_email(client, make_org, smtp_server):
    org = make_org("anonymous-friendly")
    issue(client, org, record_body(volunteer={"pseudonym": "upe-1234-krasts"}))
    issue(client, org, record_body(volunteer={"name": "Bez Adreses"}))
    assert smtp_server.wait_for(1, timeout=1.0) == []
    with transaction(client.app.state.session_factory) as session:
        assert session.scalars(select(OutboxRow)).all() == []


def test_a_volunteers_statement_returned_then_approved_then_issued_each_tells_them(
    client, make_org, smtp_server, settings
):
    mission = next(m for m in load_catalogue().mission_types if len(m.competences) > len(m.core_competences))
    org = make_org("statement-mail", legal_name="Biedrība Talka")
    token = invite(client, org, mission, language="en")["token"]
    saved = client.put(f"/invitations/{token}/statement", json=statement(mission))
    assert saved.status_code == 200, saved.text
    record_id = saved.json()["statement"]["id"]
    assert client.post(f"/invitations/{token}/submit").status_code == 200

    comment = "Lūdzu, precizējiet stundas: 18,5 vai 15? <b>paldies</b>"
    returned = client.post(f"/records/{record_id}/return", json={"comment": comment}, headers=org.headers())
    assert returned.status_code == 200, returned.text
    [first] = smtp_server.wait_for(1)
    assert first.rcpt_tos == ["liga@example.lv"] and first.message["Content-Language"] == "en"
    assert first.message["Subject"] == "Your statement “Rudens talka” was returned for changes"
    assert comment in first.text and "18,5 vai 15? &lt;b&gt;paldies&lt;/b&gt;" in first.html
    assert "Open the link from your original invitation" in first.text
    assert token not in first.text  # the link's token is kept only as a hash: never sent again

    assert client.put(f"/invitations/{token}/statement", json=statement(mission, hours="15")).status_code == 200
    assert client.post(f"/invitations/{token}/submit").status_code == 200
    assert client.post(f"/records/{record_id}/approve", headers=org.headers()).status_code == 200
    second = smtp_server.wait_for(2)[1]
    assert second.message["Subject"] == "Your statement “Rudens talka” was approved"
    assert "Biedrība Talka approved your statement of volunteer work “Rudens talka”" in second.text
    assert client.post(f"/records/{record_id}/approve", headers=org.headers()).status_code == 200  # again: no mail

    assert client.post(f"/records/{record_id}/issue", headers=org.headers()).status_code == 201
    third = smtp_server.wait_for(3)[2]
    assert third.message["Subject"] == "Your volunteering credential: “Rudens talka”"
    assert ": 15 hours." in third.text
    assert len(smtp_server.wait_for(4, timeout=0.5)) == 3


def test_an_organisers_own_record_approved_sends_no_statement_email(client, make_org, smtp_server):
    org = make_org("own-records")
    created = client.post("/records", json=record_body(), headers=org.headers()).json()
    client.post(f"/records/{created['id']}/approve", headers=org.headers())
    assert smtp_server.wait_for(1, timeout=0.5) == []


def _submit_statements(client, org, mission, count: int) -> None:
    for number in range(count):
        token = invite(client, org, mission)["token"]
        body = statement(mission, volunteer={"name": f"Brīvprātīgā {number}", "email": f"v{number}@example.lv"})
        assert client.put(f"/invitations/{token}/statement", json=body).status_code == 200
        assert client.post(f"/invitations/{token}/submit").status_code == 200


def test_the_daily_digest_goes_once_a_day_to_owners_and_coordinators_with_statements_waiting(
    app, client, make_org, smtp_server, settings
):
    from issuers import service

    mission = next(m for m in load_catalogue().mission_types if len(m.competences) > len(m.core_competences))
    busy = make_org("busy-org", legal_name="Biedrība Rosība")
    make_org("quiet-org")  # its owner and coordinator, with nothing waiting, get nothing
    with transaction(app.state.session_factory) as session:
        service.create_user(session, "viewer@busy-org.example.lv", "Viewer", "viewer-password-1")
        service.add_member(session, _operator(), "busy-org", "viewer@busy-org.example.lv", "viewer")
    _submit_statements(client, busy, mission, 3)

    def digest(day: date) -> int:
        with transaction(app.state.session_factory) as session:
            return queue_review_digests(session, settings.public_base_url, day)

    assert digest(date(2026, 12, 7)) == 2
    received = smtp_server.wait_for(2)
    assert sorted(r.rcpt_tos[0] for r in received) == ["admin@busy-org.example.lv", "coord@busy-org.example.lv"]
    message = received[0]
    assert message.message["Subject"] == "“Biedrība Rosība”: 3 apraksti gaida pārskatīšanu"
    inbox = f"{settings.public_base_url}/org/busy-org/statements"
    assert inbox in message.text and f'href="{inbox}"' in message.html
    assert "iesnieguši 3 aprakstus" in message.text
    # the same day again, from the service's worker or cron: nothing more
    assert digest(date(2026, 12, 7)) == 0
    assert len(smtp_server.wait_for(3, timeout=0.5)) == 2
    # the next day, still waiting: again; the quiet organisation's people never get one
    assert digest(date(2026, 12, 8)) == 2
    assert len(smtp_server.wait_for(4)) == 4
    assert not any("quiet-org" in r.rcpt_tos[0] for r in smtp_server.wait_for(5, timeout=0.3))


def test_no_digest_when_nothing_waits_and_the_cli_queues_it_once(client, make_org, smtp_server, database_url, tmp_path):
    org = make_org("cli-digest")
    runner = CliRunner()
    env = {
        "DATABASE_URL": database_url,
        "VOLCRED_DATA_DIR": str(tmp_path / "var"),
        "KEY_ENCRYPTION_KEY": TEST_KEK,
        "BASE_URL": "https://brivpratigie.example.lv",
        "VOLCRED_LANG": "en",
    }
    from volcred.cli import app as cli

    nothing = runner.invoke(cli, ["mail", "digest", "--json"], env=env)
    assert nothing.exit_code == 0, nothing.output
    assert nothing.stdout.strip() == '{"queued": 0}'
    mission = next(m for m in load_catalogue().mission_types if len(m.competences) > len(m.core_competences))
    _submit_statements(client, org, mission, 1)
    first = runner.invoke(cli, ["mail", "digest"], env=env)
    assert first.exit_code == 0 and first.stdout.strip().startswith("2 digests queued")
    again = runner.invoke(cli, ["mail", "digest", "--json"], env=env)
    assert again.stdout.strip() == '{"queued": 0}'
    received = smtp_server.wait_for(2)  # the running service's sender sends what the command queued
    assert {r.message["Subject"] for r in received} == {"“Biedrība cli-digest”: 1 apraksts gaida pārskatīšanu"}
    assert all(re.search(r"https://brivpratigie\.example\.lv/org/cli-digest/statements", r.text) for r in received)


def test_the_services_digest_worker_waits_for_the_hour_then_sends_the_days_digest_once(
    app, client, make_org, smtp_server, settings
):
    from datetime import datetime

    from credentials.common import RIGA
    from credentials.notices import ReviewDigestWorker

    org = make_org("worker-digest")
    mission = next(m for m in load_catalogue().mission_types if len(m.competences) > len(m.core_competences))
    _submit_statements(client, org, mission, 2)
    now = datetime(2026, 12, 7, 7, 59, tzinfo=RIGA)
    worker = ReviewDigestWorker(
        lambda: transaction(app.state.session_factory), settings.public_base_url, hour=8, clock=lambda: now
    )
    worker.work()
    assert smtp_server.wait_for(1, timeout=0.5) == []  # before eight in Latvia: nothing yet
    now = datetime(2026, 12, 7, 8, 0, tzinfo=RIGA)
    worker.work()
    worker.work()
    received = smtp_server.wait_for(2)
    assert {r.message["Subject"] for r in received} == {"“Biedrība worker-digest”: 2 apraksti gaida pārskatīšanu"}
    assert len(smtp_server.wait_for(3, timeout=0.5)) == 2
