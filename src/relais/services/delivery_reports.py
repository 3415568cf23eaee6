"""Everything that comes back from carriers, and every status change it causes.

Submit outcomes, delivery receipts, inbound SMS (replies and STOPs) and the sweeps that settle
what carriers forget all pass through here, never from the dispatcher to the store directly:
each is one transaction, so whatever else a change must cause (the event a customer's
webhook is told of) is written in that same transaction, here and nowhere else."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Connection

from relais.core.connector import OutboundMessage, Receipt, SubmitOutcome
from relais.core.instant import to_ms
from relais.core.optout import DEFAULT_STOP_KEYWORDS, is_stop
from relais.services import events
from relais.services.platform import Platform
from relais.services.short_links import short_links
from relais.store import claims, outbound, parked_receipts
from relais.store import inbound as inbound_store
from relais.store import receipts as receipt_store
from relais.store.event_targets import StatusChange
from relais.store.inbound import LastMessage

InboundItem = tuple[str, str, str, str, int]  # connector, source, destination, text, at ms


async def claim_due(
    platform: Platform, *, connector: str, now_ms: int, limit: int, lease_ms: int
) -> list[OutboundMessage]:
    """Lease up to `limit` due messages routed to `connector`, their tracked links put in
    (see store.claims)."""
    links = await short_links(platform)
    return await platform.db.write(
        lambda conn: claims.claim_due(
            conn,
            connector=connector,
            now_ms=now_ms,
            limit=limit,
            lease_ms=lease_ms,
            short_links=links,
        ),
        lane="delivery",
    )


async def record_submits(
    platform: Platform, outcomes: Sequence[SubmitOutcome], *, now_ms: int
) -> None:
    """Store what a connector answered for a batch: sent, back to the queue, or failed (a
    failure is a DLR event)."""

    def record(conn: Connection) -> int:
        changes: list[StatusChange] = []
        outbound.record_submits(conn, outcomes, now_ms=now_ms, reported=changes)
        return events.write_dlr_events(conn, changes, now_ms=now_ms)

    _told(platform, await platform.db.write(record, lane="delivery"))


async def apply_receipts(
    platform: Platform,
    receipts: Sequence[Receipt],
    *,
    park_if_unmatched: Collection[Receipt] = (),
) -> tuple[int, list[Receipt]]:
    """Record part receipts: how many messages moved, and the receipts whose part is not
    known yet (a receipt can overtake the storing of its submit). Unmatched receipts that
    are in `park_if_unmatched` are parked in the same transaction instead (see
    `apply_parked_receipts`). Each message that reaches a final status is a DLR event."""
    now_ms = to_ms(platform.clock())

    def apply(conn: Connection) -> tuple[int, list[Receipt], int]:
        changes: list[StatusChange] = []
        moved, unmatched = receipt_store.apply_receipts(conn, receipts, reported=changes)
        parked_receipts.park(conn, [r for r in unmatched if r in park_if_unmatched], now_ms=now_ms)
        waiting = [r for r in unmatched if r not in park_if_unmatched]
        return moved, waiting, events.write_dlr_events(conn, changes, now_ms=now_ms)

    # Their own lane: a carrier waits for this commit before it sends more.
    moved, unmatched, told = await platform.db.write(apply, lane="receipts")
    _told(platform, told)
    return moved, unmatched


@dataclass(frozen=True, slots=True)
class ParkedOutcome:
    moved: int  # messages settled by parked receipts
    applied: int  # parked receipts whose part was found
    given_up: int  # parked receipts older than the validity period, dropped


async def has_parked_receipts(platform: Platform) -> bool:
    return await platform.db.read(parked_receipts.any_parked)


async def apply_parked_receipts(
    platform: Platform, *, now_ms: int, keep_ms: int, batch_size: int = 2000
) -> ParkedOutcome:
    """Offer every parked receipt again, a batch per transaction: those whose part is known
    now are applied and forgotten, those parked longer than `keep_ms` (no submit can still
    match them) are dropped."""
    total = ParkedOutcome(0, 0, 0)
    after_id = 0
    while True:
        outcome, after_id, told = await platform.db.write(
            partial(
                _apply_parked_batch,
                after_id=after_id,
                limit=batch_size,
                now_ms=now_ms,
                keep_ms=keep_ms,
            ),
            lane="receipts",
        )
        _told(platform, told)
        total = ParkedOutcome(
            total.moved + outcome.moved,
            total.applied + outcome.applied,
            total.given_up + outcome.given_up,
        )
        if after_id == 0:
            return total


def _apply_parked_batch(
    conn: Connection, *, after_id: int, limit: int, now_ms: int, keep_ms: int
) -> tuple[ParkedOutcome, int, int]:
    """One batch of `apply_parked_receipts`: its outcome, the id to go on after (0 at the
    end) and how many events it wrote."""
    parked = parked_receipts.take(conn, after_id=after_id, limit=limit)
    if not parked:
        return ParkedOutcome(0, 0, 0), 0, 0
    changes: list[StatusChange] = []
    moved, unmatched = receipt_store.apply_receipts(
        conn, [p.receipt for p in parked], reported=changes
    )
    still_waiting = {id(r) for r in unmatched}
    applied = [p.id for p in parked if id(p.receipt) not in still_waiting]
    given_up = [
        p.id for p in parked if id(p.receipt) in still_waiting and p.parked_at_ms < now_ms - keep_ms
    ]
    parked_receipts.forget(conn, applied + given_up)
    next_id = parked[-1].id if len(parked) == limit else 0
    told = events.write_dlr_events(conn, changes, now_ms=now_ms)
    return ParkedOutcome(moved, len(applied), len(given_up)), next_id, told


async def record_inbound(
    platform: Platform,
    *,
    messages: Sequence[InboundItem],
    stop_keywords: tuple[str, ...] = DEFAULT_STOP_KEYWORDS,
) -> list[int | None]:
    """Store inbound SMS with the account each answers (a STOP blacklists its sender), each
    an MO or STOP event; the owning account of each (None when no account ever wrote to that
    number)."""
    rows = [
        inbound_store.InboundRow(
            connector, source, destination, text, is_stop(text, stop_keywords), at
        )
        for connector, source, destination, text, at in messages
    ]
    now_ms = to_ms(platform.clock())

    def record(conn: Connection) -> tuple[list[LastMessage | None], int]:
        answered = inbound_store.record_inbound(conn, rows)
        return answered, events.write_inbound_events(conn, rows, answered, now_ms=now_ms)

    answered, told = await platform.db.write(record, lane="delivery")
    _told(platform, told)
    return [last.account_id if last else None for last in answered]


async def settle_overdue(
    platform: Platform, *, now_ms: int, part_grace_ms: int, validity_ms: int
) -> None:
    """Settle multi-part messages whose carrier reported one part after `part_grace_ms`, and
    expire messages with no final receipt `validity_ms` after their submit (DLR events)."""

    def settle(conn: Connection) -> int:
        changes: list[StatusChange] = []
        receipt_store.settle_partial_deliveries(
            conn, before_ms=now_ms - part_grace_ms, reported=changes
        )
        outbound.expire_unreported(
            conn, submitted_before_ms=now_ms - validity_ms, now_ms=now_ms, reported=changes
        )
        return events.write_dlr_events(conn, changes, now_ms=now_ms)

    _told(platform, await platform.db.write(settle, lane="delivery"))


def _told(platform: Platform, events_written: int) -> None:
    """Wake this process's webhook sender when a commit queued events."""
    if events_written:
        platform.on_events()
