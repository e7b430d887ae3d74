"""Every workspace page of statements, credentials and batches renders in Latvian and English, for an owner and for a
viewer, with a label for each form control and no text left untranslated."""

from __future__ import annotations

import re

import pytest

from tests.credentials.batch_helpers import csv_bytes, good_row
from tests.credentials.helpers import issue, record_body
from tests.credentials.records.test_drafts_pages import labels_cover_inputs
from tests.credentials.workspace_helpers import submitted_statement
from tests.pages import submit


@pytest.fixture
def pages(workspace) -> list[str]:
    statement, _ = submitted_statement(workspace.client, workspace.org)
    _, issued = issue(workspace.client, workspace.org, record_body())
    uploaded = submit(
        workspace.client,
        "/org/ws-org/batches",
        "/org/ws-org/batches",
        {},
        files={"file": ("rows.csv", csv_bytes([good_row(1), {**good_row(2), "hours": "x"}]))},
    )
    batch = uploaded.headers["location"].split("?")[0]
    credential = f"/org/ws-org/credentials/{issued['credential_id']}"
    return [
        "/org/ws-org/statements",
        f"/org/ws-org/records/{statement}",
        "/org/ws-org/credentials",
        "/org/ws-org/credentials?volunteer=K%C4%81rlis&status=active&from=2026-01-01&to=2026-12-31&mission=festiv",
        credential,
        f"{credential}/correct",
        "/org/ws-org/batches",
        batch,
    ]


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_every_page_renders_with_labelled_controls(workspace, pages, lang):
    viewer = workspace.as_role("viewer")
    for url in pages:
        answer = workspace.client.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
        assert answer.status_code == 200, (url, answer.status_code)
        assert f'<html lang="{lang}">' in answer.text and "<h1" in answer.text
        assert not re.search(r"(?<![\w./-])ws\.[a-z]", answer.text), url  # no message key instead of its text
        if re.search(r'<(?:input|textarea|select)(?![^>]*type="hidden")', answer.text):
            labels_cover_inputs(answer.text)
        if not url.endswith("/correct"):
            seen = viewer.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")
            assert seen.status_code == 200 and 'method="post" action="/org' not in seen.text.replace(
                'action="/logout"', ""
            )
    assert viewer.get(f"{pages[5]}").status_code == 403  # the correction form is for those who may correct
