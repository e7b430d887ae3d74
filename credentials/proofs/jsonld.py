"""Offline JSON-LD: the document loader and strict (safe-mode) conversion of a document to an RDF dataset.

The loader serves three kinds of URL and nothing else (never the network):
- the contexts bundled in `credentials/proofs/contexts/` (`index.json` maps URL -> file + SHA-256, checked at first load);
- contexts the service registers itself with `register_context(url, document)`;
- DID URLs, through the DID resolver the loader was built with (did:key by default). A DID URL with a fragment
  yields the verification method it names, framed with the DID document's `@context`, the way jsonld-signatures
  expects a loader to answer `documentLoader(verificationMethodId)`.

Documents handed to one `DocumentLoader(documents=...)` (a controller document, a test-only context) are served by
that loader alone.

Caching. PyLD keeps a process-wide cache of resolved contexts keyed by URL, used only when the loader tags its answer
`static`; each resolved context also caches its processed form per active context. Shared contexts are tagged
`static` and always handed out as the same parsed dict, so each is read, hashed and processed once per process.
Because that cache is process-wide, the context registry is process-wide too: one URL, one document, for good.
PyLD misses its cache for type-scoped contexts (each typed node re-processes them); documents of a shape met before
do not reach PyLD at all (credentials/shapes.py), which is where the speed of signing and verifying comes from.
Only PyLD's public interface is used (its processor, options, loader and dropped-property hook).

Strict expansion. jsonld.js (which the JavaScript Data Integrity libraries call with `safe: true`) refuses a
document when expansion would silently lose data; PyLD has no safe mode. `to_dataset` gets the same effect in two
steps: (1) PyLD's `on_property_dropped` hook fires for every key that does not expand to an absolute IRI or keyword
(an undefined term such as `"foo"`, or a term defined as null) and raises `UndefinedTermError` naming it; (2) the
expanded document is walked, and any `@id`, `@type` or datatype that is still a relative IRI (an undefined type
name such as `"Foo"`, or a relative id, both of which PyLD's toRdf would silently drop) raises as well, as do a
malformed language tag and a number jsonld.js would write differently (`UnportableNumberError`). All are
`StrictExpansionError`s. Checked against jsonld.js safe mode on undefined terms and types, relative and
whitespace-containing IRIs, keyword-like terms, value objects, @set/@list/@graph/@included/@reverse and language
tags: the two refuse the same documents.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pyld import jsonld as pyld
from pyld.identifier_issuer import IdentifierIssuer

from issuers.multikey import did_key_document

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

DidResolver = Callable[[str], dict[str, Any]]
"""Given a DID (no fragment), returns its DID document or raises."""


class DocumentLoaderError(LookupError):
    """A URL the offline loader does not serve, or a bundled context that does not match its recorded hash."""


class StrictExpansionError(ValueError):
    """Expansion would lose or alter data silently, or differently from jsonld.js (strict expansion)."""


class UndefinedTermError(StrictExpansionError):
    """A document uses a term, type or identifier that its contexts do not define."""


class UnportableNumberError(StrictExpansionError):
    """A JSON number whose RDF form jsonld.js writes differently from PyLD (see `_check_number`)."""


# -- bundled and registered contexts ---------------------------------------------------------------------------------

_contexts: dict[str, dict[str, Any]] | None = None


def _load_bundled() -> dict[str, dict[str, Any]]:
    """Reads every bundled context once, checking its SHA-256 against index.json."""
    index = json.loads((CONTEXTS_DIR / "index.json").read_text(encoding="utf-8"))
    contexts = {}
    for url, entry in index.items():
        raw = (CONTEXTS_DIR / entry["file"]).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise DocumentLoaderError(
                f"bundled context {entry['file']} for {url} has SHA-256 {digest}, index.json records {entry['sha256']}"
            )
        contexts[url] = json.loads(raw)
    return contexts


def _registry() -> dict[str, dict[str, Any]]:
    global _contexts
    if _contexts is None:
        _contexts = _load_bundled()
    return _contexts


def bundled_context(url: str) -> dict[str, Any]:
    """The parsed context document served for `url` (shared: do not mutate)."""
    try:
        return _registry()[url]
    except KeyError:
        raise DocumentLoaderError(f"no bundled or registered JSON-LD context for {url}") from None


def context_urls() -> frozenset[str]:
    """Every context URL the loader serves."""
    return frozenset(_registry())


_term_names: frozenset[str] | None = None


def shared_term_names() -> frozenset[str]:
    """Every name any shared context defines (at any depth; a superset is fine for its one use)."""
    global _term_names
    if _term_names is None:
        names: set[str] = set()

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                names.update(key for key in value if not key.startswith("@"))
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(list(_registry().values()))
        _term_names = frozenset(names)
    return _term_names


def register_context(url: str, document: Mapping[str, Any]) -> None:
    """Adds a context the service publishes itself (e.g. its own small vocabulary), for every loader.

    Registering the same document again is a no-op; a different document under a URL already served is refused,
    because processed contexts are cached per URL for the life of the process.
    """
    if not isinstance(document, Mapping) or "@context" not in document:
        raise ValueError(f"context document for {url} must be a JSON object with an '@context' member")
    if not url.startswith(("https://", "http://", "urn:")):
        raise ValueError(f"context URL must be absolute (https:, http: or urn:), got {url!r}")
    copy: dict[str, Any] = json.loads(json.dumps(document))  # private: callers cannot change it afterwards
    registry = _registry()
    existing = registry.get(url)
    if existing is not None and existing != copy:
        raise ValueError(f"a different context is already registered for {url}")
    registry[url] = copy
    global _term_names
    _term_names = None


# -- DIDs ------------------------------------------------------------------------------------------------------------


def resolve_did_key(did: str) -> dict[str, Any]:
    """The default DID resolver: did:key only (generated locally, no lookup)."""
    if not did.startswith("did:key:"):
        raise DocumentLoaderError(f"no DID resolver for {did} (only did:key is resolved by default)")
    return did_key_document(did)


def _fragment_node(document: dict[str, Any], url: str) -> dict[str, Any]:
    """The node of a (DID or controller) document whose id is `url` or its `#fragment`, with the document's
    @context, as jsonld-signatures loaders answer for a verification method id."""
    relative = "#" + url.split("#", 1)[1]
    candidates: list[Any] = list(document.get("verificationMethod") or [])
    for relationship in (
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
        "keyAgreement",
    ):
        candidates.extend(m for m in document.get(relationship) or [] if isinstance(m, dict))
    for node in candidates:
        if node.get("id") in (url, relative):
            return {"@context": document.get("@context"), **node, "id": url}
    raise DocumentLoaderError(f"document {url.split('#', 1)[0]} has no verification method {url}")


# -- the loader ------------------------------------------------------------------------------------------------------


class DocumentLoader:
    """A PyLD document loader (`loader(url, options) -> RemoteDocument`) that never touches the network.

    `did_resolver` turns a DID into its DID document (default: did:key only). `documents` adds documents by exact
    URL for this loader alone, e.g. a controller document at an https URL in tests or for a trusted issuer.
    """

    def __init__(
        self,
        *,
        did_resolver: DidResolver | None = resolve_did_key,
        documents: Mapping[str, dict[str, Any]] | None = None,
    ):
        self.did_resolver = did_resolver
        self.documents = dict(documents or {})

    def load(self, url: str) -> dict[str, Any]:
        """The parsed document for `url`: a context, a document given to this loader, a DID document, or (for a URL
        with a fragment) the verification method it names inside its document."""
        if url in self.documents:
            return self.documents[url]
        registry = _registry()
        if url in registry:
            return registry[url]
        base = url.split("#", 1)[0]
        if base in self.documents:
            document = self.documents[base]
        elif base.startswith("did:"):
            if self.did_resolver is None:
                raise DocumentLoaderError(f"this loader resolves no DIDs, asked for {url}")
            document = self.did_resolver(base)
            if not isinstance(document, dict) or document.get("id") != base:
                raise DocumentLoaderError(f"DID resolver returned a document whose id is not {base}")
        else:
            raise DocumentLoaderError(
                f"{url} is not a bundled or registered context, and the loader never fetches URLs"
            )
        return _fragment_node(document, url) if base != url else document

    def __call__(self, url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        # A fresh wrapper per call (PyLD may set documentUrl on it) around the same document object. Only shared
        # contexts are tagged `static`, the tag that lets PyLD cache them process-wide; documents given to one
        # loader stay with that loader.
        document = self.load(url)
        tag = "static" if url not in self.documents and url in _registry() else None
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": document,
            "tag": tag,
            "contentType": "application/ld+json",
        }


_default_loader: DocumentLoader | None = None


def default_loader() -> DocumentLoader:
    """A shared loader with the bundled and registered contexts and did:key."""
    global _default_loader
    if _default_loader is None:
        _default_loader = DocumentLoader()
    return _default_loader


# -- strict conversion to RDF ----------------------------------------------------------------------------------------

# What JSON-LD processors take for an absolute IRI: a scheme (or "_" for a blank node), a colon, no whitespace.
# The very pattern of PyLD and jsonld.js (whose `+-.` is a range: it takes in the comma too), written here because
# neither exports it.
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")


def is_absolute_iri(value: object) -> bool:
    """Whether JSON-LD processing treats `value` as an absolute IRI (kept as is by expansion and toRdf)."""
    return isinstance(value, str) and _ABSOLUTE_IRI.match(value) is not None


def _is_reference(value: object) -> bool:
    return isinstance(value, str) and (value.startswith("_:") or is_absolute_iri(value))


def _refuse_dropped(expanded_property: str | None) -> None:
    if expanded_property is None:
        raise UndefinedTermError("a property whose term is defined as null would be dropped from the document")
    raise UndefinedTermError(f"undefined term {expanded_property!r}: no context in the document defines it")


_JS_SAFE_INTEGER = 2**53
_LANGUAGE_TAG = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")  # the well-formedness jsonld.js checks


def _check_number(value: object) -> None:
    """Refuses numbers that would sign differently in JavaScript, so a credential never depends on them.

    jsonld.js reads every number as an IEEE double and treats it as an integer when `String(value)` has no "." and
    is below 1e21: so 1e-7 (String "1e-7") becomes "0"^^xsd:integer, where PyLD writes "1.0E-7"^^xsd:double; and
    an integer beyond 2^53 loses digits in JavaScript but not in Python. Credentials keep numbers small integers
    or strings.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if isinstance(value, int):
        if _JS_SAFE_INTEGER < abs(value) < 1e21:
            raise UnportableNumberError(f"integer {value} is beyond 2^53: JavaScript would change it")
    elif value != 0 and abs(value) < 1e-6 and not float(value).is_integer() and "." not in repr(value):
        raise UnportableNumberError(f"number {value!r} would be written as 0 by jsonld.js: use a string")


