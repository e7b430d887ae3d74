"""FastAPI dependencies of the wiring; the shared ones live in the packages and are re-exported here."""

from base.http import page_language as get_language  # noqa: F401  (re-exported)
from base.http import get_session  # noqa: F401  (re-exported for the wiring's own routes)
