"""Fixtures for the hostile-input tests."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def unthrottled_app(settings):
    """The service with per-client throttling off: these tests post hundreds of documents from one client, and
    429s would hide what the endpoints themselves answer."""
    from volcred.app import create_app

    application = create_app(settings.model_copy(update={"rate_limits": False}))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def unthrottled_client(unthrottled_app):
    with TestClient(unthrottled_app) as test_client:
        yield test_client


@pytest.fixture
def lenient_client(unthrottled_app):
    """A client that answers a server error with its 500 instead of raising it, so that a test counts them."""
    with TestClient(unthrottled_app, raise_server_exceptions=False) as test_client:
        yield test_client
