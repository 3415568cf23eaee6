"""Every test that touches a database runs on SQLite and on PostgreSQL.

PostgreSQL comes from RELAIS_TEST_POSTGRES_URL (default: the machine's server, database
`test`). If it cannot be reached the run stops with an error: a suite that silently skipped
half its backends would prove nothing. RELAIS_TEST_BACKENDS=sqlite narrows a local run on
purpose."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from tests.support import Customer, make_customer

from relais.api.app import create_app
from relais.config import Settings
from relais.services.platform import Platform
from relais.store.migrate import upgrade
from relais.store.tables import metadata

POSTGRES_URL = os.environ.get(
    "RELAIS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = [b for b in os.environ.get("RELAIS_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def pytest_sessionstart(session: pytest.Session) -> None:
    if "postgresql" not in BACKENDS:
        return
    try:
        asyncio.run(_reset_postgres_schema())
    except Exception as exc:  # any failure here must stop the run loudly
        pytest.exit(
            f"PostgreSQL is unreachable at {POSTGRES_URL} ({type(exc).__name__}: {exc}); "
            "start it or set RELAIS_TEST_BACKENDS=sqlite explicitly",
            returncode=3,
        )


async def _reset_postgres_schema() -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from relais.store.database import async_url

    engine = create_async_engine(async_url(POSTGRES_URL))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    await upgrade(POSTGRES_URL)


async def _truncate_postgres() -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    from relais.store.database import async_url

    engine = create_async_engine(async_url(POSTGRES_URL))
    # cache_epochs holds reference rows the migration seeds; their versions may carry over.
    names = ", ".join(t.name for t in metadata.sorted_tables if t.name != "cache_epochs")
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "relais.db"
    asyncio.run(upgrade(f"sqlite:///{path}"))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "relais.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    asyncio.run(_truncate_postgres())
    return POSTGRES_URL


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, dispatcher_enabled=False)


@pytest.fixture
async def platform(settings: Settings) -> AsyncIterator[Platform]:
    platform = Platform.open(settings)
    yield platform
    await platform.close()


@pytest.fixture
async def client(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(platform))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://relais.test", headers={"Accept": "application/json"}
    ) as client:
        yield client


@pytest.fixture
async def customer(platform: Platform) -> Customer:
    return await make_customer(platform)
