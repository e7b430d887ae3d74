"""FastAPI dependencies of the wiring; the shared ones live in the packages and are re-exported here."""

from catalogue.api import page_language as get_language  # noqa: F401  (re-exported)
from issuers.http import get_session  # noqa: F401  (re-exported for the wiring's own routes)
