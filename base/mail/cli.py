"""`volcred mail ...`: send the due messages now, check the SMTP settings with a test message, list the outbox.

The wiring's runtime (`ctx.obj`) gives `transaction()`, `settings` (with `smtp` and `public_base_url`) and `lang`.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import typer
from sqlalchemy import select

from base.i18n import t
from base.mail.outbox import queue_email
from base.mail.sender import OutboxSender
from base.mail.store import STATUSES, OutboxRow, recent_messages

mail_app = typer.Typer(help="The e-mail outbox: send, test the SMTP settings, list.", no_args_is_help=True)


@mail_app.callback()
def mail_logging() -> None:
    """Without an SMTP host messages are written to the log: on the console, that is standard error."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")


def _sender(runtime: Any) -> OutboxSender:
    return OutboxSender(runtime.transaction, runtime.settings.smtp)


@mail_app.command("send-due")
def send_due(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON.")
) -> None:
    """Send every message that is due now (the service's background sender does this on its own)."""
    runtime = ctx.obj
    report = _sender(runtime).send_due()
    counts = {"sent": len(report.sent), "retrying": len(report.retrying), "failed": len(report.failed)}
    if as_json:
        typer.echo(json.dumps(counts))
    else:
        typer.echo(t("mail.cli.sent_due", runtime.lang, **counts))


@mail_app.command("test")
def send_test(
    ctx: typer.Context,
    address: str = typer.Argument(..., help="Where to send the test message."),
    lang: str | None = typer.Option(None, "--lang", help="The message's language (default: the console's)."),
) -> None:
    """Send a test message to ADDRESS now, to check the SMTP settings; exit 1 if the server did not take it."""
    runtime = ctx.obj
    key = f"test:{uuid.uuid4().hex}"
    with runtime.transaction() as session:
        queue_email(
            session,
            to=address,
            template="base/test_message",
            language=lang or runtime.lang,
            context={"service_url": runtime.settings.public_base_url},
            kind="test",
            dedupe_key=key,
        )
        queued = session.scalars(select(OutboxRow.id).where(OutboxRow.dedupe_key == key)).one()
    report = _sender(runtime).send_due(ids=[queued])
    with runtime.transaction() as session:
        message = session.get_one(OutboxRow, queued)
    if message.status == "sent":  # by us, or by a running service's sender that was quicker
        typer.echo(t("mail.cli.test_sent", runtime.lang, address=address, host=runtime.settings.smtp.host or "-"))
        return
    error = report.errors.get(message.id) or message.last_error or "-"
    typer.echo(t("mail.cli.test_not_sent", runtime.lang, error=error), err=True)
    raise typer.Exit(1)


@mail_app.command("list")
def list_messages(
    ctx: typer.Context,
    status: str | None = typer.Option(None, "--status", help=f"Only messages of this status ({', '.join(STATUSES)})."),
    to: str | None = typer.Option(None, "--to", help="Only messages to this address."),
    limit: int = typer.Option(20, "--limit", min=1, help="How many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """The newest messages of the outbox with their status, attempts and last error (not their addresses)."""
    runtime = ctx.obj
    with runtime.transaction() as session:
        entries = [_entry(row) for row in recent_messages(session, status=status, recipient=to, limit=limit)]
    if as_json:
        typer.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    for entry in entries:
        typer.echo(
            f"{entry['id']}  {entry['created_at'][:19]}  {entry['kind']:20} {entry['language']:3} "
            f"{entry['status']:8} {entry['attempts']:>3}  {entry['last_error'] or ''}"
        )


def _entry(row: OutboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "language": row.language,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": row.created_at.isoformat(),
        "next_attempt_at": row.next_attempt_at.isoformat() if row.status == "pending" else None,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
    }
