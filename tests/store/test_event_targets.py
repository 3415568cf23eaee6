"""Whom a batch of status changes must reach, read by one statement compiled once per
backend: the messages of accounts with a live DLR webhook (or postback URL), each once with
all its webhooks, and only those in a state the new status may follow."""

from __future__ import annotations

from tests.support import claim_queued, make_customer, message_row, queue_campaign

from relais.core.events import EventType
from relais.core.skycore_postbacks import MT_TYPE as POSTBACK_MT
from relais.core.status import MessageStatus
from relais.store import event_targets
from relais.store.webhooks import insert_webhook


async def _webhook(platform, account_id: int, kind: str) -> int:
    return await platform.db.write(
        lambda conn: insert_webhook(
            conn,
            account_id=account_id,
            type=kind,
            url="https://hooks.example/relais",
            signature=None,
            now_ms=1,
        )
    )


async def test_a_batch_reports_the_watched_messages_with_all_their_webhooks(platform, customer):
    other = await make_customer(platform, email="other@example.com")
    watched, unwatched = customer.account.id, other.account.id
    first_hook = await _webhook(platform, watched, EventType.DLR.value)
    second_hook = await _webhook(platform, watched, EventType.DLR.value)
    postback = await _webhook(platform, watched, POSTBACK_MT)
    await queue_campaign(platform, watched, {}, [message_row(watched, "33610000001")])
    await queue_campaign(platform, unwatched, {}, [message_row(unwatched, "33610000002")])
    claimed = {m.account_id: m for m in await claim_queued(platform)}
    mine, theirs = claimed[watched], claimed[unwatched]
    rows = [(mine.id, 500, None), (theirs.id, 501, None)]

    delivered = await platform.db.write(
        lambda conn: event_targets.moves_to_report(conn, MessageStatus.DELIVERED, rows)
    )
    sent_postbacks = await platform.db.write(
        lambda conn: event_targets.moves_to_report(conn, MessageStatus.SENT, rows, dlr=False)
    )

    assert [(c.message_id, c.status, c.done_at) for c in delivered] == [(mine.id, "delivered", 500)]
    target = delivered[0].target
    assert (target.account_id, target.destination, target.campaign_id) == (
        watched,
        "33610000001",
        mine.campaign_id,
    )
    assert target.webhook_ids == (first_hook, second_hook)
    assert target.postback_ids == (postback,)
    # Postbacks only: the same message, its DLR webhooks not named.
    assert [
        (c.message_id, c.target.webhook_ids, c.target.postback_ids) for c in sent_postbacks
    ] == [(mine.id, (), (postback,))]


async def test_a_move_its_status_may_not_follow_is_not_reported(platform, customer):
    account_id = customer.account.id
    await _webhook(platform, account_id, EventType.DLR.value)
    await queue_campaign(platform, account_id, {}, [message_row(account_id, "33610000003")])
    cancelled = await platform.db.write(
        lambda conn: conn.exec_driver_sql(
            "UPDATE messages SET status = 'cancelled' RETURNING id"
        ).scalar_one()
    )

    changes = await platform.db.write(  # a late receipt: `delivered` cannot follow `cancelled`
        lambda conn: event_targets.moves_to_report(
            conn, MessageStatus.DELIVERED, [(cancelled, 500, None)]
        )
    )

    assert changes == []
