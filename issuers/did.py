"""did:web identifiers for organisations and their DID documents, built from our own registry (never fetched)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


def did_web_for(base_url: str, slug: str) -> str:
    """`did:web:<host>[%3A<port>][:<path>...]:issuers:<slug>` for the service at `base_url` (did:web spec §3.2)."""
    parts = urlsplit(base_url.rstrip("/"))
    host = quote(parts.netloc, safe="")  # the port's colon becomes %3A
    path = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
    return ":".join(["did", "web", host, *path, "issuers", slug])


def did_web_document_url(did: str) -> str:
    """The HTTPS URL a did:web resolves to (for display; the service never fetches it)."""
    if not did.startswith("did:web:"):
        raise ValueError("not a did:web identifier")
    segments = [unquote(s) for s in did[len("did:web:") :].split("#", 1)[0].split(":")]
    host, path = segments[0], segments[1:]
    scheme = "http" if host.split(":")[0] in ("127.0.0.1", "localhost") else "https"
    return f"{scheme}://{host}/" + ("/".join(path) + "/did.json" if path else ".well-known/did.json")


def slug_from_did_web(did: str, base_url: str) -> str | None:
    """The organisation slug when `did` is one of this service's did:web identifiers, else None."""
    prefix = did_web_for(base_url, "")
    bare = did.split("#", 1)[0]
    if not bare.startswith(prefix):
        return None
    slug = bare[len(prefix) :]
    return slug if slug and ":" not in slug else None


@dataclass(frozen=True)
class PublicKeyEntry:
    fragment: str
    public_multikey: str
    status: str  # active, retired or compromised


def did_document(did: str, keys: list[PublicKeyEntry]) -> dict:
    """The DID document: every key stays listed; only active and retired keys may assert (sign credentials)."""
    methods, assertion, authentication = [], [], []
    for key in keys:
        method_id = f"{did}#{key.fragment}"
        methods.append(
            {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": key.public_multikey}
        )
        if key.status in ("active", "retired"):
            assertion.append(method_id)
        if key.status == "active":
            authentication.append(method_id)
    return {
        "@context": list(DID_CONTEXTS),
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": assertion,
        "authentication": authentication,
    }
