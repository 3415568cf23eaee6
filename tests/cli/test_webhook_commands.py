"""`relais webhook list|replay|purge` as an operator scripts them: counts per webhook, failed
events sent again from the first retry, old settled events purged (waiting ones never), each
replay and purge audited."""

from __future__ import annotations

import time

from sqlalchemy import select, update
from tests.support import fetch_all, make_customer, relais

from relais.services import webhooks
from relais.store import webhook_outbox as outbox
from relais.store.tables import audit_log, webhook_attempts, webhook_events

URL = "https://hooks.example.com/sms"
DAY_MS = 86_400_000


async def with_events(
    platform, statuses: list[str], *, age_days: int = 0, email: str = "shop@example.com"
):
    """A customer with one DLR webhook and one event per status, written `age_days` ago."""
    shop = await make_customer(platform, email=email)
    hook = await webhooks.create_webhook(platform, account_id=shop.account.id, type="DLR", url=URL)
    at = int(time.time() * 1000) - age_days * DAY_MS
    events = [outbox.NewEvent(hook.id, shop.account.id, "DLR", "{}", at) for _ in statuses]
    await platform.db.write(lambda conn: outbox.enqueue(conn, events))

    def settle(conn) -> None:
        ids = conn.execute(
            select(webhook_events.c.id)
            .where(webhook_events.c.webhook_id == hook.id)
            .order_by(webhook_events.c.id)
        ).scalars()
        for event_id, status in zip(ids, statuses, strict=True):
            conn.execute(
                update(webhook_events)
                .where(webhook_events.c.id == event_id)
                .values(status=status, attempts=8)
            )

    await platform.db.write(settle)
    return shop, hook


async def test_list_shows_each_webhook_with_its_events(database_url, platform):
    shop, hook = await with_events(platform, ["pending", "delivered", "delivered", "failed"])
    done = relais(database_url, "webhook", "list", "--email", shop.email)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"{hook.id}\tDLR\tlive\t-\tpending=1\tdelivered=2\tfailed=1\t{URL}\n")


async def test_replay_sends_failed_events_again_and_is_audited(database_url, platform):
    _, hook = await with_events(platform, ["failed", "failed", "delivered"])
    done = relais(database_url, "webhook", "replay", str(hook.id))
    assert (done.returncode, done.stdout) == (0, "replayed 2\n"), done.stderr
    rows = await fetch_all(
        platform,
        select(webhook_events.c.status, webhook_events.c.attempts).order_by(webhook_events.c.id),
    )
    assert [tuple(r) for r in rows] == [("pending", 0), ("pending", 0), ("delivered", 8)]
    actions = await fetch_all(platform, select(audit_log.c.action))
    assert "webhook.replay" in [r[0] for r in actions]


async def test_replay_of_an_unknown_webhook_fails_on_stderr(database_url, platform):
    done = relais(database_url, "webhook", "replay", "999")
    assert done.returncode == 1 and "999" in done.stderr


async def test_purge_deletes_old_settled_events_only(database_url, platform):
    await with_events(platform, ["pending", "delivered", "failed"], age_days=40)
    await with_events(platform, ["delivered"], age_days=1, email="young@example.com")

    def attempt_for_each(conn) -> None:
        for event_id, webhook_id in conn.execute(
            select(webhook_events.c.id, webhook_events.c.webhook_id)
        ):
            conn.execute(
                webhook_attempts.insert().values(
                    event_id=event_id,
                    webhook_id=webhook_id,
                    attempt=1,
                    attempted_at=0,
                    http_code=200,
                    latency_ms=1,
                )
            )

    await platform.db.write(attempt_for_each)
    done = relais(database_url, "webhook", "purge", "--older-than-days", "30")
    assert (done.returncode, done.stdout) == (0, "events 2\nattempts 2\n"), done.stderr
    left = await fetch_all(platform, select(webhook_events.c.status).order_by(webhook_events.c.id))
    assert [r[0] for r in left] == ["pending", "delivered"]
    refused = relais(database_url, "webhook", "purge", "--older-than-days", "-1")
    assert refused.returncode != 0
