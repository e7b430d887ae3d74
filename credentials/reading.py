"""What a volunteer credential says, read from the RDF dataset its proof covers. Pure.

The page, the exports and the CLI show what was verified, not the JSON's spelling of it: JSON-LD lets one statement
be written many ways (`"identityType": ["name"]`, `{"@value": "42"}`, a term through an alias, a full IRI instead of
a term) and the proof holds for all of them, because it signs the RDF dataset. So the facts are read from that
dataset (the verifier's own, `Verification.dataset`, or `credential_dataset` for a stored credential), in either
vocabulary this service has written (`credentials/README.md`): the OB 3.0 terms of new credentials, and the project's
own context of earlier ones.

RDF has no order inside a set (alignments, results): competences are listed in the order their URLs first appear in
the JSON, which changes nothing a proof covers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from credentials.document import (
    ATTESTATION_RESULT_TYPE,
    ATTESTED_BY,
    HOURS_RESULT_TYPE,
    KEY_COMPETENCE_FRAMEWORK,
    MISSION_TYPE_TARGET,
)
from credentials.proofs import shapes
from credentials.proofs.dataintegrity import without_proof
from credentials.proofs.jsonld import DocumentLoader, default_loader
from credentials.proofs.nquads import Quad
from issuers.municipalities import find_municipality

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
CRED = "https://www.w3.org/2018/credentials#"
OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
SCHEMA = "https://schema.org/"
VOL = "https://w3id.org/volunteer-credentials#"  # the project's context of earlier releases (read, never written)


@dataclass(frozen=True)
class Literal:
    value: str
    datatype: str | None = None  # None for a plain string or a language-tagged one


@dataclass(frozen=True)
class ClaimedIdentity:
    identity_type: str | None
    identity_hash: str | None
    hashed: bool | None


@dataclass(frozen=True)
class ClaimedCompetence:
    uri: str
    name: str | None
    attested_by: str  # "organiser" or "self" (described by the volunteer, approved by the organiser)


@dataclass(frozen=True)
class CredentialClaims:
    """The volunteer-work facts a credential states, each as its dataset states it (None where it says nothing)."""

    id: str | None = None
    open_badge: bool = False
    title: str | None = None
    valid_from: str | None = None
    language: str | None = None
    identities: tuple[ClaimedIdentity, ...] = ()
    mission_type: str | None = None
    mission_name: str | None = None
    mission_description: str | None = None
    catalogue_version: str | None = None
    municipality: str | None = None  # the municipality's code when it is one we know, else as stated
    start_date: str | None = None
    end_date: str | None = None
    hours: str | None = None
    role: str | None = None
    narrative: str | None = None
    competences: tuple[ClaimedCompetence, ...] = ()
    key_competences: tuple[str, ...] = ()

    @property
    def volunteer_name(self) -> str | None:
        """A named volunteer's name (stated in plain text); None for a pseudonymous one."""
        return next(
            (
                i.identity_hash
                for i in self.identities
                if i.identity_type == "name" and i.hashed is False and i.identity_hash
            ),
            None,
        )

    @property
    def pseudonymous(self) -> bool:
        return self.volunteer_name is None and bool(self.identities)


# -- N-Quads terms ---------------------------------------------------------------------------------------------------

