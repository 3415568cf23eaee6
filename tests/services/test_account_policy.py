"""Per-account sending policy: allowed countries, monthly country caps (with their counters
under concurrency, across a Paris month boundary and given back by a cancel), the default
sender, sub-accounts bound by their parent, and the audit of every operator change; on both
backends."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value, make_customer

from relais.core.errors import InvalidField, InvalidSender, NotFound
from relais.services import account_policy, accounts, campaigns, sub_accounts
from relais.services.platform import Platform
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store import audit
from relais.store.tables import campaigns as campaigns_table
from relais.store.tables import country_usage, messages

FR = "33612345678"
BE = "32470123456"
US = "12015550123"
LATER = "2099-06-15 10:00:00"


def submission(*numbers: str, sender: str | None = None, delay: str | None = None) -> Submission:
    return Submission(
        text="Hello", recipients=[Recipient(n) for n in numbers], sender=sender, delay=delay
    )


def fr_numbers(count: int, start: int = 0) -> list[str]:
    return [f"336{10000000 + start + i:08d}" for i in range(count)]


async def audit_actions(platform, account_id: int | None = None) -> list[tuple[str, str, dict]]:
    entries = await platform.db.read(
        lambda conn: audit.list_entries(conn, account_id=account_id, limit=1000)
    )
    return [(e.actor, e.action, dict(e.details)) for e in reversed(entries)]


async def usage(platform, account_id: int, country: str = "FR") -> int | None:
    return await fetch_value(
        platform,
        select(country_usage.c.messages).where(
            country_usage.c.account_id == account_id, country_usage.c.country == country
        ),
    )


# --- allowed countries ---------------------------------------------------------------------


async def test_recipients_outside_allowed_countries_are_counted_not_stored_nor_charged(platform):
    customer = await make_customer(platform, credits=10)
    await account_policy.set_allowed_countries(
        platform, actor="op:alice", account_id=customer.account.id, countries=["fr", "BE"]
    )
    report = await send(platform, account=customer.account, submission=submission(FR, BE, US))
    assert (report.sent, report.cost, report.counters["not_allowed"]) == (2, 2, 1)
    assert report.credits == 8
    stored = await fetch_all(platform, select(messages.c.country).order_by(messages.c.id))
    assert [r[0] for r in stored] == ["FR", "BE"]
    not_allowed = await fetch_value(platform, select(campaigns_table.c.not_allowed))
    assert not_allowed == 1


async def test_allowed_countries_none_or_empty_means_every_country(platform):
    customer = await make_customer(platform, credits=10)
    account_id = customer.account.id
    await account_policy.set_allowed_countries(
        platform, actor="op", account_id=account_id, countries=["BE"]
    )
    refused = await send(platform, account=customer.account, submission=submission(FR))
    assert refused.counters["not_allowed"] == 1
    await account_policy.set_allowed_countries(
        platform, actor="op", account_id=account_id, countries=[]
    )
    accepted = await send(platform, account=customer.account, submission=submission(FR, US))
    assert (accepted.sent, accepted.counters["not_allowed"]) == (2, 0)
    policy = await account_policy.account_policy(platform, account_id)
    assert policy.allowed_countries is None


async def test_allowed_countries_reject_unknown_codes_and_unknown_accounts(platform):
    customer = await make_customer(platform)
    with pytest.raises(InvalidField):
        await account_policy.set_allowed_countries(
            platform, actor="op", account_id=customer.account.id, countries=["FR", "XX"]
        )
    with pytest.raises(NotFound):
        await account_policy.set_allowed_countries(
            platform, actor="op", account_id=999, countries=["FR"]
        )
    assert all(a[1] != "account.allowed_countries" for a in await audit_actions(platform))
    policy = await account_policy.account_policy(platform, customer.account.id)
    assert policy.allowed_countries is None


async def test_allowed_countries_change_is_audited_and_applies_to_the_next_send(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=submission(US))  # cached policy
    codes = await account_policy.set_allowed_countries(
        platform, actor="op:bob", account_id=customer.account.id, countries=["FR", "fr", "BE"]
    )
    assert codes == ("BE", "FR")
    report = await send(platform, account=customer.account, submission=submission(US))
    assert report.counters["not_allowed"] == 1
    entries = [a for a in await audit_actions(platform) if a[1] == "account.allowed_countries"]
    assert entries == [("op:bob", "account.allowed_countries", {"countries": ["BE", "FR"]})]


async def test_sub_account_may_send_only_where_its_parent_may(platform):
    parent = await make_customer(platform, credits=10)
    await sub_accounts.open_account(
        platform,
        caller=parent.account,
        email="child@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    child = await accounts.find_account(platform, email="child@example.com")
    await account_policy.set_allowed_countries(
        platform, actor="op", account_id=parent.account.id, countries=["FR", "BE"]
    )
    await account_policy.set_allowed_countries(
        platform, actor="op", account_id=child.id, countries=["BE", "US"]
    )
    report = await send(platform, account=child, submission=submission(FR, BE, US))
    assert (report.sent, report.counters["not_allowed"]) == (1, 2)
    assert [r[0] for r in await fetch_all(platform, select(messages.c.country))] == ["BE"]


# --- caps ------------------------------------------------------------------------------------


async def test_cap_reached_exactly_then_the_next_recipient_is_limited(platform):
    customer = await make_customer(platform, credits=100)
    account_id = customer.account.id
    await account_policy.set_country_cap(
        platform, actor="op", account_id=account_id, country="FR", monthly_limit=3
    )
    first = await send(platform, account=customer.account, submission=submission(*fr_numbers(3)))
    assert (first.sent, first.counters["country_limit"], first.cost) == (3, 0, 3)
    assert await usage(platform, account_id) == 3
    second = await send(
        platform, account=customer.account, submission=submission(fr_numbers(1, 10)[0], BE)
    )
    assert (second.sent, second.counters["country_limit"], second.cost) == (1, 1, 1)
    assert await usage(platform, account_id) == 3
    assert await fetch_value(platform, select(func.count()).select_from(messages)) == 4
    assert second.credits == 100 - 4


async def test_cap_splits_a_send_that_crosses_it(platform):
    customer = await make_customer(platform, credits=100)
    await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=2
    )
    report = await send(
        platform, account=customer.account, submission=submission(*fr_numbers(5), BE)
    )
    assert (report.sent, report.counters["country_limit"], report.cost) == (3, 3, 3)
    limited = await fetch_value(platform, select(campaigns_table.c.country_limit))
    assert limited == 3


async def test_simulation_reports_the_cap_without_using_it(platform):
    customer = await make_customer(platform, credits=100)
    await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=2
    )
    report = await send(
        platform, account=customer.account, submission=submission(*fr_numbers(3)), simulate=True
    )
    assert (report.sent, report.counters["country_limit"]) == (2, 1)
    assert not await usage(platform, customer.account.id)


async def test_two_processes_sending_at_once_never_exceed_the_cap(platform, settings):
    customer = await make_customer(platform, credits=1000)
    await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=25
    )
    # A second process on the same database: its own writer, its own transactions.
    other = Platform.open(settings)
    try:
        numbers = fr_numbers(60)

        async def one(where: Platform, number: str) -> int:
            report = await send(where, account=customer.account, submission=submission(number))
            return report.sent

        jobs = [one(platform if i % 2 else other, n) for i, n in enumerate(numbers)]
        sent = await asyncio.gather(*jobs)
    finally:
        await other.close()
    assert sum(sent) == 25
    assert await usage(platform, customer.account.id) == 25
    assert await fetch_value(platform, select(func.count()).select_from(messages)) == 25
    limited = await fetch_value(platform, select(func.sum(campaigns_table.c.country_limit)))
    assert limited == 35


async def test_cap_counts_calendar_months_in_paris_time(platform):
    customer = await make_customer(platform, credits=100)
    # 22:30 UTC on 31 January is 23:30 in Paris: still January; an hour later it is February.
    platform.clock = lambda: datetime(2030, 1, 31, 22, 30, tzinfo=UTC)
    await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=1
    )
    january = await send(platform, account=customer.account, submission=submission(*fr_numbers(2)))
    platform.clock = lambda: datetime(2030, 1, 31, 23, 30, tzinfo=UTC)
    february = await send(
        platform, account=customer.account, submission=submission(*fr_numbers(2, 10))
    )
    assert (january.sent, january.counters["country_limit"]) == (1, 1)
    assert (february.sent, february.counters["country_limit"]) == (1, 1)
    months = await fetch_all(
        platform, select(country_usage.c.month, country_usage.c.messages).order_by("month")
    )
    assert [tuple(r) for r in months] == [("2030-01", 1), ("2030-02", 1)]


async def test_a_new_cap_counts_the_messages_already_sent_this_month(platform):
    customer = await make_customer(platform, credits=100)
    await send(platform, account=customer.account, submission=submission(*fr_numbers(4), BE))
    used = await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=5
    )
    assert used == 4
    report = await send(
        platform, account=customer.account, submission=submission(*fr_numbers(3, 10))
    )
    assert (report.sent, report.counters["country_limit"]) == (1, 2)


async def test_cancel_gives_the_messages_back_to_the_cap(platform):
    customer = await make_customer(platform, credits=100)
    await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=2
    )
    scheduled = await send(
        platform, account=customer.account, submission=submission(*fr_numbers(2), delay=LATER)
    )
    assert await usage(platform, customer.account.id) == 2
    await campaigns.cancel_campaign(
        platform, account=customer.account, campaign_id=scheduled.ticket
    )
    assert await usage(platform, customer.account.id) == 0
    report = await send(
        platform, account=customer.account, submission=submission(*fr_numbers(2, 10))
    )
    assert (report.sent, report.counters["country_limit"]) == (2, 0)


async def test_parent_cap_counts_its_sub_accounts_too(platform):
    parent = await make_customer(platform, credits=100)
    await sub_accounts.open_account(
        platform,
        caller=parent.account,
        email="child@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    child = await accounts.find_account(platform, email="child@example.com")
    await account_policy.set_country_cap(
        platform, actor="op", account_id=parent.account.id, country="FR", monthly_limit=3
    )
    by_child = await send(platform, account=child, submission=submission(*fr_numbers(2)))
    by_parent = await send(
        platform, account=parent.account, submission=submission(*fr_numbers(2, 10))
    )
    assert by_child.sent == 2
    assert (by_parent.sent, by_parent.counters["country_limit"]) == (1, 1)
    assert await usage(platform, parent.account.id) == 3


async def test_cap_removal_lifts_the_limit_and_is_audited(platform):
    customer = await make_customer(platform, credits=100)
    account_id = customer.account.id
    await account_policy.set_country_cap(
        platform, actor="op:a", account_id=account_id, country="fr", monthly_limit=0
    )
    blocked = await send(platform, account=customer.account, submission=submission(FR))
    assert (blocked.sent, blocked.counters["country_limit"]) == (0, 1)
    await account_policy.set_country_cap(
        platform, actor="op:b", account_id=account_id, country="FR", monthly_limit=None
    )
    report = await send(platform, account=customer.account, submission=submission(FR))
    assert report.sent == 1
    caps = [a for a in await audit_actions(platform) if a[1] == "account.country_cap"]
    assert caps == [
        ("op:a", "account.country_cap", {"country": "FR", "monthly_limit": 0}),
        ("op:b", "account.country_cap", {"country": "FR", "monthly_limit": None}),
    ]
    with pytest.raises(NotFound):
        await account_policy.set_country_cap(
            platform, actor="op", account_id=account_id, country="FR", monthly_limit=None
        )


@pytest.mark.parametrize("limit", [-1, 1.5, True, "10"])
async def test_cap_must_be_a_whole_number_of_messages(platform, limit):
    customer = await make_customer(platform)
    with pytest.raises(InvalidField):
        await account_policy.set_country_cap(
            platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=limit
        )


# --- default sender ---------------------------------------------------------------------------


async def test_default_sender_is_used_when_the_send_names_none(platform):
    customer = await make_customer(platform, credits=10)
    stored = await account_policy.set_default_sender(
        platform, actor="op", account_id=customer.account.id, sender=" MyShop "
    )
    assert stored == "MyShop"
    implicit = await send(platform, account=customer.account, submission=submission(FR))
    explicit = await send(
        platform, account=customer.account, submission=submission(FR, sender="Other")
    )
    senders = dict(
        await fetch_all(platform, select(campaigns_table.c.id, campaigns_table.c.sender))
    )
    assert senders == {implicit.ticket: "MyShop", explicit.ticket: "Other"}
    await account_policy.set_default_sender(
        platform, actor="op", account_id=customer.account.id, sender=None
    )
    cleared = await send(platform, account=customer.account, submission=submission(FR))
    sender = await fetch_value(
        platform, select(campaigns_table.c.sender).where(campaigns_table.c.id == cleared.ticket)
    )
    assert sender is None
    actions = [a for a in await audit_actions(platform) if a[1] == "account.default_sender"]
    assert [a[2] for a in actions] == [{"sender": "MyShop"}, {"sender": None}]


async def test_sub_account_does_not_inherit_its_parent_default_sender(platform):
    parent = await make_customer(platform, credits=10)
    await sub_accounts.open_account(
        platform,
        caller=parent.account,
        email="child@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    child = await accounts.find_account(platform, email="child@example.com")
    await account_policy.set_default_sender(
        platform, actor="op", account_id=parent.account.id, sender="Parent"
    )
    await send(platform, account=child, submission=submission(FR))
    assert await fetch_value(platform, select(campaigns_table.c.sender)) is None


@pytest.mark.parametrize("sender", ["waytoolongsender", "héllo", "12"])
async def test_default_sender_is_validated_like_a_send_sender(platform, sender):
    customer = await make_customer(platform)
    with pytest.raises(InvalidSender):
        await account_policy.set_default_sender(
            platform, actor="op", account_id=customer.account.id, sender=sender
        )