def _check_expanded(element: Any) -> None:
    """Raises on what toRdf would silently drop (relative @id, @type or datatype IRIs) or write differently from
    jsonld.js (some numbers)."""
    if isinstance(element, list):
        for item in element:
            _check_expanded(item)
        return
    if not isinstance(element, dict):
        return
    is_value = "@value" in element
    for key, value in element.items():
        if key == "@id":
            if not _is_reference(value):
                raise UndefinedTermError(f"relative identifier {value!r}: ids must be absolute IRIs")
        elif key == "@type":
            for item in value if isinstance(value, list) else [value]:
                if is_value and item == "@json":
                    continue
                if not (is_absolute_iri(item) if is_value else _is_reference(item)):
                    raise UndefinedTermError(f"undefined type {item!r}: no context in the document defines it")
        elif key == "@value":
            _check_number(value)
        elif key == "@language":
            if not _LANGUAGE_TAG.match(value):  # jsonld.js safe mode refuses these too
                raise StrictExpansionError(f"invalid language tag {value!r}")
        elif not is_value and isinstance(value, (list, dict)):
            _check_expanded(value)


class _StrictProcessor(pyld.JsonLdProcessor):
    """PyLD's processor through its public interface: its dropped-property hook, and `expand` checked after."""

    def __init__(self) -> None:
        super().__init__(on_property_dropped=_refuse_dropped)

    def expand(self, input_: Any, options: dict[str, Any]) -> list[Any]:
        expanded = super().expand(input_, options)
        _check_expanded(expanded)
        return expanded


def to_dataset(document: Mapping[str, Any], *, loader: DocumentLoader) -> dict[str, Any]:
    """Strictly converts a JSON-LD document to a PyLD RDF dataset (`{graph name: [triples]}`).

    Options match the JavaScript Data Integrity libraries: no base IRI, `rdfDirection: i18n-datatype`, no
    generalized RDF. Loader and strictness errors surface as themselves, not wrapped in PyLD's JsonLdError.
    """
    options = {
        "base": None,
        "documentLoader": loader,
        "rdfDirection": "i18n-datatype",
        "produceGeneralizedRdf": False,
        "identifierIssuer": IdentifierIssuer("_:b"),
    }
    try:
        dataset: dict[str, Any] = _StrictProcessor().to_rdf(document, options)
        return dataset
    except pyld.JsonLdError as error:
        cause: BaseException | None = error
        while cause is not None:
            if isinstance(cause, (DocumentLoaderError, StrictExpansionError)):
                raise cause from None
            cause = cause.__cause__
        raise
