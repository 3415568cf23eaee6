"""screen_many (a group's single sends in one statement) reads what screen_one
reads for each key: the blacklist, the NPAI list and the flood counts, on both backends."""

from __future__ import annotations

import asyncio

from sqlalchemy import insert
from tests.support import campaign_row, make_customer, message_row

from relais.store import advisory_locks
from relais.store.paid_campaigns import insert_paid_campaign
from relais.store.screening import flood_locks, screen_many, screen_one
from relais.store.tables import blacklist, npai
from relais.store.write_groups import GroupRead

LISTED, UNREACHABLE, QUIET, BUSY = "33600000001", "33600000002", "33600000003", "33600000004"
WINDOW = (1_000, 5_000)


async def _history(platform, account_id: int) -> None:
    campaign = campaign_row(account_id, text="Campaign text", send_at=2_000)
    rows = [
        message_row(account_id, BUSY, text="Hello", due_at=2_000, cost=0),
        message_row(account_id, BUSY, text="Hello", due_at=3_000, cost=0),
        message_row(account_id, BUSY, text=None, due_at=4_000, cost=0),  # the campaign's text
        message_row(account_id, BUSY, text="Hello", due_at=9_000, cost=0),  # outside the window
        message_row(
            account_id, BUSY, text="Hello", due_at=2_500, cost=0, status="cancelled"
        ),  # never went out
    ]

    def write(conn):
        now = {"account_id": account_id, "origin": "api", "created_at": 1}
        conn.execute(insert(blacklist).values(destination=LISTED, **now))
        conn.execute(insert(npai).values(destination=UNREACHABLE, **now))
        insert_paid_campaign(
            conn, campaign=campaign, messages=rows, payer=account_id, amount=0, now_ms=1
        )

    await platform.db.write(write)


async def test_many_keys_read_what_each_key_reads_alone(platform, customer):
    account_id = customer.account.id
    other = (await make_customer(platform, email="other@example.com")).account.id
    await _history(platform, account_id)
    keys = [
        (account_id, BUSY, "Hello", WINDOW),
        (account_id, LISTED, "Hello", WINDOW),
        (account_id, UNREACHABLE, "Hello", None),
        (account_id, QUIET, "Hello", WINDOW),
        (account_id, BUSY, "Campaign text", WINDOW),
        (account_id, BUSY, "Hello", None),  # anti-flood off: no counts
        (other, BUSY, "Hello", WINDOW),  # another account's history
        (other, LISTED, "Hello", WINDOW),
    ]

    def read_both(conn):
        alone = [
            screen_one(conn, account_id=account, number=number, text=text, window=window)
            for account, number, text, window in keys
        ]
        return alone, screen_many(conn, keys)

    alone, together = await platform.db.read(read_both)

    assert together == alone
    assert together == [
        (False, False, 3, 2),
        (True, False, 0, 0),
        (False, True, 0, 0),
        (False, False, 0, 0),
        (False, False, 3, 1),
        (False, False, 0, 0),
        (False, False, 0, 0),
        (False, False, 0, 0),
    ]


async def test_a_group_s_screening_waits_for_its_locks_then_reads_what_their_holder_committed(
    platform, customer, other_session
):
    """PostgreSQL: a group's flood locks are taken before its screening reads, so the
    screening counts the message that the transaction it waited for committed."""
    account_id = customer.account.id
    locks = flood_locks(account_id, BUSY)

    def send_one(conn):
        advisory_locks.take(conn, locks)
        insert_paid_campaign(
            conn,
            campaign=campaign_row(account_id, text="Hello", send_at=2_000),
            messages=[message_row(account_id, BUSY, text="Hello", due_at=2_000, cost=0)],
            payer=account_id,
            amount=0,
            now_ms=1,
        )

    transaction = await other_session.begin()
    await other_session.run_sync(send_one)  # its transaction stays open, the locks held
    screened = asyncio.ensure_future(
        platform.db.write(
            lambda conn, found: found,
            locks=locks,
            group_read=GroupRead(screen_many, (account_id, BUSY, "Hello", WINDOW)),
        )
    )
    await asyncio.sleep(0.5)
    assert not screened.done()
    await transaction.commit()
    assert await asyncio.wait_for(screened, timeout=10) == (False, False, 1, 1)
