"""`volcred verify FILE [--json]`: verifies a credential JSON offline against the local registry."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from base.i18n import t
from issuers.did import slug_from_did_web
from verify.core import issuer_id
from verify.inputs import UnreadableInput, credential_from_bytes
from verify.store import verify_with_service
from verify.view import CAUTION

# Exit codes: the three verdicts people see (2 is a file that cannot be read).
VALID, NOT_VALID, NOT_CONFIRMED = 0, 1, 3


def verify_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A credential (.json) or a certificate (.pdf)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON."),
):
    """Verify a credential or certificate offline, against this service's registry (nothing is fetched).

    Exit 0: valid, issued by an organisation the registry knows. Exit 1: not valid (altered, revoked, suspended,
    expired). Exit 3: cannot be confirmed (correctly signed by an issuer the registry does not know, or a check
    could not run). Exit 2: the file cannot be read."""
    runtime = ctx.obj
    try:
        credential = credential_from_bytes(file.read_bytes())
    except (UnreadableInput, OSError) as error:  # unreadable input is the user's to fix, said plainly
        detail = error.in_language(runtime.lang) if isinstance(error, UnreadableInput) else str(error)
        typer.echo(t("cli.verify_unreadable", runtime.lang, detail=detail or type(error).__name__), err=True)
        raise typer.Exit(2) from None
    result = verify_with_service(runtime.session_factory, runtime.issuer_context, credential)
    lang = runtime.lang
    if as_json:
        typer.echo(json.dumps(result.as_vc_api(lang), ensure_ascii=False, indent=2))
    else:
        typer.echo(f"{result.verdict_text().in_language(lang)}")
        did = issuer_id(credential) if isinstance(credential, dict) else None
        if result.issuer:
            typer.echo(f"  {result.issuer['legal_name']} ({result.issuer['registration_number']})")
        elif did:
            typer.echo("  " + t("cli.verify_issuer_not_in_registry", lang, did=did))
        for check in result.checks:
            mark = {"passed": "✓", "failed": "✗", "could_not_check": "?", "warning": "!"}[check.status]
            typer.echo(f"  {mark} {check.reason.in_language(lang)}")
        base_url = runtime.issuer_context.base_url
        if result.issuer is None and did and did.startswith("did:web:") and slug_from_did_web(did, base_url) is None:
            # Issued by a service at another address -- or by this one, run under another BASE_URL (issue 21).
            typer.echo(t("cli.verify_other_service", lang, base_url=base_url, did=did))
    raise typer.Exit(VALID if result.trusted else NOT_CONFIRMED if result.verdict in CAUTION else NOT_VALID)
