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


def test_each_package_keeps_its_own_email_templates_and_values_are_escaped_in_html_only(tmp_path, monkeypatch):
    from base.mail import render_email

    templates = tmp_path / "volunteer_mail_demo" / "templates" / "email"
    templates.mkdir(parents=True)
    (tmp_path / "volunteer_mail_demo" / "__init__.py").write_text("")
    (templates / "hello.txt").write_text(
        '{% extends "base/layout.txt" %}\n{% block subject %}\n  {{ t("site.name") }}:\n  {{ name }}\n'
        "{% endblock %}\n{% block body %}{{ name }}, {{ format_number(7.5) }}{% endblock %}\n"
    )
    (templates / "hello.html").write_text(
        '{% extends "base/layout.html" %}{% block body %}<p>{{ name }}</p>{% endblock %}'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    rendered = render_email("volunteer_mail_demo/hello", "lv", {"name": "Anna <b>&"})
    assert rendered.subject == "Brīvprātīgā darba apliecinājumi: Anna <b>&"  # one line, as a header must be
    assert rendered.text.startswith("Anna <b>&, 7,5\n")
    assert (
        "<p>Anna &lt;b&gt;&amp;</p>" in rendered.html
        and "<title>Brīvprātīgā darba apliecinājumi: Anna &lt;b&gt;&amp;" in rendered.html
    )

    (templates / "no_subject.txt").write_text("{{ name }}")
    with pytest.raises(ValueError, match="no subject block"):
        render_email("volunteer_mail_demo/no_subject", "lv", {"name": "Anna"})


def test_a_template_that_does_not_exist_is_a_clear_error(session_factory):
    from jinja2 import TemplateNotFound

    with pytest.raises(TemplateNotFound), transaction(session_factory) as session:
        _queue(session, template="base/no_such_message")
    with pytest.raises(TemplateNotFound), transaction(session_factory) as session:
        _queue(session, template="no_such_package/message")
    assert _rows(session_factory) == []


def test_an_internationalised_domain_is_kept_in_the_ascii_form_every_server_takes(session_factory):
    with transaction(session_factory) as session:
        _queue(session, to=" anna@piemērs.lv ")
    assert [row.recipient for row in _rows(session_factory)] == ["anna@xn--piemrs-s3a.lv"]


def test_forgetting_an_address_deletes_every_message_to_it(session_factory):
    from base.mail import forget_address

    with transaction(session_factory) as session:
        _queue(session, to="anna@piemērs.lv")
        _queue(session, to="juris@example.org")
    with transaction(session_factory) as session:
        assert forget_address(session, "ANNA@piemērs.lv") == 1
    assert [row.recipient for row in _rows(session_factory)] == ["juris@example.org"]
