"""The platform's own signing identity: what signs documents the service itself vouches for (the CLR bundles),
as opposed to the organisations' credentials. Pure: identifiers, DID document, profile, registry entry.

The platform is `did:web:<host>[:<path>]` of the service's public URL, served at `/.well-known/did.json` (and at
`/did.json`, where did:web looks when the public URL has a path). Its Ed25519 key is kept like the organisations'
keys: the private half encrypted at rest with the settings' key-encryption key (`issuers.platform_keys`).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from issuers.did import PublicKeyEntry, did_document

PLATFORM_KIND = "platform"


def platform_did(base_url: str) -> str:
    parts = urlsplit(base_url.rstrip("/"))
    path = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
    return ":".join(["did", "web", quote(parts.netloc, safe=""), *path])


def platform_host(base_url: str) -> str:
    return urlsplit(base_url).netloc


def platform_did_document(base_url: str, keys: list[PublicKeyEntry]) -> dict:
    return did_document(platform_did(base_url), keys)


def platform_name(base_url: str) -> str:
    # Language-neutral on purpose: it is a name in signed documents and in the registry's answer.
    return f"volunteer-credentials ({platform_host(base_url)})"


def platform_profile(base_url: str) -> dict:
    """The CLR issuer: an OB/CLR `Profile`."""
    return {"id": platform_did(base_url), "type": ["Profile"], "name": platform_name(base_url), "url": base_url}


def platform_registry_entry(base_url: str) -> dict:
    """What the verifier learns about the platform as an issuer: not an organisation of the registry, so no
    registration number; `kind` tells the verdict to say so."""
    did = platform_did(base_url)
    return {
        "did": did,
        "issuer_did": did,
        "dids": [did],
        "kind": PLATFORM_KIND,
        "legal_name": platform_name(base_url),
        "registration_number": "",
        "status": "verified",
        "website": base_url,
    }
