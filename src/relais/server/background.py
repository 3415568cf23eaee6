"""The background work of a serving process: what every process does (follow the cache
epochs) and what a delivering process adds (the dispatcher and its connectors, the webhook
sender, retention, recovery, the reports for the others' metrics)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.types import ASGIApp

from relais.api.app import create_app
from relais.config import Settings
from relais.delivery.connectors.builtin_carrier import BuiltinCarrier
from relais.delivery.connectors.factory import build_connector
from relais.delivery.dispatcher import Dispatcher
from relais.server.doorbell import Bell, Doorbell, doorbell_dir
from relais.server.heap import freeze_startup_heap
from relais.server.supervisor import die_with_parent
from relais.services import process_reports, retention
from relais.services.platform import Platform
from relais.services.sending import recovery
from relais.webhooks.sender import WebhookSender

log = logging.getLogger(__name__)

# How often a process looks for list campaigns a dead process left half-written.
RECOVER_PREPARING_SECONDS = 300
# How often a delivering process writes its figures for the other processes' /metrics.
REPORT_SECONDS = 2.0


def build_dispatcher(platform: Platform) -> Dispatcher:
    settings = platform.settings
    builtin = BuiltinCarrier(
        clock=platform.clock,
        receipt_delay_ms=settings.simulator_receipt_delay_ms,
        outcomes=settings.simulator_outcomes,
        seed=settings.simulator_seed,
    )
    dispatcher = Dispatcher(
        platform,
        factory=build_connector,
        builtin=builtin if settings.builtin_simulator else None,
        batch_size=settings.dispatch_batch_size,
        lease_ms=settings.claim_lease_seconds * 1000,
        validity_ms=settings.validity_hours * 3600 * 1000,
        bind_lease_ms=settings.bind_lease_seconds * 1000,
        reconcile_s=settings.reconcile_seconds,
    )
    platform.on_queued = dispatcher.wake
    return dispatcher


async def every(seconds: float, job: Callable[[], Awaitable[object]], name: str) -> None:
    """Run `job` every `seconds` until cancelled; a failed run is logged and retried."""
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; retrying in %.0f s", name, seconds)
        await asyncio.sleep(seconds)


@contextlib.asynccontextmanager
async def running(platform: Platform, *, delivery: bool = True) -> AsyncIterator[None]:
    """Start the background work of a serving process and stop it cleanly. `delivery`: this
    process delivers (SMS and webhook events); otherwise it rings the delivering processes
    of this machine when it commits work for them."""
    settings = platform.settings
    await platform.refresh_cache_epochs()
    jobs = [
        asyncio.create_task(
            every(settings.cache_poll_seconds, platform.refresh_cache_epochs, "cache epochs")
        ),
    ]
    if not delivery:
        bell = Bell(doorbell_dir(settings.database_url))
        platform.on_queued = bell.ring_queued
        platform.on_events = bell.ring_events
        try:
            yield
        finally:
            await _stop(jobs)
            bell.close()
            await platform.close()
        return
    jobs += [
        asyncio.create_task(retention.purge_loop(platform, settings.retention_purge_seconds)),
        asyncio.create_task(
            every(
                RECOVER_PREPARING_SECONDS,
                lambda: recovery.recover_preparing(platform),
                "preparing campaigns",
            )
        ),
    ]
    dispatcher = build_dispatcher(platform) if settings.dispatcher_enabled else None
    # The process that delivers SMS also delivers the webhook events they cause.
    webhooks = (
        WebhookSender(platform, lease_ms=settings.claim_lease_seconds * 1000)
        if settings.dispatcher_enabled
        else None
    )
    if dispatcher is not None:
        await dispatcher.start()
    if webhooks is not None:
        platform.on_events = webhooks.wake
        platform.webhooks = webhooks
        webhooks.start()
    platform.dispatcher = dispatcher
    doorbell = Doorbell(
        doorbell_dir(settings.database_url),
        on_queued=platform.on_queued,
        on_events=platform.on_events,
    )
    doorbell.open()
    if dispatcher is not None:
        jobs.append(
            asyncio.create_task(
                every(REPORT_SECONDS, lambda: process_reports.publish(platform), "reports")
            )
        )
    try:
        yield
    finally:
        doorbell.close()
        await _stop(jobs)
        if webhooks is not None:
            await webhooks.stop()
        if dispatcher is not None:
            await dispatcher.stop()
            with contextlib.suppress(Exception):
                await process_reports.withdraw(platform)
        await platform.close()


async def _stop(jobs: list[asyncio.Task[None]]) -> None:
    for job in jobs:
        job.cancel()
    await asyncio.gather(*jobs, return_exceptions=True)


def app_from_env() -> ASGIApp:
    """The factory granian calls in its worker: settings come from RELAIS_* variables, and
    RELAIS_ROLE=api leaves delivery to another process."""
    # A worker outliving a server killed with -9 would keep answering on its port.
    die_with_parent(signal.SIGKILL)
    if os.getppid() == 1:  # the server died before that took effect
        raise SystemExit(1)
    platform = Platform.open(Settings.from_env())
    delivery = os.environ.get("RELAIS_ROLE", "all") != "api"
    app = create_app(platform, lifespan=running(platform, delivery=delivery))
    freeze_startup_heap()
    return app
