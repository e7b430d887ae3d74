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


def database_snapshot(session_factory) -> dict:
    """Every row of every table, for proving that a refused request changed nothing."""
    with session_factory() as session:
        snapshot = {}
        for table in metadata.sorted_tables:
            columns = [c.name for c in table.columns if c.name != "last_used_at"]
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
        assert database_snapshot(session_factory) == before, f"{caller}'s refused request changed the database"
    for caller in sorted(allowed):
        response = call(caller_headers(caller, own, other, platform_admin_headers, limited_token), caller)
        assert 200 <= response.status_code < 300, (caller, response.status_code, response.text)
