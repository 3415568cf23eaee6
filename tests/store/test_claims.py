"""What a claim hands the connector, on both backends (one statement on PostgreSQL)."""

from __future__ import annotations

from tests.support import claim_queued, message_row, queue_campaign


async def test_a_claim_gives_each_message_its_campaigns_sender_encoding_and_text(
    platform, customer
):
    account_id = customer.account.id
    promo = await queue_campaign(
        platform,
        account_id,
        {"text": "Sale today", "sender": "SHOP", "encoding": "gsm"},
        [message_row(account_id, "33610000001")],
    )
    merged = await queue_campaign(
        platform,
        account_id,
        {"text": "Hi {name}", "sender": None, "encoding": "ucs2"},
        [message_row(account_id, "33610000002", text="Hi Zoé", parts=2)],
    )

    claimed = await claim_queued(platform)

    assert sorted(
        (m.campaign_id, m.destination, m.text, m.sender, m.encoding, m.parts, m.attempts)
        for m in claimed
    ) == [
        (promo, "33610000001", "Sale today", "SHOP", "gsm", 1, 1),
        (merged, "33610000002", "Hi Zoé", None, "ucs2", 2, 1),
    ]
