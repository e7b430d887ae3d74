"""The verifier's view of the world, from the service's own data: registry, keys, issuance log, status lists."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime

from cachetools import LRUCache
from sqlalchemy.orm import Session, sessionmaker

from base.db import READ_MOSTLY
from base.errors import UserError
from credentials import status_lists as credentials_status_lists
from credentials.levels import service as levels
from credentials.proofs.jsonld import DocumentLoader
from credentials.proofs.statuslist import signed_by_untrusted_key
from credentials.service import issued_credential
from issuers import service as issuers
from issuers.did import slug_from_did_web
from issuers.multikey import did_key_for, did_key_multikey, did_key_verification_method_id
from issuers.organisations import SLUG_RE
from issuers.platform import platform_did, platform_registry_entry
from issuers.platform_keys import platform_document
from issuers.service import IssuerContext, IssuerMaterial
from issuers.verification_version import current_version
from verify.core import (
    KeyHistory,
    PresentationVerification,
    StatusListUnavailable,
    StoredCredential,
    Verification,
    utc_now,
    verify_credential,
    verify_presentation,
)


@dataclass
class IssuerSnapshot:
    """What verification reads about one organisation, as of one verification version. Shared between requests:
    never mutated by its readers; status lists are added as they are first read."""

    organisation_id: str
    version: int
    did_document: dict
    registry_entry: dict | None  # None while the organisation is pending (not in the registry)
    key_histories: dict[str, KeyHistory]  # by verification method id, did:web#key-n and did:key#...
    status_lists: dict[tuple[str, int], dict] = field(default_factory=dict)  # signed, by (purpose, number)


class IssuerSnapshots:
    """Issuer snapshots of this process, by (base URL, slug), checked against the organisation's verification
    version (one small query) before each use: a key event, a status change or an edit raises the version
    (issuers.verification_version), so nothing stale is answered. The base URL is part of the key because the
    documents carry it; the organisation id because a test or a restored database may reuse a slug."""

    # A snapshot holds a few kilobytes, plus its signed status lists (up to ~22 KB each when their bits are dense).
    def __init__(self, maxsize: int = 1024):
        self._snapshots: LRUCache = LRUCache(maxsize=maxsize)
        self._slugs_by_multikey: LRUCache = LRUCache(maxsize=4 * maxsize)  # a key never changes organisation
        self._lock = threading.Lock()

    def get(self, base_url: str, slug: str, organisation_id: str, version: int) -> IssuerSnapshot | None:
        with self._lock:
            snapshot = self._snapshots.get((base_url, slug))
        if snapshot is not None and (snapshot.organisation_id, snapshot.version) == (organisation_id, version):
            return snapshot
        return None

    def put(self, base_url: str, slug: str, snapshot: IssuerSnapshot) -> None:
        with self._lock:
            self._snapshots[base_url, slug] = snapshot

    def slug_for_multikey(self, multikey: str) -> str | None:
        with self._lock:
            return self._slugs_by_multikey.get(multikey)

    def remember_multikey(self, multikey: str, slug: str) -> None:
        with self._lock:
            self._slugs_by_multikey[multikey] = slug


#: This process's snapshots; every ServicePorts uses them unless given others.
issuer_snapshots = IssuerSnapshots()


def build_snapshot(material: IssuerMaterial, version: int) -> IssuerSnapshot:
    histories = {}
    for key in material.keys:
        history = KeyHistory(key.status, key.compromised_at)
        histories[f"{material.did}#{key.fragment}"] = history
        histories[did_key_verification_method_id(did_key_for(key.multikey))] = history
    return IssuerSnapshot(
        organisation_id=material.organisation_id,
        version=version,
        did_document=material.did_document,
        registry_entry=material.registry_entry,
        key_histories=histories,
    )


@dataclass
class ServicePorts:
    """Answers the verifier from one database session; never touches the network. What it reads about an issuer
    comes from `snapshots` when the issuer's verification version is unchanged, so that a verification costs one
    small query instead of re-reading the registry, the keys and the status lists."""

    session: Session
    ctx: IssuerContext
    clock: callable = utc_now
    snapshots: IssuerSnapshots | None = None
    loader: DocumentLoader = field(init=False)
    _checked: dict = field(init=False, default_factory=dict)  # slug -> snapshot, checked in this transaction

    def __post_init__(self):
        self.loader = DocumentLoader(did_resolver=self._resolve_for_loader)
        if self.snapshots is None:
            # Only a read-mostly transaction shares snapshots: it never writes, so it never sees a change that is
            # not committed yet (and might be rolled back) under a version number another change will take.
            shared = self.session.connection().get_execution_options().get(READ_MOSTLY)
            self.snapshots = issuer_snapshots if shared else IssuerSnapshots(maxsize=16)

    def _resolve_for_loader(self, did: str) -> dict:
        document = self.resolve_did(did)
        if document is None:
            from credentials.proofs.jsonld import DocumentLoaderError

            raise DocumentLoaderError(f"{did} is neither in the registry nor a did:key")
        return document

    def _is_platform(self, did: str) -> bool:
        return did.split("#", 1)[0] == platform_did(self.ctx.base_url)

    def _snapshot(self, slug: str | None) -> IssuerSnapshot | None:
        """The organisation's snapshot, checked against its current version once per transaction."""
        if not slug or not SLUG_RE.fullmatch(slug):  # e.g. a NUL byte, which PostgreSQL refuses in a query
            return None
        if slug in self._checked:
            return self._checked[slug]
        current = current_version(self.session, slug)
        snapshot = None
        if current is not None:
            organisation_id, version = current
            snapshot = self.snapshots.get(self.ctx.base_url, slug, organisation_id, version)
            if snapshot is None:
                # Read after the version, so the snapshot is at least as new as the version it is filed under.
                material = issuers.issuer_material(self.session, self.ctx.base_url, organisation_id)
                if material is not None:
                    snapshot = build_snapshot(material, version)
                    self.snapshots.put(self.ctx.base_url, slug, snapshot)
        self._checked[slug] = snapshot
        return snapshot

    def _slug_of_did_key(self, did: str) -> str | None:
        try:
            multikey = did_key_multikey(did)
        except ValueError:  # not a key at all (a NUL byte, say): nobody's
            return None
        slug = self.snapshots.slug_for_multikey(multikey)
        if slug is None:
            slug = issuers.slug_of_signing_key(self.session, multikey)
            if slug is not None:  # unknown keys are not remembered: anyone can make up any number of them
                self.snapshots.remember_multikey(multikey, slug)
        return slug

    def _snapshot_of(self, did: str) -> IssuerSnapshot | None:
        did = did.split("#", 1)[0]
        if did.startswith("did:key:"):
            return self._snapshot(self._slug_of_did_key(did))
        return self._snapshot(slug_from_did_web(did, self.ctx.base_url))

    def resolve_did(self, did: str) -> dict | None:
        if self._is_platform(did):  # the platform signs the CLR bundles (verify.exports)
            return platform_document(self.session, self.ctx, create=False)
        if did.startswith("did:key:"):  # computed from the key itself, registered or not
            return issuers.resolve_did(self.session, self.ctx.base_url, did)
        snapshot = self._snapshot_of(did)
        return snapshot.did_document if snapshot is not None else None

    def registry_entry(self, did: str) -> dict | None:
        if self._is_platform(did):
            return platform_registry_entry(self.ctx.base_url)
        snapshot = self._snapshot_of(did)
        return snapshot.registry_entry if snapshot is not None else None

    def key_history(self, method_id: str) -> KeyHistory | None:
        snapshot = self._snapshot_of(method_id)
        return snapshot.key_histories.get(method_id) if snapshot is not None else None

    def issued_here(self, credential_id: str) -> StoredCredential | None:
        prefix = f"{self.ctx.base_url}/credentials/"
        if not credential_id.startswith(prefix):
            return None
        issued = issued_credential(self.session, credential_id[len(prefix) :])
        return StoredCredential(issued.issued_at, issued.document()) if issued else None

    def status_list(self, url: str) -> dict:
        platform = re.fullmatch(re.escape(self.ctx.base_url) + r"/levels/status/(suspension)/(\d+)", url or "")
        if platform is not None:  # the platform's own list (level credentials, credentials.levels)
            return self._platform_list(platform[1], int(platform[2]))
        match = re.fullmatch(
            re.escape(self.ctx.base_url) + r"/status/([a-z0-9-]+)/(revocation|suspension)/(\d+)", url or ""
        )
        if match is None:
            raise StatusListUnavailable("not a status list of this service (lists elsewhere are never fetched)")
        snapshot = self._snapshot(match[1])
        if snapshot is None:
            raise StatusListUnavailable("no such status list")
        place = (match[2], int(match[3]))
        signed = snapshot.status_lists.get(place)
        if signed is None:
            signed = self._current_list(match, snapshot)
            snapshot.status_lists[place] = signed
        return signed

    def _current_list(self, match: re.Match, snapshot: IssuerSnapshot) -> dict:
        current = credentials_status_lists.signed_list_text_if_current(self.session, match[1], match[2], int(match[3]))
        if current is not None:  # signed and current: one query, no status bits loaded
            signed = json.loads(current)
            if not signed_by_untrusted_key(
                signed, lambda method: getattr(snapshot.key_histories.get(method), "status", None)
            ):
                return signed
            # else signed before its key was reported compromised: credentials_status_lists.signed_status_list signs it again
        if self.session.connection().get_execution_options().get(READ_MOSTLY):
            # A read-mostly verification never writes itself: the list is re-signed in a short transaction of its
            # own, which also keeps it for every later verification.
            with Session(bind=self.session.get_bind()) as writer:
                signed = self._signed_list(writer, match)
                writer.commit()
            return signed
        return self._signed_list(self.session, match)

    def _platform_list(self, purpose: str, number: int) -> dict:
        signed = levels.current_platform_status_list(self.session, purpose, number)
        if signed is None:  # changed since it was signed: signed again in a short transaction of its own
            with Session(bind=self.session.get_bind()) as writer:
                signed = levels.signed_platform_status_list(writer, self.ctx, purpose, number)
                writer.commit()
        if signed is None:
            raise StatusListUnavailable("no such status list")
        return signed

    def _signed_list(self, session: Session, match: re.Match) -> dict:
        try:
            signed = credentials_status_lists.signed_status_list_text(
                session, self.ctx, match[1], match[2], int(match[3])
            )
        except UserError:
            raise StatusListUnavailable("no such status list") from None
        return json.loads(signed)

    def now(self) -> datetime:
        return self.clock()


def verify_in_session(session: Session, ctx: IssuerContext, credential) -> Verification:
    result = verify_credential(credential, ServicePorts(session, ctx))
    session.commit()  # a status list signed on first use is kept
    return result


def verify_with_service(session_factory: sessionmaker, ctx: IssuerContext, credential) -> Verification:
    """Verifies in a read-mostly transaction (on SQLite no write lock: verifications run side by side, and beside
    an issuing transaction)."""
    with session_factory() as session:
        session.connection(execution_options={READ_MOSTLY: True})
        return verify_in_session(session, ctx, credential)


def verify_presentation_with_service(
    session_factory: sessionmaker, ctx: IssuerContext, presentation, *, challenge: str | None, domain: str | None
) -> PresentationVerification:
    with session_factory() as session:
        session.connection(execution_options={READ_MOSTLY: True})
        result = verify_presentation(presentation, ServicePorts(session, ctx), challenge=challenge, domain=domain)
        session.commit()
        return result
