"""The outbound queue on both backends (one statement per step on PostgreSQL): what a claim
hands the connector, and what a submit batch records."""

from __future__ import annotations

from sqlalchemy import select
from tests.support import campaign_row, fetch_all, message_row

from relais.core.connector import SubmitOutcome
from relais.core.status import MessageStatus
from relais.store import outbound
from relais.store.paid_campaigns import insert_paid_campaign
from relais.store.tables import message_parts, messages


async def _queue(platform, account_id: int, campaign: dict, rows: list[dict]) -> int:
    paid = await platform.db.write(
        lambda conn: insert_paid_campaign(
            conn,
            campaign=campaign_row(account_id, **campaign),
            messages=rows,
            payer=account_id,
            amount=0,
            now_ms=1,
        )
    )
    assert paid is not None
    return paid.campaign_id


async def _claim(platform) -> list:
    return await platform.db.write(
        lambda conn: outbound.claim_due(
            conn, connector="simulator", now_ms=100, limit=10, lease_ms=1000
        )
    )


async def test_a_claim_gives_each_message_its_campaigns_sender_encoding_and_text(
    platform, customer
):
    account_id = customer.account.id
    promo = await _queue(
        platform,
        account_id,
        {"text": "Sale today", "sender": "SHOP", "encoding": "gsm"},
        [message_row(account_id, "33610000001")],
    )
    merged = await _queue(
        platform,
        account_id,
        {"text": "Hi {name}", "sender": None, "encoding": "ucs2"},
        [message_row(account_id, "33610000002", text="Hi Zoé", parts=2)],
    )

    claimed = await _claim(platform)

    assert sorted(
        (m.campaign_id, m.destination, m.text, m.sender, m.encoding, m.parts, m.attempts)
        for m in claimed
    ) == [
        (promo, "33610000001", "Sale today", "SHOP", "gsm", 1, 1),
        (merged, "33610000002", "Hi Zoé", None, "ucs2", 2, 1),
    ]


async def test_a_submit_batch_moves_its_messages_to_sent_and_stores_each_part(platform, customer):
    account_id = customer.account.id
    await _queue(
        platform,
        account_id,
        {},
        [
            message_row(account_id, "33610000001"),
            message_row(account_id, "33610000002", parts=2),
            message_row(account_id, "33610000003"),
        ],
    )
    first, long, refused = sorted(await _claim(platform), key=lambda m: m.destination)
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
