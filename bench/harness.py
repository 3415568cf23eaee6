"""What the benchmarks share: the PostgreSQL they run on, free ports, a clean schema."""

from __future__ import annotations

import os
import socket

POSTGRES_URL = os.environ.get(
    "RELAIS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def reset_postgres() -> None:
    """Drop everything in the benchmark database: each run starts from an empty schema."""
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL)
    await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    await conn.close()
