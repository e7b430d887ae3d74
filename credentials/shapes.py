"""A per-shape template cache in front of `credentials.jsonld.to_dataset` (JSON-LD -> RDF is most of signing time).

Credentials the service issues share a shape: the same keys, types and nesting, with different strings. How JSON-LD
turns a string into RDF depends on where it stands, not on what it says, when it ends up as a literal (its lexical
form is copied as is) or as an absolute IRI that no context term abbreviates (`urn:`, `did:`, `http:`, `https:`
values are never rewritten by expansion unless a context defines a term with that name). So:

1. Every string that may be such a value is replaced by a token (one per distinct value, so identical values stay
   identical and nodes merge as before): `urn:x-volcred-token:N` for absolute IRIs of those schemes, a private-use
   `\\ue000N\\ue001` for other strings. Strings that steer processing (`type` values, `@vocab`-coerced terms, language
   tags, `@context`) stay as they are.
2. The tokenised document is converted once with PyLD (strictly); the result is accepted as a template only if every
   token comes out whole, as a literal's lexical form or (IRI tokens) as a subject/object/graph IRI that is not an
   rdf:type value. Tokens that do anything else mark their positions as structural, and the conversion is redone
   with the real values there.
3. The first time, the real document is converted too and must give the same quads as the filled-in template;
   otherwise that shape always takes the slow path.

Later documents of the same shape (same keys, structural values and equality pattern) get their dataset by filling
the template in: a few hundred microseconds instead of a few milliseconds. Documents with inline (object) contexts
or contexts not shared by every loader always take the slow path, as do strings containing the token markers.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from cachetools import LRUCache
from pyld import jsonld as pyld

from credentials.jsonld import (
    DocumentLoader,
    UndefinedTermError,
    context_urls,
    shared_term_names,
    to_dataset,
)

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
IRI_TOKEN = "urn:x-volcred-token:"
LITERAL_MARK = "\ue000"
_IRI_SCHEMES = ("urn", "did", "http", "https")
_MAX_ROUNDS = 12

Path = tuple  # keys and list indices from the document root to a string


class _Unshapeable(Exception):
    """The document cannot use the template cache (the slow path is always correct)."""


_lock = threading.Lock()
_structural_hints: LRUCache = LRUCache(maxsize=512)  # shape key -> paths that keep their real values
_templates: LRUCache = LRUCache(maxsize=2048)  # template key -> tokenised dataset
_refused: LRUCache = LRUCache(maxsize=512)  # shape keys whose templates did not reproduce the real dataset


def _iri_schemes() -> tuple[str, ...]:
    terms = shared_term_names()
    return tuple(scheme + ":" for scheme in _IRI_SCHEMES if scheme not in terms)


def _leaves(document: Any) -> list[tuple[Path, str]]:
    """Every string outside @context, with its path, in a deterministic order (sorted keys)."""
    found: list[tuple[Path, str]] = []
    shared = context_urls()

    def walk(node: Any, path: Path) -> None:
        if isinstance(node, dict):
            for key in sorted(node):
                value = node[key]
                if key == "@context":
                    for url in value if isinstance(value, list) else [value]:
                        if not isinstance(url, str) or url not in shared:
                            raise _Unshapeable
                    continue
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, index))
        elif isinstance(node, str):
            if LITERAL_MARK in node or IRI_TOKEN in node:
                raise _Unshapeable
            found.append((path, node))

    walk(document, ())
    return found


def _replace(document: Any, replacements: dict[Path, str], path: Path = ()) -> Any:
    if isinstance(document, dict):
        return {key: value if key == "@context" else _replace(value, replacements, (*path, key))
                for key, value in document.items()}
    if isinstance(document, list):
        return [_replace(item, replacements, (*path, index)) for index, item in enumerate(document)]
    if isinstance(document, str):
        return replacements.get(path, document)
    return document


def _shape_key(document: Any, leaves: list[tuple[Path, str]], schemes: tuple[str, ...]) -> str:
    kinds = {path: ("\ue000I" if _is_iri_value(value, schemes) else "\ue000L") for path, value in leaves}
    return json.dumps(_replace(document, kinds), sort_keys=True, ensure_ascii=False)


def _is_iri_value(value: str, schemes: tuple[str, ...]) -> bool:
    return value.startswith(schemes) and bool(pyld._is_absolute_iri(value))


def _names_a_type(path: Path) -> bool:
    keys = [step for step in path if isinstance(step, str)]
    return bool(keys) and keys[-1] in ("type", "@type")


def _tokenise(leaves: list[tuple[Path, str]], structural: set[Path],
              schemes: tuple[str, ...]) -> tuple[dict[Path, str], dict[str, str]]:
    """Tokens for the non-structural strings: path -> token, token -> real value."""
    by_value: dict[str, str] = {}
    by_path: dict[Path, str] = {}
    for path, value in leaves:
        if path in structural:
            continue
        token = by_value.get(value)
        if token is None:
            number = len(by_value)
            token = f"{IRI_TOKEN}{number}" if _is_iri_value(value, schemes) else f"{LITERAL_MARK}{number}\ue001"
            by_value[value] = token
        by_path[path] = token
    return by_path, {token: value for value, token in by_value.items()}


def _misplaced_tokens(dataset: dict, tokens: dict[str, str]) -> set[str]:
    """Tokens that did not come out whole as a literal or (IRI tokens) a non-type subject/object/graph IRI."""
    bad: set[str] = set()
    seen: set[str] = set()

    def look(text: str) -> None:
        if LITERAL_MARK in text or IRI_TOKEN in text:
            bad.update(token for token in tokens if token in text)

    for graph, triples in dataset.items():
        if graph in tokens:
            (seen if graph.startswith(IRI_TOKEN) else bad).add(graph)
        else:
            look(graph)
        for triple in triples:
            predicate = triple["predicate"]["value"]
            look(predicate)
            for position in ("subject", "object"):
                component = triple[position]
                value = component["value"]
                if value not in tokens:
                    look(value)
                elif component["type"] == "literal":
                    seen.add(value)
                elif value.startswith(IRI_TOKEN) and not (position == "object" and predicate == RDF_TYPE):
                    seen.add(value)
                else:
                    bad.add(value)
                for extra in ("datatype", "language"):
                    if isinstance(component.get(extra), str):
                        look(component[extra])
    return bad | (set(tokens) - seen)


def _fill(template: dict, values: dict[str, str]) -> dict:
    def term(component: dict) -> dict:
        real = values.get(component["value"])
        return component if real is None else {**component, "value": real}

    return {
        values.get(graph, graph): [
            {"subject": term(t["subject"]), "predicate": t["predicate"], "object": term(t["object"])}
            for t in triples
        ]
        for graph, triples in template.items()
    }


def _comparable(dataset: dict) -> list[tuple]:
    """Quads with blank node labels erased (value substitution cannot rewire blank nodes)."""
    def term(component: dict) -> tuple:
        if component["type"] == "blank node":
            return ("_",)
        return (component["type"], component["value"], component.get("datatype"), component.get("language"))

    return sorted(
        ("_" if graph.startswith("_:") else graph, term(t["subject"]), term(t["predicate"]), term(t["object"]))
        for graph, triples in dataset.items() for t in triples
    )


def _template_key(document: Any, by_path: dict[Path, str]) -> str:
    return json.dumps(_replace(document, by_path), sort_keys=True, ensure_ascii=False)


def _build(document: Any, leaves: list[tuple[Path, str]], structural: set[Path], schemes: tuple[str, ...],
           loader: DocumentLoader) -> tuple[dict, set[Path], str, dict[str, str]] | None:
    """Finds the structural paths and the template for this document; None if the shape does not template."""
    for _ in range(_MAX_ROUNDS):
        by_path, tokens = _tokenise(leaves, structural, schemes)
        try:
            template = to_dataset(_replace(document, by_path), loader=loader)
        except (UndefinedTermError, pyld.JsonLdError) as error:
            message = str(error)  # errors quote values with repr(), which escapes the private-use marks
            named = {token for token in tokens if token in message or repr(token)[1:-1] in message}
            if not named:
                return None
            bad = named
        else:
            bad = _misplaced_tokens(template, tokens)
            if not bad:
                return template, structural, _template_key(document, by_path), tokens
        bad_values = {tokens[token] for token in bad}
        structural = structural | {path for path, value in leaves if value in bad_values}
    return None


def dataset(document: dict, *, loader: DocumentLoader) -> dict:
    """Same result as `to_dataset(document, loader=loader)`, from a template when the shape has been seen."""
    try:
        leaves = _leaves(document)
    except _Unshapeable:
        return to_dataset(document, loader=loader)
    if any(url in loader.documents for url in context_urls()):
        return to_dataset(document, loader=loader)  # this loader serves its own copy of a shared URL
    schemes = _iri_schemes()
    shape = _shape_key(document, leaves, schemes)
    with _lock:
        refused = shape in _refused
        structural = _structural_hints.get(shape)
    if refused:
        return to_dataset(document, loader=loader)
    if structural is None:
        structural = {path for path, _ in leaves if _names_a_type(path)}
    by_path, tokens = _tokenise(leaves, structural, schemes)
    key = _template_key(document, by_path)
    with _lock:
        cached = _templates.get(key)
    if cached is not None:
        return _fill(cached, tokens)  # same key: the same tokens stand at the same places

    real = to_dataset(document, loader=loader)  # raises the document's own errors, if any
    built = _build(document, leaves, structural, schemes, loader)
    if built is None or _comparable(_fill(built[0], built[3])) != _comparable(real):
        with _lock:
            _refused[shape] = True
        return real
    template, structural, key, _ = built
    with _lock:
        # the union: documents of one shape may differ in which strings steer processing
        _structural_hints[shape] = structural | _structural_hints.get(shape, set())
        _templates[key] = template
    return real
