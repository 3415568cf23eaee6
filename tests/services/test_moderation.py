"""Moderation: rules hold a campaign (stored, debited, its messages held from the
dispatcher), the operator approves it (its messages go out) or refuses it (cancelled, refunded
once, usage given back), every decision audited; on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from tests.support import fetch_all, fetch_value, make_customer

from relais.core.errors import InvalidField, NotFound
from relais.core.instant import to_ms
from relais.services import account_policy, accounts, campaigns, moderation, sub_accounts
from relais.services.moderation import NotAwaitingModeration
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store import audit, claims
from relais.store.ledger import ledger_sum
from relais.store.tables import accounts as accounts_table
from relais.store.tables import campaigns as campaigns_table
from relais.store.tables import country_usage, credit_ledger, messages

FR = ("33612345678", "33612345679", "33612345670")
LATER = "2099-06-15 10:00:00"


def submission(*numbers: str, text: str = "Hello", delay: str | None = None) -> Submission:
    return Submission(text=text, recipients=[Recipient(n) for n in numbers], delay=delay)


async def campaign_row(platform, campaign_id: int):
    return (
        await fetch_all(
            platform,
            select(
                campaigns_table.c.status,
                campaigns_table.c.moderation_reason,
                campaigns_table.c.cost,
            ).where(campaigns_table.c.id == campaign_id),
        )
    )[0]


async def message_statuses(platform, campaign_id: int) -> list[str]:
    rows = await fetch_all(
        platform,
        select(messages.c.status)
        .where(messages.c.campaign_id == campaign_id)
        .order_by(messages.c.id),
    )
    return [r[0] for r in rows]


async def audit_of(platform, action: str) -> list[tuple[str, int | None, dict]]:
    entries = await platform.db.read(lambda conn: audit.list_entries(conn, action=action))
    return [(e.actor, e.account_id, dict(e.details)) for e in reversed(entries)]


async def claimable(platform) -> int:
    now_ms = to_ms(platform.clock())
    claimed = await platform.db.write(
        lambda conn: claims.claim_due(
            conn, connector="simulator", now_ms=now_ms, limit=100, lease_ms=60_000
        )
    )
    return len(claimed)


async def assert_ledger_balanced(platform, account_id: int) -> None:
    total = await platform.db.read(lambda conn: ledger_sum(conn, account_id))
    balance = await fetch_value(
        platform, select(accounts_table.c.balance).where(accounts_table.c.id == account_id)
    )
    assert total == balance


async def held_campaign(platform, customer, *, delay: str | None = None) -> int:
    await moderation_rule(platform, customer.account.id, "word", "casino")
    report = await send(
        platform,
        account=customer.account,
        submission=submission(*FR, text="Casino night!", delay=delay),
    )
    assert report.moderated
    return report.ticket


async def moderation_rule(platform, account_id: int | None, kind: str, value: str) -> int:
    return await account_policy.add_moderation_rule(
        platform, actor="op:mod", account_id=account_id, kind=kind, value=value
    )


# --- rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("phrase", "x"),
        ("word", "  "),
        ("word", "!!!"),
        ("link", "not a domain"),
        ("link", "http://"),
        ("first_campaigns", "0"),
        ("first_campaigns", "two"),
        ("first_campaigns", "-1"),
    ],
)
async def test_invalid_rules_are_refused(platform, kind, value):
    with pytest.raises(InvalidField):
        await moderation_rule(platform, None, kind, value)
    assert await moderation.moderation_queue(platform) == []
    assert await account_policy.list_moderation_rules(platform) == []


async def test_rules_are_listed_removed_and_audited(platform):
    customer = await make_customer(platform)
    other = await make_customer(platform, email="other@example.com")
    everyone = await moderation_rule(platform, None, "link", "*")
    mine = await moderation_rule(platform, customer.account.id, "word", " Casino ")
    await moderation_rule(platform, other.account.id, "first_campaigns", "2")
    applying = await account_policy.list_moderation_rules(platform, account_id=customer.account.id)
    assert [(r.id, r.kind, r.value) for r in applying] == [
        (everyone, "link", "*"),
        (mine, "word", "Casino"),
    ]
    assert len(await account_policy.list_moderation_rules(platform)) == 3
    await account_policy.remove_moderation_rule(platform, actor="op:x", rule_id=mine)
    with pytest.raises(NotFound):
        await account_policy.remove_moderation_rule(platform, actor="op:x", rule_id=mine)
    with pytest.raises(NotFound):
        await moderation_rule(platform, 999, "word", "casino")
    added = await audit_of(platform, "moderation.rule_add")
    assert [a[2] for a in added] == [
        {"kind": "link", "value": "*"},
        {"kind": "word", "value": "Casino"},
        {"kind": "first_campaigns", "value": "2"},
    ]
    assert await audit_of(platform, "moderation.rule_remove") == [
        ("op:x", customer.account.id, {"rule_id": mine, "kind": "word", "value": "Casino"})
    ]


# --- holding -------------------------------------------------------------------------------


async def test_matching_campaign_is_stored_held_and_debited(platform):
    customer = await make_customer(platform, credits=10)
    ticket = await held_campaign(platform, customer)
    status, reason, cost = await campaign_row(platform, ticket)
    assert (status, reason, cost) == ("moderation", "word: casino", 3)
    assert await message_statuses(platform, ticket) == ["held"] * 3
    assert await claimable(platform) == 0
    assert await fetch_value(platform, select(accounts_table.c.balance)) == 7
    await assert_ledger_balanced(platform, customer.account.id)


async def test_campaign_without_a_matching_rule_goes_out_as_usual(platform):
    customer = await make_customer(platform, credits=10)
    await moderation_rule(platform, None, "word", "casino")
    report = await send(platform, account=customer.account, submission=submission(FR[0]))
    assert not report.moderated
    assert await message_statuses(platform, report.ticket) == ["queued"]


async def test_simulation_is_never_held(platform):
    customer = await make_customer(platform, credits=10)
    await moderation_rule(platform, None, "word", "casino")
    report = await send(
        platform,
        account=customer.account,
        submission=submission(FR[0], text="casino"),
        simulate=True,
    )
    assert not report.moderated and report.ticket is None


async def test_first_campaigns_rule_holds_only_the_first_ones(platform):
    customer = await make_customer(platform, credits=10)
    await moderation_rule(platform, None, "first_campaigns", "2")
    held = [
        (await send(platform, account=customer.account, submission=submission(FR[0]))).moderated
        for _ in range(3)
    ]
    assert held == [True, True, False]
    reasons = await fetch_all(
        platform, select(campaigns_table.c.moderation_reason).order_by(campaigns_table.c.id)
    )
    assert [r[0] for r in reasons] == ["first_campaigns: 1 of 2", "first_campaigns: 2 of 2", None]


async def test_parent_rules_apply_to_its_sub_accounts(platform):
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
    await moderation_rule(platform, parent.account.id, "link", "*")
    report = await send(platform, account=child, submission=submission(FR[0], text="see bit.ly/x"))
    assert report.moderation_reason == "link: bit.ly"


# --- the queue and the decisions -------------------------------------------------------------


async def test_queue_lists_held_campaigns_oldest_first(platform):
    customer = await make_customer(platform, credits=10)
    first = await held_campaign(platform, customer)
    await send(platform, account=customer.account, submission=submission(FR[0]))
    second = (
        await send(platform, account=customer.account, submission=submission(FR[0], text="casino"))
    ).ticket
    queue = await moderation.moderation_queue(platform)
    assert [item.campaign_id for item in queue] == [first, second]
    item = queue[0]
    assert (item.email, item.text, item.recipients, item.cost, item.reason) == (
        customer.email,
        "Casino night!",
        3,
        3,
        "word: casino",
    )


async def test_approve_releases_the_messages_to_the_dispatcher(platform):
    customer = await make_customer(platform, credits=10)
    ticket = await held_campaign(platform, customer)
    woken = []
    platform.on_queued = lambda: woken.append(True)
    decision = await moderation.approve(platform, actor="op:mod", campaign_id=ticket)
    assert (decision.status, decision.messages) == ("queued", 3)
    assert (await campaign_row(platform, ticket))[0] == "queued"
    assert await message_statuses(platform, ticket) == ["queued"] * 3
    assert woken == [True]
    assert await claimable(platform) == 3
    assert await audit_of(platform, "moderation.approve") == [
        (
            "op:mod",
            customer.account.id,
            {
                "campaign_id": ticket,
                "reason": "word: casino",
                "released": 3,
                "held_by_suspension": False,
            },
        )
    ]
    assert await fetch_value(platform, select(accounts_table.c.balance)) == 7
    await assert_ledger_balanced(platform, customer.account.id)
    report = await campaigns.get_campaign(platform, account=customer.account, campaign_id=ticket)
    assert report.state == "Sending"


async def test_approve_of_a_delayed_campaign_schedules_it(platform):
    customer = await make_customer(platform, credits=10)
    ticket = await held_campaign(platform, customer, delay=LATER)
    woken = []
    platform.on_queued = lambda: woken.append(True)
    decision = await moderation.approve(platform, actor="op", campaign_id=ticket)
    assert decision.status == "scheduled"
    assert await message_statuses(platform, ticket) == ["queued"] * 3
    assert woken == []
    report = await campaigns.get_campaign(platform, account=customer.account, campaign_id=ticket)
    assert report.state == "Scheduled"


async def test_approve_of_a_delayed_campaign_whose_time_passed_queues_it(platform):
    customer = await make_customer(platform, credits=10)
    ticket = await held_campaign(platform, customer, delay="2031-01-01 10:00:00")
    platform.clock = lambda: datetime(2031, 1, 2, tzinfo=UTC)
    decision = await moderation.approve(platform, actor="op", campaign_id=ticket)
    assert decision.status == "queued"
    assert await claimable(platform) == 3


@pytest.mark.parametrize("who", ["account", "parent"])
async def test_approve_keeps_messages_held_while_the_account_or_its_parent_is_suspended(
    platform, who
):
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
    await moderation_rule(platform, None, "word", "casino")
    report = await send(platform, account=child, submission=submission(*FR, text="casino"))
    suspended = child.id if who == "account" else parent.account.id
    await platform.db.write(
        lambda conn: conn.execute(
            update(accounts_table).where(accounts_table.c.id == suspended).values(suspended_at=1)
        )
    )
    decision = await moderation.approve(platform, actor="op", campaign_id=report.ticket)
    assert (decision.status, decision.messages) == ("queued", 0)
    assert await message_statuses(platform, report.ticket) == ["held"] * 3
    assert await claimable(platform) == 0
    details = (await audit_of(platform, "moderation.approve"))[0][2]
    assert details["held_by_suspension"] is True


async def test_refuse_cancels_and_refunds_once(platform):
    customer = await make_customer(platform, credits=10)
    ticket = await held_campaign(platform, customer)
    decision = await moderation.refuse(platform, actor="op:mod", campaign_id=ticket)
    assert (decision.status, decision.messages, decision.refunded) == ("refused", 3, 3)
    assert (await campaign_row(platform, ticket))[0] == "refused"
    assert await message_statuses(platform, ticket) == ["cancelled"] * 3
    with pytest.raises(NotAwaitingModeration):
        await moderation.refuse(platform, actor="op:mod", campaign_id=ticket)
    with pytest.raises(NotAwaitingModeration):
        await moderation.approve(platform, actor="op:mod", campaign_id=ticket)
    assert await fetch_value(platform, select(accounts_table.c.balance)) == 10
    await assert_ledger_balanced(platform, customer.account.id)
    ledger = await fetch_all(
        platform,
        select(credit_ledger.c.amount, credit_ledger.c.reason, credit_ledger.c.campaign_id)
        .where(credit_ledger.c.campaign_id == ticket)
        .order_by(credit_ledger.c.id),
    )
    assert [tuple(r) for r in ledger] == [(-3, "campaign", ticket), (3, "refund", ticket)]
    [(actor, account_id, details)] = await audit_of(platform, "moderation.refuse")
    assert (actor, account_id) == ("op:mod", customer.account.id)
    assert details["refunded"] == 3 and details["cancelled"] == 3
    report = await campaigns.get_campaign(platform, account=customer.account, campaign_id=ticket)
    assert report.state == "Refused"
    assert await moderation.moderation_queue(platform) == []


async def test_refusal_of_an_unlimited_sub_account_refunds_the_parent(platform):
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
    await moderation_rule(platform, None, "word", "casino")
    report = await send(platform, account=child, submission=submission(*FR, text="casino"))
    await moderation.refuse(platform, actor="op", campaign_id=report.ticket)
    balances = dict(
        await fetch_all(platform, select(accounts_table.c.id, accounts_table.c.balance))
    )
    assert balances == {parent.account.id: 10, child.id: 0}
    await assert_ledger_balanced(platform, parent.account.id)
    await assert_ledger_balanced(platform, child.id)


async def test_refusal_gives_the_messages_back_to_the_cap(platform):
    customer = await make_customer(platform, credits=10)
    await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=3
    )
    ticket = await held_campaign(platform, customer)
    used = select(country_usage.c.messages)
    assert await fetch_value(platform, used) == 3
    await moderation.refuse(platform, actor="op", campaign_id=ticket)
    assert await fetch_value(platform, used) == 0


async def test_decisions_on_unknown_campaigns_are_not_found(platform):
    with pytest.raises(NotFound):
        await moderation.approve(platform, actor="op", campaign_id=12345)
    with pytest.raises(NotFound):
        await moderation.refuse(platform, actor="op", campaign_id=12345)


async def test_decision_on_a_campaign_never_held_is_refused(platform):
    customer = await make_customer(platform, credits=10)
    report = await send(platform, account=customer.account, submission=submission(FR[0]))
    with pytest.raises(NotAwaitingModeration):
        await moderation.approve(platform, actor="op", campaign_id=report.ticket)
    assert await message_statuses(platform, report.ticket) == ["queued"]


async def test_cancel_by_the_customer_of_a_held_campaign_refunds_it(platform):
    customer = await make_customer(platform, credits=10)
    ticket = await held_campaign(platform, customer)
    left = await campaigns.cancel_campaign(platform, account=customer.account, campaign_id=ticket)
    assert left == 10
    assert await message_statuses(platform, ticket) == ["cancelled"] * 3
    with pytest.raises(NotAwaitingModeration):
        await moderation.approve(platform, actor="op", campaign_id=ticket)
    await assert_ledger_balanced(platform, customer.account.id)


async def test_held_campaign_keeps_its_send_time(platform):
    customer = await make_customer(platform, credits=10)
    start = datetime(2031, 3, 1, 9, tzinfo=UTC)
    platform.clock = lambda: start
    ticket = await held_campaign(platform, customer)
    platform.clock = lambda: start + timedelta(days=2)
    await moderation.approve(platform, actor="op", campaign_id=ticket)
    due = await fetch_all(platform, select(messages.c.due_at).distinct())
    assert [r[0] for r in due] == [to_ms(start)]
    assert await claimable(platform) == 3
