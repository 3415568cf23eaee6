"""Fixtures of the store's PostgreSQL tests: a session beside the platform's writer."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from relais.store.database import async_url


@pytest.fixture
async def other_session(platform, settings):
    """PostgreSQL: a connection of its own, outside the platform's writer (skipped on
    SQLite, whose single writer takes no advisory lock)."""
    if platform.db.dialect != "postgresql":
        pytest.skip("SQLite's single writer takes no advisory lock")
    engine = create_async_engine(async_url(settings.database_url))
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()
