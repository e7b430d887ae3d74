"""The verifier's view of the world, from the service's own data: registry, keys, issuance log, status lists."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from catalogue.i18n import UserError
from credentials import service as credentials
from credentials.jsonld import DocumentLoader
from credentials.store import CredentialRow, StatusListRow
from issuers import service as issuers
from issuers.db import READ_MOSTLY
from issuers.service import IssuerContext
from issuers.store import OrganisationRow
from verify.core import (KeyHistory, PresentationVerification, StatusListUnavailable, Verification, utc_now,
                         verify_credential, verify_presentation)
from verify.exports.platform import platform_did, platform_registry_entry
from verify.exports.service import platform_document


@dataclass
class ServicePorts:
    """Answers the verifier from one database session; never touches the network."""

    session: Session
    ctx: IssuerContext
    clock: callable = utc_now
    loader: DocumentLoader = field(init=False)

    def __post_init__(self):
        self.loader = DocumentLoader(did_resolver=self._resolve_for_loader)

    def _resolve_for_loader(self, did: str) -> dict:
        document = self.resolve_did(did)
        if document is None:
            from credentials.jsonld import DocumentLoaderError

            raise DocumentLoaderError(f"{did} is neither in the registry nor a did:key")
        return document

    def _is_platform(self, did: str) -> bool:
        return did.split("#", 1)[0] == platform_did(self.ctx.base_url)

    def resolve_did(self, did: str) -> dict | None:
        if self._is_platform(did):  # the platform signs the CLR bundles (verify.exports)
            return platform_document(self.session, self.ctx, create=False)
        return issuers.resolve_did(self.session, self.ctx.base_url, did)

    def registry_entry(self, did: str) -> dict | None:
        if self._is_platform(did):
            return platform_registry_entry(self.ctx.base_url)
        return issuers.registry_lookup(self.session, self.ctx.base_url, did)

    def key_history(self, method_id: str) -> KeyHistory | None:
        found = issuers.find_key_by_verification_method(self.session, self.ctx.base_url, method_id)
        if found is None:
            return None
        return KeyHistory(found.key.status, found.key.compromised_at)

    def issued_here_at(self, credential_id: str) -> datetime | None:
        prefix = f"{self.ctx.base_url}/credentials/"
        if not credential_id.startswith(prefix):
            return None
        row = self.session.get(CredentialRow, credential_id[len(prefix):])
        return row.issued_at if row else None

    def status_list(self, url: str) -> dict:
        match = re.fullmatch(re.escape(self.ctx.base_url) + r"/status/([a-z0-9-]+)/(revocation|suspension)/(\d+)",
                             url or "")
        if match is None:
            raise StatusListUnavailable("not a status list of this service (lists elsewhere are never fetched)")
        current = self.session.execute(
            select(StatusListRow.signed_credential)
            .join(OrganisationRow, OrganisationRow.id == StatusListRow.organisation_id)
            .where(OrganisationRow.slug == match[1], StatusListRow.purpose == match[2],
                   StatusListRow.number == int(match[3]), StatusListRow.signed_version >= StatusListRow.version)
        ).scalar()
        if current is not None:  # signed and current: one query, no status bits loaded
            return json.loads(current)
        if self.session.connection().get_execution_options().get(READ_MOSTLY):
            # A read-mostly verification never writes itself: the list is re-signed in a short transaction of its
            # own, which also keeps it for every later verification.
            with Session(bind=self.session.get_bind()) as writer:
                signed = self._signed_list(writer, match)
                writer.commit()
            return signed
        return self._signed_list(self.session, match)

    def _signed_list(self, session: Session, match: re.Match) -> dict:
        try:
            row = credentials.signed_status_list(session, self.ctx, match[1], match[2], int(match[3]))
        except UserError:
            raise StatusListUnavailable("no such status list") from None
        return json.loads(row.signed_credential)

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


def verify_presentation_with_service(session_factory: sessionmaker, ctx: IssuerContext, presentation, *,
                                     challenge: str | None, domain: str | None) -> PresentationVerification:
    with session_factory() as session:
        result = verify_presentation(presentation, ServicePorts(session, ctx), challenge=challenge, domain=domain)
        session.commit()
        return result
