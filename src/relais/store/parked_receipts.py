"""Receipts waiting for their submit: a receipt is acknowledged to the carrier only once it
is stored somewhere, so one that matches no known part yet is written here rather than held
in memory (where it blocks the carrier's window and dies with the process)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from relais.core.connector import Receipt
from relais.core.status import MessageStatus
from relais.store.tables import parked_receipts


@dataclass(frozen=True, slots=True)
class ParkedReceipt:
    id: int
    receipt: Receipt
    parked_at_ms: int


def park(conn: Connection, receipts: Sequence[Receipt], *, now_ms: int) -> None:
    if receipts:
        conn.execute(
            insert(parked_receipts),
            [
                {
                    "connector": r.connector,
                    "carrier_ids": " ".join(r.carrier_ids),
                    "status": r.status.value,
                    "done_at": r.done_at_ms,
                    "error": r.error,
                    "parked_at": now_ms,
                }
                for r in receipts
            ],
        )


def any_parked(conn: Connection) -> bool:
    return conn.execute(select(parked_receipts.c.id).limit(1)).first() is not None


def take(conn: Connection, *, after_id: int, limit: int) -> list[ParkedReceipt]:
    """Parked receipts in the order they came, from after `after_id`, locked so that two
    processes sweeping at once do not apply the same ones."""
    rows = conn.execute(
        select(parked_receipts)
        .where(parked_receipts.c.id > after_id)
        .order_by(parked_receipts.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [
        ParkedReceipt(
            id=row.id,
            receipt=Receipt(
                connector=row.connector,
                carrier_ids=tuple(row.carrier_ids.split()),
                status=MessageStatus(row.status),
                done_at_ms=row.done_at,
                error=row.error,
            ),
            parked_at_ms=row.parked_at,
        )
        for row in rows
    ]


def forget(conn: Connection, ids: Sequence[int]) -> None:
    if ids:
        conn.execute(delete(parked_receipts).where(parked_receipts.c.id.in_(ids)))
