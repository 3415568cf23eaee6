"""Connectors and routes: the route chosen at acceptance, the per-message no-route failure,
and waiting messages routed again when their connector goes."""

from __future__ import annotations

from sqlalchemy import select
from tests.support import fetch_all, make_customer

from relais.services import connectors as connector_service
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.tables import messages

MOBILE = "33612345678"


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
