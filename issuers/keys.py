"""Signing keys: Ed25519, private halves encrypted at rest with AES-GCM under the settings' key-encryption key."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from issuers.multikey import encode_ed25519_public

KEY_STATUSES = ("active", "retired", "compromised")
NONCE_BYTES = 12


class KeyDecryptionError(Exception):
    """The stored private key cannot be opened with this key-encryption key (wrong key or tampered data)."""


@dataclass(frozen=True)
class NewKey:
    private_key: Ed25519PrivateKey
    public_multikey: str


def generate_key() -> NewKey:
    private = Ed25519PrivateKey.generate()
    return NewKey(private, encode_ed25519_public(private.public_key()))


def encrypt_private_key(private: Ed25519PrivateKey, kek: bytes, key_id: str) -> bytes:
    """nonce || AES-GCM(raw 32-byte seed); the key id is bound as associated data so rows cannot be swapped."""
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(kek).encrypt(nonce, raw, key_id.encode())


# Kept by what was decrypted, never by organisation: a rotated key is another row with another blob, and a retired
# or compromised one is no longer what the active-key query returns, so a kept key signs only while its row is the
# active one. Every issuance opens the same key (some 50 µs each time); failures raise and are not kept.
@lru_cache(maxsize=256)
def decrypt_private_key(blob: bytes, kek: bytes, key_id: str) -> Ed25519PrivateKey:
    try:
        raw = AESGCM(kek).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], key_id.encode())
    except InvalidTag:
        raise KeyDecryptionError("the private key cannot be decrypted with the configured key-encryption key") from None
    return Ed25519PrivateKey.from_private_bytes(raw)
