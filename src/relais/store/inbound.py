"""Inbound SMS (replies and STOPs) and the blacklist a STOP feeds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select

from relais.store.tables import blacklist, inbound_messages, messages


@dataclass(frozen=True, slots=True)
class InboundRow:
    connector: str
    source: str
    destination: str
    text: str
    is_stop: bool
    received_at_ms: int


def last_message_to(conn: Connection, destination: str) -> tuple[int, int] | None:
    """(message id, account id) of the latest message sent to `destination`: a reply or a
    STOP belongs to the account that last wrote to that number."""
    row = conn.execute(
        select(messages.c.id, messages.c.account_id)
        .where(messages.c.destination == destination)
        .order_by(messages.c.id.desc())
        .limit(1)
    ).first()
    return (row.id, row.account_id) if row else None


def record_inbound(conn: Connection, rows: Sequence[InboundRow]) -> list[int | None]:
    """Store each inbound SMS with the account it answers; blacklist senders of a STOP.
    Returns the account id of each row (None when no account wrote to that number)."""
    owners: list[int | None] = []
    for row in rows:
        last = last_message_to(conn, row.source)
        message_id, account_id = last if last else (None, None)
        owners.append(account_id)
        conn.execute(
            insert(inbound_messages).values(
                account_id=account_id,
                message_id=message_id,
                connector=row.connector,
                source=row.source,
                destination=row.destination,
                text=row.text,
                is_stop=row.is_stop,
                received_at=row.received_at_ms,
            )
        )
        if row.is_stop and account_id is not None:
            add_to_blacklist(
                conn,
                account_id=account_id,
                destination=row.source,
                origin="stop",
                now_ms=row.received_at_ms,
            )
    return owners


def add_to_blacklist(
    conn: Connection, *, account_id: int, destination: str, origin: str, now_ms: int
) -> bool:
    """Add a number once; False when it was already there."""
    exists = conn.execute(
        select(blacklist.c.id).where(
            blacklist.c.account_id == account_id, blacklist.c.destination == destination
        )
    ).first()
    if exists:
        return False
    conn.execute(
        insert(blacklist).values(
            account_id=account_id, destination=destination, origin=origin, created_at=now_ms
        )
    )
    return True


# Built once: it runs inside every send. An expanding IN is re-rendered on each execution,
# so the single recipient of a single send gets its own plain statement.
_BLACKLISTED = select(blacklist.c.destination).where(
    blacklist.c.account_id == bindparam("account"),
    blacklist.c.destination.in_(bindparam("numbers", expanding=True)),
)
_BLACKLISTED_ONE = select(blacklist.c.destination).where(
    blacklist.c.account_id == bindparam("account"),
    blacklist.c.destination == bindparam("number"),
)


def blacklisted_among(conn: Connection, *, account_id: int, numbers: Sequence[str]) -> set[str]:
    if not numbers:
        return set()
    if len(numbers) == 1:
        params = {"account": account_id, "number": numbers[0]}
        return set(conn.execute(_BLACKLISTED_ONE, params).scalars())
    return set(
        conn.execute(_BLACKLISTED, {"account": account_id, "numbers": list(numbers)}).scalars()
    )
