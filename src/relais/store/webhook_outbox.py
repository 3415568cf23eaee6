"""The webhook outbox: events written in the transaction of the change that caused them,
claimed by senders under a lease, and settled once per attempt.

Claims are leases, as for outbound messages: a sender that dies mid-delivery leaves its
events claimed until `claimed_until` passes, and the next claim takes them again (events are
at least once; their id, the `webhook-id` header, lets a receiver drop a repeat). On
PostgreSQL concurrent claims skip each other's rows, so several processes share the work and
each event is delivered by one. An event delivered is never claimed again.

Only the events of live webhooks are claimed: a paused webhook (by its account, or after its
endpoint answered 410) keeps its events waiting until it is live again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)

from relais.store.tables import webhook_attempts, webhook_events, webhooks
from relais.store.webhooks import LIVE, PAUSED

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event for one webhook, its body already built (core.events)."""

    webhook_id: int
    account_id: int
    type: str
    payload: str
    created_at: int


@dataclass(frozen=True, slots=True)
class DueEvent:
    """A claimed event with what its delivery needs; `attempt` counts this one."""

    id: int
    webhook_id: int
    url: str
    signature: str | None
    type: str
    payload: str
    created_at: int
    attempt: int


def enqueue(conn: Connection, events: Sequence[NewEvent]) -> None:
    """Write events, due at once, in the caller's transaction."""
    if not events:
        return
    conn.execute(
        insert(webhook_events),
        [
            {
                "webhook_id": event.webhook_id,
                "account_id": event.account_id,
                "type": event.type,
                "payload": event.payload,
                "created_at": event.created_at,
                "next_attempt_at": event.created_at,
            }
            for event in events
        ],
    )


