"""Delivery receipts: a part's receipt found by the id its carrier gave it, and the message's
final status from its parts (store.outbound settles it).

A failed part decides its message at once; a delivered part completes a single-part
message; a multi-part message is delivered when all its parts are, or, for carriers that
report one part only, after a grace period (`settle_partial_deliveries`). On SQLite a
batch's lookup is one statement (store.json_rows); on PostgreSQL an IN list, planned with
the table's current size (docs/decisions.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from relais.core.connector import Receipt
from relais.core.status import MessageStatus
from relais.store import outbound
from relais.store.event_targets import StatusChange
from relais.store.json_rows import as_json_rows, json_rows
from relais.store.precompiled import Precompiled
from relais.store.tables import message_parts, messages

_SENT = MessageStatus.SENT.value
_DELIVERED = MessageStatus.DELIVERED.value

_PART_DONE = Precompiled(
    update(message_parts)
    .where(
        message_parts.c.message_id == bindparam("mid"),
        message_parts.c.part == bindparam("pno"),
        message_parts.c.status == _SENT,
    )
    .values(status=bindparam("new_status"), done_at=bindparam("done"))
)


_PARTS_BY_CARRIER = (
    select(
        message_parts.c.carrier_id,
        message_parts.c.message_id,
        message_parts.c.part,
        messages.c.parts,
    )
    .join(messages, messages.c.id == message_parts.c.message_id)
    .where(message_parts.c.connector == bindparam("connector"))
)
_CARRIER_IDS = json_rows("rows", "carrier_id")
# SQLite: the carrier ids as one JSON text (PostgreSQL: an IN list, see the module).
_PARTS_BY_CARRIER_ROWS = Precompiled(
    _PARTS_BY_CARRIER.where(message_parts.c.carrier_id.in_(select(_CARRIER_IDS.c.carrier_id)))
)


def _resolve_parts(
    conn: Connection, receipts: Sequence[Receipt]
) -> list[tuple[Receipt, int, int, int]]:
    """(receipt, message_id, part, parts of that message) for each receipt whose part is
    known; an exact id match wins over a match in the other base."""
    found: list[tuple[Receipt, int, int, int]] = []
    by_connector: dict[str, list[Receipt]] = {}
    for receipt in receipts:
        by_connector.setdefault(receipt.connector, []).append(receipt)
    for connector, group in by_connector.items():
        candidates = {cid for r in group for cid in r.carrier_ids}
        rows: Sequence[Any]
        if conn.dialect.name == "postgresql":
            rows = conn.execute(
                _PARTS_BY_CARRIER.where(message_parts.c.carrier_id.in_(candidates)),
                {"connector": connector},
            ).all()
        else:
            batch = as_json_rows((cid,) for cid in candidates)
            rows = _PARTS_BY_CARRIER_ROWS.rows(conn, {"connector": connector, "rows": batch})
        index = {carrier_id: (mid, part, parts) for carrier_id, mid, part, parts in rows}
        for receipt in group:
            for carrier_id in receipt.carrier_ids:
                if carrier_id in index:
                    found.append((receipt, *index[carrier_id]))
                    break
    return found


def apply_receipts(
    conn: Connection, receipts: Sequence[Receipt], *, reported: list[StatusChange] | None = None
) -> tuple[int, list[Receipt]]:
    """Record part receipts and settle the messages they complete: how many messages moved,
    and the receipts whose part is not (yet) known — a receipt can overtake the storing of
    its submit, so the caller offers those again a little later.

    A failed part decides its message at once. A delivered part completes a single-part
    message; a multi-part message is delivered when all its parts are (or, for carriers that
    report one part only, by `settle_partial_deliveries` after a grace period)."""
    matched = _resolve_parts(conn, receipts)
    found = {id(r) for r, *_ in matched}
    unmatched = [r for r in receipts if id(r) not in found]
    if not matched:
        return 0, unmatched
    long_parts = [
        {"mid": mid, "pno": part, "new_status": r.status.value, "done": r.done_at_ms}
        for r, mid, part, total in matched
        if total > 1
    ]
    if long_parts:  # a single part's status is its message's: no need to write it twice
        _PART_DONE.many(conn, long_parts)
    settled: dict[MessageStatus, list[tuple[int, int, str | None]]] = {}
    # A single-part message is settled by its one receipt; only long messages need their
    # parts read back.
    for r, mid, _, total in matched:
        if total == 1:
            settled.setdefault(r.status, []).append((mid, r.done_at_ms, r.error))
    message_ids = sorted({mid for _, mid, _, total in matched if total > 1})
    if message_ids:
        _settle_long_messages(conn, matched, message_ids, settled)
    moved = sum(outbound.finish(conn, status, rows, reported) for status, rows in settled.items())
    return moved, unmatched


def _settle_long_messages(
    conn: Connection,
    matched: list[tuple[Receipt, int, int, int]],
    message_ids: list[int],
    settled: dict[MessageStatus, list[tuple[int, int, str | None]]],
) -> None:
    parts_by_message: dict[int, list[tuple[str, int | None]]] = {}
    for row in conn.execute(
        select(message_parts.c.message_id, message_parts.c.status, message_parts.c.done_at).where(
            message_parts.c.message_id.in_(message_ids)
        )
    ):
        parts_by_message.setdefault(row.message_id, []).append((row.status, row.done_at))
    expected = {mid: total for _, mid, _, total in matched}
    errors = {mid: r.error for r, mid, _, _ in matched}
    for mid, parts in parts_by_message.items():
        outcome = _message_outcome(parts, expected[mid])
        if outcome is not None:
            status, done = outcome
            settled.setdefault(status, []).append((mid, done, errors.get(mid)))


def _message_outcome(
    parts: list[tuple[str, int | None]], expected: int
) -> tuple[MessageStatus, int] | None:
    failed = [(s, d) for s, d in parts if s not in (_SENT, _DELIVERED)]
    if failed:
        status, done = failed[0]
        return MessageStatus(status), done or 0
    if len(parts) >= expected and all(s == _DELIVERED for s, _ in parts):
        return MessageStatus.DELIVERED, max(d or 0 for _, d in parts)
    return None


def settle_partial_deliveries(
    conn: Connection, *, before_ms: int, reported: list[StatusChange] | None = None
) -> int:
    """Deliver multi-part messages some of whose parts were reported delivered before
    `before_ms` while the others never got a receipt (carriers that report one part)."""
    candidates = conn.execute(
        select(message_parts.c.message_id, func.max(message_parts.c.done_at))
        .join(messages, messages.c.id == message_parts.c.message_id)
        .where(messages.c.status == _SENT, message_parts.c.status == _DELIVERED)
        .group_by(message_parts.c.message_id)
        .having(func.max(message_parts.c.done_at) < before_ms)
    ).all()
    if not candidates:
        return 0
    ids = [mid for mid, _ in candidates]
    failed = set(
        conn.execute(
            select(message_parts.c.message_id).where(
                message_parts.c.message_id.in_(ids),
                message_parts.c.status.not_in((_SENT, _DELIVERED)),
            )
        ).scalars()
    )
    rows = [(mid, done, None) for mid, done in candidates if mid not in failed]
    return outbound.finish(conn, MessageStatus.DELIVERED, rows, reported) if rows else 0
