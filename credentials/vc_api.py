"""The VC-API issue endpoint's use case: an organisation signs a credential body of its own, checked against our
rules first."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from base.errors import UserError
from credentials import store
from credentials.common import credential_url
from credentials.proofs import vcdm
from credentials.proofs.dataintegrity import format_created
from credentials.service import (
    Issued,
    allocate_status_entries,
    credential_to_store,
    new_credential_id,
    sign_document,
)
from issuers import service as issuers
from issuers.auth import Principal
from issuers.service import IssuerContext
from issuers.store import OrganisationRow, append_audit


def issue_document(
    session: Session, principal: Principal, ctx: IssuerContext, org: OrganisationRow, credential: dict
) -> Issued:
    """Signs a VC 2.0 credential an organisation sends (VC-API `/credentials/issue`): its issuer must be the
    organisation's own DID; the service adds an id, validFrom and the two status entries when absent.

    Nothing VC Data Model 2.0 forbids is signed (credentials/proofs/vcdm.py), nor anything strict JSON-LD expansion
    refuses. Ids: without one the credential gets `{base_url}/credentials/{id}`, the URL it is stored under; a
    client's own id must be a URL outside the service's URL space (`urn:uuid:…`, its own https URL), so that no
    credential can claim another's place here (the verification pages link exports by that URL)."""
    principal.require("credentials.issue", org.id)
    issuer = _issuer_of(credential)
    identity = issuers.signing_identity(session, ctx, org)
    # Only a URL other than the organisation's own signing DID (the usual issuer) is looked up: no NUL or other
    # control character reaches the database (the rest is refused below), and the usual request makes no lookup.
    if issuer != identity.issuer_did and vcdm.is_url(issuer):
        claimed = issuers.registry_lookup(session, ctx.base_url, issuer)
        if claimed is not None and claimed["slug"] != org.slug:
            raise UserError("auth.forbidden", kind="forbidden")  # another organisation's DID: never sign for it
    credential_id = new_credential_id()
    document = dict(credential)
    document.setdefault("id", credential_url(ctx.base_url, credential_id))
    now = format_created(datetime.now(UTC))
    document.setdefault("validFrom", now)
    errors = _check_issue_body(credential, document, identity.issuer_did, ctx.base_url)
    if errors:
        raise UserError("credential.issue_invalid", errors=errors)
    # The status entries go in before the one strict expansion, done by signing itself: a document refused there
    # rolls the request's transaction back, allocation included, so nothing is expanded twice.
    allocation = allocate_status_entries(session, ctx, org)[0]
    document["credentialStatus"] = allocation.entries
    signed = _sign_client_document(document, identity, now)
    stored, row = credential_to_store(credential_id, org, identity, signed, allocation, origin="vc-api")
    store.insert_credentials(session, [row])
    append_audit(
        session,
        "credential.issue",
        organisation_id=org.id,
        subject_id=credential_id,
        principal=principal,
        details={"origin": "vc-api", "key": identity.key_row_id},
    )
    return Issued(stored, signed)


def _issuer_of(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    value = issuer.get("id") if isinstance(issuer, dict) else issuer
    return value if isinstance(value, str) else None


def _check_issue_body(credential: dict, document: dict, issuer_did: str, base_url: str) -> list[dict]:
    """The service's own conditions on what the client sent, then the VC DM 2.0 rules over the document as it
    will be signed (with the id and validFrom the service adds)."""
    from base.i18n import messages

    def error(field: str, key: str, **params) -> dict:
        return {"field": field, "message": messages().text(key, **params)}

    errors = []
    if "proof" in credential:
        errors.append(error("proof", "credential.already_signed"))
    if "credentialStatus" in credential:
        errors.append(error("credentialStatus", "credential.status_added_by_service"))
    if isinstance(credential.get("id"), str) and vcdm.in_url_space(credential["id"], base_url):
        errors.append(error("id", "credential.id_in_service_space", base_url=base_url))
    unsigned = {key: value for key, value in document.items() if key not in ("proof", "credentialStatus")}
    violations = vcdm.credential_violations(unsigned)
    errors.extend(error(v.field, v.key, **v.params) for v in violations)
    if not any(v.field.startswith("issuer") for v in violations) and _issuer_of(credential) != issuer_did:
        errors.append(error("issuer", "credential.issuer_not_yours", did=issuer_did))
    return errors


# JSON-LD 1.1 API error codes -> the field a client should look at


_JSON_LD_ERROR_FIELDS = {
    "invalid @id value": "id",
    "invalid type value": "type",
    "invalid typed value": "type",
    "colliding keywords": "id",
    **{
        code: "@context"
        for code in (
            "invalid local context",
            "invalid remote context",
            "invalid context entry",
            "invalid context nullification",
            "protected term redefinition",
            "keyword redefinition",
            "invalid term definition",
            "invalid IRI mapping",
            "invalid vocab mapping",
            "invalid base IRI",
            "invalid default language",
            "invalid version value",
            "invalid container mapping",
            "invalid type mapping",
            "invalid reverse property",
            "invalid scoped context",
            "cyclic IRI mapping",
            "invalid keyword alias",
            "invalid language mapping",
            "invalid @propagate value",
            "invalid @protected value",
            "invalid @import value",
            "invalid base direction",
            "processing mode conflict",
            "loading remote context failed",
            "invalid @nest value",
            "invalid @prefix value",
        )
    },
}


def _sign_client_document(document: dict, identity, created: str) -> dict:
    """`sign_document` for a document a client sent: what the JSON-LD processor refuses while signing expands it
    (malformed or unknown contexts, protected terms redefined, ids that are not IRIs) is the client's error."""
    from pyld.jsonld import JsonLdError

    from base.i18n import messages

    try:
        return sign_document(document, identity, created)
    except JsonLdError as error:
        while isinstance(error.__cause__, JsonLdError):  # the innermost error names the problem
            error = error.__cause__
        code = error.code or error.type
        detail = error.args[0] if error.args else code
        field = _JSON_LD_ERROR_FIELDS.get(code)
        errors = (
            [
                {
                    "field": field,
                    "code": code,
                    "message": messages().text("credential.jsonld_invalid", code=code, detail=detail),
                }
            ]
            if field
            else []
        )
        raise UserError("credential.jsonld_invalid", errors=errors, code=code, detail=detail) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError):
        # PyLD fails with these on some malformed input (e.g. {"@vocab": null} in a context): the input's fault
        raise UserError("credential.jsonld_unreadable") from None
