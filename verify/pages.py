"""The public verification pages: `/v/{id}` (the QR code on every certificate), `/verify` (paste JSON or upload a
PDF or JSON file) and `/verify/bulk` (a CSV of links or a ZIP of files in, a CSV of verdicts out).

Latvian unless `?lang=en` (the link in the header switches): a certificate is read by whoever holds it, and the
page should not change language with the reader's browser. Plain HTML forms, no JavaScript needed.

The certificate PDF is not linked from here: `GET /credentials/{id}.pdf` is for the organisation and the volunteer
only, because the PDF is the volunteer's document to hand out. Whoever checks it already holds it (they scanned its
QR code or uploaded it); the signed JSON, which carries the same facts, and the exports are public.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from base.csrf import CSRF_PROTECTED, csrf_token
from base.errors import UserError
from base.http import LanguageDep, ReadSessionDep, read_transaction, run_cpu_bound
from base.i18n import Text, messages
from base.web import render_page, template_environment
from credentials.common import verify_page_url
from credentials.levels import service as levels
from credentials.service import credential_status_summary, issued_credential
from issuers.http import IssuerContextDep
from issuers.service import IssuerContext
from verify import bulk
from verify.core import is_stored_document, verify_credential
from verify.inputs import (
    MAX_FILE_BYTES,
    UnreadableInput,
    credential_from_bytes,
    credential_from_text,
    credential_id_in,
    link_host,
    why_unreadable,
)
from verify.store import ServicePorts, verify_in_session
from verify.view import verification_view

router = APIRouter(include_in_schema=False, dependencies=[CSRF_PROTECTED])
api_router = APIRouter()
_templates = template_environment([Path(__file__).parent / "templates"])


def _page(request: Request, template: str, lang: str, status_code: int = 200, **context) -> HTMLResponse:
    return HTMLResponse(
        render_page(_templates, template, lang=lang, url=str(request.url), csrf_token=csrf_token(request), **context),
        status_code=status_code,
    )


def _error_page(
    request: Request, lang: str, status_code: int, title_key: str, detail: str, back_href: str
) -> HTMLResponse:
    text = messages()
    return _page(
        request,
        "error.html",
        lang,
        status_code,
        title=text.get(title_key, lang),
        detail=detail,
        back_href=f"{back_href}?lang={lang}",
        back_label=text.get("verify.page.back", lang),
    )


def _stored_id(ctx: IssuerContext, session: Session, credential) -> str | None:
    """The id of `credential` in this service's store, if it claims to be one of ours and is that very document (ids
    are public: a document borrowing one must not be shown with the genuine credential's status and exports)."""
    prefix = f"{ctx.base_url}/credentials/"
    claimed = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(claimed, str) or not claimed.startswith(prefix):
        return None
    issued = issued_credential(session, claimed[len(prefix) :])
    if issued is None or not is_stored_document(credential, issued.document()):
        return None
    return issued.id


def _result_page(
    request: Request, session: Session, ctx: IssuerContext, lang: str, credential, uploaded: bool
) -> HTMLResponse:
    # Read before verifying: the verification commits (keeping a status list it signed), and a read after that would
    # start a transaction of its own, a writing one on SQLite, which waits behind any long issuing transaction.
    stored_id = _stored_id(ctx, session, credential)
    status = credential_status_summary(session, stored_id) if stored_id else None
    result = verify_in_session(session, ctx, credential)
    view = verification_view(result, lang, stored_id=stored_id, status=status)
    # A corrected credential replaces this one: the holder of the old QR code must find the new one.
    successor = status.superseded_by if status else None
    return _page(
        request,
        "verify/result.html",
        lang,
        other_lang="en" if lang == "lv" else "lv",
        resubmit=json.dumps(credential, ensure_ascii=False) if uploaded else None,
        superseded_url=verify_page_url(ctx.base_url, successor) + f"?lang={lang}" if successor else None,
        **view,
    )


@router.get("/v/{credential_id}", response_class=HTMLResponse)
async def verification_page(credential_id: str, request: Request, ctx: IssuerContextDep, lang: LanguageDep):
    return await run_cpu_bound(request, _verification_page, request, credential_id, lang, ctx)


