"""Delivers the webhook outbox over HTTP: claims due events, POSTs each to its webhook's URL,
signed, and settles the attempt (delivered, due again with backoff, failed, or the webhook
paused when its endpoint is gone).

Webhooks are served in parallel, each one's events in order within a batch; a process that
dies mid-delivery leaves its claims to lapse, and another sender takes them again. The
target's address is resolved and checked at every attempt (no loopback, private, link-local
or metadata address unless the operator allows them), the request goes to that checked
address, redirects are not followed and at most a few KB of the answer are read."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from datetime import datetime

import httpx

from relais.core.instant import to_ms
from relais.core.webhook_retry import (
    Outcome,
    classify_answer,
    next_attempt_delay,
    parse_retry_after,
)
from relais.core.webhook_signing import webhook_headers
from relais.services import webhook_outbox
from relais.services.platform import Platform
from relais.store.webhook_outbox import Attempt, DueEvent
from relais.webhooks.targets import Target, TargetRefused, resolve_target

log = logging.getLogger("relais.webhooks")

ANSWER_BYTES = 4096  # of a receiver's answer, at most, are ever read
USER_AGENT = "Relais-Webhooks/1"


class WebhookSender:
    def __init__(
        self,
        platform: Platform,
        *,
        client: httpx.AsyncClient | None = None,
        batch_size: int = 200,
        lease_ms: int = 60_000,
        idle_poll_s: float = 0.5,
        timeout_s: float = 10.0,
        parallel: int = 32,
        rng: random.Random | None = None,
    ) -> None:
        self.platform = platform
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=parallel * 2),
            headers={"User-Agent": USER_AGENT},
        )
        self.batch_size = batch_size
        self.lease_ms = lease_ms
        self.idle_poll_s = idle_poll_s
        self.parallel = asyncio.Semaphore(parallel)
        self.rng = rng or random.Random()
        self.delivered = 0
        self.failed_attempts = 0
        # The outbox's backlog as last read (each round): events waiting, age of the oldest.
        self.pending = 0
        self.oldest_pending_age_s = 0.0
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="relais-webhooks")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.aclose()

    async def _loop(self) -> None:
        while True:
            try:
                if await self.deliver_due() >= self.batch_size:
                    continue  # more may be waiting
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivering webhook events failed; retrying")
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self.idle_poll_s)

    async def deliver_due(self) -> int:
        """One round: claim due events, deliver them, settle them; how many were tried."""
        now = self.platform.clock()
        events = await webhook_outbox.claim_due(
            self.platform, now_ms=to_ms(now), limit=self.batch_size, lease_ms=self.lease_ms
        )
        if not events:
            await self._read_backlog(to_ms(now))
            return 0
        by_webhook: dict[int, list[DueEvent]] = {}
        for event in events:
            by_webhook.setdefault(event.webhook_id, []).append(event)
        await asyncio.gather(*(self._deliver_in_order(e) for e in by_webhook.values()))
        return len(events)

    async def _read_backlog(self, now_ms: int) -> None:
        self.pending, oldest = await webhook_outbox.backlog(self.platform)
        self.oldest_pending_age_s = max(now_ms - oldest, 0) / 1000 if oldest is not None else 0.0

    async def _deliver_in_order(self, events: Sequence[DueEvent]) -> None:
        """One webhook's events, one after the other; after a failure the rest wait their
        turn again, so a receiver sees them in order. Each outcome is committed while the
        next request is on its way: a success is recorded within one commit of its answer,
        so a crash repeats at most the events in flight."""
        recording: asyncio.Future[int] | None = None
        async with self.parallel:
            # Resolved and checked once per round: all these events go to one URL.
            target: Target | TargetRefused
            try:
                target = await resolve_target(
                    events[0].url, allow_private=self.platform.settings.webhook_allow_private
                )
            except TargetRefused as refused:
                target = refused
            try:
                for index, event in enumerate(events):
                    attempt = await self._attempt(event, target)
                    settled = [attempt]
                    if not attempt.delivered:
                        later = attempt.next_attempt_at or to_ms(self.platform.clock())
                        settled += [self._postponed(e, later) for e in events[index + 1 :]]
                    if recording is not None:
                        await recording  # outcomes are committed in order
                    recording = asyncio.ensure_future(
                        webhook_outbox.record_attempts(self.platform, settled)
                    )
                    if not attempt.delivered:
                        break
            finally:
                if recording is not None:
                    await recording

    def _postponed(self, event: DueEvent, until_ms: int) -> Attempt:
        """An event not tried because an earlier one of its webhook failed."""
        return Attempt(
            event,
            attempted_at=to_ms(self.platform.clock()),
            latency_ms=0,
            next_attempt_at=until_ms,
            tried=False,
        )

    async def _attempt(self, event: DueEvent, target: Target | TargetRefused) -> Attempt:
        now = self.platform.clock()
        body = event.payload.encode()
        headers = webhook_headers(
            body, event.signature, event_id=f"evt_{event.id}", timestamp=int(now.timestamp())
        )
        started = time.monotonic()  # a duration, not a date: the wall clock is not needed
        code: int | None = None
        retry_after: str | None = None
        error: str | None = None
        try:
            if isinstance(target, TargetRefused):
                raise target
            response = await self.client.send(target.post(self.client, body, headers), stream=True)
            try:
                await _drain_at_most(response, ANSWER_BYTES)
            finally:
                await response.aclose()
            code = response.status_code
            retry_after = response.headers.get("retry-after")
        except TargetRefused as exc:
            error = str(exc)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:200] or type(exc).__name__
        latency_ms = int((time.monotonic() - started) * 1000)
        return self._outcome(event, now, latency_ms, code, retry_after, error)

    def _outcome(
        self,
        event: DueEvent,
        now: datetime,
        latency_ms: int,
        code: int | None,
        retry_after: str | None,
        error: str | None,
    ) -> Attempt:
        now_ms = to_ms(now)
        outcome = classify_answer(code)
        if outcome is Outcome.DELIVERED:
            self.delivered += 1
            return Attempt(event, now_ms, latency_ms, http_code=code, delivered=True)
        self.failed_attempts += 1
        delay = next_attempt_delay(
            event.attempt,
            self.platform.settings.webhook_retry_schedule,
            retry_after=parse_retry_after(retry_after, now=now),
            jitter=self.rng.random(),
        )
        return Attempt(
            event,
            now_ms,
            latency_ms,
            http_code=code,
            error=error,
            next_attempt_at=None if delay is None else now_ms + int(delay * 1000),
            pause_webhook=outcome is Outcome.GONE,
        )


async def _drain_at_most(response: httpx.Response, limit: int) -> None:
    """Read and drop up to `limit` bytes of an answer (so a short one leaves the connection
    reusable); the rest is never read."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= limit:
            break
