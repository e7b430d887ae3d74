"""RDFC-1.0 canonical N-Quads: the published vectors, escaping, symmetric graphs and the shape cache."""

from __future__ import annotations

import copy
import random
import string
import time

import pytest
from pyld import jsonld as pyld

from credentials.proofs import shapes
from credentials.proofs.jsonld import UndefinedTermError, to_dataset
from credentials.proofs.nquads import dataset_quads, escape_iri, escape_literal
from credentials.proofs.rdfc import CanonicalizationError, canonicalize, canonicalize_quads
from tests.credentials.conftest import fixture, vector, vector_text


def _proof_config(config_path: str, context) -> dict:
    config = {key: value for key, value in vector(config_path).items() if key != "proofValue"}
    return {**config, "@context": context}


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("eddsa-rdfc-2022/unsigned.json", "eddsa-rdfc-2022/canonDocDataInt.txt"),
        ("ecdsa-rdfc-2019/unsigned.json", "ecdsa-rdfc-2019/canonDocECDSAP256.txt"),
    ],
)
def test_w3c_document_vectors(loader, document, expected):
    assert canonicalize(vector(document), loader=loader) == vector_text(expected)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("eddsa-rdfc-2022/proofConfigDataInt.json", "eddsa-rdfc-2022/proofCanonDataInt.txt"),
        ("ecdsa-rdfc-2019/proofConfigECDSAP256.json", "ecdsa-rdfc-2019/proofCanonECDSAP256.txt"),
    ],
)
def test_w3c_proof_config_vectors(loader, config, expected):
    context = vector("eddsa-rdfc-2022/unsigned.json")["@context"]
    assert canonicalize(_proof_config(config, context), loader=loader) == vector_text(expected)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("eddsa-rdfc-2022/employmentAuth.json", "eddsa-rdfc-2022/employ/canonDocDataInt.txt"),
        ("eddsa-rdfc-2022/employ/proofConfigDataInt.json", "eddsa-rdfc-2022/employ/proofCanonDataInt.txt"),
        ("ecdsa-rdfc-2019/employmentAuth.json", "ecdsa-rdfc-2019/employ/canonDocECDSAP256.txt"),
        ("ecdsa-rdfc-2019/employ/proofConfigECDSAP256.json", "ecdsa-rdfc-2019/employ/proofCanonECDSAP256.txt"),
    ],
)
def test_w3c_employment_vectors(citizenship_loader, document, expected):
    assert canonicalize(vector(document), loader=citizenship_loader) == vector_text(expected)


def test_open_badges_vectors(loader):
    signed = vector("ob3-eddsa-rdfc-2022/obv3p0/signed.json")
    document = {key: value for key, value in signed.items() if key != "proof"}
    assert canonicalize(document, loader=loader) == vector_text("ob3-eddsa-rdfc-2022/obv3p0/document-canon.txt")
    config = {**{k: v for k, v in signed["proof"].items() if k != "proofValue"}, "@context": document["@context"]}
    assert canonicalize(config, loader=loader) == vector_text("ob3-eddsa-rdfc-2022/obv3p0/proof-canon.txt")


def test_clr_vectors(loader):
    document = fixture("clr-v2p0-unsigned.json")
    assert canonicalize(document, loader=loader) == vector_text("ob3-eddsa-rdfc-2022/clrv2p0/document-canon.txt")
    nested_proof = document["credentialSubject"]["verifiableCredential"][0]["proof"]
    config = {key: value for key, value in nested_proof.items() if key != "proofValue"}
    config["@context"] = document["@context"]
    assert canonicalize(config, loader=loader) == vector_text("ob3-eddsa-rdfc-2022/clrv2p0/proof-canon.txt")


def test_literal_escaping_is_canonical_n_quads():
    every_control = "".join(map(chr, range(0x20))) + "\x7f"
    assert escape_literal(every_control + '"\\ é 😀 \u2028') == (
        "\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000B\\f\\r\\u000E\\u000F"
        "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001A\\u001B\\u001C\\u001D"
        '\\u001E\\u001F\\u007F\\"\\\\ é 😀 \u2028'
    )
    assert escape_literal("plain text, ąčēģīķļņšūž") == "plain text, ąčēģīķļņšūž"


def test_iri_escaping_is_canonical_n_quads():
    assert escape_iri("urn:x:a{b}|c^d`e\\f") == "urn:x:a\\u007Bb\\u007D\\u007Cc\\u005Ed\\u0060e\\u005Cf"
    assert escape_iri("https://example.org/ā?q=1#f") == "https://example.org/ā?q=1#f"


def test_narrative_with_control_characters_canonicalizes_escaped(loader):
    document = fixture("volunteer-ob3.json")
    document["credentialSubject"]["achievement"]["criteria"]["narrative"] = "Talka\fnākamā\x1blapa\x08."
    line = next(line for line in canonicalize(document, loader=loader).splitlines() if "Talka" in line)
    assert '"Talka\\fnākamā\\u001Blapa\\b."' in line
    # PyLD's own serializer writes these characters raw: the reason canonicalization is done here
    raw = pyld.normalize(
        document, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader, "base": None}
    )
    assert "Talka\fnākamā\x1blapa\x08." in raw


def _nquads(quads) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o, _ in quads)


P = "<http://example.org/p>"


@pytest.mark.parametrize("size", [2, 3, 5])
def test_symmetric_blank_nodes_match_pyld_with_enough_work_allowed(size):
    cycle = [(f"_:n{i}", P, f"_:n{(i + 1) % size}", "") for i in range(size)]
    reference = pyld.normalize(
        _nquads(cycle),
        {"algorithm": "URDNA2015", "inputFormat": "application/n-quads", "format": "application/n-quads"},
    )
    assert canonicalize_quads(cycle, max_work_factor=3) == reference


