"""`volcred reports ...`: the reports' maintenance from the console."""

from __future__ import annotations

import typer

from base.i18n import t
from credentials.reports import summary

reports_app = typer.Typer(help="Reports and statistics.", no_args_is_help=True)


@reports_app.command("rebuild")
def rebuild(ctx: typer.Context):
    """Write the published figures' summary again from the records (after a bulk load, or a catalogue whose
    mission types moved to other domains)."""
    runtime = ctx.obj
    with runtime.transaction() as session:
        count = summary.rebuild(session)
    typer.echo(t("reports.cli.rebuilt", runtime.lang, count=count))
