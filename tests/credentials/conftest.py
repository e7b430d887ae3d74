"""Shared helpers for the cryptographic core tests: the reference vectors and the offline loaders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credentials.proofs.jsonld import DocumentLoader, default_loader
from issuers.multikey import decode_secret_multikey
from tests.conftest import REFERENCE

VECTORS = REFERENCE / "vectors"
HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
CITIZENSHIP_V4RC1 = "https://w3id.org/citizenship/v4rc1"


def vector_text(path: str) -> str:
    return (VECTORS / path).read_text(encoding="utf-8")


def vector(path: str) -> dict:
    return json.loads(vector_text(path))


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def secret_key(key_pair: dict):
    return decode_secret_multikey(key_pair.get("secretKeyMultibase") or key_pair["privateKeyMultibase"])


@pytest.fixture
def loader() -> DocumentLoader:
    return default_loader()


@pytest.fixture(scope="session")
def citizenship_loader() -> DocumentLoader:
    """The W3C employ/ vectors use a context the service does not ship: only this loader serves it."""
    context = json.loads((HERE / "contexts" / "citizenship-v4rc1.jsonld").read_text(encoding="utf-8"))
    return DocumentLoader(documents={CITIZENSHIP_V4RC1: context})


OB_ISSUER = "https://example.edu/issuers/565049"


@pytest.fixture(scope="session")
def ob_loader() -> DocumentLoader:
    """Serves the controller document of the 1EdTech OB 3.0 vector's (https) issuer."""
    expected = vector("ob3-eddsa-rdfc-2022/obv3p0/expected.json")
    method = expected["verificationMethod"]
    controller = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": OB_ISSUER,
        "verificationMethod": [
            {
                "id": method,
                "type": "Multikey",
                "controller": OB_ISSUER,
                "publicKeyMultibase": expected["publicKeyMultibase"],
            }
        ],
        "assertionMethod": [method],
    }
    return DocumentLoader(documents={OB_ISSUER: controller})


@pytest.fixture
def stranger(app, make_org):
    """A client signed in as the owner of another organisation (other-org)."""
    from fastapi.testclient import TestClient

    from tests.pages import sign_in

    make_org("other-org")
    with TestClient(app) as other:
        assert sign_in(other, "admin@other-org.example.lv", "admin-password-1").status_code == 303
        yield other
