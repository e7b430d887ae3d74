"""What the package's use cases share: the Latvian calendar day, the document loader credentials are read with,
and the public URLs of credentials, their pages and status lists."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from credentials.proofs.jsonld import DocumentLoader

RIGA = ZoneInfo("Europe/Riga")


def today_in_latvia() -> date:
    return datetime.now(RIGA).date()


@lru_cache(maxsize=1)
def credential_loader() -> DocumentLoader:
    """The offline loader for signing: the bundled contexts, the project's own among them."""
    return DocumentLoader()


def credential_url(base_url: str, credential_id: str) -> str:
    return f"{base_url}/credentials/{credential_id}"


def verify_page_url(base_url: str, credential_id: str) -> str:
    return f"{base_url}/v/{credential_id}"


def status_list_url(base_url: str, slug: str, purpose: str, number: int) -> str:
    return f"{base_url}/status/{slug}/{purpose}/{number}"
