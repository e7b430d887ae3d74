"""Bitstring Status List encoding against the W3C REC example and the bit order the JS libraries use."""

from __future__ import annotations

import json

import pytest

from credentials.proofs.statuslist import (
    MIN_LIST_SIZE,
    StatusListError,
    decode_list,
    empty_bits,
    encode_list,
    get_bit,
    new_order_key,
    set_bit,
    shuffled_index,
    status_list_credential,
)
from tests.conftest import REFERENCE

VECTORS = REFERENCE / "vectors" / "bitstring-status-list"


def test_rec_example_decodes_to_131072_clear_bits():
    example = json.loads((VECTORS / "rec-example3-status-list-credential.json").read_text())
    expected = json.loads((VECTORS / "expected.json").read_text())["rec-example3-status-list-credential.json"]
    bits = decode_list(example["credentialSubject"]["encodedList"])
    assert len(bits) == expected["decoded_bytes"] and len(bits) * 8 == expected["decoded_bits"]
    assert not any(bits)


def test_bit_order_matches_the_reference_libraries():
    expected = json.loads((VECTORS / "expected.json").read_text())["derived_bit_order_example"]
    bits = empty_bits()
    for index in expected["set_indices"]:
        set_bit(bits, index, True)
    assert bits[0] == int(expected["byte0_hex"], 16) and bits[1] == int(expected["byte1_hex"], 16)
    assert bits[-1] == int(expected["last_byte_hex"], 16)
    # GZIP output differs between compressors: compare what the published list decodes to.
    assert decode_list(expected["encodedList"]) == bytes(bits)
    assert decode_list(encode_list(bits)) == bytes(bits)
    assert [i for i in range(len(bits) * 8) if get_bit(bits, i)] == expected["set_indices"]


def test_clearing_a_bit_and_bounds():
    bits = empty_bits(16)
    set_bit(bits, 3, True)
    set_bit(bits, 3, False)
    assert not any(bits)
    with pytest.raises(StatusListError):
        set_bit(bits, 16, True)
    with pytest.raises(StatusListError):
        decode_list("zNotBase64url")


def test_a_lists_order_gives_every_index_once_and_differs_by_key():
    for size in (8, 1_000, 4_096):
        key = bytes(range(16))
        order = [shuffled_index(key, position, size) for position in range(size)]
        assert sorted(order) == list(range(size))  # every place, none twice
    first, second = bytes(range(16)), bytes(range(1, 17))
    ahead = [shuffled_index(first, position, MIN_LIST_SIZE) for position in range(100)]
    assert ahead != [shuffled_index(second, position, MIN_LIST_SIZE) for position in range(100)]
    assert ahead == [shuffled_index(first, position, MIN_LIST_SIZE) for position in range(100)]  # kept by its key
    with pytest.raises(StatusListError):
        shuffled_index(first, MIN_LIST_SIZE, MIN_LIST_SIZE)


def test_a_lists_order_says_nothing_about_when_a_credential_was_issued():
    """Consecutive credentials land all over the list: in each eighth of it about as many of the first 4,000, and
    neighbours in time are not neighbours in the list."""
    key = bytes(range(16))  # fixed, so the figures below are the same on every run
    indices = [shuffled_index(key, position, MIN_LIST_SIZE) for position in range(4_000)]
    eighths = [0] * 8
    for index in indices:
        eighths[index * 8 // MIN_LIST_SIZE] += 1
    assert all(400 < count < 600 for count in eighths), eighths
    assert sum(abs(a - b) < 1_000 for a, b in zip(indices, indices[1:])) < 100
    assert indices != sorted(indices)
    assert len(new_order_key()) == 16 and new_order_key() != new_order_key()  # each list its own secret order


def test_status_list_credential_shape():
    credential = status_list_credential(
        "https://x.example/status/a/revocation/1",
        "did:web:x.example:issuers:a",
        "revocation",
        bytes(empty_bits()),
        "2026-01-01T00:00:00Z",
    )
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["credentialSubject"]["id"] == "https://x.example/status/a/revocation/1#list"
    assert credential["credentialSubject"]["encodedList"].startswith("u")
