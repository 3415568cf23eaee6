"""BALANCE_ALERT: a debit (send, lookup, transfer) that takes the payer's balance to or below
its trigger queues one event per live BALANCE_ALERT webhook in its own transaction; no other
until a credit takes the balance back above the trigger. Nothing without a trigger or a
webhook; each account (a sub-account too) has its own settings."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from tests.support import fetch_all, fetch_value, make_customer

from relais.core.errors import InsufficientCredits
from relais.services import (
    accounts,
    balance_notifications,
    credits,
    lookup,
    sub_accounts,
    webhooks,
)
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.tables import balance_notifications as settings_table
from relais.store.tables import webhook_events

URL = "https://hooks.example.com/balance"
MOMENT = datetime(2026, 7, 24, 14, 38, tzinfo=UTC)  # 16:38 in Paris
DATE = "2026-07-24 16:38:00"


@pytest.fixture(autouse=True)
def fixed_clock(platform):
    platform.clock = lambda: MOMENT


async def alerts(platform) -> list[tuple[int, int, dict]]:
    c = webhook_events.c
    rows = await fetch_all(
        platform,
        select(c.webhook_id, c.account_id, c.payload)
        .where(c.type == "BALANCE_ALERT")
        .order_by(c.id),
    )
    return [(hook, account, json.loads(payload)) for hook, account, payload in rows]


_numbers = itertools.count()


async def spend(platform, account, count: int = 1) -> None:
    """Send one credit's worth per recipient, each time to new numbers (no flood filter)."""
    numbers = [Recipient(f"3361234{next(_numbers) % 10_000:04d}", None) for _ in range(count)]
    report = await send(platform, account=account, submission=Submission("Hi", numbers))
    assert report.cost == count


async def watch(platform, account_id: int, trigger: str) -> int:
    await balance_notifications.set_notification(
        platform, account_id=account_id, changes={"alert_trigger": trigger}
    )
    hook = await webhooks.create_webhook(
        platform, account_id=account_id, type="BALANCE_ALERT", url=URL
    )
    return hook.id


async def open_child(platform, parent, email: str, *, unlimited: bool) -> int:
    return await sub_accounts.open_account(
        platform,
        caller=parent.account,
        email=email,
        password="secret1",
        child=True,
        unlimited=unlimited,
    )


def body(balance: int, trigger: int) -> dict:
    return {"balance": str(balance), "trigger": str(trigger), "date": DATE}


async def test_one_alert_per_crossing_and_a_credit_above_re_arms_it(platform):
    shop = await make_customer(platform, credits=10)
    hook = await watch(platform, shop.account.id, "8")
    await spend(platform, shop.account)  # 9: above the trigger
    assert await alerts(platform) == []
    await spend(platform, shop.account, 2)  # 7: crossed
    assert await alerts(platform) == [(hook, shop.account.id, body(7, 8))]
    await spend(platform, shop.account)  # 6: still below, told already
    await spend(platform, shop.account)
    assert len(await alerts(platform)) == 1
    await credits.add_credits(platform, actor="test", account_id=shop.account.id, amount=1)
    await spend(platform, shop.account)  # a credit that stays at or below re-arms nothing
    assert len(await alerts(platform)) == 1
    await credits.add_credits(platform, actor="test", account_id=shop.account.id, amount=10)
    await spend(platform, shop.account)  # 14: above again
    assert len(await alerts(platform)) == 1
    await spend(platform, shop.account, 6)  # 8: to the trigger exactly
    assert await alerts(platform) == [
        (hook, shop.account.id, body(7, 8)),
        (hook, shop.account.id, body(8, 8)),
    ]


async def test_every_live_balance_alert_webhook_is_told_and_no_other(platform):
    shop = await make_customer(platform, credits=5)
    first = await watch(platform, shop.account.id, "5")
    second = await webhooks.create_webhook(
        platform, account_id=shop.account.id, type="BALANCE_ALERT", url=URL + "/2"
    )
    paused = await webhooks.create_webhook(
        platform, account_id=shop.account.id, type="BALANCE_ALERT", url=URL + "/3"
    )
    await webhooks.set_status(
        platform, account_id=shop.account.id, webhook_id=paused.id, status="paused"
    )
    await webhooks.create_webhook(platform, account_id=shop.account.id, type="DLR", url=URL)
    other = await make_customer(platform, email="other@example.com", credits=5)
    await webhooks.create_webhook(
        platform, account_id=other.account.id, type="BALANCE_ALERT", url=URL
    )
    await spend(platform, shop.account)
    assert await alerts(platform) == [
        (first, shop.account.id, body(4, 5)),
        (second.id, shop.account.id, body(4, 5)),
    ]


