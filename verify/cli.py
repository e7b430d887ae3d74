"""`volcred verify FILE [--json]`: verifies a credential JSON offline against the local registry."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from catalogue.i18n import t
from verify.inputs import UnreadableInput, credential_from_bytes
from verify.ports import verify_with_service


def verify_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A credential (.json) or a certificate (.pdf)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
):
    """Verify a credential or certificate offline; exit 0 only if it verifies."""
    runtime = ctx.obj
    try:
        credential = credential_from_bytes(file.read_bytes())
    except (UnreadableInput, OSError) as error:  # unreadable input is the user's to fix, said plainly
        detail = error.in_language(runtime.lang) if isinstance(error, UnreadableInput) else str(error)
        typer.echo(t("cli.verify_unreadable", runtime.lang, detail=detail or type(error).__name__), err=True)
        raise typer.Exit(2)
    result = verify_with_service(runtime.session_factory, runtime.issuer_context, credential)
    if as_json:
        typer.echo(json.dumps(result.as_vc_api(runtime.lang), ensure_ascii=False, indent=2))
    else:
        typer.echo(f"{result.verdict_text().in_language(runtime.lang)}")
        if result.issuer:
            typer.echo(f"  {result.issuer['legal_name']} ({result.issuer['registration_number']})")
        for check in result.checks:
            mark = {"passed": "✓", "failed": "✗", "could_not_check": "?", "warning": "!"}[check.status]
            typer.echo(f"  {mark} {check.reason.in_language(runtime.lang)}")
    raise typer.Exit(0 if result.verified else 1)
