"""Offline JSON-LD expansion and SHACL validation of EDC documents against the bundled ELM 3.2 shapes.

Expansion uses the project's strict converter (`credentials.proofs.jsonld.to_dataset`: an undefined term is an error) with a
loader that serves the bundled `edc-ap` context beside the project's own contexts and nothing from the network.
Validation loads the EDC-generic-no-cv and EDC-generic-full shapes into one shapes graph and runs pyshacl without
inference (every node of an export states its classes explicitly).

pyshacl and rdflib are imported only when validating: the service validates nothing at run time, so they are test
dependencies (`pip install -e .[test]`), used by the tests and by anyone checking an export by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from credentials.proofs.jsonld import DocumentLoader
from credentials.proofs.rdfc import canonicalize
from verify.exports.edc import EDC_CONTEXT

DATA = Path(__file__).resolve().parent / "data" / "elm-3.2"
CONTEXT_FILE = DATA / "context" / "edc-ap-context.jsonld"
SHAPE_FILES = (DATA / "shacl" / "EDC-generic-no-cv.ttl", DATA / "shacl" / "EDC-generic-full.ttl")


@lru_cache(maxsize=1)
def edc_loader() -> DocumentLoader:
    """The bundled contexts (VC 1.1 among them) plus `edc-ap`; no DIDs, no network."""
    context = json.loads(CONTEXT_FILE.read_text(encoding="utf-8"))
    return DocumentLoader(did_resolver=None, documents={EDC_CONTEXT: context})


def to_nquads(document: dict) -> str:
    """The document's RDF as canonical N-Quads, strictly expanded with the offline loader."""
    return canonicalize(document, loader=edc_loader())


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    message: str
    shape: str | None


@lru_cache(maxsize=1)
def _shapes():
    import rdflib

    graph = rdflib.Graph()
    for path in SHAPE_FILES:
        graph.parse(path, format="turtle")
    return graph


def validate(document: dict) -> list[Violation]:
    """Every SHACL violation of the EDC document (empty when it conforms)."""
    import rdflib
    from pyshacl import validate as shacl_validate
    from rdflib.namespace import SH

    data = rdflib.Graph()
    data.parse(data=to_nquads(document), format="nt")
    _, report, _ = shacl_validate(data, shacl_graph=_shapes(), inference="none", advanced=False, allow_warnings=True)
    found = []
    for result in report.subjects(rdflib.RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        path = report.value(result, SH.resultPath)
        shape = report.value(result, SH.sourceShape)
        found.append(
            Violation(
                str(report.value(result, SH.focusNode)),
                str(path) if path is not None else None,
                str(report.value(result, SH.resultMessage)),
                str(shape) if isinstance(shape, rdflib.URIRef) else None,
            )
        )
    return found
