"""Receipts found by their carrier ids and settling their messages, on both backends (one
statement a batch on SQLite)."""

from __future__ import annotations

from sqlalchemy import select
from tests.support import claim_queued, fetch_all, message_row, queue_campaign

from relais.core.connector import Receipt, SubmitOutcome
from relais.core.status import MessageStatus
from relais.store import outbound
from relais.store import receipts as receipt_store
from relais.store.tables import messages


async def test_a_receipt_batch_settles_each_message_once_by_its_first_receipt(platform, customer):
    account_id = customer.account.id
    await queue_campaign(
        platform,
        account_id,
        {},
        [message_row(account_id, "33610000001"), message_row(account_id, "33610000002")],
    )
    first, second = sorted(await claim_queued(platform), key=lambda m: m.destination)
    outcomes = [
        SubmitOutcome(first.id, "simulator", MessageStatus.SENT, carrier_ids=("0042",)),
        SubmitOutcome(second.id, "simulator", MessageStatus.SENT, carrier_ids=("ab-é",)),
    ]
    await platform.db.write(
        lambda conn: outbound.record_submits(conn, outcomes, now_ms=200), lane="delivery"
    )
    receipts = [
        Receipt("simulator", ("0042",), MessageStatus.DELIVERED, 300),
        Receipt("simulator", ("0042",), MessageStatus.DELIVERED, 350),  # sent again
        Receipt("simulator", ("ab-é",), MessageStatus.NOT_DELIVERED, 310, "absent"),
        Receipt("simulator", ("unknown",), MessageStatus.DELIVERED, 320),
        Receipt("other", ("0042",), MessageStatus.DELIVERED, 330),  # another connector's id
    ]

    moved, unmatched = await platform.db.write(
        lambda conn: receipt_store.apply_receipts(conn, receipts), lane="receipts"
    )

    assert moved == 2
    assert unmatched == receipts[3:]
    assert await fetch_all(
        platform,
        select(messages.c.status, messages.c.done_at, messages.c.error).order_by(
            messages.c.destination
        ),
    ) == [("delivered", 300, None), ("not_delivered", 310, "absent")]
    # Settled messages stay settled: a later batch moves nothing.
    assert await platform.db.write(
        lambda conn: receipt_store.apply_receipts(conn, receipts[:1]), lane="receipts"
    ) == (0, [])
