"""Bitstring Status List v1.0: the bitstring, its encoding, and the status list credential. Pure functions."""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MIN_LIST_SIZE = 131_072  # bits; the spec's minimum, so that one credential hides among many (herd privacy)
PURPOSES = ("revocation", "suspension")


class StatusListError(ValueError):
    pass


def empty_bits(size: int = MIN_LIST_SIZE) -> bytearray:
    if size % 8:
        raise StatusListError("a status list's size must be a multiple of 8")
    return bytearray(size // 8)


def get_bit(bits: bytes, index: int) -> bool:
    # Index 0 is the left-most (most significant) bit of the first byte (spec §3.2 / §4.1).
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bit(bits: bytearray, index: int, value: bool) -> None:
    if not 0 <= index < len(bits) * 8:
        raise StatusListError(f"index {index} is outside the list")
    mask = 0x80 >> (index % 8)
    if value:
        bits[index // 8] |= mask
    else:
        bits[index // 8] &= ~mask & 0xFF


def encode_list(bits: bytes) -> str:
    """GZIP, then multibase base64url without padding (prefix `u`)."""
    compressed = gzip.compress(bytes(bits), compresslevel=9, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_list(encoded: str) -> bytes:
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise StatusListError("encodedList must be multibase base64url (starting with 'u')")
    body = encoded[1:]
    try:
        data = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except Exception as error:
        raise StatusListError(f"encodedList cannot be decoded: {error}") from None
    return data


ORDER_KEY_BYTES = 16
_ORDER_ROUNDS = 8


def new_order_key() -> bytes:
    """A list's secret order: which index its n-th credential gets (`shuffled_index`)."""
    return secrets.token_bytes(ORDER_KEY_BYTES)


def shuffled_index(order_key: bytes, position: int, size: int) -> int:
    """The index given to a list's `position`-th credential (0 <= position < size): a keyed pseudo-random
    permutation of 0..size-1, so indices never repeat, and without the key an index says nothing about when its
    credential was issued or which credentials were issued together (herd privacy, as the spec asks of random
    indices). Each allocation then only counts on (`allocated_count`) instead of rewriting a bitmap of taken places.

    A balanced Feistel network keyed with BLAKE2b over the smallest even number of bits that holds `size`, walked
    in cycles until the value falls inside the list (Black and Rogaway, "Ciphers with Arbitrary Finite Domains").
    """
    if not 0 <= position < size:
        raise StatusListError(f"position {position} is outside a list of {size}")
    half = max(1, ((size - 1).bit_length() + 1) // 2)
    mask = (1 << half) - 1
    value = position
    while True:
        left, right = value >> half, value & mask
        for round_number in range(_ORDER_ROUNDS):
            digest = hashlib.blake2b(
                right.to_bytes(4, "big") + bytes((round_number,)), key=order_key, digest_size=4
            ).digest()
            left, right = right, left ^ (int.from_bytes(digest, "big") & mask)
        value = (left << half) | right
        if value < size:  # the network's range is under four times the list's: a walk or two on average
            return value


@dataclass(frozen=True)
class StatusEntry:
    purpose: str
    index: int
    list_url: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": f"{self.list_url}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_url,
        }


def status_list_credential(list_url: str, issuer: str, purpose: str, bits: bytes, valid_from: str) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential for `bits`."""
    if purpose not in PURPOSES:
        raise StatusListError(f"unknown status purpose {purpose!r}")
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_list(bits),
        },
    }


def signed_by_untrusted_key(signed_list: dict[str, Any], key_status: Callable[[str], str | None]) -> bool:
    """Whether a signed list carries a proof by a key that is unknown (`key_status` gives None) or was reported
    compromised: no verifier can trust that signature, so the list must be signed again, though its bits did not
    change."""
    proofs = signed_list.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        method = proof.get("verificationMethod") if isinstance(proof, dict) else None
        status = key_status(method) if isinstance(method, str) else None
        if status is None or status == "compromised":
            return True
    return False
