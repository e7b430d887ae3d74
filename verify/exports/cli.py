"""`volcred export FORMAT CREDENTIAL_FILE_OR_ID [--out FILE]`: a credential of this service as EDC, CLR or CSV."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from base.errors import UserError
from credentials.service import volunteer_reference
from verify.exports import edc, service, table


def _stored(session, ctx, reference: str) -> service.StoredCredential:
    """A credential file (JSON, or a certificate PDF with the credential inside) or a credential id or URL."""
    path = Path(reference)
    if path.is_file():
        from verify.inputs import credential_from_bytes

        return service.stored_credential_for_document(session, ctx, credential_from_bytes(path.read_bytes()))
    return service.stored_credential(session, reference.rsplit("/", 1)[-1])


def export_command(
    ctx: typer.Context,
    export_format: str = typer.Argument(..., metavar="FORMAT", help="edc, clr or csv."),
    credential: str = typer.Argument(
        ..., metavar="CREDENTIAL_FILE_OR_ID", help="A credential file issued by this service, or a credential id."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of standard output."),
    uploadable: bool = typer.Option(
        False, "--uploadable", help="edc: wrap as the Europass EDC issuer's upload takes it."
    ),
    sep: str = typer.Option("comma", "--sep", help="csv: comma, or semicolon (Latvian spreadsheets)."),
):
    """Export a credential: Europass EDC (edc), the volunteer's whole record as CLR 2.0 (clr), or a CSV row (csv)."""
    runtime = ctx.obj
    if export_format not in service.FORMATS:
        raise UserError("export.format_unknown", format=export_format, allowed=", ".join(service.FORMATS))
    context = runtime.issuer_context
    with runtime.transaction() as session:
        stored = _stored(session, context, credential)
        if export_format == "edc":
            document = service.edc_document(session, context, stored)
            body = json.dumps(edc.uploadable(document) if uploadable else document, ensure_ascii=False, indent=2)
            data = body.encode("utf-8") + b"\n"
        elif export_format == "csv":
            data = table.to_csv([service.csv_row(session, context, stored)], separator=service.check_separator(sep))
        else:  # the console operator may bundle any volunteer's record
            if stored.credential.volunteer_id is None:
                raise UserError("export.not_volunteer_credential", detail="credentialSubject")
            volunteer = volunteer_reference(session, stored.credential.volunteer_id)
            document = service.clr_for_volunteer(session, context, volunteer, runtime.lang)
            data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)
