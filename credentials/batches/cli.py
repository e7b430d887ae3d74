"""`volcred batches ...`: bulk issuance from the console (the operator acts for any organisation)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from base.i18n import stored_in_language, t
from credentials.batches import service as batch_service
from credentials.batches.spreadsheet import MAX_BYTES
from issuers import service as issuers

batches_app = typer.Typer(help="Bulk issuance from CSV/XLSX files.", no_args_is_help=True)


def _print_errors(errors: list[dict], lang: str) -> None:
    for error in errors:
        message = stored_in_language(error, lang)
        typer.echo(
            t("cli.batch_row_error", lang, line=error["line"], column=error.get("column") or "-", message=message)
        )


def _report(session, batch) -> dict:
    return {
        "id": batch.id,
        "status": batch.status,
        "rows": batch.rows,
        "valid": batch.valid,
        "errors": batch.errors,
        **batch_service.progress_counts(session, batch),
        "failures": batch_service.failures(session, batch),
    }


@batches_app.command("upload")
def upload(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A CSV (UTF-8, `,` or `;`) or XLSX file."),
    org: str = typer.Option(..., "--org", help="The organisation's slug."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only check the rows; write nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
):
    """Check a file of records and issue a credential for every valid row (each row on its own, idempotent)."""
    runtime = ctx.obj
    with file.open("rb") as stream:
        content = stream.read(MAX_BYTES + 1)  # one byte more tells a file over the limit, without reading it all
    with runtime.transaction() as session:
        organisation = issuers.get_organisation(session, org)
        if dry_run:
            checked = batch_service.dry_run(runtime.operator, organisation, content, file.name)
            report = {
                "dry_run": True,
                "rows": checked.rows,
                "valid": len(checked.valid),
                "errors": [error.as_json() for error in checked.errors],
            }
        else:
            batch = batch_service.create_batch(
                session, runtime.operator, runtime.issuer_context, organisation, content, file.name
            )
            batch_id = batch.id
            # Claimed in the same transaction, so a running service's runner does not take it meanwhile.
            claimed = batch_service.claim_batch(session, runtime.settings.batch_lease_seconds, batch_id=batch_id)
    if not dry_run:
        if claimed is not None:
            batch_service.run_claimed(
                runtime.transaction, runtime.issuer_context, batch_id, pause=runtime.settings.batch_row_pause
            )
        with runtime.transaction() as session:
            report = _report(session, batch_service.get_batch(session, runtime.operator, batch_id))
    _show(report, as_json, runtime.lang)
    if report["errors"] or report.get("failures"):
        raise typer.Exit(1)


def _show(report: dict, as_json: bool, lang: str) -> None:
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    if report.get("dry_run"):
        typer.echo(t("cli.batch_checked", lang, rows=report["rows"], valid=report["valid"]))
    else:
        typer.echo(
            t(
                "cli.batch_done",
                lang,
                **{k: report[k] for k in ("id", "status", "rows", "valid", "issued", "skipped", "failed")},
            )
        )
    _print_errors(report["errors"] + report.get("failures", []), lang)


@batches_app.command("resume")
def resume(
    ctx: typer.Context,
    force: bool = typer.Option(
        False,
        "--force",
        help="Take over running batches at once, without waiting for "
        "their lease to pass (when you know their process is gone).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the reports as JSON."),
):
    """Finish batches that were interrupted (a killed process) or are still queued."""
    runtime = ctx.obj
    ran = batch_service.run_pending(
        runtime.transaction,
        runtime.issuer_context,
        runtime.settings.batch_lease_seconds,
        force=force,
        pause=runtime.settings.batch_row_pause,
    )
    with runtime.transaction() as session:
        reports = [_report(session, batch_service.get_batch(session, runtime.operator, batch_id)) for batch_id in ran]
    if as_json:
        typer.echo(json.dumps(reports, ensure_ascii=False, indent=2))
        return
    if not reports:
        typer.echo(t("cli.batch_none_to_resume", runtime.lang))
    for report in reports:
        _show(report, False, runtime.lang)
