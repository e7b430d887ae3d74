"""The least a durable `POST /credentials/issue` can do, as a reference for `bench issue` in the same run.

A bare FastAPI app under the same uvicorn, on the same database with the service's engine settings (`make_engine`:
SQLite in WAL with synchronous=FULL, PostgreSQL with its session options): one transaction that looks the bearer
token up, signs the credential with the service's own signer, stores it and one audit row, and commits before the
201. No middleware, no status list entries, no audit chain, no key lookup, no checks of the document: what is left
is HTTP, signing and a durable write. Whatever rate it reaches bounds what the service can.

    python -m uvicorn bench.issue_floor:app   (FLOOR_DATABASE_URL, FLOOR_TOKEN, FLOOR_KEY, FLOOR_METHOD set)
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from types import SimpleNamespace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from base.db import make_engine
from credentials.common import credential_url
from credentials.proofs.dataintegrity import format_created
from credentials.service import sign_document
from issuers.auth import hash_token

BASE_URL = "https://apliecinajumi.example.lv"

engine = make_engine(os.environ["FLOOR_DATABASE_URL"])
identity = SimpleNamespace(
    private_key=Ed25519PrivateKey.from_private_bytes(bytes.fromhex(os.environ["FLOOR_KEY"])),
    verification_method=os.environ["FLOOR_METHOD"],
)
with engine.begin() as connection:
    for statement in (
        "CREATE TABLE IF NOT EXISTS floor_tokens (token_hash VARCHAR(64) PRIMARY KEY, organisation VARCHAR(32))",
        "CREATE TABLE IF NOT EXISTS floor_credentials (id VARCHAR(32) PRIMARY KEY, organisation VARCHAR(32), "
        "document TEXT, issued_at VARCHAR(32))",
        "CREATE TABLE IF NOT EXISTS floor_audit (id VARCHAR(32) PRIMARY KEY, organisation VARCHAR(32), "
        "subject VARCHAR(32), at VARCHAR(32))",
        "DELETE FROM floor_tokens",
    ):
        connection.execute(text(statement))
    connection.execute(
        text("INSERT INTO floor_tokens VALUES (:token_hash, 'bench')"),
        {"token_hash": hash_token(os.environ["FLOOR_TOKEN"])},
    )

app = FastAPI()


def _issue(token: str, credential: dict) -> str:
    with engine.begin() as connection:
        organisation = connection.execute(
            text("SELECT organisation FROM floor_tokens WHERE token_hash = :token_hash"),
            {"token_hash": hash_token(token)},
        ).scalar()
        if organisation is None:
            raise PermissionError("unknown token")
        credential_id = secrets.token_hex(16)
        now = format_created(datetime.now(UTC))
        document = {**credential, "id": credential_url(BASE_URL, credential_id), "validFrom": now}
        signed = json.dumps(sign_document(document, identity, now), ensure_ascii=False, separators=(",", ":"))
        connection.execute(
            text("INSERT INTO floor_credentials VALUES (:id, :organisation, :document, :at)"),
            {"id": credential_id, "organisation": organisation, "document": signed, "at": now},
        )
        connection.execute(
            text("INSERT INTO floor_audit VALUES (:id, :organisation, :subject, :at)"),
            {"id": secrets.token_hex(16), "organisation": organisation, "subject": credential_id, "at": now},
        )
    return signed


@app.post("/credentials/issue", status_code=201)
async def issue(request: Request) -> Response:
    body = await request.json()
    token = request.headers.get("authorization", "").partition(" ")[2]
    try:
        signed = await run_in_threadpool(_issue, token, body["credential"])
    except PermissionError:
        return Response(status_code=401)
    return Response(f'{{"verifiableCredential":{signed}}}'.encode(), status_code=201, media_type="application/json")
