"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents to canonical N-Quads.

PyLD turns the document into an RDF dataset (strictly, see `credentials.proofs.jsonld.to_dataset`, through the template
cache in `credentials.proofs.shapes`); the canonicalization itself is implemented here rather than with PyLD's URDNA2015,
for two reasons that both change signatures:

- Escaping: terms are written in canonical N-Quads form (see `credentials.proofs.nquads`), which PyLD does not do for
  control characters.
- The blank node to quads map is a set: a quad naming the same blank node twice counts once (PyLD lists it twice,
  which changes first-degree hashes of such nodes).

Like rdf-canonize, the number of Hash N-Degree Quads calls is capped (`max_work_factor`, default 1: at most as
many calls as there are blank nodes with shared first-degree hashes), so the same "poison" graphs are refused in
both languages. The permutations those calls try are capped too (`MAX_PERMUTATIONS` in all): a group of n related
blank nodes with equal hashes has n! orders, and trying them can take minutes even within the call cap, so a
hostile document (say, a presentation of near-identical credentials) is refused quickly instead.

Sorting is by code point, as RDFC-1.0 says (Python's string order); rdf-canonize sorts by UTF-16 code unit, which
differs only between a character above U+FFFF and one in U+E000-U+FFFF at the first difference of two quads.

Numbers: JSON-LD writes a JSON number that is not an integer as an xsd:double in canonical form (1.5 ->
"1.5E0"), and jsonld.js and PyLD can disagree on such forms. Credentials keep numbers integers (or strings).
"""

from __future__ import annotations

import hashlib
import itertools
import re
from typing import Any

from credentials.proofs import shapes
from credentials.proofs.jsonld import DocumentLoader
from credentials.proofs.nquads import Quad, serialize


class CanonicalizationError(ValueError):
    """The dataset needs more work to canonicalize than the configured limit allows."""


# Far above what a credential or a presentation of distinct credentials needs (tens), far below minutes of work.
MAX_PERMUTATIONS = 20_000
# Both limits refuse with this reason; verifiers recognise a refused "poison" graph by it.
WORK_LIMIT_REASON = "the dataset's blank nodes are too symmetric to canonicalize within the work limit"


# -- RDFC-1.0 --------------------------------------------------------------------------------------------------------


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Issuer:
    """Identifier issuer: maps existing blank node ids to `<prefix><n>` in issue order."""

    __slots__ = ("prefix", "issued")

    def __init__(self, prefix: str, issued: dict[str, str] | None = None):
        self.prefix = prefix
        self.issued = issued if issued is not None else {}

    def get(self, existing: str) -> str:
        issued = self.issued.get(existing)
        if issued is None:
            issued = self.issued[existing] = f"{self.prefix}{len(self.issued)}"
        return issued

    def copy(self) -> _Issuer:
        return _Issuer(self.prefix, dict(self.issued))


class _Canonicalizer:
    def __init__(self, quads: list[Quad], max_work_factor: int):
        self.quads = quads
        self.max_work_factor = max_work_factor
        self.canonical = _Issuer("_:c14n")
        self.bnode_quads: dict[str, list[Quad]] = {}
        for quad in quads:
            for term in {quad[0], quad[2], quad[3]}:
                if term.startswith("_"):
                    self.bnode_quads.setdefault(term, []).append(quad)
        self.first_degree: dict[str, str] = {}
        self.remaining_calls = 0
        self.remaining_permutations = MAX_PERMUTATIONS

    def hash_first_degree(self, node: str) -> str:
        lines = []
        for s, p, o, g in self.bnode_quads[node]:
            lines.append(
                serialize(
                    ("_:a" if s == node else "_:z") if s.startswith("_") else s,
                    p,
                    ("_:a" if o == node else "_:z") if o.startswith("_") else o,
                    ("_:a" if g == node else "_:z") if g.startswith("_") else g,
                )
            )
        lines.sort()
        return _sha256("".join(lines))

    def hash_related(self, related: str, quad: Quad, issuer: _Issuer, position: str) -> str:
        if related in self.canonical.issued:
            identifier = self.canonical.issued[related]
        elif related in issuer.issued:
            identifier = issuer.issued[related]
        else:
            identifier = self.first_degree[related]
        # rdf-canonize appends the predicate unescaped; identical for every IRI without special characters
        predicate = "" if position == "g" else "<" + _unescaped_iri(quad[1]) + ">"
        return _sha256(position + predicate + identifier)

    def hash_n_degree(self, node: str, issuer: _Issuer) -> tuple[str, _Issuer]:
        if self.remaining_calls <= 0:
            raise CanonicalizationError(f"{WORK_LIMIT_REASON} (work factor {self.max_work_factor})")
        self.remaining_calls -= 1
        related_by_hash: dict[str, list[str]] = {}
        for quad in self.bnode_quads[node]:
            for term, position in ((quad[0], "s"), (quad[2], "o"), (quad[3], "g")):
                if term.startswith("_") and term != node:
                    related_by_hash.setdefault(self.hash_related(term, quad, issuer, position), []).append(term)
        data = []
        for related_hash in sorted(related_by_hash):
            data.append(related_hash)
            chosen_path = ""
            chosen_issuer = None
            for permutation in itertools.permutations(sorted(related_by_hash[related_hash])):
                self.remaining_permutations -= 1
                if self.remaining_permutations < 0:
                    raise CanonicalizationError(f"{WORK_LIMIT_REASON} ({MAX_PERMUTATIONS} permutations)")
                issuer_copy = issuer.copy()
                path = ""
                recursion = []
                for related in permutation:
                    if related in self.canonical.issued:
                        path += self.canonical.issued[related]
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += issuer_copy.get(related)
                    if chosen_path and path > chosen_path:
                        break
                else:
                    for related in recursion:
                        result_hash, issuer_copy = self.hash_n_degree(related, issuer_copy)
                        path += issuer_copy.get(related) + "<" + result_hash + ">"
                        if chosen_path and path > chosen_path:
                            break
                    else:
                        if not chosen_path or path < chosen_path:
                            chosen_path, chosen_issuer = path, issuer_copy
            data.append(chosen_path)
            assert chosen_issuer is not None  # every group has at least one permutation
            issuer = chosen_issuer
        return _sha256("".join(data)), issuer

    def run(self) -> str:
        by_hash: dict[str, list[str]] = {}
        for node in self.bnode_quads:
            digest = self.first_degree[node] = self.hash_first_degree(node)
            by_hash.setdefault(digest, []).append(node)
        shared = []
        for digest in sorted(by_hash):
            nodes = by_hash[digest]
            if len(nodes) == 1:
                self.canonical.get(nodes[0])
            else:
                shared.append(nodes)
        self.remaining_calls = sum(map(len, shared)) ** self.max_work_factor
        for nodes in shared:
            results = []
            for node in nodes:
                if node in self.canonical.issued:
                    continue
                issuer = _Issuer("_:b")
                issuer.get(node)
                results.append(self.hash_n_degree(node, issuer))
            for _, issuer in sorted(results, key=lambda result: result[0]):
                for existing in issuer.issued:
                    self.canonical.get(existing)
        issued = self.canonical.issued
        lines = [serialize(issued.get(s, s), p, issued.get(o, o), issued.get(g, g)) for s, p, o, g in self.quads]
        lines.sort()
        return "".join(lines)


_UCHAR = re.compile(r"\\u([0-9A-F]{4})")


def _unescaped_iri(term: str) -> str:
    inner = term[1:-1]
    return _UCHAR.sub(lambda m: chr(int(m.group(1), 16)), inner) if "\\" in inner else inner


def canonicalize_quads(quads: list[Quad], *, max_work_factor: int = 1) -> str:
    """RDFC-1.0 canonical N-Quads of a dataset given as N-Quads-form tuples."""
    return _Canonicalizer(quads, max_work_factor).run()


def canonicalize(document: dict[str, Any], *, loader: DocumentLoader, max_work_factor: int = 1) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (strict expansion, offline loader)."""
    return canonicalize_quads(shapes.quads(document, loader=loader), max_work_factor=max_work_factor)
