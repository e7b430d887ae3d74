"""The authorisation matrix helper: every caller against a write endpoint; the refused ones must change nothing."""

from __future__ import annotations

from sqlalchemy import text

from volcred.models import metadata

CALLERS = (
    "anonymous",
    "own_token",
    "own_token_no_scope",
    "own_admin",
    "own_coordinator",
    "other_token",
    "other_admin",
    "platform_admin",
    "garbage_token",
)


# Columns the service's background threads change on their own, whatever a request does: a token's last use, and the
# outbox sender's progress through messages queued earlier (the messages themselves are compared).
BACKGROUND = {
    "outbox": (
        "subject",
        "body_text",
        "body_html",
        "status",
        "attempts",
        "next_attempt_at",
        "leased_until",
        "lease_owner",
        "last_error",
        "sent_at",
    ),
}


def database_snapshot(session_factory) -> dict:
    """Every row of every table, for proving that a refused request changed nothing."""
    with session_factory() as session:
        snapshot = {}
        for table in metadata.sorted_tables:
            columns = [c.name for c in table.columns if c.name not in BACKGROUND.get(table.name, ("last_used_at",))]
            quoted = ", ".join(f'"{name}"' for name in columns)
            rows = session.execute(text(f'SELECT {quoted} FROM "{table.name}"')).all()
            snapshot[table.name] = sorted(map(repr, rows))
        return snapshot


def caller_headers(caller: str, own, other, platform_admin_headers, limited_token: str | None) -> dict:
    return {
        "anonymous": {},
        "own_token": own.headers("token"),
        "own_token_no_scope": {"Authorization": f"Bearer {limited_token}"},
        "own_admin": own.headers("admin"),
        "own_coordinator": own.headers("coordinator"),
        "other_token": other.headers("token"),
        "other_admin": other.headers("admin"),
        "platform_admin": platform_admin_headers,
        "garbage_token": {"Authorization": "Bearer vco_not-a-real-token"},
    }[caller]


def check_matrix(
    client, session_factory, own, other, platform_admin_headers, call, allowed: set[str], limited_token: str
):
    """Calls `call(headers, caller)` as every caller: refused ones get 401/403/404 and leave the database as it was;
    then each allowed caller succeeds (called last, since success changes state)."""
    for caller in CALLERS:
        if caller in allowed:
            continue
        before = database_snapshot(session_factory)
        response = call(caller_headers(caller, own, other, platform_admin_headers, limited_token), caller)
        assert response.status_code in (401, 403, 404), (caller, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        after = database_snapshot(session_factory)
        changed = [(t, sorted(set(after[t]) ^ set(before[t]))[:3]) for t in after if after[t] != before[t]]
        assert after == before, f"{caller}'s refused request changed the database: {changed}"
    for caller in sorted(allowed):
        response = call(caller_headers(caller, own, other, platform_admin_headers, limited_token), caller)
        assert 200 <= response.status_code < 300, (caller, response.status_code, response.text)
