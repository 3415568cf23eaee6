"""Apply the Alembic migrations shipped in relais/store/migrations to a database URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from relais.store.database import async_url, sqlite_path
from relais.store.storage_errors import opening

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to call on every start."""
    path = sqlite_path(url)
    with opening(url):
        if path is not None:
            engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
            with engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                _upgrade(conn, revision)
            engine.dispose()
            return
        aengine = create_async_engine(async_url(url), poolclass=NullPool)
        async with aengine.begin() as aconn:
            await aconn.run_sync(_upgrade, revision)
        await aengine.dispose()
