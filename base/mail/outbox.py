"""Queuing an e-mail: rendered now, in the recipient's language, and written to the outbox in the caller's
transaction, so the message exists if and only if the event it tells of was committed."""

from __future__ import annotations

from collections.abc import Callable
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from base.errors import UserError
from base.i18n import messages, normalise_language
from base.mail.render import render_email
from base.mail.store import OutboxRow, new_message_id

# Called after a transaction that queued messages commits: the running senders look at once (see OutboxSender).
_wake_hooks: list[Callable[[], None]] = []
_WAKE_PENDING = "outbox_wake_pending"


def add_wake_hook(hook: Callable[[], None]) -> None:
    _wake_hooks.append(hook)


def remove_wake_hook(hook: Callable[[], None]) -> None:
    if hook in _wake_hooks:
        _wake_hooks.remove(hook)


def _wake_after_commit(session: Session) -> None:
    session.info.pop(_WAKE_PENDING, None)
    for hook in list(_wake_hooks):
        hook()


def checked_address(to: str) -> str:
    """The address as given, if it is one address an SMTP server can take; else a UserError on the field."""
    value = to.strip()
    try:
        address = Address(addr_spec=value)
    except (HeaderParseError, ValueError, IndexError):
        address = None
    if address is None or not address.username or not address.domain or len(value) > 320:
        message = messages().text("mail.invalid_address")
        raise UserError("mail.invalid_address", errors=[{"field": "email", "message": message}])
    return value


def queue_email(
    session: Session,
    *,
    to: str,
    template: str,
    language: str,
    context: dict[str, Any],
    kind: str,
    dedupe_key: str | None = None,
) -> None:
    """Render `template` (`"<package>/<name>"`, see base.mail.render) in `language` with `context` and add the
    message to the outbox within `session`'s transaction. A `dedupe_key` already in the outbox makes this a no-op
    (also against a concurrent transaction queuing the same key: it waits for that one and then does nothing)."""
    recipient = checked_address(to)
    lang = normalise_language(language)
    rendered = render_email(template, lang, context)
    values = {
        "id": new_message_id(),
        "kind": kind,
        "dedupe_key": dedupe_key,
        "recipient": recipient,
        "language": lang,
        "template": template,
        "subject": rendered.subject,
        "body_text": rendered.text,
        "body_html": rendered.html,
        "status": "pending",
        "attempts": 0,
    }
    dialect = session.get_bind().dialect.name
    if dedupe_key is None:
        statement = insert(OutboxRow).values(**values)
    elif dialect == "postgresql":
        statement = postgresql_insert(OutboxRow).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    elif dialect == "sqlite":
        statement = sqlite_insert(OutboxRow).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    else:  # pragma: no cover - the service runs on SQLite and PostgreSQL only
        raise NotImplementedError(dialect)
    session.execute(statement)
    if not session.info.get(_WAKE_PENDING):
        session.info[_WAKE_PENDING] = True
        event.listen(session, "after_commit", _wake_after_commit, once=True)
