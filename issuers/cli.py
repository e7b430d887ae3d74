"""`volcred org ...` and `volcred admin ...`: the platform operator's commands.

The wiring puts a runtime on the Typer context (`ctx.obj`) with `transaction()`, `issuer_context` and `lang`,
so this package needs no knowledge of settings or engines.
"""

from __future__ import annotations

import json

import typer

from base.errors import UserError
from base.i18n import t
from issuers import service
from issuers.organisations import DID_METHODS, LEGAL_FORMS, OrganisationInput

org_app = typer.Typer(help="Organisations (issuers): register, list, rotate keys.", no_args_is_help=True)
admin_app = typer.Typer(help="Platform administrators.", no_args_is_help=True)


@org_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Option(..., "--name", help="Legal name as in the Enterprise Register."),
    reg_no: str = typer.Option(..., "--reg-no", help="Registration number: 11 digits."),
    slug: str = typer.Option(None, "--slug", help="Short name used in URLs and the DID (default: from the name)."),
    municipality: str = typer.Option("riga", help="Municipality (e.g. 'Rīga', 'Cēsu novads')."),
    legal_form: str = typer.Option("association-or-foundation", help="One of: " + ", ".join(LEGAL_FORMS)),
    signatory_name: str = typer.Option(None, help="Who signs certificates."),
    signatory_position: str = typer.Option(None, help="The signatory's position."),
    did_method: str = typer.Option(
        "web",
        "--did-method",
        help="The DID credentials are issued under: `web` (a "
        "did:web under BASE_URL, the default) or `key` (the active key's did:key).",
    ),
    as_json: bool = typer.Option(False, "--json", help='Print {"slug", "did", "token"} as JSON.'),
):
    """Register and verify an organisation in one step; creates its key, DID and an API token."""
    runtime = ctx.obj
    if did_method not in DID_METHODS:
        raise UserError("org.did_method_unknown")
    with runtime.transaction() as session:
        org = service.register_organisation(
            session,
            runtime.issuer_context,
            OrganisationInput(
                legal_name=name,
                registration_number=reg_no,
                slug=slug,
                municipality=municipality,
                legal_form=legal_form,
                signatory_name=signatory_name,
                signatory_position=signatory_position,
            ),
        )
        org.issuer_did_method = did_method  # as PATCH /organisations/{slug} switches it later
        service.verify_now(session, org)
        _, token = service.issue_organisation_token(session, org, "volcred org create")
        did = service.registry_entry(session, org, runtime.issuer_context.base_url)["issuer_did"]
        result = {"slug": org.slug, "did": did, "token": token}
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(t("cli.org_created", runtime.lang, **result))


@org_app.command("list")
def list_organisations(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")):
    """List the trust registry (verified and suspended organisations)."""
    runtime = ctx.obj
    with runtime.transaction() as session:
        entries = service.registry(session, runtime.issuer_context.base_url)
    if as_json:
        typer.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    for entry in entries:
        typer.echo(f"{entry['slug']:24} {entry['status']:10} {entry['registration_number']}  {entry['legal_name']}")


@org_app.command("rotate-key")
def rotate_key(ctx: typer.Context, slug: str = typer.Argument(..., help="The organisation's short name.")):
    """Make a new signing key active; the old one retires and keeps verifying old credentials."""
    runtime = ctx.obj
    with runtime.transaction() as session:
        key = service.rotate_key(session, runtime.operator, runtime.issuer_context, slug)
        org = service.get_organisation(session, slug)
        method = f"{service.organisation_did(org, runtime.issuer_context.base_url)}#{key.fragment}"
    typer.echo(t("cli.key_rotated", runtime.lang, method=method))


@admin_app.command("create")
def create_admin(
    ctx: typer.Context,
    email: str = typer.Option(..., help="The administrator's e-mail (login)."),
    name: str = typer.Option(..., help="The administrator's name."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 10 characters; asked for when not given.",
    ),
):
    """Create a platform administrator (verifies and suspends organisations)."""
    runtime = ctx.obj
    with runtime.transaction() as session:
        service.create_user(session, email, name, password, platform_admin=True)
    typer.echo(t("cli.admin_created", runtime.lang, email=email))


audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify_audit(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print the result as JSON.")):
    """Check the audit log's hash chain; names the first broken entry and exits 1 if there is one."""
    from issuers.store import verify_audit_log

    runtime = ctx.obj
    with runtime.transaction() as session:
        result = verify_audit_log(session)
    broken = result.broken
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "entries": result.entries,
                    "broken_entry": broken.seq if broken else None,
                    "reason": broken.reason if broken else None,
                }
            )
        )
    elif broken is None:
        typer.echo(t("cli.audit_intact", runtime.lang, entries=result.entries))
    else:
        typer.echo(
            t(
                "cli.audit_broken",
                runtime.lang,
                seq=broken.seq if broken.seq is not None else "-",
                reason=t(f"cli.audit_reason.{broken.reason}", runtime.lang),
                entries=result.entries,
            ),
            err=True,
        )
    if broken is not None:
        raise typer.Exit(1)
