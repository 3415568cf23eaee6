"""Suspension: refused everywhere, waiting messages held (not lost), released on unlock,
and every process follows a suspension or a token deletion within the cache poll."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from tests.support import fetch_all, make_customer, wait_until

from relais.core.errors import AuthenticationFailed, InvalidField
from relais.core.instant import to_ms
from relais.core.schedule import format_paris
from relais.server.background import running
from relais.services import accounts, credits, sub_accounts, suspension, tokens
from relais.services.platform import Platform
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store import claims
from relais.store.tables import audit_log, messages


async def statuses(platform) -> list[str]:
    rows = await fetch_all(platform, select(messages.c.status).order_by(messages.c.id))
    return [row.status for row in rows]


async def scheduled_send(platform, account, hours: int = 2):
    when = platform.clock() + timedelta(hours=hours)
    return await send(
        platform,
        account=account,
        submission=Submission(
            text="Soldes",
            recipients=[Recipient("33612345678"), Recipient("33612345679")],
            delay=format_paris(when),
        ),
    )


async def test_a_suspended_account_is_refused_with_the_reason(platform):
    shop = await make_customer(platform)
    await suspension.suspend(
        platform, actor="test", account_id=shop.account.id, reason="unpaid invoice"
    )
    with pytest.raises(AuthenticationFailed, match="Account suspended: unpaid invoice"):
        await tokens.authenticate_token(platform, shop.token)
    with pytest.raises(AuthenticationFailed, match="Account suspended"):
        await accounts.authenticate_password(platform, shop.email, shop.password)
    await suspension.unlock(platform, actor="test", account_id=shop.account.id)
    assert (await tokens.authenticate_token(platform, shop.token)).id == shop.account.id


async def test_sub_accounts_of_a_suspended_account_are_refused_too(platform):
    shop = await make_customer(platform)
    child_id = await sub_accounts.open_account(
        platform,
        caller=shop.account,
        email="kid@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    child_token = await tokens.create_token(platform, account_id=child_id)
    assert (await tokens.authenticate_token(platform, child_token.value)).id == child_id
    await suspension.suspend(platform, actor="test", account_id=shop.account.id)
    with pytest.raises(AuthenticationFailed, match="main account is suspended"):
        await tokens.authenticate_token(platform, child_token.value)
    # Unlocking the sub-account alone does not lift its parent's suspension.
    await suspension.unlock(platform, actor="test", account_id=child_id)
    with pytest.raises(AuthenticationFailed):
        await tokens.authenticate_token(platform, child_token.value)
    await suspension.unlock(platform, actor="test", account_id=shop.account.id)
    assert (await tokens.authenticate_token(platform, child_token.value)).id == child_id


async def test_scheduled_messages_are_held_during_a_suspension_and_released_after(platform):
    shop = await make_customer(platform)
    report = await scheduled_send(platform, shop.account)
    assert await statuses(platform) == ["queued", "queued"]

    held = await suspension.suspend(platform, actor="test", account_id=shop.account.id)
    assert held == 2
    assert await statuses(platform) == ["held", "held"]
    later = to_ms(platform.clock() + timedelta(hours=3))
    claimed = await platform.db.write(
        lambda conn: claims.claim_due(
            conn, connector="simulator", now_ms=later, limit=10, lease_ms=60_000
        )
    )
    assert claimed == []  # due, but held: the dispatcher never sees them

    released = await suspension.unlock(platform, actor="test", account_id=shop.account.id)
    assert released == 2
    assert await statuses(platform) == ["queued", "queued"]
    claimed = await platform.db.write(
        lambda conn: claims.claim_due(
            conn, connector="simulator", now_ms=later, limit=10, lease_ms=60_000
        )
    )
    assert sorted(m.campaign_id for m in claimed) == [report.ticket, report.ticket]


async def test_suspend_and_unlock_are_audited(platform):
    shop = await make_customer(platform)
    await suspension.suspend(
        platform, actor="operator:alice", account_id=shop.account.id, reason="fraud"
    )
    await suspension.unlock(platform, actor="cli:bob", account_id=shop.account.id)
    rows = await fetch_all(
        platform,
        select(audit_log.c.actor, audit_log.c.action, audit_log.c.account_id).order_by(
            audit_log.c.id
        ),
    )
    assert [tuple(r) for r in rows][-2:] == [
        ("operator:alice", "account.suspend", shop.account.id),
        ("cli:bob", "account.unlock", shop.account.id),
    ]


async def test_a_suspension_reason_longer_than_allowed_changes_nothing(platform):
    shop = await make_customer(platform)
    with pytest.raises(InvalidField):
        await suspension.suspend(platform, actor="t", account_id=shop.account.id, reason="x" * 201)
    assert (await tokens.authenticate_token(platform, shop.token)).id == shop.account.id
    assert (
        await fetch_all(
            platform, select(audit_log.c.id).where(audit_log.c.action == "account.suspend")
        )
        == []
    )


@pytest.fixture
async def other_process(settings) -> Platform:
    """A second serving process on the same database."""
    other = Platform.open(settings)
    yield other
    await other.close()


async def test_a_token_deleted_in_another_process_stops_working_within_the_poll(
    settings, platform, other_process
):
    shop = await make_customer(platform)
    serving = Platform.open(replace(settings, cache_poll_seconds=0.1))
    async with running(serving):
        assert (await tokens.authenticate_token(serving, shop.token)).id == shop.account.id
        token_id = (await tokens.list_tokens(other_process, account_id=shop.account.id))[0].id
        await tokens.delete_token(other_process, account_id=shop.account.id, token_id=token_id)
        started = asyncio.get_running_loop().time()

        async def refused() -> bool:
            try:
                await tokens.authenticate_token(serving, shop.token)
            except AuthenticationFailed:
                return True
            return False

        await wait_until(refused, seconds=3)
        assert asyncio.get_running_loop().time() - started < 2


async def test_a_suspension_in_another_process_applies_after_the_next_poll(platform, other_process):
    shop = await make_customer(platform)
    await platform.refresh_cache_epochs()
    assert (await tokens.authenticate_token(platform, shop.token)).id == shop.account.id
    await suspension.suspend(other_process, actor="test", account_id=shop.account.id)
    # Still cached here until this process looks at the epochs ...
    assert (await tokens.authenticate_token(platform, shop.token)).id == shop.account.id
    await platform.refresh_cache_epochs()
    with pytest.raises(AuthenticationFailed, match="suspended"):
        await tokens.authenticate_token(platform, shop.token)


async def test_a_send_racing_a_suspension_elsewhere_is_refused_and_stores_nothing(
    platform, other_process
):
    """This process still trusts its cached token, but the send's own transaction sees the
    suspension: nothing is queued, nothing is debited."""
    shop = await make_customer(platform)
    child_id = await sub_accounts.open_account(
        platform,
        caller=shop.account,
        email="kid@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    child_token = await tokens.create_token(platform, account_id=child_id)
    account = await tokens.authenticate_token(platform, shop.token)
    child = await tokens.authenticate_token(platform, child_token.value)
    await suspension.suspend(other_process, actor="test", account_id=shop.account.id, reason="x")
    for sender in (account, child):
        with pytest.raises(AuthenticationFailed, match="Account suspended"):
            await send(
                platform,
                account=sender,
                submission=Submission(text="Hi", recipients=[Recipient("33612345678")]),
            )
    assert await statuses(platform) == []
    assert await credits.balance(platform, account_id=shop.account.id) == 100
