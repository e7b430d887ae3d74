"""`volcred mail digest`: queue today's digests of statements waiting for review (for cron; the service also does it
on its own each day, see credentials.notices.ReviewDigestWorker). Running it again the same day queues nothing."""

from __future__ import annotations

import json

import typer

from base.i18n import t
from credentials.common import today_in_latvia
from credentials.notices import queue_review_digests


def digest_command(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print the count as JSON.")
) -> None:
    """Queue today's digest to each owner and coordinator with statements waiting for review (once a day)."""
    runtime = ctx.obj
    with runtime.transaction() as session:
        queued = queue_review_digests(session, runtime.settings.public_base_url, today_in_latvia())
    if as_json:
        typer.echo(json.dumps({"queued": queued}))
    else:
        typer.echo(t("mail.cli.digest_queued", runtime.lang, count=queued))