def _verification_page(request: Request, credential_id: str, lang: str, ctx: IssuerContext) -> HTMLResponse:
    with read_transaction(request) as session:
        issued = issued_credential(session, credential_id)
        award = levels.level_award(session, credential_id) if issued is None else None
        if award is not None:  # a recognition level the platform signed: verified like any credential
            return _result_page(request, session, ctx, lang, json.loads(award.document), uploaded=False)
        if issued is None:
            return _error_page(
                request,
                lang,
                404,
                "verify.page.not_found_title",
                messages().get("verify.page.not_found", lang, id=credential_id),
                "/verify",
            )
        return _result_page(request, session, ctx, lang, issued.document(), uploaded=False)


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, lang: LanguageDep):
    return _page(request, "verify/form.html", lang, pasted="", error=None, max_mb=MAX_FILE_BYTES // 2**20)


@router.post("/verify", response_class=HTMLResponse)
def verify_upload(
    request: Request,
    session: ReadSessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    credential: str = Form(""),
    file: UploadFile | None = File(None),
):
    """A file (PDF or JSON), or pasted text: a verification link or an id of this service's (then the credential's
    own page), or a credential's JSON."""
    pasted = credential.strip()
    try:
        if file is not None and file.filename:
            parsed = _credential_from_file(file.file.read(MAX_FILE_BYTES + 1))
        elif not pasted:
            raise _Unreadable("verify.input.nothing_given")
        elif (credential_id := credential_id_in(pasted, ctx.base_url)) is not None:
            if issued_credential(session, credential_id) is None:
                raise _Unreadable("verify.input.not_found", id=credential_id)
            return RedirectResponse(f"{verify_page_url('', credential_id)}?lang={lang}", status_code=303)
        elif (host := link_host(pasted)) is not None:
            raise _Unreadable("verify.input.other_site", host=host)
        else:
            parsed = _credential_from_pasted(pasted)
    except _Unreadable as error:
        return _page(
            request,
            "verify/form.html",
            lang,
            400,
            pasted=credential,
            error=error.message.in_language(lang),
            max_mb=MAX_FILE_BYTES // 2**20,
        )
    return _result_page(request, session, ctx, lang, parsed, uploaded=True)


class _Unreadable(Exception):
    """What the person gave cannot be verified: a message that says why and what to do instead."""

    def __init__(self, key: str, bound: Text | None = None, **params):
        """`bound`: the input is beyond verify.limits' bounds, and this says which (rather than `key`)."""
        super().__init__(key)
        self.message: Text = bound or messages().text(key, **params)


def _credential_from_file(data: bytes):
    try:
        return credential_from_bytes(data)
    except UnreadableInput as error:
        # The reader's reason is technical: say what the file is and what to upload instead.
        key, params = why_unreadable(data)
        raise _Unreadable(key, error.text, **params) from None


def _credential_from_pasted(text: str):
    try:
        return credential_from_text(text)
    except UnreadableInput as error:
        looks_like_json = text.lstrip()[:1] in ("{", "[", '"')
        raise _Unreadable(
            "verify.input.broken_json" if looks_like_json else "verify.input.unrecognised", error.text
        ) from None


@router.get("/verify/bulk", response_class=HTMLResponse)
def bulk_form(request: Request, lang: LanguageDep):
    return _page(
        request,
        "verify/bulk.html",
        lang,
        limits={"entries": bulk.MAX_ENTRIES, "megabytes": bulk.MAX_UPLOAD_BYTES // 2**20},
    )


@api_router.post(
    "/verify/bulk",
    tags=["verification"],
    summary="Bulk check: a CSV of verification links or a ZIP of credential JSON files and certificate "
    "PDFs (multipart field `file`); returns a CSV with one verdict per row",
)
def bulk_check(
    request: Request,
    session: ReadSessionDep,
    ctx: IssuerContextDep,
    lang: LanguageDep,
    file: UploadFile = File(...),
    page: str = Form(""),
):
    data = file.file.read(bulk.MAX_UPLOAD_BYTES + 1)

    def lookup(credential_id: str):
        issued = issued_credential(session, credential_id)
        return None if issued is None else issued.document()

    try:
        deadline = time.monotonic() + bulk.MAX_WORK_SECONDS
        entries = bulk.entries_from_upload(data, ctx.base_url, lookup, deadline)
    except UserError as error:
        if not page:  # the API answers with problem details
            raise
        status = 413 if error.key in ("bulk.too_large", "bulk.too_large_unpacked") else 400
        return _error_page(
            request,
            lang,
            status,
            "verify.bulk.error_title",
            messages().get(error.key, lang, **error.params),
            "/verify/bulk",
        )
    ports = ServicePorts(session, ctx)
    rows = list(bulk.report_rows(entries, lambda credential: verify_credential(credential, ports), lang, deadline))
    session.commit()  # a status list signed on first use is kept
    return Response(
        bulk.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="verification-results.csv"'},
    )
