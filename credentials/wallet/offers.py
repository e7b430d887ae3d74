"""OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow, `ldp_vc`: the issuer's metadata, the
credential offer and the checks of what a wallet sends. Free of HTTP and SQL: the adapters pass bytes and headers in
and turn `OAuthError` into the error response the specifications name.

The service is its own authorization server (no `authorization_servers` in its metadata): the token endpoint takes
only the pre-authorized code grant, without a transaction code (the offer is shown on the volunteer's own private
page, where a code shown next to it would protect nothing). Our credentials are not bound to a holder's key, so the
configuration names no proof types and a credential request must carry no `proof` or `proofs` (OID4VCI 1.0 §8.2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from base.i18n import LANGUAGES, messages
from credentials.document import CREDENTIAL_CONTEXTS

CONFIGURATION_ID = "VolunteerOpenBadgeCredential_ldp_vc"
CREDENTIAL_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]
CRYPTOSUITES = ["eddsa-rdfc-2022"]  # what the service signs with (credentials.service)
PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_SCHEME = "openid-credential-offer://"
ISSUER_METADATA_PATH = "/.well-known/openid-credential-issuer"
AUTHORIZATION_SERVER_METADATA_PATH = "/.well-known/oauth-authorization-server"
TOKEN_PATH = "/oid4vci/token"
CREDENTIAL_PATH = "/oid4vci/credential"

CODE_PREFIX = "vco_"
ACCESS_TOKEN_PREFIX = "vcw_"
CODE_LIFETIME = timedelta(minutes=10)
ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)
MAX_SECRET_LENGTH = 100  # our codes and tokens are 47 characters
MAX_TOKEN_REQUEST_BYTES = 4 * 1024
MAX_TOKEN_REQUEST_FIELDS = 20
MAX_CREDENTIAL_REQUEST_BYTES = 16 * 1024
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class OAuthError(Exception):
    """An error answered as OAuth 2.0 / OID4VCI say: `{"error": code, "error_description": text}` with `status`
    (400, or 401 with a `WWW-Authenticate: Bearer` challenge for the credential endpoint's token)."""

    def __init__(self, error: str, description: str, status: int = 400, *, credentials_sent: bool = True):
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status
        self.credentials_sent = credentials_sent  # RFC 6750 §3.1: no error code in the challenge when none was sent

    def challenge(self) -> str:
        return f'Bearer error="{self.error}"' if self.credentials_sent else "Bearer"

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


# --- metadata ------------------------------------------------------------------------------------------------------


def _display(key: str) -> list[dict[str, str]]:
    return [{"name": messages().get(key, lang), "locale": lang} for lang in LANGUAGES]


def issuer_metadata(base_url: str) -> dict:
    """`GET /.well-known/openid-credential-issuer` (OID4VCI 1.0 §12.2). The credential's display sits both where 1.0
    puts it (`credential_metadata.display`) and where draft 15 wallets look for it (`display`)."""
    credential_display = _display("wallet.credential_name")
    return {
        "credential_issuer": base_url,
        "credential_endpoint": base_url + CREDENTIAL_PATH,
        "display": _display("wallet.issuer_name"),
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                "format": "ldp_vc",
                "credential_signing_alg_values_supported": CRYPTOSUITES,
                "credential_definition": {"@context": list(CREDENTIAL_CONTEXTS), "type": list(CREDENTIAL_TYPES)},
                "credential_metadata": {"display": credential_display},
                "display": credential_display,
            }
        },
    }


def authorization_server_metadata(base_url: str) -> dict:
    """`GET /.well-known/oauth-authorization-server` (RFC 8414): the issuer is its own authorization server and
    takes only the pre-authorized code grant, without client authentication (OID4VCI 1.0 §12.3)."""
    return {
        "issuer": base_url,
        "token_endpoint": base_url + TOKEN_PATH,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


# --- the offer -----------------------------------------------------------------------------------------------------


def credential_offer(base_url: str, code: str) -> dict:
    """The credential offer object (OID4VCI 1.0 §4.1.1) for one credential, by value."""
    return {
        "credential_issuer": base_url,
        "credential_configuration_ids": [CONFIGURATION_ID],
        "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": code}},
    }