def claim_due(conn: Connection, *, now_ms: int, limit: int, lease_ms: int) -> list[DueEvent]:
    """Lease up to `limit` events due by `now_ms` of live webhooks, oldest due first; each
    claim counts as an attempt."""
    # EXISTS, not IN: with IN the SQLite planner reads every event of the live webhooks
    # through ix_webhook_events_webhook and sorts them all (36 ms per claim with 30,000
    # pending); EXISTS lets it walk the due index in order and stop at `limit`.
    live = (
        select(webhooks.c.id)
        .where(webhooks.c.id == webhook_events.c.webhook_id, webhooks.c.status == LIVE)
        .exists()
    )
    due = (
        select(webhook_events.c.id)
        .where(
            # A literal, so the planner sees the partial index (status = 'pending') applies.
            webhook_events.c.status == literal_column(f"'{PENDING}'"),
            webhook_events.c.next_attempt_at <= now_ms,
            or_(
                webhook_events.c.claimed_until.is_(None),
                webhook_events.c.claimed_until < now_ms,
            ),
            live,
        )
        .order_by(webhook_events.c.next_attempt_at, webhook_events.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = conn.execute(
        update(webhook_events)
        .where(webhook_events.c.id.in_(due.scalar_subquery()))
        .values(claimed_until=now_ms + lease_ms, attempts=webhook_events.c.attempts + 1)
        .returning(
            webhook_events.c.id,
            webhook_events.c.webhook_id,
            webhook_events.c.type,
            webhook_events.c.payload,
            webhook_events.c.created_at,
            webhook_events.c.attempts,
        )
    ).all()
    if not claimed:
        return []
    targets = {
        row.id: (row.url, row.signature)
        for row in conn.execute(
            select(webhooks.c.id, webhooks.c.url, webhooks.c.signature).where(
                webhooks.c.id.in_({row.webhook_id for row in claimed})
            )
        )
    }
    return [
        DueEvent(
            id=row.id,
            webhook_id=row.webhook_id,
            url=targets[row.webhook_id][0],
            signature=targets[row.webhook_id][1],
            type=row.type,
            payload=row.payload,
            created_at=row.created_at,
            attempt=row.attempts,
        )
        for row in sorted(claimed, key=lambda r: r.id)
    ]


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one delivery attempt of a claimed event went, and what follows from it."""

    event: DueEvent
    attempted_at: int
    latency_ms: int
    http_code: int | None = None  # None: no answer (timeout, refused, address not allowed)
    error: str | None = None
    delivered: bool = False
    # When to try again; None with `delivered` False: retries are exhausted.
    next_attempt_at: int | None = None
    # The endpoint answered that it is gone (410): its webhook is paused.
    pause_webhook: bool = False
    # False: not sent at all (an earlier event of its webhook failed in the same round); it
    # is due again at `next_attempt_at` and its claim does not count as an attempt.
    tried: bool = True


def record_attempts(conn: Connection, attempts: Sequence[Attempt]) -> None:
    """Log each attempt and settle its event: delivered, due again, or failed; an event
    already settled (a lapsed lease taken over by another sender) is left as it is. A few
    statements for the whole batch, each run once per row (executemany), none per attempt."""
    tried = [a for a in attempts if a.tried]
    untried = [a for a in attempts if not a.tried]
    if untried:
        conn.execute(
            _GIVE_BACK,
            [{"b_id": a.event.id, "b_next": a.next_attempt_at or a.attempted_at} for a in untried],
        )
    if not tried:
        return
    conn.execute(
        insert(webhook_attempts),
        [
            {
                "event_id": a.event.id,
                "webhook_id": a.event.webhook_id,
                "attempt": a.event.attempt,
                "attempted_at": a.attempted_at,
                "http_code": a.http_code,
                "latency_ms": a.latency_ms,
                "error": None if a.error is None else a.error[:200],
            }
            for a in tried
        ],
    )
    conn.execute(_SETTLE, [_settled(a) for a in tried])
    # An answer's HTTP code becomes its webhook's `last_http_code` (the last one given);
    # rows in id order, as every writer of webhooks rows takes them.
    last_codes = {a.event.webhook_id: a.http_code for a in tried if a.http_code is not None}
    if last_codes:
        conn.execute(
            _LAST_CODE,
            [{"b_id": hook, "b_code": last_codes[hook]} for hook in sorted(last_codes)],
        )
    gone = sorted({a.event.webhook_id for a in tried if a.pause_webhook})
    if gone:
        conn.execute(update(webhooks).where(webhooks.c.id.in_(gone)).values(status=PAUSED))


def _settled(a: Attempt) -> dict[str, object]:
    if a.delivered:
        return {"b_id": a.event.id, "b_status": DELIVERED, "b_at": a.attempted_at, "b_next": None}
    status = PENDING if a.next_attempt_at is not None else FAILED
    return {"b_id": a.event.id, "b_status": status, "b_at": None, "b_next": a.next_attempt_at}


_PENDING_EVENT = (
    webhook_events.c.id == bindparam("b_id"),
    webhook_events.c.status == literal_column(f"'{PENDING}'"),
)
# An event tried: delivered (with when), due again (with when), or failed (its due time kept).
_SETTLE = (
    update(webhook_events)
    .where(*_PENDING_EVENT)
    .values(
        claimed_until=None,
        status=bindparam("b_status"),
        delivered_at=bindparam("b_at", type_=BigInteger),
        next_attempt_at=func.coalesce(
            bindparam("b_next", type_=BigInteger), webhook_events.c.next_attempt_at
        ),
    )
)
# An event not tried: its claim given back, which does not count as an attempt.
_GIVE_BACK = (
    update(webhook_events)
    .where(*_PENDING_EVENT)
    .values(
        claimed_until=None,
        next_attempt_at=bindparam("b_next", type_=BigInteger),
        attempts=webhook_events.c.attempts - 1,
    )
)
_LAST_CODE = (
    update(webhooks)
    .where(webhooks.c.id == bindparam("b_id"))
    .values(last_http_code=bindparam("b_code", type_=Integer))
)


def backlog(conn: Connection) -> tuple[int, int | None]:
    """(events waiting for delivery, when the oldest of them was written) for metrics."""
    count, oldest = conn.execute(
        select(func.count(), func.min(webhook_events.c.created_at)).where(
            webhook_events.c.status == literal_column(f"'{PENDING}'")
        )
    ).one()
    return int(count), oldest


# --- the operator's tools (relais webhook ...) ------------------------------------------------


def counts_by_status(conn: Connection, *, webhook_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """{webhook id: {event status: events}} for these webhooks."""
    found: dict[int, dict[str, int]] = {}
    if not webhook_ids:
        return found
    for webhook_id, status, count in conn.execute(
        select(webhook_events.c.webhook_id, webhook_events.c.status, func.count())
        .where(webhook_events.c.webhook_id.in_(webhook_ids))
        .group_by(webhook_events.c.webhook_id, webhook_events.c.status)
    ):
        found.setdefault(webhook_id, {})[status] = count
    return found


def replay_failed(conn: Connection, *, webhook_id: int, now_ms: int) -> int:
    """Give the webhook's failed events a new round of attempts, due now; how many."""
    return conn.execute(
        update(webhook_events)
        .where(webhook_events.c.webhook_id == webhook_id, webhook_events.c.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=now_ms, claimed_until=None)
    ).rowcount


def purge_settled(conn: Connection, *, before_ms: int) -> tuple[int, int]:
    """Delete events delivered or failed that were written before `before_ms`, with their
    attempts; (events, attempts) deleted. Pending events are never purged."""
    settled = select(webhook_events.c.id).where(
        webhook_events.c.status.in_((DELIVERED, FAILED)),
        webhook_events.c.created_at < before_ms,
    )
    attempts = conn.execute(
        delete(webhook_attempts).where(webhook_attempts.c.event_id.in_(settled.scalar_subquery()))
    ).rowcount
    events = conn.execute(
        delete(webhook_events).where(webhook_events.c.id.in_(settled.scalar_subquery()))
    ).rowcount
    return events, attempts
