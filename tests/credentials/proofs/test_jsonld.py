"""The offline document loader and strict expansion."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil

import pytest

from credentials.proofs import jsonld
from credentials.proofs.jsonld import (
    DocumentLoader,
    DocumentLoaderError,
    StrictExpansionError,
    UndefinedTermError,
    UnportableNumberError,
    register_context,
    to_dataset,
)
from tests.credentials.conftest import fixture, vector

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _credential(**extra) -> dict:
    return {
        "@context": [VC_V2],
        "id": "urn:uuid:1f7c1c2e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject"},
        **extra,
    }


def test_index_lists_every_bundled_file_with_its_hash():
    index = json.loads((jsonld.CONTEXTS_DIR / "index.json").read_text())
    files = {path.name for path in jsonld.CONTEXTS_DIR.iterdir() if path.suffix in (".json", ".jsonld")}
    assert files - {"index.json"} == {entry["file"] for entry in index.values()}
    for entry in index.values():
        assert hashlib.sha256((jsonld.CONTEXTS_DIR / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
        assert entry["source"]
    assert jsonld.context_urls() >= set(index)


def test_ob_context_is_the_variant_the_javascript_ecosystem_ships():
    ob = jsonld.bundled_context(OB_303)["@context"]
    assert "endorsementJwt" not in json.dumps(ob)  # the 1EdTech validator's copy adds it
    # the 3.0.0 URL names a different document: no alias is served
    with pytest.raises(DocumentLoaderError):
        jsonld.bundled_context("https://purl.imsglobal.org/spec/ob/v3p0/context.json")


def test_a_tampered_bundled_context_is_refused(tmp_path, monkeypatch):
    copy_dir = tmp_path / "contexts"
    shutil.copytree(jsonld.CONTEXTS_DIR, copy_dir)
    target = copy_dir / "credentials-v2.jsonld"
    target.write_text(target.read_text().replace("https://schema.org/name", "https://schema.org/nome"))
    monkeypatch.setattr(jsonld, "CONTEXTS_DIR", copy_dir)
    with pytest.raises(DocumentLoaderError, match="credentials-v2.jsonld .* index.json records"):
        jsonld._load_bundled()


def test_loader_answers_with_one_parsed_object_tagged_for_pyld_cache(loader):
    first, second = loader(VC_V2), loader(VC_V2)
    assert first is not second and first["document"] is second["document"]
    assert first["tag"] == "static" and first["documentUrl"] == VC_V2


def test_contexts_are_loaded_once_then_served_from_pyld_cache(loader):
    class Counting(DocumentLoader):
        calls: list[str] = []

        def __call__(self, url, options=None):
            self.calls.append(url)
            return super().__call__(url, options)

    counting = Counting()
    to_dataset(fixture("volunteer-ob3.json"), loader=counting)
    to_dataset(fixture("volunteer-ob3.json"), loader=counting)
    assert counting.calls.count(OB_303) <= 1  # zero when an earlier test already cached it


def test_unknown_context_is_refused_without_fetching(loader):
    document = _credential()
    document["@context"] = [VC_V2, "https://example.org/contexts/not-bundled/v1"]
    with pytest.raises(DocumentLoaderError, match="https://example.org/contexts/not-bundled/v1 .* never fetches"):
        to_dataset(document, loader=loader)


def test_vc_v2_context_has_no_vocab_so_undefined_terms_exist():
    context = jsonld.bundled_context(VC_V2)["@context"]
    assert "@vocab" not in context
    assert "@vocab" in jsonld.bundled_context("https://www.w3.org/ns/credentials/undefined-terms/v2")["@context"]


def test_undefined_property_is_refused_by_name(loader):
    with pytest.raises(UndefinedTermError, match="undefined term 'foo'"):
        to_dataset(_credential(foo="bar"), loader=loader)
    nested = _credential()
    nested["credentialSubject"]["hoursVolunteered"] = "42"
    with pytest.raises(UndefinedTermError, match="hoursVolunteered"):
        to_dataset(nested, loader=loader)


def test_undefined_property_inside_an_ob_credential_is_refused(loader):
    document = fixture("volunteer-ob3.json")
    document["credentialSubject"]["achievement"]["alignment"][0]["targetWeight"] = "high"
    with pytest.raises(UndefinedTermError, match="targetWeight"):
        to_dataset(document, loader=loader)


def test_undefined_type_and_relative_id_are_refused(loader):
    with pytest.raises(UndefinedTermError, match="undefined type 'VolunteerCredential'"):
        to_dataset(_credential(type=["VerifiableCredential", "VolunteerCredential"]), loader=loader)
    with pytest.raises(UndefinedTermError, match="relative identifier 'credential-1'"):
        to_dataset(_credential(id="credential-1"), loader=loader)


def test_term_defined_as_null_is_refused(loader):
    document = _credential()
    document["@context"] = [VC_V2, {"nickname": None}]
    document["credentialSubject"]["nickname"] = "Anna"
    with pytest.raises(UndefinedTermError, match="defined as null"):
        to_dataset(document, loader=loader)


def test_undefined_terms_context_makes_the_same_property_acceptable(loader):
    document = _credential(foo="bar")
    document["@context"] = [VC_V2, "https://www.w3.org/ns/credentials/undefined-terms/v2"]
    triples = to_dataset(document, loader=loader)["@default"]
    assert any(t["predicate"]["value"] == "https://www.w3.org/ns/credentials/undefined-term#foo" for t in triples)


def test_register_context_serves_the_service_vocabulary(loader):
    url = "https://volunteer-credentials.example/contexts/test-register/v1"
    register_context(url, {"@context": {"volunteerHours": "https://volunteer-credentials.example/vocab#hours"}})
    register_context(url, {"@context": {"volunteerHours": "https://volunteer-credentials.example/vocab#hours"}})
    document = _credential()
    document["@context"] = [VC_V2, url]
    document["credentialSubject"]["volunteerHours"] = "42"
    triples = to_dataset(document, loader=loader)["@default"]
    assert any(t["object"]["value"] == "42" for t in triples)
    with pytest.raises(ValueError, match="different context is already registered"):
        register_context(url, {"@context": {"volunteerHours": "https://elsewhere.example/hours"}})
    with pytest.raises(ValueError, match="different context is already registered"):
        register_context(VC_V2, {"@context": {}})
    with pytest.raises(ValueError, match="must be absolute"):
        register_context("contexts/v1", {"@context": {}})


def test_registered_context_is_a_private_copy():
    url = "https://volunteer-credentials.example/contexts/test-copy/v1"
    original = {"@context": {"role": "https://schema.org/roleName"}}
    register_context(url, original)
    original["@context"]["role"] = "https://elsewhere.example/role"
    assert jsonld.bundled_context(url)["@context"]["role"] == "https://schema.org/roleName"


def test_did_key_urls_resolve_to_the_document_and_the_method(loader):
    method_id = vector("eddsa-rdfc-2022/proofConfigDataInt.json")["verificationMethod"]
    did = method_id.split("#")[0]
    assert loader.load(did)["id"] == did
    method = loader.load(method_id)
    assert method["id"] == method_id and method["type"] == "Multikey" and method["controller"] == did
    assert method["@context"] == ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]


def test_injected_did_resolver_and_its_errors():
    document = {
        "id": "did:web:org.example",
        "verificationMethod": [
            {"id": "#key-1", "type": "Multikey", "controller": "did:web:org.example", "publicKeyMultibase": "z6Mk"}
        ],
    }
    resolving = DocumentLoader(did_resolver=lambda did: copy.deepcopy(document))
    assert resolving.load("did:web:org.example#key-1")["id"] == "did:web:org.example#key-1"
    with pytest.raises(DocumentLoaderError, match="has no verification method did:web:org.example#key-2"):
        resolving.load("did:web:org.example#key-2")
    with pytest.raises(DocumentLoaderError, match="whose id is not did:web:other.example"):
        resolving.load("did:web:other.example")
    with pytest.raises(DocumentLoaderError, match="only did:key"):
        DocumentLoader().load("did:web:org.example")
    with pytest.raises(DocumentLoaderError, match="resolves no DIDs"):
        DocumentLoader(did_resolver=None).load("did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")


def test_documents_given_to_one_loader_stay_with_it(citizenship_loader, loader):
    document = vector("eddsa-rdfc-2022/employmentAuth.json")
    assert to_dataset(document, loader=citizenship_loader)
    assert citizenship_loader("https://w3id.org/citizenship/v4rc1")["tag"] is None
    with pytest.raises(DocumentLoaderError, match="citizenship/v4rc1"):
        to_dataset(document, loader=loader)  # not left behind in PyLD's process-wide cache


@pytest.mark.parametrize("number", [1e-7, 5e-324, 2**53 + 1, -(10**20)])
def test_numbers_javascript_would_write_differently_are_refused(loader, number):
    document = fixture("volunteer-ob3.json")
    document["credentialSubject"]["achievement"]["creditsAvailable"] = number
    with pytest.raises(UnportableNumberError):
        to_dataset(document, loader=loader)


@pytest.mark.parametrize("number", [42, 0, 1.5, 1.5e-7, 0.1, 100.0, 2**53, 1e21, True])
def test_numbers_both_languages_write_alike_are_accepted(loader, number):
    document = fixture("volunteer-ob3.json")
    document["credentialSubject"]["achievement"]["creditsAvailable"] = number
    assert to_dataset(document, loader=loader)


def test_malformed_language_tag_is_refused_as_jsonld_js_does(loader):
    with pytest.raises(StrictExpansionError, match="invalid language tag 'not a tag!'"):
        to_dataset(_credential(name={"@value": "Talka", "@language": "not a tag!"}), loader=loader)
    assert to_dataset(_credential(name={"@value": "Talka", "@language": "lv-LV"}), loader=loader)
