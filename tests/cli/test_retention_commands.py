"""`relais retention show|set|purge` as an operator scripts them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from tests.support import fetch_all, make_customer, relais

from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.tables import audit_log, campaigns, messages, retention_settings

ENDLESS = "message -1\nlist -1\nsurvey -1\ncampaign -1\n"


async def old_campaign(platform, account, *, days: int, text: str) -> int:
    """A delivered campaign sent `days` ago by the real clock (the command uses it)."""
    platform.clock = lambda: datetime.now(UTC) - timedelta(days=days)
    report = await send(
        platform,
        account=account,
        submission=Submission(text=text, recipients=[Recipient("33612345678")]),
    )
    await platform.db.write(
        lambda conn: conn.execute(
            update(messages)
            .where(messages.c.campaign_id == report.ticket)
            .values(status="delivered")
        )
    )
    return report.ticket


async def test_retention_show_and_set(database_url, platform):
    customer = await make_customer(platform)
    shown = relais(database_url, "retention", "show", "--email", customer.email)
    assert (shown.returncode, shown.stdout) == (0, ENDLESS), shown.stderr
    changed = relais(
        database_url,
        "retention",
        "set",
        "--email",
        customer.email,
        "--message",
        "2D",
        "--campaign",
        "5m",
    )
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout == "message 2d\nlist -1\nsurvey -1\ncampaign 5m\n"
    again = relais(database_url, "retention", "set", "--email", customer.email, "--list", "-1")
    assert again.stdout == "message 2d\nlist -1\nsurvey -1\ncampaign 5m\n"
    shown = relais(database_url, "retention", "show", "--email", customer.email)
    assert shown.stdout == "message 2d\nlist -1\nsurvey -1\ncampaign 5m\n"
    audited = await fetch_all(
        platform,
        select(audit_log.c.actor, audit_log.c.action, audit_log.c.account_id, audit_log.c.details)
        .where(audit_log.c.action == "retention.set")
        .order_by(audit_log.c.id),
    )
    assert [(a.action, a.account_id, a.details) for a in audited] == [
        ("retention.set", customer.account.id, '{"campaign":"5m","message":"2d"}'),
        ("retention.set", customer.account.id, '{"list":"-1"}'),
    ]
    assert all(a.actor.startswith("cli:") for a in audited)


async def test_retention_set_refuses_bad_input_and_stores_nothing(database_url, platform):
    customer = await make_customer(platform)
    bad = relais(database_url, "retention", "set", "--email", customer.email, "--message", "2w")
    assert bad.returncode == 1 and "message" in bad.stderr and bad.stdout == ""
    nothing = relais(database_url, "retention", "set", "--email", customer.email)
    assert nothing.returncode == 1 and "--message" in nothing.stderr
    nobody = relais(database_url, "retention", "set", "--email", "no@example.com", "--list", "1m")
    assert nobody.returncode == 1 and "no@example.com" in nobody.stderr
    assert await fetch_all(platform, select(retention_settings)) == []


async def test_retention_purge_prints_what_it_purged(database_url, platform, monkeypatch):
    shop = await make_customer(platform, email="shop@example.com", credits=100)
    other = await make_customer(platform, email="other@example.com", credits=100)
    kept_for_billing = await old_campaign(platform, shop.account, days=400, text="shop")
    recent = await old_campaign(platform, shop.account, days=1, text="fresh")
    deleted_later = await old_campaign(platform, other.account, days=400, text="other")
    for email in (shop.email, other.email):
        relais(database_url, "retention", "set", "--email", email, "--campaign", "6m")

    purged = relais(database_url, "retention", "purge")
    assert purged.returncode == 0, purged.stderr
    assert purged.stdout == (
        "accounts 2\ncampaign_texts 2\ninbound_texts 0\ncampaigns_deleted 0\n"
        "messages_deleted 0\nlists 0\nfailures 0\n"
    )
    texts = dict(await fetch_all(platform, select(campaigns.c.id, campaigns.c.text)))
    assert texts == {kept_for_billing: "", recent: "fresh", deleted_later: ""}

    monkeypatch.setenv("RELAIS_RETENTION_KEEP_BILLING", "false")
    relais(database_url, "retention", "set", "--email", shop.email, "--campaign", "-1")
    purged = relais(database_url, "retention", "purge")
    assert "campaigns_deleted 1\nmessages_deleted 1\n" in purged.stdout, purged.stderr
    remaining = {row.id for row in await fetch_all(platform, select(campaigns.c.id))}
    assert remaining == {kept_for_billing, recent}
