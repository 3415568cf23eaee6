"""`relais serve --role delivery`: a process without HTTP that delivers: the dispatcher and
its connectors, the webhook sender, retention and recovery. On one machine `relais serve`
starts one beside its API workers; on PostgreSQL any number may run, on any machine."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

import uvloop

from relais.config import Settings
from relais.server.background import running
from relais.server.heap import freeze_startup_heap
from relais.services.platform import Platform


async def deliver_until_stopped(
    settings: Settings, *, stop_requested: Callable[[], bool] = lambda: False
) -> None:
    """Deliver until SIGTERM or SIGINT (or at once when `stop_requested` says one came during
    start-up), then stop cleanly (in-flight work settled)."""
    platform = Platform.open(settings)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    if stop_requested():
        stopped.set()
    async with running(platform, delivery=True):
        freeze_startup_heap()
        await stopped.wait()


def run_delivery(settings: Settings, *, stop_requested: Callable[[], bool] = lambda: False) -> None:
    uvloop.run(deliver_until_stopped(settings, stop_requested=stop_requested))
