"""Multikey encodings of public and secret keys, and `did:key` identifiers built from them.

A Multikey value is multibase base58btc (`z` prefix) over a multicodec varint header followed by the raw key
bytes (W3C Controlled Identifiers 1.0, section 2.2.2; did:key method v0.9):

| key | multicodec | varint bytes | body | looks like |
|---|---|---|---|---|
| Ed25519 public | 0xed | `ed 01` | 32 bytes | `z6Mk...` |
| Ed25519 secret | 0x1300 | `80 26` | 32-byte seed | `z3u2...` |
| P-256 public | 0x1200 | `80 24` | 33-byte compressed point | `zDn...` |
| P-256 secret | 0x1306 | `86 26` | 32-byte big-endian scalar | `z42t...` |

The did:key of a public key is `did:key:` + its public Multikey; its document holds one `Multikey` verification
method `did:key:<mk>#<mk>` usable for assertions and authentication (and capability invocation / delegation).
"""

from __future__ import annotations

import re
from functools import lru_cache

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey
SecretKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey

ED25519_PUBLIC_HEADER = b"\xed\x01"
ED25519_SECRET_HEADER = b"\x80\x26"
P256_PUBLIC_HEADER = b"\x80\x24"
P256_SECRET_HEADER = b"\x86\x26"

DID_KEY_PREFIX = "did:key:"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DID_KEY_RELATIONSHIPS = ("authentication", "assertionMethod", "capabilityInvocation", "capabilityDelegation")

_RAW = serialization.Encoding.Raw
_BASE58BTC = re.compile(r"[1-9A-HJ-NP-Za-km-z]+")  # the Bitcoin alphabet: no 0, O, I or l
_RAW_PUBLIC = serialization.PublicFormat.Raw


# -- multibase base58btc -----------------------------------------------------------------------------------------


def multibase_encode(data: bytes) -> str:
    """Multibase base58btc: `z` followed by the Bitcoin-alphabet base58 of `data`."""
    return "z" + base58.b58encode(data).decode("ascii")


def multibase_decode(value: str) -> bytes:
    """Inverse of `multibase_encode`; only base58btc (`z`) is accepted, and only its one spelling of the bytes: the
    base58 library would strip surrounding whitespace, so a value with a trailing space would decode (and verify)
    like the value without it."""
    if not isinstance(value, str) or not value:
        raise ValueError("multibase value must be a non-empty string")
    if value[0] != "z":
        raise ValueError(f"multibase value must be base58btc (start with 'z'), got prefix {value[0]!r}")
    if not _BASE58BTC.fullmatch(value[1:]):
        raise ValueError(
            "multibase value is not valid base58btc: only the characters of the Bitcoin base58 "
            "alphabet may follow the 'z' (no spaces or other characters)"
        )
    return base58.b58decode(value[1:])


def _split(value: str, what: str, headers: dict[bytes, tuple[str, int]]) -> tuple[str, bytes]:
    """Decodes a Multikey and returns (key kind, body), checking header and body length."""
    data = multibase_decode(value)
    for header, (kind, length) in headers.items():
        if data.startswith(header):
            body = data[len(header) :]
            if len(body) != length:
                raise ValueError(f"{kind} {what} Multikey must hold {length} key bytes, got {len(body)}")
            return kind, body
    raise ValueError(
        f"unsupported {what} Multikey header 0x{data[:2].hex()} (expected one of "
        + ", ".join("0x" + h.hex() for h in headers)
        + ")"
    )


_PUBLIC_HEADERS = {ED25519_PUBLIC_HEADER: ("Ed25519", 32), P256_PUBLIC_HEADER: ("P-256", 33)}
_SECRET_HEADERS = {ED25519_SECRET_HEADER: ("Ed25519", 32), P256_SECRET_HEADER: ("P-256", 32)}