def offer_link(offer: Mapping) -> str:
    """The deep link (and QR content) a wallet opens: `openid-credential-offer://?credential_offer=…`."""
    return OFFER_SCHEME + "?" + urlencode({"credential_offer": json.dumps(offer, separators=(",", ":"))})


def fits_configuration(document: Mapping) -> bool:
    """Whether a signed credential is what the configuration describes: its `@context` and `type` as announced."""
    types = document.get("type")
    return (
        document.get("@context") == list(CREDENTIAL_CONTEXTS) and isinstance(types, list) and types == CREDENTIAL_TYPES
    )


# --- what a wallet sends -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenRequest:
    pre_authorized_code: str


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_token_request(body: bytes, content_type: str | None) -> TokenRequest:
    """The token request (RFC 6749 §4.1.3 form encoding; OID4VCI 1.0 §6.1): the pre-authorized code grant, each
    parameter once; parameters we do not know (`client_id`, …) are ignored as RFC 6749 §3.2 says."""
    if _media_type(content_type) != FORM:
        raise OAuthError("invalid_request", f"The token request must be sent as {FORM}.")
    if len(body) > MAX_TOKEN_REQUEST_BYTES:
        raise OAuthError("invalid_request", f"The token request is larger than {MAX_TOKEN_REQUEST_BYTES} bytes.")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=MAX_TOKEN_REQUEST_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "The token request is not a well-formed form.") from None
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise OAuthError("invalid_request", f"Parameters sent more than once: {', '.join(repeated)}.")
    form = dict(pairs)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is missing.")
    if grant_type != PRE_AUTHORIZED_GRANT:
        raise OAuthError("unsupported_grant_type", f"Only the grant {PRE_AUTHORIZED_GRANT} is supported.")
    code = form.get("pre-authorized_code")
    if not code:
        raise OAuthError("invalid_request", "pre-authorized_code is missing.")
    if form.get("tx_code") or form.get("user_pin"):
        raise OAuthError("invalid_request", "This offer has no transaction code: send none.")
    if len(code) > MAX_SECRET_LENGTH or not code.startswith(CODE_PREFIX):
        raise OAuthError("invalid_grant", "The pre-authorized code is not valid.")
    return TokenRequest(code)


def bearer_token(authorization: str | None) -> str:
    """The access token of an `Authorization: Bearer …` header (RFC 6750 §2.1)."""
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise OAuthError(
            "invalid_token", "An access token is required (Authorization: Bearer).", 401, credentials_sent=False
        )
    if len(token) > MAX_SECRET_LENGTH or not token.startswith(ACCESS_TOKEN_PREFIX):
        raise OAuthError("invalid_token", "The access token is not valid.", 401)
    return token


def check_credential_request(body: bytes, content_type: str | None) -> None:
    """The credential request (OID4VCI 1.0 §8.2) for our one configuration: `credential_configuration_id`, no
    `credential_identifier` (the token response names none), no key proof (the credential is not bound to a key)
    and no response encryption (none is offered)."""
    if _media_type(content_type) != JSON:
        raise OAuthError("invalid_credential_request", f"The credential request must be sent as {JSON}.")
    if len(body) > MAX_CREDENTIAL_REQUEST_BYTES:
        raise OAuthError(
            "invalid_credential_request", f"The credential request is larger than {MAX_CREDENTIAL_REQUEST_BYTES} bytes."
        )
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_credential_request", "The credential request is not JSON.") from None
    if not isinstance(request, dict):
        raise OAuthError("invalid_credential_request", "The credential request must be a JSON object.")
    if "proof" in request or "proofs" in request:
        raise OAuthError(
            "invalid_credential_request",
            "This credential is not bound to a key: the configuration names no proof types, so send no proof.",
        )
    if "credential_response_encryption" in request:
        raise OAuthError("invalid_encryption_parameters", "This issuer does not encrypt credential responses.")
    if "credential_identifier" in request:
        raise OAuthError("unknown_credential_identifier", "This issuer names no credential identifiers.")
    configuration = request.get("credential_configuration_id")
    if configuration is None:
        raise OAuthError("invalid_credential_request", "credential_configuration_id is missing.")
    if configuration != CONFIGURATION_ID:
        raise OAuthError(
            "unknown_credential_configuration", f"The only credential configuration is {CONFIGURATION_ID}."
        )
