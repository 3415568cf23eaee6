"""Instants are stored as integer Unix milliseconds (UTC): identical on SQLite and PostgreSQL,
cheap to compare and to bind in bulk."""

from __future__ import annotations

from datetime import UTC, datetime


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)