def _require_p256(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> None:
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError(f"only P-256 elliptic curve keys are supported, got {key.curve.name}")


# -- public keys -----------------------------------------------------------------------------------------------------


def encode_ed25519_public(key: Ed25519PublicKey) -> str:
    """Ed25519 public key -> `z6Mk...`."""
    return multibase_encode(ED25519_PUBLIC_HEADER + key.public_bytes(_RAW, _RAW_PUBLIC))


def encode_p256_public(key: ec.EllipticCurvePublicKey) -> str:
    """P-256 public key -> `zDn...` (compressed point, as the Multikey spec requires)."""
    _require_p256(key)
    point = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return multibase_encode(P256_PUBLIC_HEADER + point)


def encode_public_multikey(key: PublicKey) -> str:
    """Any supported public key -> its Multikey."""
    if isinstance(key, Ed25519PublicKey):
        return encode_ed25519_public(key)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return encode_p256_public(key)
    raise TypeError(f"unsupported public key type {type(key).__name__}")


@lru_cache(maxsize=1024)
def decode_public_multikey(value: str) -> PublicKey:
    """`z6Mk...` -> Ed25519PublicKey, `zDn...` -> EllipticCurvePublicKey (P-256). Cached: verifiers meet the same
    few keys again and again, and key objects are immutable."""
    kind, body = _split(value, "public", _PUBLIC_HEADERS)
    if kind == "Ed25519":
        return Ed25519PublicKey.from_public_bytes(body)
    if body[0] not in (2, 3):
        raise ValueError("P-256 public Multikey must hold a compressed point (first byte 0x02 or 0x03)")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), body)
    except ValueError:
        raise ValueError("P-256 public Multikey does not hold a point on the curve") from None


# -- secret keys -----------------------------------------------------------------------------------------------------


def encode_ed25519_secret(key: Ed25519PrivateKey) -> str:
    """Ed25519 private key -> `z3u2...` (the 32-byte seed)."""
    seed = key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return multibase_encode(ED25519_SECRET_HEADER + seed)


def encode_p256_secret(key: ec.EllipticCurvePrivateKey) -> str:
    """P-256 private key -> `z42t...` (the 32-byte scalar)."""
    _require_p256(key)
    return multibase_encode(P256_SECRET_HEADER + key.private_numbers().private_value.to_bytes(32, "big"))


def encode_secret_multikey(key: SecretKey) -> str:
    """Any supported private key -> its secret Multikey."""
    if isinstance(key, Ed25519PrivateKey):
        return encode_ed25519_secret(key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return encode_p256_secret(key)
    raise TypeError(f"unsupported private key type {type(key).__name__}")


def decode_secret_multikey(value: str) -> SecretKey:
    """`z3u2...` -> Ed25519PrivateKey, `z42t...` -> EllipticCurvePrivateKey (P-256)."""
    kind, body = _split(value, "secret", _SECRET_HEADERS)
    if kind == "Ed25519":
        return Ed25519PrivateKey.from_private_bytes(body)
    try:
        return ec.derive_private_key(int.from_bytes(body, "big"), ec.SECP256R1())
    except ValueError:
        raise ValueError("P-256 secret Multikey holds a scalar outside the curve order") from None


# -- did:key ---------------------------------------------------------------------------------------------------------


def did_key_for(public: PublicKey | str) -> str:
    """The did:key of a public key (or of its public Multikey, which is checked first)."""
    if isinstance(public, str):
        decode_public_multikey(public)
        return DID_KEY_PREFIX + public
    return DID_KEY_PREFIX + encode_public_multikey(public)


def did_key_multikey(did: str) -> str:
    """The public Multikey inside a did:key (a DID URL's fragment or path is ignored); validated."""
    if not isinstance(did, str) or not did.startswith(DID_KEY_PREFIX):
        raise ValueError(f"not a did:key identifier: {did!r}")
    multikey = did[len(DID_KEY_PREFIX) :].split("#", 1)[0].split("/", 1)[0].split("?", 1)[0]
    decode_public_multikey(multikey)
    return multikey


def did_key_verification_method_id(did: str) -> str:
    """`did:key:<mk>` -> `did:key:<mk>#<mk>`."""
    multikey = did_key_multikey(did)
    return f"{DID_KEY_PREFIX}{multikey}#{multikey}"


def did_key_document(did: str) -> dict:
    """The DID document of a did:key: one Multikey verification method in every verification relationship."""
    multikey = did_key_multikey(did)
    controller = DID_KEY_PREFIX + multikey
    method_id = f"{controller}#{multikey}"
    document: dict = {
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT],
        "id": controller,
        "verificationMethod": [
            {
                "id": method_id,
                "type": "Multikey",
                "controller": controller,
                "publicKeyMultibase": multikey,
            }
        ],
    }
    for relationship in DID_KEY_RELATIONSHIPS:
        document[relationship] = [method_id]
    return document
