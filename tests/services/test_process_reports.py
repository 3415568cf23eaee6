"""Figures across processes: what a delivering process counts reaches the `/metrics` of any
other process through its report in the database; a process gone silent or stopped drops out."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from relais.api.app import create_app
from relais.core.instant import to_ms
from relais.services import process_reports
from relais.services.platform import Platform, utc_now
from relais.services.process_reports import ProcessFigures
from relais.store import process_reports as process_reports_store
from relais.webhooks.sender import WebhookSender


def elsewhere(platform: Platform, owner: str, *, clock=utc_now) -> Platform:
    """Another process on the same database."""
    return Platform(db=platform.db, settings=platform.settings, owner=owner, clock=clock)


def sending_webhooks(platform: Platform, delivered: int, failed: int) -> Platform:
    sender = WebhookSender(platform)
    sender.delivered = delivered
    sender.failed_attempts = failed
    platform.webhooks = sender
    return platform


async def metrics_of(platform: Platform) -> str:
    transport = httpx.ASGITransport(app=create_app(platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as client:
        return (await client.get("/metrics")).text


async def test_an_api_process_shows_the_figures_of_the_delivering_processes(platform):
    for n, owner in enumerate(("host-a:1:x", "host-b:2:y"), start=1):
        await process_reports.publish(sending_webhooks(elsewhere(platform, owner), 10 * n, n))
    metrics = await metrics_of(platform)
    assert "relais_webhook_events_delivered_total 30.0" in metrics
    assert "relais_webhook_attempts_failed_total 3.0" in metrics


async def test_a_report_is_replaced_not_added_to(platform):
    deliverer = elsewhere(platform, "host-a:1:x")
    await process_reports.publish(sending_webhooks(deliverer, 5, 0))
    deliverer.webhooks.delivered = 8
    await process_reports.publish(deliverer)
    assert "relais_webhook_events_delivered_total 8.0" in await metrics_of(platform)


async def test_a_silent_or_stopped_process_drops_out_of_the_figures(platform):
    late = utc_now() - timedelta(milliseconds=process_reports.SILENT_AFTER_MS + 1000)
    silent = elsewhere(platform, "host-a:1:x", clock=lambda: late)
    await process_reports.publish(sending_webhooks(silent, 5, 0))
    stopping = sending_webhooks(elsewhere(platform, "host-b:2:y"), 7, 0)
    await process_reports.publish(stopping)
    assert "relais_webhook_events_delivered_total 7.0" in await metrics_of(platform)
    await process_reports.withdraw(stopping)
    assert "relais_webhook_events_delivered" not in await metrics_of(platform)


async def test_a_process_counts_itself_live_not_from_its_report(platform):
    own = sending_webhooks(platform, 4, 0)
    await process_reports.publish(own)
    own.webhooks.delivered = 6
    assert [f.webhook_events_delivered for f in await process_reports.everyone(own)] == [6]


async def test_metrics_show_the_database_writers_of_each_role(platform):
    """The scraped process's own writer (role api) beside each delivering process's report:
    on SQLite their write seconds together say how busy the one write lock is."""
    await platform.db.write(lambda conn: None)
    deliverer = ProcessFigures(
        delivers=True,
        db_groups_committed=7,
        db_works_committed=40,
        db_write_seconds=1.5,
        db_turn_wait_seconds=0.25,
        db_syncs=5,
        db_sync_seconds=0.125,
    )
    await platform.db.write(
        lambda conn: process_reports_store.save(
            conn, owner="host-a:1:x", now_ms=to_ms(utc_now()), report=deliverer.as_json()
        )
    )
    metrics = await metrics_of(platform)
    assert 'relais_db_groups_committed_total{role="delivery"} 7.0' in metrics
    assert 'relais_db_works_committed_total{role="delivery"} 40.0' in metrics
    assert 'relais_db_write_seconds_total{role="delivery"} 1.5' in metrics
    assert 'relais_db_turn_wait_seconds_total{role="delivery"} 0.25' in metrics
    assert 'relais_db_syncs_total{role="delivery"} 5.0' in metrics
    assert 'relais_db_sync_seconds_total{role="delivery"} 0.125' in metrics
    own = re.search(r'relais_db_write_seconds_total\{role="api"\} (\S+)', metrics)
    assert own is not None and float(own.group(1)) > 0
