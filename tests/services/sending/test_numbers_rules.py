"""Delivery rules of sends to numbers, below the API: the NPAI filter, the STOP notice of
marketing, the marketing window, and the anti-flood limits, on both backends."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from tests.services.sending.scenarios import (
    TUESDAY,
    A,
    B,
    C,
    add_opt_outs,
    at,
    balance_and_ledger,
    configure,
    message_count,
    submission,
)
from tests.support import fetch_all, fetch_value, make_customer

from relais.config import Settings
from relais.core.errors import InvalidField
from relais.core.instant import to_ms
from relais.core.schedule import PARIS
from relais.services import campaigns as campaign_service
from relais.services.platform import Platform
from relais.services.sending.numbers import send
from relais.store import advisory_locks
from relais.store import screening as screening_store
from relais.store.database import async_url
from relais.store.tables import (
    campaigns,
    messages,
)

# --- NPAI -------------------------------------------------------------------------------------


async def test_npai_numbers_are_counted_not_stored_and_not_charged(platform, customer):
    await add_opt_outs(platform, customer, "npai", B)
    report = await send(platform, account=customer.account, submission=submission(A, B, C))
    assert (report.sent, report.cost, report.counters["npai"]) == (2, 2, 1)
    assert report.credits == 98
    rows = await fetch_all(platform, select(messages.c.destination).order_by(messages.c.id))
    assert [r[0] for r in rows] == [A, C]
    stored = await fetch_value(platform, select(campaigns.c.npai))
    assert stored == 1


async def test_single_send_to_an_npai_number_sends_nothing_and_costs_nothing(platform, customer):
    await add_opt_outs(platform, customer, "npai", A)
    report = await send(platform, account=customer.account, submission=submission(A))
    assert (report.sent, report.cost, report.counters["npai"]) == (0, 0, 1)
    assert await message_count(platform) == 0
    assert await balance_and_ledger(platform, customer.account.id) == (100, 100)


async def test_a_blacklisted_npai_number_counts_once_as_blacklisted(platform, customer):
    await add_opt_outs(platform, customer, "npai", A)
    await add_opt_outs(platform, customer, "blacklist", A)
    report = await send(platform, account=customer.account, submission=submission(A, B))
    assert (report.counters["blacklisted"], report.counters["npai"], report.sent) == (1, 0, 1)


async def test_simulation_counts_npai_like_a_send(platform, customer):
    await add_opt_outs(platform, customer, "npai", A)
    report = await send(
        platform, account=customer.account, submission=submission(A, B), simulate=True
    )
    assert (report.ticket, report.sent, report.counters["npai"], report.cost) == (None, 1, 1, 1)


async def test_another_accounts_npai_list_does_not_filter(platform, customer):
    other = await make_customer(platform, email="other@example.com")
    await add_opt_outs(platform, other, "npai", A)
    report = await send(platform, account=customer.account, submission=submission(A))
    assert (report.sent, report.counters["npai"]) == (1, 0)


# --- STOP notice ----------------------------------------------------------------------------


async def test_marketing_text_ends_with_the_stop_notice_and_pays_for_it(platform, customer):
    at(platform, TUESDAY)
    text = "x" * 150  # one part alone; 164 characters with "\nSTOP au 36179"
    alert = await send(platform, account=customer.account, submission=submission(A, text=text))
    marketing = await send(
        platform,
        account=customer.account,
        submission=submission(B, text=text, pushtype="marketing"),
    )
    assert (alert.cost, marketing.cost) == (1, 2)
    rows = await fetch_all(platform, select(campaigns.c.text).order_by(campaigns.c.id))
    assert [r[0] for r in rows] == [text, text + "\nSTOP au 36179"]
    parts = await fetch_all(platform, select(messages.c.parts).order_by(messages.c.id))
    assert [r[0] for r in parts] == [1, 2]


async def test_stop_notice_pushing_the_text_over_max_parts_is_refused(platform, customer):
    at(platform, TUESDAY)
    configure(platform, max_parts=1)
    text = "x" * 150
    with pytest.raises(InvalidField, match="STOP notice"):
        await send(
            platform,
            account=customer.account,
            submission=submission(A, text=text, pushtype="advertising"),
        )
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0
    assert await balance_and_ledger(platform, customer.account.id) == (100, 100)
    report = await send(platform, account=customer.account, submission=submission(A, text=text))
    assert report.cost == 1


async def test_stop_notice_text_is_a_setting(platform, customer):
    at(platform, TUESDAY)
    configure(platform, stop_notice="STOP 36034")
    await send(platform, account=customer.account, submission=submission(A, pushtype="marketing"))
    configure(platform, stop_notice="")
    await send(platform, account=customer.account, submission=submission(B, pushtype="marketing"))
    rows = await fetch_all(platform, select(campaigns.c.text).order_by(campaigns.c.id))
    assert [r[0] for r in rows] == ["Hello\nSTOP 36034", "Hello"]


def test_stop_notice_setting_is_read_from_the_environment():
    assert Settings.from_env({}).stop_notice == "STOP au 36179"
    assert Settings.from_env({"RELAIS_STOP_NOTICE": "Stop SMS 36180"}).stop_notice == (
        "Stop SMS 36180"
    )
    assert Settings.from_env({"RELAIS_STOP_NOTICE": ""}).stop_notice == ""


@pytest.mark.parametrize(
    ("pushtype", "text", "sent"),
    [
        ("marketing", "Promo -20%\n<-stop->", "Promo -20%\nSTOP au 36179"),
        ("alert", "Reply <-stop->", "Reply STOP au 36179"),
        ("marketing", "Promo. stop au 36179", "Promo. stop au 36179"),
    ],
)
async def test_stop_placeholder_is_replaced_and_the_notice_never_doubled(
    platform, customer, pushtype, text, sent
):
    at(platform, TUESDAY)
    submitted = submission(A, text=text, pushtype=pushtype)
    await send(platform, account=customer.account, submission=submitted)
    assert await fetch_value(platform, select(campaigns.c.text)) == sent


# --- marketing window -------------------------------------------------------------------------


async def due_and_status(platform) -> tuple[int, int, str]:
    send_at, status = (await fetch_all(platform, select(campaigns.c.send_at, campaigns.c.status)))[
        0
    ]
    due = await fetch_value(platform, select(func.max(messages.c.due_at)))
    return send_at, due, status


@pytest.mark.parametrize(
    ("now", "release"),
    [
        (datetime(2026, 7, 11, 19, 59, tzinfo=PARIS), datetime(2026, 7, 11, 19, 59, tzinfo=PARIS)),
        (datetime(2026, 7, 11, 20, 0, tzinfo=PARIS), datetime(2026, 7, 13, 8, 0, tzinfo=PARIS)),
        (datetime(2026, 7, 12, 11, 0, tzinfo=PARIS), datetime(2026, 7, 13, 8, 0, tzinfo=PARIS)),
        (datetime(2026, 7, 14, 11, 0, tzinfo=PARIS), datetime(2026, 7, 15, 8, 0, tzinfo=PARIS)),
        (datetime(2026, 4, 6, 11, 0, tzinfo=PARIS), datetime(2026, 4, 7, 8, 0, tzinfo=PARIS)),
        (datetime(2026, 1, 1, 11, 0, tzinfo=PARIS), datetime(2026, 1, 2, 8, 0, tzinfo=PARIS)),
    ],
)
async def test_marketing_outside_the_window_is_held_until_it_opens(
    platform, customer, now, release
):
    at(platform, now)
    report = await send(
        platform, account=customer.account, submission=submission(A, pushtype="marketing")
    )
    assert report.sent == 1 and report.ticket is not None
    send_at, due, status = await due_and_status(platform)
    assert send_at == due == to_ms(release)
    assert status == ("queued" if release == now else "scheduled")


async def test_alert_is_never_held_even_on_a_sunday_night(platform, customer):
    sunday = datetime(2026, 7, 12, 23, 0, tzinfo=PARIS)
    at(platform, sunday)
    await send(platform, account=customer.account, submission=submission(A))
    assert await due_and_status(platform) == (to_ms(sunday), to_ms(sunday), "queued")


async def test_marketing_delay_outside_the_window_moves_to_the_next_opening(platform, customer):
    at(platform, TUESDAY)
    submitted = submission(A, pushtype="marketing", delay="2026-07-12 10:00:00")  # a Sunday
    await send(platform, account=customer.account, submission=submitted)
    monday = to_ms(datetime(2026, 7, 13, 8, 0, tzinfo=PARIS))
    assert await due_and_status(platform) == (monday, monday, "scheduled")


async def test_marketing_delay_inside_the_window_is_kept(platform, customer):
    at(platform, datetime(2026, 7, 12, 10, 0, tzinfo=PARIS))  # asked on a Sunday
    submitted = submission(A, pushtype="marketing", delay="2026-07-16 09:30:00")
    await send(platform, account=customer.account, submission=submitted)
    thursday = to_ms(datetime(2026, 7, 16, 9, 30, tzinfo=PARIS))
    assert await due_and_status(platform) == (thursday, thursday, "scheduled")


async def test_a_held_marketing_campaign_can_be_cancelled_and_is_refunded(platform, customer):
    at(platform, datetime(2026, 7, 11, 21, 0, tzinfo=PARIS))
    report = await send(
        platform, account=customer.account, submission=submission(A, pushtype="marketing")
    )
    credits = await campaign_service.cancel_campaign(
        platform, account=customer.account, campaign_id=report.ticket
    )
    assert credits == 100
    assert await balance_and_ledger(platform, customer.account.id) == (100, 100)


# --- anti-flood -------------------------------------------------------------------------------


async def test_flood_limits_messages_per_destination_and_hour(platform, customer):
    at(platform, TUESDAY)
    configure(platform, flood_per_hour=3, flood_same_text_per_hour=0)
    reports = [
        await send(platform, account=customer.account, submission=submission(A, text=f"n{i}"))
        for i in range(4)
    ]
    assert [r.counters["flood"] for r in reports] == [0, 0, 0, 1]
    assert [r.cost for r in reports] == [1, 1, 1, 0]
    assert await message_count(platform) == 3
    other = await send(platform, account=customer.account, submission=submission(B))
    assert other.sent == 1
    assert await balance_and_ledger(platform, customer.account.id) == (96, 96)


async def test_flood_limits_the_same_text_separately(platform, customer):
    at(platform, TUESDAY)
    configure(platform, flood_per_hour=0, flood_same_text_per_hour=2)
    same = [
        await send(platform, account=customer.account, submission=submission(A, text="Same"))
        for _ in range(3)
    ]
    assert [r.counters["flood"] for r in same] == [0, 0, 1]
    different = await send(platform, account=customer.account, submission=submission(A, text="New"))
    assert different.sent == 1


async def test_flood_window_is_an_hour_either_side_of_the_due_time(platform, customer):
    at(platform, TUESDAY)
    configure(platform, flood_per_hour=1, flood_same_text_per_hour=0)
    assert (await send(platform, account=customer.account, submission=submission(A))).sent == 1
    at(platform, TUESDAY + timedelta(minutes=59))
    assert (await send(platform, account=customer.account, submission=submission(A))).sent == 0
    at(platform, TUESDAY + timedelta(minutes=61))
    assert (await send(platform, account=customer.account, submission=submission(A))).sent == 1
    # A message scheduled three hours ahead counts around its own due time.
    later = submission(A, delay="2026-07-07 14:00:00")
    assert (await send(platform, account=customer.account, submission=later)).sent == 1
    close = submission(A, delay="2026-07-07 14:30:00")
    assert (await send(platform, account=customer.account, submission=close)).sent == 0


async def test_cancelled_messages_do_not_count_against_the_flood_limit(platform, customer):
    at(platform, TUESDAY)
    configure(platform, flood_per_hour=1, flood_same_text_per_hour=0)
    scheduled = await send(
        platform, account=customer.account, submission=submission(A, delay="2026-07-07 10:30:00")
    )
    await campaign_service.cancel_campaign(
        platform, account=customer.account, campaign_id=scheduled.ticket
    )
    assert (await send(platform, account=customer.account, submission=submission(A))).sent == 1


async def test_flood_limits_of_zero_turn_anti_flood_off(platform, customer):
    at(platform, TUESDAY)
    configure(platform, flood_per_hour=0, flood_same_text_per_hour=0)
    for _ in range(8):
        report = await send(platform, account=customer.account, submission=submission(A))
        assert report.counters["flood"] == 0
    assert await message_count(platform) == 8


async def test_default_flood_limits_stop_the_seventh_identical_text(platform, customer):
    at(platform, TUESDAY)
    reports = [
        await send(platform, account=customer.account, submission=submission(A)) for _ in range(7)
    ]
    assert [r.counters["flood"] for r in reports] == [0] * 6 + [1]


async def test_flood_in_a_bulk_send_filters_only_the_flooded_numbers(platform, customer):
    at(platform, TUESDAY)
    configure(platform, flood_per_hour=1, flood_same_text_per_hour=0)
    await send(platform, account=customer.account, submission=submission(B))
    report = await send(platform, account=customer.account, submission=submission(A, B, C))
    assert (report.sent, report.cost, report.counters["flood"]) == (2, 2, 1)
    simulated = await send(
        platform, account=customer.account, submission=submission(A, B, C), simulate=True
    )
    assert (simulated.sent, simulated.counters["flood"]) == (0, 3)


async def test_flood_is_counted_per_account(platform, customer):
    at(platform, TUESDAY)
    configure(platform, flood_per_hour=1, flood_same_text_per_hour=0)
    other = await make_customer(platform, email="other@example.com")
    await send(platform, account=customer.account, submission=submission(A))
    assert (await send(platform, account=other.account, submission=submission(A))).sent == 1


@contextlib.asynccontextmanager
async def two_processes(platform, settings, **limits):
    """Two platforms on one database stand for two processes (two writers), both on a
    Tuesday morning with these flood limits."""
    second = Platform.open(settings)
    try:
        for each in (platform, second):
            at(each, TUESDAY)
            configure(each, **{"flood_same_text_per_hour": 0, **limits})
        yield platform, second
    finally:
        await second.close()


async def test_concurrent_sends_from_two_processes_never_pass_the_flood_limit(
    platform, customer, settings
):
    limit = 4
    async with two_processes(platform, settings, flood_per_hour=limit) as (first, second):
        jobs = [
            send(
                (first, second)[i % 2],
                account=customer.account,
                submission=submission(A, text=f"n{i}"),
            )
            for i in range(24)
        ]
        reports = await asyncio.gather(*jobs)
    assert sum(r.sent for r in reports) == limit
    assert sum(r.counters["flood"] for r in reports) == 24 - limit
    assert await message_count(platform) == limit
    assert await balance_and_ledger(platform, customer.account.id) == (100 - limit, 100 - limit)


async def test_single_and_bulk_sends_from_two_processes_share_the_flood_limit(
    platform, customer, settings
):
    """Single sends lock one number, bulk sends the whole account: mixed, they still count
    every message to A once."""
    limit = 5
    async with two_processes(platform, settings, flood_per_hour=limit) as (first, second):
        jobs = [
            send(
                (first, second)[i % 2],
                account=customer.account,
                submission=submission(A, text=f"n{i}")
                if i % 3
                else submission(A, B if i % 2 else C, text=f"n{i}"),
            )
            for i in range(24)
        ]
        reports = await asyncio.gather(*jobs)
    to_a = await fetch_value(
        platform, select(func.count()).select_from(messages).where(messages.c.destination == A)
    )
    assert to_a == limit
    assert sum(r.sent for r in reports) == await message_count(platform)
    spent = sum(r.cost for r in reports)
    assert await balance_and_ledger(platform, customer.account.id) == (100 - spent, 100 - spent)


async def test_single_sends_to_different_numbers_do_not_wait_for_each_other(
    platform, customer, settings
):
    """On PostgreSQL a single send holds only its own number's lock: a send to B goes through
    while another transaction holds A's."""
    if platform.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer: sends are serialised by the database itself")
    engine = create_async_engine(async_url(settings.database_url))
    try:
        async with engine.begin() as holder:
            await holder.run_sync(
                lambda conn: advisory_locks.take(
                    conn, screening_store.flood_locks(customer.account.id, A)
                )
            )
            at(platform, TUESDAY)
            report = await asyncio.wait_for(
                send(platform, account=customer.account, submission=submission(B)), timeout=10
            )
            assert report.sent == 1
            blocked = asyncio.ensure_future(
                send(platform, account=customer.account, submission=submission(A))
            )
            await asyncio.sleep(0.5)
            assert not blocked.done()  # A's lock is held by `holder`
        assert (await asyncio.wait_for(blocked, timeout=10)).sent == 1
    finally:
        await engine.dispose()