async def test_no_alert_without_a_webhook_or_with_trigger_zero(platform):
    lonely = await make_customer(platform, credits=5)
    await balance_notifications.set_notification(
        platform, account_id=lonely.account.id, changes={"alert_trigger": "100"}
    )
    await spend(platform, lonely.account)
    off = await make_customer(platform, email="off@example.com", credits=5)
    await watch(platform, off.account.id, "0")
    await spend(platform, off.account, 5)  # down to 0, and 0 <= 0: still no alert
    unset = await make_customer(platform, email="unset@example.com", credits=5)
    await webhooks.create_webhook(
        platform, account_id=unset.account.id, type="BALANCE_ALERT", url=URL
    )
    await spend(platform, unset.account, 5)
    assert await alerts(platform) == []
    c = settings_table.c
    assert await fetch_value(platform, select(c.alerted).where(c.account_id == off.account.id)) in (
        False,
        0,
    )


async def test_a_refused_debit_alerts_nobody(platform):
    shop = await make_customer(platform, credits=2)
    await watch(platform, shop.account.id, "5")
    with pytest.raises(InsufficientCredits):
        await spend(platform, shop.account, 3)
    assert await alerts(platform) == []


async def test_a_change_of_settings_re_arms_the_alert(platform):
    shop = await make_customer(platform, credits=10)
    hook = await watch(platform, shop.account.id, "9")
    await spend(platform, shop.account)
    await balance_notifications.set_notification(
        platform, account_id=shop.account.id, changes={"alert_trigger": "5"}
    )
    await spend(platform, shop.account)  # 8: above the new trigger
    await spend(platform, shop.account, 3)  # 5
    assert await alerts(platform) == [
        (hook, shop.account.id, body(9, 9)),
        (hook, shop.account.id, body(5, 5)),
    ]


async def test_lookups_and_transfers_are_debits_too(platform):
    shop = await make_customer(platform, credits=10)
    hook = await watch(platform, shop.account.id, "8")
    await lookup.lookup(platform, account=shop.account, numbers=["33612345678", "33612345677"])
    assert await alerts(platform) == [(hook, shop.account.id, body(8, 8))]
    await credits.add_credits(platform, actor="test", account_id=shop.account.id, amount=5)
    child_id = await open_child(platform, shop, "branch@example.com", unlimited=False)
    await sub_accounts.transfer_credits(
        platform, actor="test", parent_id=shop.account.id, child_id=child_id, amount=6
    )
    assert await alerts(platform) == [
        (hook, shop.account.id, body(8, 8)),
        (hook, shop.account.id, body(7, 8)),
    ]


async def test_a_sub_account_is_alerted_on_its_own_settings(platform):
    shop = await make_customer(platform, credits=100)
    parent_hook = await watch(platform, shop.account.id, "50")
    child_id = await open_child(platform, shop, "branch@example.com", unlimited=False)
    await sub_accounts.transfer_credits(
        platform, actor="test", parent_id=shop.account.id, child_id=child_id, amount=10
    )
    child_hook = await watch(platform, child_id, "9")
    await spend(platform, await accounts.find_account(platform, email="branch@example.com"))
    assert await alerts(platform) == [(child_hook, child_id, body(9, 9))]
    # An unlimited sub-account spends its parent's credits: the parent's trigger counts.
    await open_child(platform, shop, "shop2@example.com", unlimited=True)
    await spend(platform, await accounts.find_account(platform, email="shop2@example.com"), 40)
    assert (await alerts(platform))[1:] == [(parent_hook, shop.account.id, body(50, 50))]


async def test_concurrent_debits_across_the_trigger_alert_once(platform):
    shop = await make_customer(platform, credits=20)
    hook = await watch(platform, shop.account.id, "15")
    await asyncio.gather(*(spend(platform, shop.account) for _ in range(10)))
    assert [hook for hook, _, _ in await alerts(platform)] == [hook]
    [(_, _, told)] = await alerts(platform)
    assert int(told["balance"]) <= 15 and told["trigger"] == "15"
