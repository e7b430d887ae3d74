"""Imports every package's tables so that `Base.metadata` is complete (for Alembic and tests)."""

from issuers.db import Base

metadata = Base.metadata
