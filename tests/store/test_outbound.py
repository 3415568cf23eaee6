"""What a submit batch records, on both backends (one statement on PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select
from tests.support import claim_queued, fetch_all, message_row, queue_campaign

from relais.core.connector import SubmitOutcome
from relais.core.status import MessageStatus
from relais.store import outbound
from relais.store.tables import message_parts, messages


async def test_a_submit_batch_moves_its_messages_to_sent_and_stores_each_part(platform, customer):
    account_id = customer.account.id
    await queue_campaign(
        platform,
        account_id,
        {},
        [
            message_row(account_id, "33610000001"),
            message_row(account_id, "33610000002", parts=2),
            message_row(account_id, "33610000003"),
        ],
    )
    first, long, refused = sorted(await claim_queued(platform), key=lambda m: m.destination)
    outcomes = [
        SubmitOutcome(first.id, "simulator", MessageStatus.SENT, carrier_ids=("c-1",)),
        SubmitOutcome(long.id, "simulator", MessageStatus.SENT, carrier_ids=("c-2", "c-3")),
        SubmitOutcome(
            refused.id, "simulator", MessageStatus.INVALID_DESTINATION, error="unknown number"
        ),
    ]

    await platform.db.write(
        lambda conn: outbound.record_submits(conn, outcomes, now_ms=200), lane="delivery"
    )

    assert await fetch_all(
        platform,
        select(
            messages.c.destination, messages.c.status, messages.c.submitted_at, messages.c.error
        ).order_by(messages.c.destination),
    ) == [
        ("33610000001", "sent", 200, None),
        ("33610000002", "sent", 200, None),
        ("33610000003", "invalid_destination", None, "unknown number"),
    ]
    assert await fetch_all(
        platform,
        select(
            message_parts.c.message_id,
            message_parts.c.part,
            message_parts.c.carrier_id,
            message_parts.c.status,
        ).order_by(message_parts.c.carrier_id),
    ) == [(first.id, 1, "c-1", "sent"), (long.id, 1, "c-2", "sent"), (long.id, 2, "c-3", "sent")]
