"""The messages table as the outbound queue, once claimed (store.claims): report submits,
settle final statuses (`finish`, also for store.receipts), expire.

A submitted message has one `message_parts` row per SMS part, found again by the id the
carrier gave it (store.receipts).

On PostgreSQL each step is as few statements as it can be (each is a round trip): a submit
batch moves its messages and inserts their parts in one statement, and a final status is
one UPDATE from arrays that returns what moved. On SQLite a batch is one statement too, its
rows as one JSON text (store.json_rows), where an executemany waited for the GIL per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Insert,
    Integer,
    and_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from relais.core.connector import SubmitOutcome
from relais.core.status import FINAL_STATUSES, PREDECESSORS, MessageStatus
from relais.store.event_targets import StatusChange, expiries_to_report, moves_to_report
from relais.store.json_rows import as_json_rows, json_rows
from relais.store.precompiled import Precompiled
from relais.store.tables import contacts, message_parts, messages

_QUEUED = MessageStatus.QUEUED.value
_SENDING = MessageStatus.SENDING.value
_SENT = MessageStatus.SENT.value
_DELIVERED = MessageStatus.DELIVERED.value


def _may_become(status: MessageStatus) -> ColumnElement[bool]:
    """`status IN (...)` over the states `status` may overwrite, written as SQL literals so
    the statement can run with executemany (expanding IN parameters cannot)."""
    allowed: list[ColumnElement[str]] = [
        literal_column(f"'{s.value}'") for s in PREDECESSORS[status]
    ]
    return messages.c.status.in_(allowed)


_SUBMITTED_IDS = json_rows("rows", "id")
_SUBMITTED = Precompiled(
    update(messages)
    .where(messages.c.id.in_(select(_SUBMITTED_IDS.c.id)), _may_become(MessageStatus.SENT))
    .values(status=_SENT, submitted_at=bindparam("now"), claimed_until=None)
)
_REQUEUED = Precompiled(
    update(messages)
    .where(messages.c.id == bindparam("message_id"), messages.c.status == _SENDING)
    .values(
        status=_QUEUED,
        due_at=bindparam("due"),
        claimed_until=None,
        error=bindparam("failure"),
    )
)
_INSERT_PARTS = Precompiled(insert(message_parts))


def _submitted_with_parts() -> Insert:
    """PostgreSQL: the batch's messages to `sent` and their parts inserted, one statement
    (the ids as an IN list: planned with the table's current size, see docs/decisions.md)."""
    moved = (
        update(messages)
        .where(messages.c.id.in_(bindparam("ids", expanding=True)), _may_become(MessageStatus.SENT))
        .values(status=_SENT, submitted_at=bindparam("now"), claimed_until=None)
        .returning(messages.c.id)
        .cte("moved")
    )
    parts = (
        func.unnest(
            bindparam("part_message", type_=ARRAY(BigInteger)),
            bindparam("part_number", type_=ARRAY(Integer)),
            bindparam("part_connector", type_=ARRAY(message_parts.c.connector.type)),
            bindparam("part_carrier", type_=ARRAY(message_parts.c.carrier_id.type)),
        )
        .table_valued("message_id", "part", "connector", "carrier_id")
        .render_derived()
    )
    return (
        insert(message_parts)
        .from_select(
            ["message_id", "part", "connector", "carrier_id", "status"],
            select(
                parts.c.message_id,
                parts.c.part,
                parts.c.connector,
                parts.c.carrier_id,
                literal_column(f"'{_SENT}'"),
            ),
        )
        .add_cte(moved)
    )


_SUBMITTED_WITH_PARTS = _submitted_with_parts()


def record_submits(
    conn: Connection,
    outcomes: Sequence[SubmitOutcome],
    *,
    now_ms: int,
    reported: list[StatusChange] | None = None,
) -> None:
    """Store what the connector answered; a status never moves backwards. `reported`
    collects the final statuses a DLR webhook must hear of (see `_finish`), and the moves to
    `sent` a postback URL must hear of."""
    sent = [o for o in outcomes if o.status is MessageStatus.SENT]
    if sent:
        if reported is not None:  # only postback URLs hear of `sent` (N201)
            moves = [(o.message_id, now_ms, None) for o in sent]
            reported += moves_to_report(conn, MessageStatus.SENT, moves, dlr=False)
        parts = [
            (o.message_id, number, o.connector, carrier_id)
            for o in sent
            for number, carrier_id in enumerate(o.carrier_ids, start=1)
        ]
        if conn.dialect.name == "postgresql":
            conn.execute(
                _SUBMITTED_WITH_PARTS,
                {
                    "ids": [o.message_id for o in sent],
                    "now": now_ms,
                    "part_message": [p[0] for p in parts],
                    "part_number": [p[1] for p in parts],
                    "part_connector": [p[2] for p in parts],
                    "part_carrier": [p[3] for p in parts],
                },
            )
        else:
            ids = as_json_rows((o.message_id,) for o in sent)
            _SUBMITTED.rows(conn, {"rows": ids, "now": now_ms})
            _INSERT_PARTS.many(
                conn,
                [
                    {"message_id": m, "part": n, "connector": c, "carrier_id": cid, "status": _SENT}
                    for m, n, c, cid in parts
                ],
            )
    retries = [o for o in outcomes if o.status is MessageStatus.QUEUED]
    if retries:
        _REQUEUED.many(
            conn,
            [
                {
                    "message_id": o.message_id,
                    "due": now_ms + (o.retry_after_ms or 0),
                    "failure": o.error,
                }
                for o in retries
            ],
        )
    failures: dict[MessageStatus, list[SubmitOutcome]] = {}
    for outcome in outcomes:
        if outcome.status in FINAL_STATUSES:
            failures.setdefault(outcome.status, []).append(outcome)
    for status, group in failures.items():
        finish(conn, status, [(o.message_id, now_ms, o.error) for o in group], reported)


_FINISHED_ROWS = json_rows("rows", "id", "done", "failure")
_FINISH = {
    status: Precompiled(
        update(messages)
        .where(messages.c.id == _FINISHED_ROWS.c.id, _may_become(status))
        .values(
            status=status.value,
            done_at=_FINISHED_ROWS.c.done,
            error=_FINISHED_ROWS.c.failure,
            claimed_until=None,
        )
    )
    for status in FINAL_STATUSES
}


def _finish_from_arrays(status: MessageStatus) -> Any:
    """PostgreSQL: messages to `status` with each its own time and error, from arrays, in
    one UPDATE that returns the ids that moved (the IN list gives the planner the count)."""
    rows = (
        func.unnest(
            bindparam("row_ids", type_=ARRAY(BigInteger)),
            bindparam("dones", type_=ARRAY(BigInteger)),
            bindparam("failures", type_=ARRAY(messages.c.error.type)),
        )
        .table_valued("id", "done", "failure")
        .render_derived()
    )
    return (
        update(messages)
        .where(
            messages.c.id.in_(bindparam("ids", expanding=True)),
            messages.c.id == rows.c.id,
            _may_become(status),
        )
        .values(status=status.value, done_at=rows.c.done, error=rows.c.failure, claimed_until=None)
        .returning(messages.c.id)
    )


_FINISH_FROM_ARRAYS = {status: _finish_from_arrays(status) for status in FINAL_STATUSES}


def finish(
    conn: Connection,
    status: MessageStatus,
    rows: Sequence[tuple[int, int, str | None]],
    reported: list[StatusChange] | None = None,
) -> int:
    """Move messages to a final status (only from an earlier state); how many moved. With
    `reported`, the moves of messages whose account has a live DLR webhook are added to it.

    A destination found invalid (by a receipt, or by the carrier refusing the submit) marks
    the list contact the message was merged from as NPAI (PUT /list/:id/npai/clear then
    moves it to the NPAI list). Only this rare status pays for that update."""
    if reported is not None:
        reported += moves_to_report(conn, status, rows)
    first: dict[int, tuple[int, str | None]] = {}  # one row per id: its first
    for message_id, done, error in rows:
        first.setdefault(message_id, (done, error))
    if conn.dialect.name == "postgresql":
        ids = list(first)
        moved = len(
            conn.execute(
                _FINISH_FROM_ARRAYS[status],
                {
                    "ids": ids,
                    "row_ids": ids,
                    "dones": [done for done, _ in first.values()],
                    "failures": [error for _, error in first.values()],
                },
            ).all()
        )
    else:
        batch = as_json_rows((m, done, error) for m, (done, error) in first.items())
        moved = _FINISH[status].many(conn, [{"rows": batch}])  # many: the driver's row count
    if status is MessageStatus.INVALID_DESTINATION:
        _mark_npai_contacts(conn, [m for m, _, _ in rows])
    return moved


def _mark_npai_contacts(conn: Connection, message_ids: list[int]) -> None:
    """contacts.npai for the contacts of these messages that are invalid_destination now
    (a message an earlier receipt settled otherwise keeps that status and marks nothing)."""
    merged_from = select(messages.c.contact_id).where(
        messages.c.id.in_(message_ids),
        messages.c.status == MessageStatus.INVALID_DESTINATION.value,
        messages.c.contact_id.is_not(None),
    )
    conn.execute(
        update(contacts)
        .where(contacts.c.id.in_(merged_from.scalar_subquery()), contacts.c.npai.is_(False))
        .values(npai=True)
    )


def expire_unreported(
    conn: Connection,
    *,
    submitted_before_ms: int,
    now_ms: int,
    reported: list[StatusChange] | None = None,
) -> int:
    """Messages that got no final receipt within their validity period become EXPIRED."""
    overdue = and_(messages.c.status == _SENT, messages.c.submitted_at < submitted_before_ms)
    if reported is not None:
        reported += expiries_to_report(conn, overdue, now_ms=now_ms)
    result = conn.execute(
        update(messages)
        .where(overdue)
        .values(status=MessageStatus.EXPIRED.value, done_at=now_ms, error="no receipt")
    )
    return max(result.rowcount, 0)
