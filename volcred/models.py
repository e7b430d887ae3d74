"""Imports every package's tables so that `Base.metadata` is complete (for Alembic and tests)."""

import base.mail.store  # noqa: F401
import credentials.batches.store  # noqa: F401
import credentials.holders.store  # noqa: F401
import credentials.hourslog.store  # noqa: F401
import credentials.levels.store  # noqa: F401
import credentials.missions.store  # noqa: F401
import credentials.reports.summary  # noqa: F401
import credentials.store  # noqa: F401
import credentials.wallet.store  # noqa: F401
import issuers.platform_keys  # noqa: F401
import issuers.store  # noqa: F401
from base.db import Base

metadata = Base.metadata
