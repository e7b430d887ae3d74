"""The e-mails that credentials' events send, each queued in the event's own transaction (base.mail.queue_email):

- a credential issued -> its volunteer (named, with an e-mail; a pseudonymous volunteer never gets one), in the
  language of the volunteer's account when the address has one (`recipient_language`), else the record's, on every path that issues a record (`credentials.service.issue_records`: the API, the
  workspace, a mission's issue-all, batches); one per credential (`credential-issued:{id}`), so a batch resumed
  after a crash sends nothing twice. VC-API credentials have no volunteer of ours: no e-mail;
- a volunteer's statement approved or returned -> the volunteer who drafted it (the address they gave, else the one
  the invitation was sent to), with the organiser's comment when returned. The invitation link cannot be sent again:
  only its hash is kept, so the e-mail points to the original invitation;
- a daily digest -> each owner and coordinator of an organisation with statements waiting for review (nothing when
  none wait); `digest:{organisation}:{user}:{date}` keeps it to one a day however often it runs
  (`ReviewDigestWorker` in the service, `volcred mail digest` from cron).

Templates are `credentials/templates/email/*.txt|html`; texts in credentials/messages.toml (`mail.*`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from base.mail import OutboxRow, queue_email
from base.worker import PollingWorker
from credentials.common import RIGA, verify_page_url
from credentials.holders.store import HolderRow
from credentials.records import lifecycle
from credentials.store import InvitationRow, RecordRow, VolunteerRow
from issuers.store import MembershipRow, OrganisationRow, UserRow

log = logging.getLogger(__name__)

CREDENTIAL_ISSUED = "credential_issued"
STATEMENT_APPROVED = "statement_approved"
STATEMENT_RETURNED = "statement_returned"
REVIEW_DIGEST = "review_digest"
DIGEST_ROLES = ("owner", "coordinator")
DIGEST_LANGUAGE = "lv"  # an account keeps no language of its own yet


def my_url(base_url: str) -> str:
    """Where a volunteer signs in with their e-mail address and finds all their credentials."""
    return f"{base_url}/my"


def _hours(value: Decimal) -> Decimal:
    normalised = value.normalize()
    return normalised.quantize(Decimal(1)) if normalised == normalised.to_integral() else normalised


def credential_issued(
    session: Session,
    base_url: str,
    org: OrganisationRow,
    record: RecordRow,
    volunteer: VolunteerRow,
    credential_id: str,
) -> None:
    """Tells a named volunteer with an e-mail address that their credential was issued (nothing otherwise)."""
    if volunteer.kind != "named" or not volunteer.email:
        return
    queue_email(
        session,
        to=volunteer.email,
        template=f"credentials/{CREDENTIAL_ISSUED}",
        language=recipient_language(session, volunteer.email, record.language),
        context={
            "organisation": org.legal_name,
            "title": record.title,
            "hours": _hours(record.hours),
            "start": record.start_date,
            "end": record.end_date,
            "verify_url": verify_page_url(base_url, credential_id),
            "my_url": my_url(base_url),
        },
        kind=CREDENTIAL_ISSUED,
        dedupe_key=f"credential-issued:{credential_id}",
    )


def recipient_language(session: Session, address: str, fallback: str) -> str:
    """The language a volunteer reads: their account's (the place they keep, in lv, en, ru or uk) when the address
    has one, else `fallback` (the record's: lv or en)."""
    found = session.scalar(
        select(HolderRow.language)
        .join(UserRow, UserRow.id == HolderRow.user_id)
        .where(UserRow.email == address.strip().lower())
    )
    return found or fallback


def statement_address(session: Session, record: RecordRow) -> str | None:
    """Where the volunteer who drafted `record` reads e-mail: the address they gave, else the invitation's."""
    volunteer = session.get(VolunteerRow, record.volunteer_id)
    if volunteer is None or volunteer.kind != "named":
        return None
    if volunteer.email:
        return volunteer.email
    return session.scalar(select(InvitationRow.sent_to).where(InvitationRow.record_id == record.id))


def statement_reviewed(session: Session, base_url: str, record: RecordRow, outcome: str) -> None:
    """Tells the volunteer who drafted `record` that it was approved or returned (`outcome`: the e-mail kind)."""
    if record.source != "volunteer":
        return
    address = statement_address(session, record)
    if not address:
        return
    org = session.get_one(OrganisationRow, record.organisation_id)
    returned = outcome == STATEMENT_RETURNED
    queue_email(
        session,
        to=address,
        template=f"credentials/{outcome}",
        language=recipient_language(session, address, record.language),
        context={
            "organisation": org.legal_name,
            "title": record.title,
            "comment": (record.review_comment or "") if returned else "",
            "my_url": my_url(base_url),
        },
        kind=outcome,
        # Approved once; a statement may come back more than once, each return its own message.
        dedupe_key=None if returned else f"statement-approved:{record.id}",
    )


# --- the coordinators' daily digest -----------------------------------------------------------------------------


def digest_key(organisation_id: str, user_id: str, day: date) -> str:
    return f"digest:{organisation_id}:{user_id}:{day.isoformat()}"


def queue_review_digests(session: Session, base_url: str, day: date) -> int:
    """Queues `day`'s digest to every owner and coordinator of each organisation with statements waiting for
    review, once a day each; how many were queued now."""
    waiting = dict(
        session.execute(
            select(RecordRow.organisation_id, func.count())
            .where(RecordRow.status == lifecycle.SUBMITTED)
            .group_by(RecordRow.organisation_id)
        ).all()
    )
    if not waiting:
        return 0
    people = session.execute(
        select(OrganisationRow, UserRow)
        .join(MembershipRow, MembershipRow.organisation_id == OrganisationRow.id)
        .join(UserRow, UserRow.id == MembershipRow.user_id)
        .where(
            OrganisationRow.id.in_(list(waiting)),
            MembershipRow.role.in_(DIGEST_ROLES),
            UserRow.disabled_at.is_(None),
        )
        .order_by(OrganisationRow.id, UserRow.id)
    ).all()
    keys = {digest_key(org.id, user.id, day) for org, user in people}
    sent = set(session.scalars(select(OutboxRow.dedupe_key).where(OutboxRow.dedupe_key.in_(keys)))) if keys else set()
    queued = 0
    for org, user in people:
        key = digest_key(org.id, user.id, day)
        if key in sent:
            continue
        queue_email(
            session,
            to=user.email,
            template=f"credentials/{REVIEW_DIGEST}",
            language=DIGEST_LANGUAGE,
            context={
                "organisation": org.legal_name,
                "count": waiting[org.id],
                "inbox_url": f"{base_url}/org/{org.slug}/statements",
            },
            kind=REVIEW_DIGEST,
            dedupe_key=key,
        )
        sent.add(key)
        queued += 1
    return queued


def latvian_now() -> datetime:
    return datetime.now(RIGA)


class ReviewDigestWorker(PollingWorker):
    """Sends the day's digests once the day in Latvia reaches `hour` (each at most once a day: see digest_key)."""

    name = "review-digest"

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Session]],
        base_url: str,
        hour: int = 8,
        poll_seconds: float = 600.0,
        clock: Callable[[], datetime] = latvian_now,
    ):
        super().__init__(poll_seconds)
        self.transaction, self.base_url, self.hour, self.clock = transaction, base_url, hour, clock

    def work(self) -> None:
        now = self.clock()
        if now.hour < self.hour:
            return
        with self.transaction() as session:
            queued = queue_review_digests(session, self.base_url, now.date())
        if queued:
            log.info("review digests queued: %d", queued)
