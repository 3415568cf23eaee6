"""The retention purge: campaigns, messages and replies of different ages, in both billing
modes; exactly what expired goes, the rest stays, and every balance still equals its ledger."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update
from tests.support import fetch_all, fetch_value, make_customer

from relais.core.errors import StorageError
from relais.core.instant import to_ms
from relais.core.schedule import PARIS
from relais.services import campaigns as campaign_service
from relais.services import retention, sub_accounts
from relais.services.accounts import find_account
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store import retention as store
from relais.store.inbound import InboundRow, record_inbound
from relais.store.retention import Batch
from relais.store.tables import (
    accounts,
    blacklist,
    campaigns,
    credit_ledger,
    inbound_messages,
    message_parts,
    messages,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def campaign_at(
    platform, account, moment: datetime, *numbers: str, text: str, delay: str | None = None
) -> int:
    """A campaign sent (or scheduled) at `moment`, its messages delivered unless scheduled."""
    platform.clock = lambda: moment
    recipients = [Recipient(n, gsmsmsid=f"ref-{n}") for n in numbers]
    report = await send(
        platform,
        account=account,
        submission=Submission(text=text, recipients=recipients, delay=delay),
    )
    if delay is None:
        await set_messages(platform, report.ticket, status="delivered")
    return report.ticket


async def set_messages(platform, campaign_id: int, **values) -> None:
    await platform.db.write(
        lambda conn: conn.execute(
            update(messages).where(messages.c.campaign_id == campaign_id).values(**values)
        )
    )


async def texts(platform) -> dict[int, str]:
    return dict(await fetch_all(platform, select(campaigns.c.id, campaigns.c.text)))


async def message_rows(platform, campaign_id: int) -> list[tuple]:
    m = messages.c
    rows = await fetch_all(
        platform,
        select(m.destination, m.country, m.cost, m.parts, m.status, m.text, m.gsmsmsid)
        .where(m.campaign_id == campaign_id)
        .order_by(m.id),
    )
    return [tuple(row) for row in rows]


async def assert_balances_equal_ledgers(platform) -> None:
    balances = dict(await fetch_all(platform, select(accounts.c.id, accounts.c.balance)))
    sums = dict(
        await fetch_all(
            platform,
            select(credit_ledger.c.account_id, func.sum(credit_ledger.c.amount)).group_by(
                credit_ledger.c.account_id
            ),
        )
    )
    assert balances == {account_id: sums.get(account_id, 0) for account_id in balances}


async def ledger_rows(platform) -> list[tuple]:
    return [tuple(r) for r in await fetch_all(platform, select(credit_ledger).order_by("id"))]


@dataclasses.dataclass
class World:
    shop: object
    other: object
    branch: object
    recent: int
    month_old: int
    old: int
    old_in_flight: int
    old_in_moderation: int
    old_cancelled: int
    other_old: int
    branch_old: int


async def build_world(platform) -> World:
    """`shop` keeps message texts 30 days and campaigns 6 months; `other` and shop's
    sub-account `branch` never set a retention; `lazy` set only a survey retention."""
    platform.clock = lambda: days_ago(400)
    shop = (await make_customer(platform, email="shop@example.com", credits=1000)).account
    other = (await make_customer(platform, email="other@example.com", credits=1000)).account
    lazy = (await make_customer(platform, email="lazy@example.com", credits=0)).account
    await sub_accounts.open_account(
        platform,
        caller=shop,
        email="branch@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    branch = await find_account(platform, email="branch@example.com")
    await retention.set_retention(
        platform, account_id=shop.id, changes={"message": "30d", "campaign": "6m"}
    )
    await retention.set_retention(platform, account_id=lazy.id, changes={"survey": "1m"})

    recent = await campaign_at(platform, shop, days_ago(10), "33611111101", text="recent")
    month_old = await campaign_at(platform, shop, days_ago(40), "33611111102", text="month")
    old = await campaign_at(
        platform, shop, days_ago(200), "33611111103", "33611111104", text="old " * 50
    )
    # A merged text is stored per message; a receipt part row exists for a delivered one.
    await set_messages(platform, old, text="Hello Ann")
    old_message = await fetch_value(
        platform, select(func.min(messages.c.id)).where(messages.c.campaign_id == old)
    )
    await platform.db.write(
        lambda conn: conn.execute(
            insert(message_parts).values(
                message_id=old_message,
                part=1,
                connector="sim",
                carrier_id="c-1",
                status="delivered",
                done_at=to_ms(days_ago(200)),
            )
        )
    )
    old_in_flight = await campaign_at(platform, shop, days_ago(200), "33611111105", text="flying")
    await set_messages(platform, old_in_flight, status="sent")
    old_in_moderation = await campaign_at(
        platform, shop, days_ago(200), "33611111106", text="review me"
    )
    # Its only message failed at once (no route): the campaign status alone protects it.
    await set_messages(platform, old_in_moderation, status="route_not_available")
    await platform.db.write(
        lambda conn: conn.execute(
            update(campaigns)
            .where(campaigns.c.id == old_in_moderation)
            .values(status="moderation", moderation_reason="word")
        )
    )
    # Scheduled a day ahead, then cancelled and refunded.
    scheduled_for = (days_ago(199)).astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")
    old_cancelled = await campaign_at(
        platform, shop, days_ago(200), "33611111107", text="cancel me", delay=scheduled_for
    )
    await campaign_service.cancel_campaign(platform, account=shop, campaign_id=old_cancelled)
    other_old = await campaign_at(platform, other, days_ago(400), "33622222201", text="other")
    branch_old = await campaign_at(platform, branch, days_ago(400), "33633333301", text="branch")

    def replies(conn) -> None:
        record_inbound(
            conn,
            [
                InboundRow("sim", "33611111102", "SHOP", "yes please", False, to_ms(days_ago(40))),
                InboundRow("sim", "33611111101", "SHOP", "thanks", False, to_ms(days_ago(5))),
                InboundRow("sim", "33611111103", "SHOP", "STOP", True, to_ms(days_ago(40))),
                InboundRow("sim", "33622222201", "OTHR", "old reply", False, to_ms(days_ago(300))),
            ],
        )

    await platform.db.write(replies)
    platform.clock = lambda: NOW
    return World(
        shop,
        other,
        branch,
        recent,
        month_old,
        old,
        old_in_flight,
        old_in_moderation,
        old_cancelled,
        other_old,
        branch_old,
    )


async def assert_untouched_campaigns_kept(platform, world: World) -> None:
    kept = await texts(platform)
    assert kept[world.recent] == "recent"
    assert kept[world.old_in_flight] == "flying"
    assert kept[world.old_in_moderation] == "review me"
    assert kept[world.other_old] == "other"
    assert kept[world.branch_old] == "branch"
    assert kept[world.month_old] == ""
    assert await message_rows(platform, world.recent) == [
        ("33611111101", "FR", 1, 1, "delivered", None, "ref-33611111101")
    ]
    assert await message_rows(platform, world.month_old) == [
        ("33611111102", "FR", 1, 1, "delivered", None, None)
    ]
    assert (await message_rows(platform, world.old_in_flight))[0][-1] == "ref-33611111105"
    inbound = await fetch_all(
        platform,
        select(
            inbound_messages.c.source, inbound_messages.c.text, inbound_messages.c.is_stop
        ).order_by(inbound_messages.c.id),
    )
    assert [tuple(r) for r in inbound] == [
        ("33611111102", "", False),
        ("33611111101", "thanks", False),
        ("33611111103", "", True),
        ("33622222201", "old reply", False),
    ]
    # A STOP's text expires; the number stays blacklisted.
    assert (
        await fetch_value(
            platform, select(blacklist.c.destination).where(blacklist.c.account_id == world.shop.id)
        )
        == "33611111103"
    )


async def test_purge_keeping_billing_erases_texts_and_keeps_rows(platform):
    assert platform.settings.retention_keep_billing is True  # the default
    world = await build_world(platform)
    ledger_before = await ledger_rows(platform)
    counts_before = await fetch_all(
        platform, select(campaigns.c.id, campaigns.c.cost, campaigns.c.sent).order_by("id")
    )

    report = await retention.purge_expired(platform)

    assert report.as_dict() == {
        "accounts": 1,
        "campaign_texts": 3,  # month_old (message 30d), old and old_cancelled (campaign 6m)
        "inbound_texts": 2,
        "campaigns_deleted": 0,
        "messages_deleted": 0,
        "lists": 0,
        "failures": 0,
    }
    await assert_untouched_campaigns_kept(platform, world)
    kept = await texts(platform)
    assert kept[world.old] == "" and kept[world.old_cancelled] == ""
    assert await message_rows(platform, world.old) == [
        ("33611111103", "FR", 2, 2, "delivered", None, None),
        ("33611111104", "FR", 2, 2, "delivered", None, None),
    ]
    assert await fetch_value(platform, select(func.count()).select_from(message_parts)) == 0
    assert (
        await fetch_all(
            platform, select(campaigns.c.id, campaigns.c.cost, campaigns.c.sent).order_by("id")
        )
        == counts_before
    )
    purged = dict(await fetch_all(platform, select(campaigns.c.id, campaigns.c.purged_at)))
    assert {cid for cid, at in purged.items() if at is not None} == {
        world.month_old,
        world.old,
        world.old_cancelled,
    }
    assert set(purged.values()) == {None, to_ms(NOW)}
    assert await ledger_rows(platform) == ledger_before
    await assert_balances_equal_ledgers(platform)


async def test_purge_without_billing_deletes_expired_campaigns(platform):
    platform.settings = dataclasses.replace(platform.settings, retention_keep_billing=False)
    world = await build_world(platform)
    ledger_before = await ledger_rows(platform)

    report = await retention.purge_expired(platform)

    assert report.as_dict() == {
        "accounts": 1,
        "campaign_texts": 1,  # month_old
        "inbound_texts": 2,
        "campaigns_deleted": 2,  # old and old_cancelled
        "messages_deleted": 3,
        "lists": 0,
        "failures": 0,
    }
    await assert_untouched_campaigns_kept(platform, world)
    remaining = set(await texts(platform))
    assert world.old not in remaining and world.old_cancelled not in remaining
    assert remaining == {
        world.recent,
        world.month_old,
        world.old_in_flight,
        world.old_in_moderation,
        world.other_old,
        world.branch_old,
    }
    assert await message_rows(platform, world.old) == []
    assert await fetch_value(platform, select(func.count()).select_from(message_parts)) == 0
    # The debit and the refund of the deleted campaigns stay in the ledger.
    assert await ledger_rows(platform) == ledger_before
    reasons = await fetch_all(
        platform,
        select(credit_ledger.c.reason).where(
            credit_ledger.c.campaign_id.in_([world.old, world.old_cancelled])
        ),
    )
    assert sorted(r[0] for r in reasons) == ["campaign", "campaign", "refund"]
    await assert_balances_equal_ledgers(platform)


async def test_a_second_purge_finds_nothing_left(platform):
    await build_world(platform)
    first = await retention.purge_expired(platform)
    assert first.purged_anything
    again = await retention.purge_expired(platform)
    assert again.as_dict() == {**dict.fromkeys(again.as_dict(), 0), "accounts": 1}
    await assert_balances_equal_ledgers(platform)


async def test_the_purge_waits_for_in_flight_messages_to_settle(platform):
    world = await build_world(platform)
    await retention.purge_expired(platform)
    assert (await texts(platform))[world.old_in_flight] == "flying"
    await set_messages(platform, world.old_in_flight, status="expired")
    report = await retention.purge_expired(platform)
    assert report.campaign_texts == 1
    assert (await texts(platform))[world.old_in_flight] == ""


async def test_purge_works_in_bounded_batches(platform, monkeypatch):
    customer = await make_customer(platform, credits=1000)
    await retention.set_retention(
        platform, account_id=customer.account.id, changes={"message": "1d"}
    )
    for i in range(5):
        numbers = [f"3361000{i}00{k}" for k in range(3)]
        await campaign_at(platform, customer.account, days_ago(3), *numbers, text=f"t{i}")
    platform.clock = lambda: NOW
    monkeypatch.setattr(retention, "CAMPAIGN_BATCH", 2)
    monkeypatch.setattr(retention, "MESSAGE_BATCH", 4)
    batches: list[Batch] = []
    lanes: list[str] = []
    erase = store.erase_campaign_texts
    write = platform.db.write

    def erase_spy(conn, **kwargs) -> Batch:
        batches.append(erase(conn, **kwargs))
        return batches[-1]

    async def write_spy(work, *, lane="default"):
        lanes.append(lane)
        return await write(work, lane=lane)

    monkeypatch.setattr(store, "erase_campaign_texts", erase_spy)
    monkeypatch.setattr(platform.db, "write", write_spy)
    report = await retention.purge_expired(platform)
    assert report.campaign_texts == 5
    # 3 messages a campaign, at most 4 messages a batch: one campaign per transaction.
    assert [b.campaigns for b in batches] == [1, 1, 1, 1, 1]
    assert set(lanes) == {"default"}
    assert set((await texts(platform)).values()) == {""}


async def test_retention_months_follow_the_paris_calendar():
    march_31 = datetime(2026, 3, 31, 10, 0, tzinfo=PARIS)
    assert retention.cutoff("1m", march_31) == datetime(2026, 2, 28, 10, 0, tzinfo=PARIS)
    assert retention.cutoff("13m", march_31) == datetime(2025, 2, 28, 10, 0, tzinfo=PARIS)
    assert retention.cutoff("-1", march_31) is None
    # Two days before a time after the spring change is the same wall-clock time.
    after_dst = datetime(2026, 3, 30, 12, 0, tzinfo=PARIS)
    two_days = retention.cutoff("2d", after_dst)
    assert two_days.astimezone(UTC) == datetime(2026, 3, 28, 11, 0, tzinfo=UTC)


async def test_a_campaign_exactly_at_the_cutoff_is_kept(platform):
    customer = await make_customer(platform, credits=100)
    await retention.set_retention(
        platform, account_id=customer.account.id, changes={"message": "2d"}
    )
    at_cutoff = await campaign_at(platform, customer.account, days_ago(2), "33612300001", text="a")
    before = await campaign_at(
        platform, customer.account, days_ago(2) - timedelta(milliseconds=1), "33612300002", text="b"
    )
    await retention.purge_expired(platform, now=NOW)
    kept = await texts(platform)
    assert kept[at_cutoff] == "a" and kept[before] == ""


async def test_purge_loop_keeps_running_after_a_failure(platform, monkeypatch, caplog):
    calls: list[int] = []
    real = retention.purge_expired

    async def flaky(p, *, now=None):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return await real(p, now=now)

    monkeypatch.setattr(retention, "purge_expired", flaky)
    customer = await make_customer(platform, credits=100)
    await retention.set_retention(
        platform, account_id=customer.account.id, changes={"message": "1d"}
    )
    ticket = await campaign_at(platform, customer.account, days_ago(3), "33612300003", text="x")
    platform.clock = lambda: NOW
    caplog.set_level(logging.ERROR, logger="relais.retention")
    task = asyncio.create_task(retention.purge_loop(platform, 0.01))
    try:
        for _ in range(500):
            if (await texts(platform))[ticket] == "":
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert (await texts(platform))[ticket] == ""
    assert len(calls) >= 2
    assert "retention purge failed" in caplog.text


async def test_sub_account_follows_its_own_settings_not_its_parents(platform):
    world = await build_world(platform)
    await retention.set_retention(platform, account_id=world.branch.id, changes={"campaign": "1m"})
    platform.settings = dataclasses.replace(platform.settings, retention_keep_billing=False)
    report = await retention.purge_expired(platform)
    assert report.accounts == 2
    remaining = set(await texts(platform))
    assert world.branch_old not in remaining and world.other_old in remaining
    # branch is unlimited: its parent paid, and the parent's balance still matches its ledger.
    await assert_balances_equal_ledgers(platform)


async def test_campaign_retention_alone_kept_for_billing_erases_only_campaign_texts(platform):
    customer = await make_customer(platform, credits=100)
    await retention.set_retention(
        platform, account_id=customer.account.id, changes={"campaign": "1m"}
    )
    old = await campaign_at(platform, customer.account, days_ago(45), "33612300004", text="old")
    young = await campaign_at(platform, customer.account, days_ago(20), "33612300005", text="new")
    await platform.db.write(
        lambda conn: record_inbound(
            conn, [InboundRow("sim", "33612300004", "SHOP", "hi", False, to_ms(days_ago(45)))]
        )
    )
    report = await retention.purge_expired(platform, now=NOW)
    assert (report.campaign_texts, report.inbound_texts, report.campaigns_deleted) == (1, 0, 0)
    assert await texts(platform) == {old: "", young: "new"}
    assert await message_rows(platform, old) == [
        ("33612300004", "FR", 1, 1, "delivered", None, None)
    ]
    assert await fetch_value(platform, select(inbound_messages.c.text)) == "hi"
    await assert_balances_equal_ledgers(platform)


async def test_one_accounts_failure_does_not_stop_the_others(platform, monkeypatch, caplog):
    first = await make_customer(platform, email="first@example.com", credits=100)
    second = await make_customer(platform, email="second@example.com", credits=100)
    tickets = {}
    for customer in (first, second):
        await retention.set_retention(
            platform, account_id=customer.account.id, changes={"message": "1d"}
        )
        tickets[customer.account.id] = await campaign_at(
            platform, customer.account, days_ago(3), "33612300006", text="x"
        )
    erase = store.erase_campaign_texts

    def broken_for_first(conn, *, account_id, **kwargs):
        if account_id == first.account.id:
            raise StorageError("database error: IntegrityError")
        return erase(conn, account_id=account_id, **kwargs)

    monkeypatch.setattr(store, "erase_campaign_texts", broken_for_first)
    caplog.set_level(logging.ERROR, logger="relais.retention")
    report = await retention.purge_expired(platform, now=NOW)
    assert (report.accounts, report.failures, report.campaign_texts) == (2, 1, 1)
    assert await texts(platform) == {
        tickets[first.account.id]: "x",
        tickets[second.account.id]: "",
    }
    assert f"account {first.account.id} failed" in caplog.text
