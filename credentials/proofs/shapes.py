"""A per-shape template cache in front of `credentials.proofs.jsonld.to_dataset` (JSON-LD -> RDF is most of signing time).

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
3. The real document is converted too and must give the same quads as the filled-in template; otherwise that shape
   always takes the slow path.

A template is built the second time a shape is met, so one-off documents cost nothing extra. Later documents of
the same shape (same keys, structural values and equality pattern) get their quads by filling the template in: a
few hundred microseconds instead of a few milliseconds. Documents with inline (object) contexts or contexts not
shared by every loader always take the slow path, as do strings containing the token markers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, cast

from cachetools import LRUCache
from pyld import jsonld as pyld

from credentials.proofs.jsonld import (
    DocumentLoader,
    StrictExpansionError,
    context_urls,
    is_absolute_iri,
    shared_term_names,
    to_dataset,
)
from credentials.proofs.nquads import Quad, dataset_quads, escape_iri, escape_literal, graph_term, literal_suffix, term

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
IRI_TOKEN = "urn:x-volcred-token:"
LITERAL_MARK = "\ue000"
_IRI_SCHEMES = ("urn", "did", "http", "https")
_MAX_ROUNDS = 12

Path = tuple[str | int, ...]  # keys and list indices from the document root to a string
Leaves = list[tuple[Path, str]]
Entries = tuple[str, ...]  # per leaf its token, or "=" + its real value
# A template quad: each part a finished term, or (prefix, token, suffix, escape) to fill with the token's value.
Slot = tuple[str, str, str, Callable[[str], str]]
Template = list[tuple[str | Slot, str, str | Slot, str | Slot]]


class _Unshapeable(Exception):
    """The document cannot use the template cache (the slow path is always correct)."""


_lock = threading.Lock()  # LRUCache reorders itself on reads: not safe across threads unguarded
_structural_hints: LRUCache[str, set[Path]] = LRUCache(maxsize=512)  # shape key -> paths that keep their real values
_templates: LRUCache[tuple[str, Entries], Template] = LRUCache(maxsize=2048)  # template key -> template quads
_refused: LRUCache[str, bool] = LRUCache(maxsize=512)  # shape keys whose templates did not reproduce the real dataset
_seen_once: LRUCache[str, bool] = LRUCache(
    maxsize=1024
)  # shape keys met once: a template is built on the second meeting


def _iri_schemes() -> tuple[str, ...]:
    terms = shared_term_names()
    return tuple(scheme + ":" for scheme in _IRI_SCHEMES if scheme not in terms)


def _walk(document: Any) -> tuple[str, Leaves]:
    """The document's structure (keys, nesting, non-string values, @context) and its strings with their paths,
    both in a deterministic order (sorted keys)."""
    parts: list[str] = []
    leaves: Leaves = []
    shared = context_urls()

    def walk(node: Any, path: Path) -> None:
        if isinstance(node, dict):
            parts.append("{")
            for key in sorted(node):
                value = node[key]
                parts.append(repr(key))  # as unambiguous as json.dumps (escapes the separators too), ten times cheaper
                if key == "@context":
                    for url in value if isinstance(value, list) else [value]:
                        if not isinstance(url, str) or url not in shared:
                            raise _Unshapeable
                    parts.append(json.dumps(value))
                else:
                    walk(value, (*path, key))
            parts.append("}")
        elif isinstance(node, list):
            parts.append("[")
            for index, item in enumerate(node):
                walk(item, (*path, index))
            parts.append("]")
        elif isinstance(node, str):
            if LITERAL_MARK in node or IRI_TOKEN in node:
                raise _Unshapeable
            parts.append("S")
            leaves.append((path, node))
        else:
            parts.append(json.dumps(node))  # numbers, booleans and null are part of the shape

    walk(document, ())
    return "\x1f".join(parts), leaves


def _is_iri_value(value: str, schemes: tuple[str, ...]) -> bool:
    return value.startswith(schemes) and is_absolute_iri(value)


def _names_a_type(path: Path) -> bool:
    keys = [step for step in path if isinstance(step, str)]
    return bool(keys) and keys[-1] in ("type", "@type")


def _tokenise(leaves: Leaves, structural: set[Path], schemes: tuple[str, ...]) -> tuple[Entries, dict[str, str]]:
    """Per leaf its token (or "=" + its real value when structural), and token -> real value."""
    by_value: dict[str, str] = {}
    entries = []
    for path, value in leaves:
        if path in structural:
            entries.append("=" + value)
            continue
        token = by_value.get(value)
        if token is None:
            number = len(by_value)
            token = f"{IRI_TOKEN}{number}" if _is_iri_value(value, schemes) else f"{LITERAL_MARK}{number}\ue001"
            by_value[value] = token
        entries.append(token)
    return tuple(entries), {token: value for value, token in by_value.items()}


def _replace(document: Any, replacements: dict[Path, str], path: Path = ()) -> Any:
    if isinstance(document, dict):
        return {
            key: value if key == "@context" else _replace(value, replacements, (*path, key))
            for key, value in document.items()
        }
    if isinstance(document, list):
        return [_replace(item, replacements, (*path, index)) for index, item in enumerate(document)]
    if isinstance(document, str):
        return replacements.get(path, document)
    return document


def _misplaced_tokens(dataset: dict[str, Any], tokens: dict[str, str]) -> set[str]:
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


def _compile(dataset: dict[str, Any], tokens: dict[str, str]) -> Template:
    """The tokenised dataset as template quads, with a slot wherever a token stands."""

    def part(component: dict[str, Any]) -> str | Slot:
        value = component["value"]
        if value not in tokens:
            return term(component)
        if component["type"] == "literal":
            return ('"', value, literal_suffix(component), escape_literal)
        return ("<", value, ">", escape_iri)

    quads: Template = []
    for graph_name, triples in dataset.items():
        graph: str | Slot = ("<", graph_name, ">", escape_iri) if graph_name in tokens else graph_term(graph_name)
        for triple in triples:
            quads.append((part(triple["subject"]), term(triple["predicate"]), part(triple["object"]), graph))
    return quads


def _fill(template: Template, values: dict[str, str]) -> list[Quad]:
    filled: dict[Quad, None] = {}
    for quad in template:
        # four parts in, four out (one generator rather than a call per part: this runs for every quad signed)
        filled[
            cast(
                Quad,
                tuple(part if isinstance(part, str) else part[0] + part[3](values[part[1]]) + part[2] for part in quad),
            )
        ] = None
    return list(filled)


def _comparable(quads: list[Quad]) -> list[tuple[str, ...]]:
    """Quads with blank node labels erased (value substitution cannot rewire blank nodes)."""
    return sorted(tuple("_" if part.startswith("_") else part for part in quad) for quad in quads)


def _build(
    document: Any, leaves: Leaves, structural: set[Path], schemes: tuple[str, ...], loader: DocumentLoader
) -> tuple[Template, set[Path], Entries, dict[str, str]] | None:
    """Finds the structural paths and the template for this document; None if the shape does not template."""
    for _ in range(_MAX_ROUNDS):
        entries, tokens = _tokenise(leaves, structural, schemes)
        by_path = {path: entry for (path, _), entry in zip(leaves, entries) if not entry.startswith("=")}
        try:
            dataset = to_dataset(_replace(document, by_path), loader=loader)
        except (StrictExpansionError, pyld.JsonLdError) as error:
            message = str(error)  # errors quote values with repr(), which escapes the private-use marks
            bad = {token for token in tokens if token in message or repr(token)[1:-1] in message}
            if not bad:
                return None
        else:
            bad = _misplaced_tokens(dataset, tokens)
            if not bad:
                return _compile(dataset, tokens), structural, entries, tokens
        bad_values = {tokens[token] for token in bad}
        structural = structural | {path for path, value in leaves if value in bad_values}
    return None


def quads(document: dict[str, Any], *, loader: DocumentLoader) -> list[Quad]:
    """`dataset_quads(to_dataset(document, loader=loader))`, from a template when the shape has been seen before."""
    try:
        structure, leaves = _walk(document)
    except _Unshapeable:
        return dataset_quads(to_dataset(document, loader=loader))
    if loader.documents.keys() & context_urls():
        return dataset_quads(to_dataset(document, loader=loader))  # this loader serves its own copy of a shared URL
    schemes = _iri_schemes()
    shape = structure + "\x1e" + "".join("I" if _is_iri_value(value, schemes) else "L" for _, value in leaves)
    with _lock:
        refused = shape in _refused
        structural = _structural_hints.get(shape)
        first_meeting = structural is None and _seen_once.get(shape) is None
        _seen_once[shape] = True
    if refused or first_meeting:
        # building costs two or three conversions: only worth it for shapes that come back
        return dataset_quads(to_dataset(document, loader=loader))
    if structural is None:
        structural = {path for path, _ in leaves if _names_a_type(path)}
    entries, values = _tokenise(leaves, structural, schemes)
    with _lock:
        template = _templates.get((structure, entries))
    if template is not None:
        return _fill(template, values)  # same key: the same tokens stand at the same places

    real = dataset_quads(to_dataset(document, loader=loader))  # raises the document's own errors, if any
    built = _build(document, leaves, structural, schemes, loader)
    if built is None or _comparable(_fill(built[0], built[3])) != _comparable(real):
        with _lock:
            _refused[shape] = True
        return real
    template, structural, entries, _ = built
    with _lock:
        # the union: documents of one shape may differ in which strings steer processing
        _structural_hints[shape] = structural | _structural_hints.get(shape, set())
        _templates[(structure, entries)] = template
    return real
