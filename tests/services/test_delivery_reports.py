"""What comes back from carriers passes through services.delivery_reports: a reply is stored
with the account it answers, and a STOP blacklists its sender for that account only."""

from __future__ import annotations

from sqlalchemy import select
from tests.support import fetch_all, make_customer

from relais.services.delivery_reports import record_inbound
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.tables import blacklist, inbound_messages, messages

MOBILE = "33612345678"


async def test_stop_reply_blacklists_the_sender_for_the_account_that_wrote(platform):
    shop = await make_customer(platform, credits=10)
    other = await make_customer(platform, email="other@example.com", credits=10)
    await send(platform, account=other.account, submission=Submission("Hi", [Recipient(MOBILE)]))
    await send(platform, account=shop.account, submission=Submission("Hi", [Recipient(MOBILE)]))
    owners = await record_inbound(
        platform,
        messages=[
            ("simulator", MOBILE, "36000", "Merci !", 1),
            ("simulator", MOBILE, "36000", "Stop", 2),
            ("simulator", "33699999999", "36000", "STOP", 3),
        ],
    )
    assert owners == [shop.account.id, shop.account.id, None]
    rows = await fetch_all(
        platform, select(inbound_messages.c.account_id, inbound_messages.c.is_stop)
    )
    assert [tuple(r) for r in rows] == [
        (shop.account.id, False),
        (shop.account.id, True),
        (None, True),
    ]
    listed = await fetch_all(platform, select(blacklist.c.account_id, blacklist.c.destination))
    assert [tuple(r) for r in listed] == [(shop.account.id, MOBILE)]


async def test_blacklisted_numbers_are_not_sent_nor_charged(platform):
    shop = await make_customer(platform, credits=10)
    await send(platform, account=shop.account, submission=Submission("Hi", [Recipient(MOBILE)]))
    await record_inbound(platform, messages=[("simulator", MOBILE, "36000", "STOP", 1)])
    report = await send(
        platform,
        account=shop.account,
        submission=Submission("Again", [Recipient(MOBILE), Recipient("33612345677")]),
    )
    assert (report.sent, report.counters["blacklisted"], report.cost) == (1, 1, 1)
    simulated = await send(
        platform,
        account=shop.account,
        submission=Submission("Again", [Recipient(MOBILE)]),
        simulate=True,
    )
    assert (simulated.sent, simulated.counters["blacklisted"], simulated.cost) == (0, 1, 0)
    destinations = await fetch_all(platform, select(messages.c.destination))
    assert sorted(r[0] for r in destinations) == ["33612345677", MOBILE]
