"""The `browser` fixture: headless Chromium (tests/browser/harness.py) at a phone's width and a desktop's, each test
run at both. The `live_server` it is pointed at is tests/conftest.py's (the real service under uvicorn)."""

from __future__ import annotations

import pytest

from tests.browser.harness import DESKTOP, PHONE, chromium


@pytest.fixture(params=[PHONE, DESKTOP], ids=["390px", "1280px"])
def browser(request):
    with chromium(request.param) as driver:
        yield driver
