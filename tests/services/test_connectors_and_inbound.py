"""Inbound SMS and STOPs, routes chosen at acceptance, and the per-message no-route failure."""

from __future__ import annotations

from sqlalchemy import select
from tests.support import fetch_all, make_customer

from relais.services import connectors as connector_service
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


async def test_messages_take_the_route_chosen_at_acceptance(platform):
    shop = await make_customer(platform, credits=10)
    await connector_service.add_route(platform, actor="test", connector="orange", prefix="3361")
    await connector_service.add_route(platform, actor="test", connector="world")
    await send(
        platform,
        account=shop.account,
        submission=Submission("Hi", [Recipient(MOBILE), Recipient("+12015550123")]),
    )
    rows = await fetch_all(platform, select(messages.c.destination, messages.c.connector))
    assert sorted(tuple(r) for r in rows) == [("12015550123", "world"), (MOBILE, "orange")]


async def test_no_route_is_a_per_message_failure_that_costs_nothing(platform):
    shop = await make_customer(platform, credits=10)
    await connector_service.add_route(platform, actor="test", connector="france", country="FR")
    report = await send(
        platform,
        account=shop.account,
        submission=Submission("Hi", [Recipient(MOBILE), Recipient("+12015550123")]),
    )
    assert (report.sent, report.cost) == (2, 1)
    rows = await fetch_all(
        platform, select(messages.c.destination, messages.c.status, messages.c.error)
    )
    assert sorted(tuple(r) for r in rows) == [
        ("12015550123", "route_not_available", "no route"),
        (MOBILE, "queued", None),
    ]


async def test_removing_a_connector_routes_its_waiting_messages_again(platform):
    shop = await make_customer(platform, credits=10)
    await connector_service.put_connector(
        platform, actor="test", name="old", kind="simulator", settings={}
    )
    await connector_service.add_route(platform, actor="test", connector="old", prefix="33")
    await connector_service.add_route(platform, actor="test", connector="new")
    await send(platform, account=shop.account, submission=Submission("Hi", [Recipient(MOBILE)]))
    moved = await connector_service.remove_connector(platform, actor="test", name="old")
    assert moved == 1
    rows = await fetch_all(platform, select(messages.c.connector))
    assert [r[0] for r in rows] == ["new"]
