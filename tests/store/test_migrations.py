"""The migrations build exactly the schema store/tables/ declares, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from relais.store.tables import metadata


async def test_migrated_schema_matches_the_declared_tables(platform):
    def differences(conn):
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    assert await platform.db.read(differences) == []