def test_symmetric_graphs_beyond_the_work_limit_are_refused_like_rdf_canonize():
    cycle = [("_:n0", P, "_:n1", ""), ("_:n1", P, "_:n0", "")]
    with pytest.raises(CanonicalizationError, match="too symmetric"):
        canonicalize_quads(cycle)
    clique = [(f"_:n{i}", P, f"_:n{j}", "") for i in range(6) for j in range(6) if i != j]
    with pytest.raises(CanonicalizationError):
        canonicalize_quads(clique, max_work_factor=2)


def test_blank_node_labels_do_not_matter():
    # expected outputs in this and the next test are what rdf-canonize 5 prints for the same N-Quads
    quads = [("_:x", P, '"1"', ""), ("_:y", P, '"2"', ""), ("_:x", "<http://example.org/q>", "_:y", "_:g")]
    relabelled = [
        tuple(
            t.replace("_:x", "_:k").replace("_:y", "_:x").replace("_:k", "_:y") if t.startswith("_:") else t
            for t in quad
        )
        for quad in quads
    ]
    assert canonicalize_quads(quads) == canonicalize_quads(relabelled)
    assert canonicalize_quads(quads) == (
        '_:c14n0 <http://example.org/p> "2" .\n_:c14n1 <http://example.org/p> "1" .\n'
        "_:c14n1 <http://example.org/q> _:c14n0 _:c14n2 .\n"
    )


def test_a_quad_naming_one_blank_node_twice_counts_once():
    quads = [("_:a", P, "_:a", ""), ("_:b", P, '"x"', "")]
    assert canonicalize_quads(quads) == (
        '_:c14n0 <http://example.org/p> "x" .\n_:c14n1 <http://example.org/p> _:c14n1 .\n'
    )


# -- the shape cache -------------------------------------------------------------------------------------------------


def _vary(document: dict, rng: random.Random) -> dict:
    """The same shape with different strings (ids, names, hashes, dates)."""
    varied = copy.deepcopy(document)

    def text() -> str:
        return "".join(rng.choice(string.ascii_letters + ' āčē"\\\n\x0c') for _ in range(rng.randint(8, 30)))

    varied["id"] = f"urn:uuid:{rng.getrandbits(128):032x}"
    varied["name"] = text()
    subject = varied["credentialSubject"]
    subject["identifier"][0]["identityHash"] = "sha256$" + f"{rng.getrandbits(256):064x}"
    subject["activityEndDate"] = f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
    achievement = subject["achievement"]
    achievement["id"] = f"urn:uuid:{rng.getrandbits(128):032x}"
    achievement["criteria"]["narrative"] = text()
    for alignment in achievement["alignment"]:
        alignment["targetName"] = text()
    achievement["alignment"][1]["targetUrl"] = achievement["alignment"][0]["targetUrl"]  # equal values
    subject["result"][0]["value"] = str(rng.randint(1, 400))
    return varied


def test_shape_cache_gives_the_slow_path_result_for_many_documents(loader, monkeypatch):
    rng = random.Random(20261122)
    base = fixture("volunteer-ob3.json")
    base["credentialSubject"]["achievement"]["tag"] = ["unique to this test"]  # a shape no other test has met
    conversions = []
    monkeypatch.setattr(
        shapes, "to_dataset", lambda document, loader: conversions.append(1) or to_dataset(document, loader=loader)
    )
    for round_ in range(12):
        document = _vary(base, rng)
        fast = canonicalize_quads(shapes.quads(document, loader=loader))
        slow = canonicalize_quads(dataset_quads(to_dataset(document, loader=loader)))
        assert fast == slow
        if round_ == 1:
            assert len(conversions) >= 3  # first meeting: converted; second: converted, template built
            conversions.clear()
    assert conversions == []  # every later document filled the template in


def test_shape_cache_keeps_values_that_steer_processing(loader):
    # a proofPurpose is @vocab-coerced: "authentication" and "assertionMethod" expand to different IRIs
    config = _proof_config(
        "eddsa-rdfc-2022/proofConfigDataInt.json", vector("eddsa-rdfc-2022/unsigned.json")["@context"]
    )
    first = canonicalize(config, loader=loader)
    other = canonicalize({**config, "proofPurpose": "authentication"}, loader=loader)
    assert "security#assertionMethod" in first and "security#authenticationMethod" in other
    again = canonicalize(config, loader=loader)
    assert again == first


def test_shape_cache_still_refuses_what_the_slow_path_refuses(loader):
    document = fixture("volunteer-ob3.json")
    canonicalize(document, loader=loader)
    document["credentialSubject"]["achievement"]["type"] = ["Achievement", "VolunteerAchievement"]
    with pytest.raises(UndefinedTermError, match="VolunteerAchievement"):
        canonicalize(document, loader=loader)


def test_too_many_permutations_are_refused_quickly_even_when_calls_are_allowed():
    # A clique of 10 blank nodes: 9! orders of the related nodes in the first call alone. Within a generous call
    # cap it would still take minutes; the permutation cap ends it at once.
    clique = [(f"_:n{i}", P, f"_:n{j}", "") for i in range(10) for j in range(10) if i != j]
    started = time.monotonic()
    with pytest.raises(CanonicalizationError, match="permutations"):
        canonicalize_quads(clique, max_work_factor=6)
    assert time.monotonic() - started < 5
