"""Queuing e-mail: one outbox row, written in the caller's transaction, rendered in the recipient's language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from base.db import transaction
from base.errors import UserError
from base.mail import OutboxRow, queue_email


def _queue(session, **overrides):
    arguments = {
        "to": "anna@example.org",
        "template": "base/test_message",
        "language": "lv",
        "context": {"service_url": "https://brivpratigie.example.lv"},
        "kind": "test",
    }
    queue_email(session, **{**arguments, **overrides})


def _rows(session_factory) -> list[OutboxRow]:
    with transaction(session_factory) as session:
        return list(session.scalars(select(OutboxRow)))


def test_a_queued_message_exists_once_its_transaction_commits(session_factory):
    with transaction(session_factory) as session:
        _queue(session)
    [row] = _rows(session_factory)
    assert (row.recipient, row.kind, row.status, row.attempts) == ("anna@example.org", "test", "pending", 0)
    assert row.subject == "Pārbaudes vēstule — e-pasta iestatījumi darbojas"
    assert "https://brivpratigie.example.lv" in row.body_text and "Brīvprātīgā darba apliecinājumi" in row.body_text
    assert '<html lang="lv">' in row.body_html and "<title>Pārbaudes vēstule" in row.body_html


def test_a_message_queued_in_a_transaction_that_rolls_back_does_not_exist(session_factory):
    with pytest.raises(RuntimeError), transaction(session_factory) as session:
        _queue(session)
        raise RuntimeError("the event failed")
    assert _rows(session_factory) == []


def test_the_same_dedupe_key_queues_one_message(session_factory):
    with transaction(session_factory) as session:
        _queue(session, dedupe_key="invitation:1")
        _queue(session, dedupe_key="invitation:1", language="en")
    with transaction(session_factory) as session:
        _queue(session, dedupe_key="invitation:1", language="en")
        _queue(session, dedupe_key="invitation:2", language="en")
    rows = sorted(_rows(session_factory), key=lambda row: row.dedupe_key)
    assert [(row.dedupe_key, row.language) for row in rows] == [("invitation:1", "lv"), ("invitation:2", "en")]


def test_english_recipient_gets_english_and_an_unknown_language_the_default(session_factory):
    with transaction(session_factory) as session:
        _queue(session, language="en", to="en@example.org")
        _queue(session, language="xx", to="xx@example.org")
    languages = {row.recipient: (row.language, row.subject) for row in _rows(session_factory)}
    assert languages["en@example.org"] == ("en", "Test message — the e-mail settings work")
    assert languages["xx@example.org"][0] == "lv"


@pytest.mark.parametrize("address", ["anna", "anna@", "a@b.lv, c@d.lv", "a@b.lv\nBcc: x@y.lv", "<a@b.lv>"])
def test_an_address_that_is_not_one_is_refused_and_nothing_is_queued(session_factory, address):
    with pytest.raises(UserError) as refused, transaction(session_factory) as session:
        _queue(session, to=address)
    assert refused.value.errors[0]["field"] == "email"
    assert _rows(session_factory) == []
