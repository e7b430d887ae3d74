"""What the W3C Verifiable Credentials Data Model 2.0 requires of a credential before it is signed, as pure checks
over its JSON (no HTTP, no SQL, no JSON-LD processing).

`credential_violations` names every field that breaks a rule, each with a message key (credentials/messages.toml).
The rules are the normative statements of VC DM 2.0 that the W3C vc-data-model-2.0-test-suite asks an issuer to
refuse, plus the few the Digital Bazaar verifier (@digitalbazaar/vc) enforces, so that nothing the service signs is
called invalid by it or by our own verifier (verify/core.py `check_shape`, whose Open Badges 3.0 shape is repeated
here):

- `@context`: a list whose first item is https://www.w3.org/ns/credentials/v2; later items URLs or objects.
- `type`: a list of strings with `VerifiableCredential`.
- `id` (of the credential, its issuer, subjects and the objects below): a single URL (4.4 Identifiers).
- `issuer`: a URL, or an object whose `id` is one.
- `credentialSubject`: one or more objects, none empty (each makes a claim).
- `validFrom`, `validUntil`: XML Schema dateTimeStamps (with a time zone); `validFrom` not after `validUntil`.
- `credentialStatus`, `termsOfUse`, `evidence`, `refreshService`: one or more objects, each with a `type`;
  `credentialSchema`: one or more objects, each with an `id` and a `type`.
- `relatedResource`: one or more objects, each with a unique `id` and a `digestSRI` or `digestMultibase`.
- `name`, `description`: a string or language value object(s).
- Every string is Unicode text (no lone surrogates, which JSON can escape but UTF-8 cannot carry).

Stricter than the specification where our verifier or JavaScript's `Date` needs it: dateTimeStamps have four-digit
years (0001-9999), hours 00-23 and real calendar dates; `digestMultibase` is a base64url (`u`) or base58btc (`z`)
multihash. What the contexts make of each term (undefined terms, protected terms redefined, ids that do not expand)
is for strict JSON-LD expansion (credentials/proofs/jsonld.py), which the issuer runs too.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import SplitResult, urlsplit

import base58

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OPEN_BADGE_TYPES = ("OpenBadgeCredential", "AchievementCredential")

# XML Schema 1.1 dateTimeStamp, restricted to what Python's datetime and JavaScript's Date both read the same way.
_DATE_TIME_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-](0\d|1[0-3]):[0-5]\d|[+-]14:00)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
# no whitespace, controls or the characters RFC 3987 keeps out of IRIs (jsonld.js refuses ids with them)
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20\x7f-\x9f<>"{}|\\^`]')
_DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")
_SRI = re.compile(r"(sha256|sha384|sha512)-([A-Za-z0-9+/_-]+={0,2})(\?[\x21-\x7e]*)?")
_SRI_DIGEST_BYTES = {"sha256": 32, "sha384": 48, "sha512": 64}
# multihash codes of the SHA-2 and SHA-3 digests (multicodec table), with their digest lengths
_MULTIHASH_BYTES = {0x12: 32, 0x20: 48, 0x13: 64, 0x16: 32, 0x15: 48, 0x14: 64}
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
TYPED_PROPERTIES = ("credentialStatus", "termsOfUse", "evidence", "refreshService", "credentialSchema")


@dataclass(frozen=True)
class Violation:
    """One broken rule: the field (a path such as `evidence[1].type`), the message key and its parameters."""

    field: str
    key: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)


# --- values -----------------------------------------------------------------------------------------------------------


def parse_date_time_stamp(value: Any) -> datetime | None:
    """The moment an XML Schema dateTimeStamp names (time zone required), or None for anything else."""
    if not isinstance(value, str) or not _DATE_TIME_STAMP.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:  # 2023-02-30, 24:00:00 and kin: well-formed, but no such moment for Python
        return None


def _is_host(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        return bool(re.fullmatch(r"[0-9A-Fa-f:.]+", host[1:-1])) and ":" in host
    address = _IPV4.fullmatch(host)
    if address:
        return all(int(part) <= 255 for part in address.groups())
    labels = host.split(".")
    return all(_DNS_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()


def is_url(value: Any) -> bool:
    """An absolute URL (a scheme, then something): `https://…`, `did:…`, `urn:…`. http(s) URLs need a valid host."""
    if not isinstance(value, str) or len(value) > 2048 or _IRI_FORBIDDEN.search(value):
        return False
    scheme, colon, rest = value.partition(":")
    if not colon or not rest or not _SCHEME.fullmatch(scheme):
        return False
    if scheme.lower() in ("http", "https"):
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (raises on a port that is not a number in range)
        except ValueError:
            return False
        host = parts.netloc.rpartition("@")[2]
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return rest.startswith("//") and bool(host) and _is_host(host)
    return True


def in_url_space(url: str, base_url: str) -> bool:
    """Whether `url` names a resource of the service at `base_url` (same scheme, host and port, whatever path)."""

    def origin(parts: SplitResult) -> tuple[str, str | None, int | None]:
        scheme = parts.scheme.lower()
        return scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(scheme)

    try:
        return origin(urlsplit(url)) == origin(urlsplit(base_url))
    except ValueError:  # a port that is not a number: not a URL of ours
        return False


def _is_types(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(isinstance(item, str) and item for item in values)


def _is_language_value(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return (
        isinstance(value, dict)
        and isinstance(value.get("@value"), str)
        and set(value) <= {"@value", "@language", "@direction"}
        and isinstance(value.get("@language", ""), str)
        and value.get("@direction", "ltr") in ("ltr", "rtl")
    )


def _is_sri(value: str) -> bool:
    expressions = value.split()
    if not expressions:
        return False
    for expression in expressions:
        match = _SRI.fullmatch(expression)
        if match is None:
            return False
        digest = match[2].replace("-", "+").replace("_", "/")
        try:
            raw = base64.b64decode(digest + "=" * (-len(digest) % 4), validate=True)
        except (binascii.Error, ValueError):
            return False
        if len(raw) != _SRI_DIGEST_BYTES[match[1]]:
            return False
    return True


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while at < len(data) and shift < 63:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return value, at
        shift += 7
    raise ValueError("truncated varint")


def _is_multibase_digest(value: str) -> bool:
    """A multibase (base64url `u` or base58btc `z`) multihash of a SHA-2 or SHA-3 digest."""
    if len(value) < 2:
        return False
    prefix, body = value[0], value[1:]
    try:
        if prefix == "u" and re.fullmatch(r"[A-Za-z0-9_-]+", body):
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        elif prefix == "z":
            raw = base58.b58decode(body)
        else:
            return False
        code, at = _varint(raw, 0)
        length, at = _varint(raw, at)
    except ValueError:
        return False
    return _MULTIHASH_BYTES.get(code) == length == len(raw) - at


def _one_or_more(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- the rules --------------------------------------------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, path: str, key: str, **params: Any) -> None:
        self.violations.append(Violation(path, key, params))

    def url_id(self, node: Mapping[str, Any], path: str, required: bool = False) -> None:
        if "id" in node:
            if not is_url(node["id"]):
                self.add(f"{path}.id", "vcdm.id_not_url")
        elif required:
            self.add(f"{path}.id", "vcdm.id_required")

    def objects(self, value: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
        """The objects of a one-or-more property, with their paths; anything else is a violation."""
        items = _one_or_more(value)
        if not items:
            self.add(path, "vcdm.objects_required")
        found = []
        for index, item in enumerate(items):
            item_path = f"{path}[{index}]" if isinstance(value, list) else path
            if isinstance(item, dict):
                found.append((item_path, item))
            else:
                self.add(item_path, "vcdm.objects_required")
        return found

    def texts(self, node: Mapping[str, Any], path: str) -> None:
        for name in ("name", "description"):
            if name in node:
                values = _one_or_more(node[name])
                if not values or not all(_is_language_value(v) for v in values):
                    self.add(f"{path}{name}", "vcdm.text_form")


def credential_violations(credential: Mapping[str, Any]) -> list[Violation]:
    """Every VC DM 2.0 rule the (unsigned) credential breaks; an empty list when it may be signed."""
    check = _Checker()
    _context(check, credential)
    types = credential.get("type")
    if not isinstance(types, list) or not types or not _is_types(types):
        check.add("type", "vcdm.type_list")
    elif "VerifiableCredential" not in types:
        check.add("type", "vcdm.type_vc")
    if "id" in credential and not is_url(credential["id"]):
        check.add("id", "vcdm.id_not_url")
    _issuer(check, credential)
    _subjects(check, credential)
    _validity(check, credential)
    for name in TYPED_PROPERTIES:
        if name in credential:
            for path, item in check.objects(credential[name], name):
                if not _is_types(item.get("type")):
                    check.add(f"{path}.type", "vcdm.type_required")
                check.url_id(item, path, required=name == "credentialSchema")
    if "relatedResource" in credential:
        _related_resources(check, credential["relatedResource"])
    check.texts(credential, "")
    if isinstance(types, list) and any(t in types for t in OPEN_BADGE_TYPES):
        _open_badge(check, credential)
    _unicode(check, credential)
    return check.violations


def _context(check: _Checker, credential: Mapping[str, Any]) -> None:
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2:
        check.add("@context", "vcdm.context_first")
        return
    for index, item in enumerate(contexts[1:], start=1):
        if not (isinstance(item, dict) or is_url(item)):
            check.add(f"@context[{index}]", "vcdm.context_item")


def _issuer(check: _Checker, credential: Mapping[str, Any]) -> None:
    if "issuer" not in credential:
        check.add("issuer", "vcdm.issuer_required")
        return
    issuer = credential["issuer"]
    if isinstance(issuer, dict):
        if not is_url(issuer.get("id")):
            check.add("issuer.id", "vcdm.issuer_form")
        check.texts(issuer, "issuer.")
    elif not is_url(issuer):
        check.add("issuer", "vcdm.issuer_form")


def _subjects(check: _Checker, credential: Mapping[str, Any]) -> None:
    if "credentialSubject" not in credential:
        check.add("credentialSubject", "vcdm.subject_required")
        return
    for path, subject in check.objects(credential["credentialSubject"], "credentialSubject"):
        if not subject:
            check.add(path, "vcdm.subject_no_claims")
        check.url_id(subject, path)


def _validity(check: _Checker, credential: Mapping[str, Any]) -> None:
    moments: dict[str, datetime | None] = {}
    for name in ("validFrom", "validUntil"):
        if name in credential:
            moments[name] = parse_date_time_stamp(credential[name])
            if moments[name] is None:
                check.add(name, "vcdm.date_time_stamp")
    valid_from, valid_until = moments.get("validFrom"), moments.get("validUntil")
    if valid_from and valid_until and valid_from > valid_until:
        check.add("validUntil", "vcdm.valid_until_before_from")


def _related_resources(check: _Checker, value: Any) -> None:
    seen: set[str] = set()
    for path, resource in check.objects(value, "relatedResource"):
        check.url_id(resource, path, required=True)
        if isinstance(resource.get("id"), str):
            if resource["id"] in seen:
                check.add(f"{path}.id", "vcdm.related_id_repeated")
            seen.add(resource["id"])
        if "digestSRI" not in resource and "digestMultibase" not in resource:
            check.add(path, "vcdm.related_digest_required")
        if "digestSRI" in resource:
            values = _one_or_more(resource["digestSRI"])
            if not values or not all(isinstance(v, str) and _is_sri(v) for v in values):
                check.add(f"{path}.digestSRI", "vcdm.digest_sri")
        if "digestMultibase" in resource:
            values = _one_or_more(resource["digestMultibase"])
            if not values or not all(isinstance(v, str) and _is_multibase_digest(v) for v in values):
                check.add(f"{path}.digestMultibase", "vcdm.digest_multibase")
        if "mediaType" in resource and not (
            isinstance(resource["mediaType"], str) and _MEDIA_TYPE.fullmatch(resource["mediaType"])
        ):
            check.add(f"{path}.mediaType", "vcdm.media_type")


def _unicode(check: _Checker, credential: Mapping[str, Any]) -> None:
    """Every key and string is Unicode text: JSON may escape a lone surrogate (\\ud800), which no UTF-8 document,
    N-Quads line or signature can carry. Walked without recursion, whatever the nesting."""
    pending: list[tuple[str, Any]] = [("", credential)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                check.add(path or "credential", "vcdm.not_unicode")
                return
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    check.add(path or "credential", "vcdm.not_unicode")  # the object: the key cannot be echoed
                    return
                pending.append((f"{path}.{key}" if path else str(key), item))
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))


def _open_badge(check: _Checker, credential: Mapping[str, Any]) -> None:
    """The Open Badges 3.0 shape our verifier requires of an OpenBadgeCredential (verify/core.py check_shape)."""
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    if not isinstance(achievement, dict) or "Achievement" not in _one_or_more(achievement.get("type")):
        check.add("credentialSubject.achievement", "vcdm.ob_achievement")
    elif not achievement.get("name") or not isinstance(achievement.get("criteria"), dict):
        check.add("credentialSubject.achievement", "vcdm.ob_achievement_name_criteria")
    issuer = credential.get("issuer")
    if not isinstance(issuer, dict) or "Profile" not in _one_or_more(issuer.get("type")):
        check.add("issuer.type", "vcdm.ob_issuer_profile")