_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([tbnrf"\\]))')
_ECHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "\\": "\\"}
_LANGUAGE_SUFFIX = re.compile(r'"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*$')


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPE.sub(
        lambda m: chr(int(m.group(1) or m.group(2), 16)) if m.group(3) is None else _ECHARS[m.group(3)], text
    )


def _literal(term: str) -> Literal | None:
    if not term.startswith('"'):
        return None
    if term.endswith(">") and '"^^<' in term:
        lexical, datatype = term[1:].rsplit('"^^<', 1)
        return Literal(_unescape(lexical), _unescape(datatype[:-1]))
    suffix = _LANGUAGE_SUFFIX.search(term)
    lexical = term[1 : suffix.start()] if suffix else term[1:-1]
    return Literal(_unescape(lexical))


def _iri(term: str) -> str | None:
    return _unescape(term[1:-1]) if term.startswith("<") else None


class _Graph:
    """The default graph of a dataset, indexed by subject and predicate."""

    def __init__(self, quads: list[Quad]):
        self.edges: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for subject, predicate, obj, graph in quads:
            if graph == "":
                self.edges[subject][_iri(predicate) or predicate].append(obj)

    def objects(self, node: str | None, predicate: str) -> list[str]:
        if node is None or node not in self.edges:
            return []
        return self.edges[node].get(predicate, [])

    def nodes(self, node: str | None, predicate: str) -> list[str]:
        """Objects that are nodes (IRIs or blank nodes); a literal holding an IRI (an `xsd:anyURI` reference)
        names the node it refers to."""
        found = []
        for obj in self.objects(node, predicate):
            literal = _literal(obj)
            found.append(f"<{literal.value}>" if literal else obj)
        return found

    def node(self, node: str | None, predicate: str) -> str | None:
        return next(iter(self.nodes(node, predicate)), None)

    def literals(self, node: str | None, predicate: str) -> list[Literal]:
        return [literal for obj in self.objects(node, predicate) if (literal := _literal(obj)) is not None]

    def text(self, node: str | None, predicate: str) -> str | None:
        """The first literal's lexical form; an IRI in that place counts as its text (an anyURI written as @id)."""
        for obj in self.objects(node, predicate):
            literal = _literal(obj)
            if literal is not None:
                return literal.value
            if obj.startswith("<"):
                return _iri(obj)
        return None

    def types(self, node: str | None) -> set[str]:
        return {iri for obj in self.objects(node, RDF_TYPE) if (iri := _iri(obj))}


def _boolean(literal: Literal | None) -> bool | None:
    if literal is None:
        return None
    value = literal.value.strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    return None


def _number_text(literal: Literal | None) -> str | None:
    """A number as the service writes hours: plain decimal, no exponent, no trailing zeros (42, 7.5)."""
    if literal is None:
        return None
    try:
        value = Decimal(literal.value.strip())
    except InvalidOperation:
        return literal.value
    if not value.is_finite():
        return literal.value
    text = format(value.normalize(), "f")
    return text


# -- reading ---------------------------------------------------------------------------------------------------------


def credential_dataset(credential: dict, *, loader: DocumentLoader | None = None) -> list[Quad] | None:
    """The RDF dataset of a stored credential without its proofs (what its proofs sign); None when it does not
    expand with the bundled contexts."""
    try:
        return shapes.quads(without_proof(credential), loader=loader or default_loader())
    except Exception:  # an unknown context, an undefined term, malformed JSON-LD: nothing to read
        return None


def _order(document: Any) -> dict[str, int]:
    """Each string's first position in the JSON (for ordering what RDF keeps as a set)."""
    positions: dict[str, int] = {}

    def walk(value: Any) -> None:
        if isinstance(value, str):
            positions.setdefault(value, len(positions))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return positions


def read_claims(dataset: list[Quad] | None, document: Any = None) -> CredentialClaims:
    """The facts `dataset` states about the (first) verifiable credential in it. `document`, the JSON it came
    from, only orders competences."""
    if not dataset:
        return CredentialClaims()
    graph = _Graph(dataset)
    credential = next((node for node in graph.edges if CRED + "VerifiableCredential" in graph.types(node)), None)
    if credential is None:
        return CredentialClaims()
    subject = graph.node(credential, CRED + "credentialSubject")
    achievement = graph.node(subject, OB + "achievement")

    identities = tuple(
        ClaimedIdentity(
            graph.text(node, OB + "identityType"),
            graph.text(node, OB + "identityHash"),
            _boolean(next(iter(graph.literals(node, OB + "hashed")), None)),
        )
        for node in graph.nodes(subject, OB + "identifier")
    )

    hours = None
    attested_by: dict[str, str] = {}
    for result in graph.nodes(subject, OB + "result"):
        description = graph.node(result, OB + "resultDescription")
        result_type = graph.text(description, OB + "resultType")
        if result_type == HOURS_RESULT_TYPE and hours is None:
            hours = _number_text(next(iter(graph.literals(result, SCHEMA + "value")), None))
        elif result_type == ATTESTATION_RESULT_TYPE:
            kind = graph.text(result, SCHEMA + "value")
            if kind in ATTESTED_BY:
                for alignment in graph.nodes(result, OB + "alignment"):
                    if url := graph.text(alignment, SCHEMA + "targetUrl"):
                        # "organiser" wins if a competence were listed under both
                        attested_by[url] = "organiser" if attested_by.get(url) == "organiser" else kind

    mission_type = graph.text(subject, VOL + "missionType")
    key_competences: list[str] = []
    competences: list[ClaimedCompetence] = []
    for alignment in graph.nodes(achievement, OB + "alignment"):
        url = graph.text(alignment, SCHEMA + "targetUrl")
        if graph.text(alignment, OB + "targetType") == MISSION_TYPE_TARGET:
            mission_type = mission_type or graph.text(alignment, OB + "targetCode")
        elif graph.text(alignment, SCHEMA + "targetFramework") == KEY_COMPETENCE_FRAMEWORK:
            if code := graph.text(alignment, OB + "targetCode"):
                key_competences.append(code)
        elif url:
            attestation = graph.text(alignment, VOL + "competenceAttestation")  # earlier releases
            competences.append(
                ClaimedCompetence(
                    url,
                    graph.text(alignment, SCHEMA + "targetName"),
                    attested_by.get(url) or (attestation if attestation in ATTESTED_BY else "organiser"),
                )
            )
    positions = _order(document)
    competences.sort(key=lambda c: (positions.get(c.uri, len(positions)), c.uri))
    unique = {c.uri: c for c in reversed(competences)}  # one line per competence, the first one kept

    catalogue_version = graph.text(achievement, OB + "version")
    if catalogue_version is None:  # earlier releases: vol:catalogue -> vol:catalogueVersion
        catalogue_version = graph.text(graph.node(achievement, VOL + "catalogue"), VOL + "catalogueVersion")
    municipality = graph.text(subject, VOL + "municipality")
    if municipality is None:
        municipality = next(
            (
                tag
                for literal in graph.literals(achievement, SCHEMA + "keywords")
                if find_municipality(tag := literal.value) is not None
            ),
            None,
        )
    known = find_municipality(municipality)

    return CredentialClaims(
        id=_iri(credential),
        open_badge=OB + "OpenBadgeCredential" in graph.types(credential),
        title=graph.text(credential, SCHEMA + "name"),
        valid_from=graph.text(credential, CRED + "validFrom"),
        language=graph.text(achievement, SCHEMA + "inLanguage"),
        identities=identities,
        mission_type=mission_type,
        mission_name=graph.text(achievement, SCHEMA + "name"),
        mission_description=graph.text(achievement, SCHEMA + "description"),
        catalogue_version=catalogue_version,
        municipality=known.code if known else municipality,
        start_date=graph.text(subject, OB + "activityStartDate"),
        end_date=graph.text(subject, OB + "activityEndDate"),
        hours=hours,
        role=graph.text(subject, OB + "role"),
        narrative=graph.text(subject, OB + "narrative"),
        competences=tuple(c for c in competences if unique.get(c.uri) is c),
        key_competences=tuple(dict.fromkeys(key_competences)),
    )


def read_credential(credential: dict, *, loader: DocumentLoader | None = None) -> CredentialClaims:
    """The claims of a stored (or any) credential, read from its dataset."""
    return read_claims(credential_dataset(credential, loader=loader), credential)
