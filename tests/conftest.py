"""Every test that touches a database runs on SQLite and on PostgreSQL.

PostgreSQL comes from RELAIS_TEST_POSTGRES_URL (default: the machine's server, database
`test`). If it cannot be reached the run stops with an error: a suite that silently skipped
half its backends would prove nothing. RELAIS_TEST_BACKENDS=sqlite narrows a local run on
purpose. Under pytest-xdist (`-n 2`) each worker has a database of its own beside that one,
named after it (`test_gw0`, ...), created when missing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from tests.support import Customer, make_customer

from relais.api.app import create_app
from relais.config import Settings
from relais.services import accounts
from relais.services.platform import Platform
from relais.store.database import async_url
from relais.store.migrate import upgrade
from relais.store.postgres_database import PostgresDatabase, postgres_engine
from relais.store.tables import metadata

SHARED_POSTGRES_URL = os.environ.get(
    "RELAIS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
POSTGRES_URL = (
    make_url(SHARED_POSTGRES_URL)
    .set(database=f"{make_url(SHARED_POSTGRES_URL).database}_{XDIST_WORKER}")
    .render_as_string(hide_password=False)
    if XDIST_WORKER
    else SHARED_POSTGRES_URL
)
BACKENDS = [b for b in os.environ.get("RELAIS_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def pytest_sessionstart(session: pytest.Session) -> None:
    if "postgresql" not in BACKENDS:
        return
    try:
        if XDIST_WORKER:
            asyncio.run(_create_worker_database())
        asyncio.run(_reset_postgres_schema())
    except Exception as exc:  # any failure here must stop the run loudly
        pytest.exit(
            f"PostgreSQL is unreachable at {POSTGRES_URL} ({type(exc).__name__}: {exc}); "
            "start it or set RELAIS_TEST_BACKENDS=sqlite explicitly",
            returncode=3,
        )


async def _create_worker_database() -> None:
    name = make_url(POSTGRES_URL).database
    shared = make_url(SHARED_POSTGRES_URL).set(drivername="postgresql")
    conn = await asyncpg.connect(shared.render_as_string(hide_password=False))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # another run's
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _reset_postgres_schema() -> None:
    engine = create_async_engine(async_url(POSTGRES_URL))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    await upgrade(POSTGRES_URL)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2 at its cheapest in this process: the suite hashes a password for nearly every
    test. Production cost is not a setting anyone could lower; `relais` processes that tests
    start still hash at that cost."""
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "_hasher", cheap)
        patch.setattr(accounts, "_DUMMY_HASH", cheap.hash("no account has this password"))
        yield


@pytest.fixture(scope="session")
def empty_postgres() -> Iterator[Callable[[], None]]:
    """Empty every table of the test database, as TRUNCATE ... RESTART IDENTITY would, on one
    connection kept for the session (on a loop of its own: each test runs its own loop).
    DELETE on the few rows a test leaves takes milliseconds where TRUNCATE takes ~100 ms."""
    loop = asyncio.new_event_loop()
    engine = create_async_engine(async_url(POSTGRES_URL), pool_size=1)

    async def statements() -> str:
        async with engine.connect() as conn:
            sequences = (
                await conn.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                )
            ).scalars()
            # cache_epochs holds reference rows the migration seeds; their versions may carry over.
            deletes = [
                f"DELETE FROM {table.name}"
                for table in reversed(metadata.sorted_tables)
                if table.name != "cache_epochs"
            ]
            return "; ".join([*deletes, *(f"ALTER SEQUENCE {s} RESTART" for s in sequences)])

    async def empty(sql: str) -> None:
        async with engine.begin() as conn:
            raw = await conn.get_raw_connection()
            await raw.driver_connection.execute(sql)  # several statements in one round trip

    sql = loop.run_until_complete(statements())
    try:
        yield lambda: loop.run_until_complete(empty(sql))
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


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
    request.getfixturevalue("empty_postgres")()
    return POSTGRES_URL


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, dispatcher_enabled=False)


@pytest.fixture(scope="session")
def shared_postgres_engine() -> AsyncEngine:
    """The engine of every test's PostgreSQL platform: each test's close empties its pool (its
    connections belong to the test's loop) while its dialect and compiled SQL carry over."""
    return postgres_engine(async_url(POSTGRES_URL))


@pytest.fixture
async def platform(settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Platform]:
    if settings.database_url == POSTGRES_URL:
        engine = request.getfixturevalue("shared_postgres_engine")
        platform = Platform(db=PostgresDatabase(POSTGRES_URL, engine=engine), settings=settings)
    else:
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
