"""Delivers the webhook outbox over HTTP: claims due events, POSTs each to its webhook's URL,
signed, and settles the attempt (delivered, due again with backoff, failed, or the webhook
paused when its endpoint is gone).

Webhooks are served in parallel, each over connections the sender keeps alive (webhooks.http1).
Events whose order means something (MO, STOP, clicks, balance alerts) go one after the other
on one connection; DLR events, each the one final status of a different message, go several
at once (ENDPOINT_WIDTH connections). After a failure a webhook's remaining events wait their
turn again. Each outcome is committed as soon as the commit before it ends (webhooks.settling),
and a connection carries its next request meanwhile but never gets two outcomes ahead of the
database: a process that dies mid-delivery repeats at most the events in flight; another
sender takes its claims again when their lease lapses. The target's address is resolved and
checked every round (no loopback, private, link-local or metadata address unless the operator
allows them), and requests go to that checked address."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from relais.core.events import EventType
from relais.core.instant import to_ms
from relais.core.skycore_postbacks import RETRY_SCHEDULE as POSTBACK_SCHEDULE
from relais.core.skycore_postbacks import TYPES as POSTBACK_TYPES
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
from relais.webhooks.http1 import Answer, Connection, Connections, NoAnswer
from relais.webhooks.settling import Settler
from relais.webhooks.targets import Target, TargetRefused, resolve_target

log = logging.getLogger("relais.webhooks")

# Event types whose order per webhook carries no meaning: a DLR reports the one final status
# of its message, so two DLR events never speak of the same thing (docs/decisions.md).
UNORDERED = frozenset({EventType.DLR.value})
ENDPOINT_WIDTH = 8  # requests in flight at once to one webhook of an UNORDERED type
# Outcomes of one connection answered but not yet committed when it sends its next request:
# the events a process killed mid-delivery may repeat, per connection, are at most these and
# the one in flight.
UNCOMMITTED_PER_CONNECTION = 2


@dataclass
class _Share:
    """One webhook's share of a round: its events, taken in order by its connections; how
    many more connections it may open once one has a success; and, once one has failed,
    until when the rest wait."""

    events: Iterator[DueEvent]
    target: Target | TargetRefused
    group: asyncio.TaskGroup
    spare_connections: int
    later_ms: int | None = None


class WebhookSender:
    def __init__(
        self,
        platform: Platform,
        *,
        batch_size: int = 500,
        lease_ms: int = 60_000,
        idle_poll_s: float = 0.5,
        timeout_s: float = 10.0,
        parallel: int = 64,
        endpoint_width: int = ENDPOINT_WIDTH,
        uncommitted_per_connection: int = UNCOMMITTED_PER_CONNECTION,
        rng: random.Random | None = None,
    ) -> None:
        self.platform = platform
        self.connections = Connections(connect_timeout_s=min(timeout_s, 5.0))
        self.settler = Settler(platform)
        self.batch_size = batch_size
        self.lease_ms = lease_ms
        self.idle_poll_s = idle_poll_s
        self.timeout_s = timeout_s
        self.parallel = asyncio.Semaphore(parallel)  # connections in use at once
        self.endpoint_width = endpoint_width
        self.uncommitted_per_connection = uncommitted_per_connection
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
        await self.settler.flush()
        self.connections.close()

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
        """One round: claim due events, deliver them, settle them; how many were tried.
        Every outcome is committed when it returns."""
        now = self.platform.clock()
        events = await webhook_outbox.claim_due(
            self.platform, now_ms=to_ms(now), limit=self.batch_size, lease_ms=self.lease_ms
        )
        self.connections.close_stale()
        if not events:
            await self._read_backlog(to_ms(now))
            return 0
        by_webhook: dict[int, list[DueEvent]] = {}
        for event in events:
            by_webhook.setdefault(event.webhook_id, []).append(event)
        async with asyncio.TaskGroup() as group:
            for webhook_events in by_webhook.values():
                group.create_task(self._deliver_webhook(webhook_events))
        return len(events)

    async def _read_backlog(self, now_ms: int) -> None:
        self.pending, oldest = await webhook_outbox.backlog(self.platform)
        self.oldest_pending_age_s = max(now_ms - oldest, 0) / 1000 if oldest is not None else 0.0

    async def _deliver_webhook(self, events: Sequence[DueEvent]) -> None:
        """One webhook's events, on one connection and, when their type allows and once one
        is delivered, on more (an endpoint that is down gets one attempt per round); once
        one fails, those not yet sent wait until it is due again."""
        target: Target | TargetRefused
        try:  # resolved and checked once per round: all these events go to one URL
            target = await resolve_target(
                events[0].url, allow_private=self.platform.settings.webhook_allow_private
            )
        except TargetRefused as refused:
            target = refused
        width = self.endpoint_width if events[0].type in UNORDERED else 1
        async with asyncio.TaskGroup() as group:
            share = _Share(iter(events), target, group, min(width, len(events)) - 1)
            group.create_task(self._deliver_on_one_connection(share))
        rest = list(share.events)
        if rest:
            later = share.later_ms or to_ms(self.platform.clock())
            await asyncio.shield(self.settler.settle([self._postponed(e, later) for e in rest]))

    async def _deliver_on_one_connection(self, share: _Share) -> None:
        """Take the webhook's next event while none has failed, one request at a time. An
        outcome is handed to the settler only once this connection's previous one is
        committed: at most one success per connection is answered but not yet recorded."""
        uncommitted: deque[asyncio.Future[None]] = deque()
        connection: Connection | None = None
        async with self.parallel:
            try:
                while share.later_ms is None:
                    event = next(share.events, None)
                    if event is None:
                        break
                    attempt, connection = await self._attempt(event, share.target, connection)
                    while len(uncommitted) >= self.uncommitted_per_connection:
                        await asyncio.shield(uncommitted.popleft())
                    uncommitted.append(self.settler.settle([attempt]))
                    if not attempt.delivered:
                        share.later_ms = attempt.next_attempt_at or to_ms(self.platform.clock())
                    elif share.spare_connections:
                        for _ in range(share.spare_connections):
                            share.group.create_task(self._deliver_on_one_connection(share))
                        share.spare_connections = 0
            finally:
                if connection is not None:
                    self.connections.give_back(connection)
                for committed in uncommitted:
                    await asyncio.shield(committed)

    def _postponed(self, event: DueEvent, until_ms: int) -> Attempt:
        """An event not tried because an earlier one of its webhook failed."""
        return Attempt(
            event,
            attempted_at=to_ms(self.platform.clock()),
            latency_ms=0,
            next_attempt_at=until_ms,
            tried=False,
        )

    async def _attempt(
        self, event: DueEvent, target: Target | TargetRefused, connection: Connection | None
    ) -> tuple[Attempt, Connection | None]:
        """POST the event (on `connection`, or a new one); its attempt, and the connection
        if it may carry the next request."""
        now = self.platform.clock()
        body = event.payload.encode()
        headers = webhook_headers(
            body, event.signature, event_id=f"evt_{event.id}", timestamp=int(now.timestamp())
        )
        started = time.monotonic()  # a duration, not a date: the wall clock is not needed
        answer: Answer | None = None
        error: str | None = None
        try:
            if isinstance(target, TargetRefused):
                raise target
            if connection is None:
                connection = await self.connections.take(target)
            answer = await connection.post(target, headers, body, timeout_s=self.timeout_s)
        except TargetRefused as exc:
            error = str(exc)
        except NoAnswer as exc:
            error = str(exc)[:200]
        finally:
            if connection is not None and not connection.reusable:
                connection.close()
                connection = None
        latency_ms = int((time.monotonic() - started) * 1000)
        return self._outcome(event, now, latency_ms, answer, error), connection

    def _outcome(
        self,
        event: DueEvent,
        now: datetime,
        latency_ms: int,
        answer: Answer | None,
        error: str | None,
    ) -> Attempt:
        now_ms = to_ms(now)
        code = None if answer is None else answer.status
        outcome = classify_answer(code)
        if outcome is Outcome.DELIVERED:
            self.delivered += 1
            return Attempt(event, now_ms, latency_ms, http_code=code, delivered=True)
        self.failed_attempts += 1
        schedule = (
            POSTBACK_SCHEDULE
            if event.type in POSTBACK_TYPES
            else self.platform.settings.webhook_retry_schedule
        )
        delay = next_attempt_delay(
            event.attempt,
            schedule,
            retry_after=parse_retry_after(None if answer is None else answer.retry_after, now=now),
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
