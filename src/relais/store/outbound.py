"""The messages table as the outbound queue: claim, report submits, apply receipts.

Claims are leases: a worker that dies mid-batch leaves rows in `sending` whose
`claimed_until` passes, and the next claim takes them again. On PostgreSQL the claim skips
rows another worker has locked; on SQLite the single writer already serialises claims."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Connection,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    update,
)

from relais.core.status import PREDECESSORS, MessageStatus
from relais.store.tables import campaigns, messages

_QUEUED = MessageStatus.QUEUED.value
_SENDING = MessageStatus.SENDING.value


def _may_become(status: MessageStatus) -> ColumnElement[bool]:
    """`status IN (...)` over the states `status` may overwrite, written as SQL literals so
    the statement can run with executemany (expanding IN parameters cannot)."""
    allowed = [literal_column(f"'{s.value}'") for s in PREDECESSORS[status]]
    return messages.c.status.in_(allowed)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    id: int
    campaign_id: int
    account_id: int
    destination: str
    text: str
    sender: str | None
    encoding: str
    parts: int
    gsmsmsid: str | None
    attempts: int


def claim_due(conn: Connection, *, now_ms: int, limit: int, lease_ms: int) -> list[OutboundMessage]:
    due = (
        select(messages.c.id)
        .where(
            messages.c.status.in_((_QUEUED, _SENDING)),
            messages.c.due_at <= now_ms,
            or_(messages.c.status == _QUEUED, messages.c.claimed_until < now_ms),
        )
        .order_by(messages.c.due_at, messages.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = conn.execute(
        update(messages)
        .where(messages.c.id.in_(due.scalar_subquery()))
        .values(
            status=_SENDING,
            claimed_until=now_ms + lease_ms,
            attempts=messages.c.attempts + 1,
        )
        .returning(
            messages.c.id,
            messages.c.campaign_id,
            messages.c.account_id,
            messages.c.destination,
            messages.c.text,
            messages.c.parts,
            messages.c.gsmsmsid,
            messages.c.attempts,
        )
    ).all()
    if not claimed:
        return []
    campaign_ids = {row.campaign_id for row in claimed}
    by_campaign = {
        row.id: row
        for row in conn.execute(
            select(
                campaigns.c.id, campaigns.c.text, campaigns.c.sender, campaigns.c.encoding
            ).where(campaigns.c.id.in_(campaign_ids))
        )
    }
    batch = []
    for row in sorted(claimed, key=lambda r: r.id):
        campaign = by_campaign[row.campaign_id]
        batch.append(
            OutboundMessage(
                id=row.id,
                campaign_id=row.campaign_id,
                account_id=row.account_id,
                destination=row.destination,
                text=row.text if row.text is not None else campaign.text,
                sender=campaign.sender,
                encoding=campaign.encoding,
                parts=row.parts,
                gsmsmsid=row.gsmsmsid,
                attempts=row.attempts,
            )
        )
    return batch


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    message_id: int
    connector: str
    status: MessageStatus  # SENT when the carrier accepted it, or a final failure
    carrier_id: str | None = None
    error: str | None = None


def record_submits(conn: Connection, outcomes: Sequence[SubmitOutcome], *, now_ms: int) -> None:
    """Store what the connector answered; a status never moves backwards."""
    by_status: dict[MessageStatus, list[SubmitOutcome]] = {}
    for outcome in outcomes:
        by_status.setdefault(outcome.status, []).append(outcome)
    for status, group in by_status.items():
        final = status is not MessageStatus.SENT
        conn.execute(
            update(messages)
            .where(
                messages.c.id == bindparam("message_id"),
                _may_become(status),
            )
            .values(
                status=status.value,
                connector=bindparam("connector_name"),
                carrier_id=bindparam("carrier"),
                error=bindparam("failure"),
                submitted_at=now_ms,
                claimed_until=None,
                **({"done_at": now_ms} if final else {}),
            ),
            [
                {
                    "message_id": o.message_id,
                    "connector_name": o.connector,
                    "carrier": o.carrier_id,
                    "failure": o.error,
                }
                for o in group
            ],
        )


@dataclass(frozen=True, slots=True)
class Receipt:
    connector: str
    carrier_id: str
    status: MessageStatus
    done_at_ms: int
    error: str | None = None


def apply_receipts(conn: Connection, receipts: Sequence[Receipt]) -> int:
    """Move messages to their final status; late or repeated receipts change nothing."""
    applied = 0
    by_status: dict[MessageStatus, list[Receipt]] = {}
    for receipt in receipts:
        by_status.setdefault(receipt.status, []).append(receipt)
    for status, group in by_status.items():
        result = conn.execute(
            update(messages)
            .where(
                messages.c.connector == bindparam("connector_name"),
                messages.c.carrier_id == bindparam("carrier"),
                _may_become(status),
            )
            .values(status=status.value, done_at=bindparam("done"), error=bindparam("failure")),
            [
                {
                    "connector_name": r.connector,
                    "carrier": r.carrier_id,
                    "done": r.done_at_ms,
                    "failure": r.error,
                }
                for r in group
            ],
        )
        applied += max(result.rowcount, 0)
    return applied


def next_due_at(conn: Connection) -> int | None:
    return conn.execute(
        select(func.min(messages.c.due_at)).where(messages.c.status == _QUEUED)
    ).scalar_one()
