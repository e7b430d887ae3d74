"""Imports every package's tables so that `Base.metadata` is complete (for Alembic and tests)."""

import issuers.store  # noqa: F401
from issuers.db import Base

metadata = Base.metadata
