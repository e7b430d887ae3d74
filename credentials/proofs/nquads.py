"""Canonical N-Quads terms (RDF 1.2 N-Triples canonical form, as RDFC-1.0 requires) from PyLD's RDF datasets.

Escaping: in literals `\\b \\t \\n \\f \\r \\" \\\\` are ECHARs and every other character U+0000-U+001F and U+007F is a
UCHAR `\\u00XX` (upper-case hex); in IRIs U+0000-U+0020 and `<>"{}|^`\\`` become UCHARs. rdf-canonize 5 (jsonld.js and
the Digital Bazaar cryptosuites) writes exactly this. PyLD 3.3 escapes only `\\ \\t \\n \\r \\"` and leaves the other
control characters raw, so a narrative with a form feed or an ESC would hash differently from JavaScript: that is
why terms are serialized here.

A quad is a tuple (subject, predicate, object, graph) of terms in this form; the graph is "" for the default graph
and blank nodes are `_:label` (the only terms that start with `_`).
"""

from __future__ import annotations

import re
from typing import Any

RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

Quad = tuple[str, str, str, str]

_LITERAL_ESCAPES = {chr(n): f"\\u{n:04X}" for n in [*range(0x20), 0x7F]}
_LITERAL_ESCAPES.update({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"})
_LITERAL_SPECIAL = re.compile('[\x00-\x1f\x7f"\\\\]')

_IRI_ESCAPES = {c: f"\\u{ord(c):04X}" for c in [*map(chr, range(0x21)), *'<>"{}|^`\\']}
_IRI_SPECIAL = re.compile('[\x00-\x20<>"{}|^`\\\\]')


def escape_literal(value: str) -> str:
    """A string literal's lexical form as canonical N-Quads writes it between quotes."""
    if _LITERAL_SPECIAL.search(value) is None:
        return value
    return _LITERAL_SPECIAL.sub(lambda m: _LITERAL_ESCAPES[m.group()], value)


def escape_iri(value: str) -> str:
    """An IRI as canonical N-Quads writes it between angle brackets."""
    if _IRI_SPECIAL.search(value) is None:
        return value
    return _IRI_SPECIAL.sub(lambda m: _IRI_ESCAPES[m.group()], value)


def literal_suffix(component: dict[str, Any]) -> str:
    """What follows a literal's lexical form: the closing quote and any language tag or datatype."""
    datatype = component["datatype"]
    if datatype == RDF_LANGSTRING:
        return '"@' + component["language"] if component.get("language") else '"'
    if datatype != XSD_STRING:
        return f'"^^<{escape_iri(datatype)}>'
    return '"'


def term(component: dict[str, Any]) -> str:
    """A PyLD dataset term in N-Quads form."""
    kind = component["type"]
    if kind == "IRI":
        return f"<{escape_iri(component['value'])}>"
    if kind == "blank node":
        return str(component["value"])
    return '"' + escape_literal(component["value"]) + literal_suffix(component)


def graph_term(graph_name: str) -> str:
    if graph_name == "@default":
        return ""
    return graph_name if graph_name.startswith("_:") else f"<{escape_iri(graph_name)}>"


def dataset_quads(dataset: dict[str, Any]) -> list[Quad]:
    """A PyLD dataset as quads (duplicates removed, order kept)."""
    quads: dict[Quad, None] = {}
    for graph_name, triples in dataset.items():
        graph = graph_term(graph_name)
        for triple in triples:
            quads[(term(triple["subject"]), term(triple["predicate"]), term(triple["object"]), graph)] = None
    return list(quads)


def serialize(s: str, p: str, o: str, g: str) -> str:
    return f"{s} {p} {o} {g} .\n" if g else f"{s} {p} {o} .\n"
