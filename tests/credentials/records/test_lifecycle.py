"""The record life cycle is one table: what it allows, and that the services keep to it."""

import pytest

from credentials.records import lifecycle
from credentials.records.lifecycle import APPROVED, DRAFT, ISSUED, RETURNED, SUBMITTED, SUPERSEDED
from tests.credentials.helpers import record_body


def test_a_volunteer_s_statement_is_approved_only_once_submitted():
    assert not lifecycle.allows(DRAFT, "approve", "volunteer")
    assert lifecycle.allows(SUBMITTED, "approve", "volunteer")
    assert lifecycle.allows(DRAFT, "approve", "organiser") and lifecycle.allows(DRAFT, "approve", "batch")


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        (DRAFT, "submit", SUBMITTED),
        (RETURNED, "submit", SUBMITTED),
        (RETURNED, "save", DRAFT),
        (SUBMITTED, "return", RETURNED),
        (SUBMITTED, "approve", APPROVED),
        (APPROVED, "approve_edited", APPROVED),
        (APPROVED, "issue", ISSUED),
        (ISSUED, "supersede", SUPERSEDED),
    ],
)
def test_allowed_transitions_lead_where_the_table_says(status, action, after):
    assert lifecycle.next_status(status, action, "organiser") == after


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (DRAFT, "issue"),
        (SUBMITTED, "issue"),
        (ISSUED, "approve"),
        (ISSUED, "return"),
        (APPROVED, "return"),
        (SUPERSEDED, "revise"),
        (SUPERSEDED, "approve"),
        (SUBMITTED, "save"),
        (APPROVED, "revise"),
        (DRAFT, "return"),
    ],
)
def test_everything_else_is_refused(status, action):
    assert not lifecycle.allows(status, action, "organiser")
    with pytest.raises(ValueError):
        lifecycle.next_status(status, action, "organiser")


def test_only_drafts_and_returned_statements_are_editable():
    assert set(lifecycle.EDITABLE) == {DRAFT, RETURNED}


def test_the_records_api_refuses_what_the_table_refuses(client, make_org):
    headers = make_org("lifecycle").headers()
    record = client.post("/records", json=record_body(), headers=headers).json()
    assert record["status"] == APPROVED
    returned = client.post(
        f"/records/{record['id']}/return", json={"review_comment": "Lūdzu, precizējiet."}, headers=headers
    )
    assert returned.status_code == 409  # only a submitted statement goes back to the volunteer
    revised = client.post(f"/records/{record['id']}/revise", json={}, headers=headers)
    assert revised.status_code == 409  # only an issued record is corrected
