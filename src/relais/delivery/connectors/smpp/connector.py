"""
The SMPP 3.4 client connector: Relais as an ESME towards a carrier's SMSC.

A background task keeps the bind up (one transceiver session, or a transmitter and a
receiver), reconnecting with a jittered backoff; `start()` never waits for the SMSC, and a
submit while unbound answers QUEUED so the dispatcher puts the batch back. A batch is
pipelined: parts are written as fast as the window (and the rate cap) allows and the
responses are collected afterwards, so 500 messages cost about 500/window round trips.

Outcomes, per message (the contract is `SubmitOutcome`), are `submits.outcome_of`'s; here,
a temporary refusal also cuts the submit rate (`pacing.py`), and an unanswered submit under
the "resend" policy replaces the session, now suspect.

Receipts and inbound SMS come from deliver_sm; the connector's `DeliveryInbox` (inbox.py)
batches them to the sink, dated by the clock the connector is given. Pacing, backoffs and
deadlines run on the monotonic clock: they time the link, they are no domain data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import cast

from relais.core.connector import ConnectorStatus, DeliverySink, OutboundMessage, SubmitOutcome
from relais.core.errors import InvalidField
from relais.core.status import MessageStatus
from relais.delivery.connectors.smpp.binding import BindKind, bind, open_session
from relais.delivery.connectors.smpp.config import SmppSettings
from relais.delivery.connectors.smpp.inbox import DeliveryInbox
from relais.delivery.connectors.smpp.pacing import Pacer, ReconnectBackoff, RetryBackoff
from relais.delivery.connectors.smpp.session import SmppSession
from relais.delivery.connectors.smpp.submits import PartAnswer, outcome_of, queued, submit_pdus
from relais.delivery.connectors.smpp.window import NoResponse, SessionClosed
from relais.smpp import CommandStatus, LocalProtocolError, Response, SmppError, is_temporary

__all__ = ["SmppConnector"]

log = logging.getLogger("relais.smpp")


def _answer(result: PartAnswer | asyncio.Future[Response]) -> PartAnswer:
    """What a part got; a session future only ever fails with NoResponse."""
    if not isinstance(result, asyncio.Future):
        return result
    if result.cancelled():
        return NoResponse("cancelled", timed_out=False)
    return cast(PartAnswer, result.exception()) or result.result()


class SmppConnector:
    """A `Connector` speaking SMPP 3.4 to one SMSC account.

    `clock` (the platform's) dates the receipts and inbound SMS; `monotonic` paces submits
    and times reconnects and deadlines.
    """

    kind = "smpp"

    def __init__(
        self,
        settings: SmppSettings,
        *,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self._now = monotonic
        self._sessions: list[SmppSession] = []
        self._tx: SmppSession | None = None
        self._bound = asyncio.Event()
        self._lost = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._reconnect = ReconnectBackoff(settings.reconnect_min_s, settings.reconnect_max_s, rng)
        self._retry = RetryBackoff(settings.retry_initial_s, settings.retry_max_s)
        self._pacer = Pacer(settings.throughput_per_second, settings.throttle_slowdown)
        self._inbox = DeliveryInbox(
            settings.name,
            inbound_expiry_s=settings.inbound_expiry_s,
            clock=clock,
            monotonic=monotonic,
            on_error=self._fail,
        )
        self._reconnect_at: float | None = None
        self._last_error = ""
        self._in_flight = 0
        self.submitted = self.parts_submitted = 0
        self.errors = self.timeouts = self.throttled = 0

    # --------------------------------------------------------------------------- lifecycle

    async def start(self, sink: DeliverySink) -> None:
        """Begin binding in the background; returns at once even if the SMSC is down."""
        self._inbox.start(sink)
        self._stopping = False
        loop = asyncio.get_running_loop()
        self._supervisor = loop.create_task(self._keep_bound(), name=f"smpp-{self.name}")

    async def wait_bound(self, timeout_s: float | None = None) -> bool:
        """Whether the connector is bound, waiting up to `timeout_s` seconds for it."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._bound.wait(), timeout_s)
        return self._bound.is_set()

    async def stop(self) -> None:
        """Stop accepting, let in-flight submits get their answers, unbind, close."""
        self._stopping = True
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self.settings.stop_timeout_s)
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        timeout = min(self.settings.response_timeout_s, max(self.settings.stop_timeout_s, 0.1))
        await self._close_sessions(graceful=True, timeout_s=timeout)
        self._inbox.close()

    async def _keep_bound(self) -> None:
        s = self.settings
        host, port = s.host, s.port
        while not self._stopping:
            self._reconnect_at = None
            try:
                await self._open()
            except (OSError, TimeoutError, SmppError) as exc:
                self._fail(f"cannot bind to {host}:{port}: {exc or type(exc).__name__}")
            else:
                self._reconnect.reset()
                self._bound.set()
                log.info("%s: bound to %s:%s", self.name, host, port)
                await self._lost.wait()
                self._bound.clear()
                reasons = {x.close_reason or "" for x in self._sessions if x.closed}
                self._fail(f"session lost: {'; '.join(sorted(reasons))}")
            # A session still up (the other of a pair) is unbound so its answers are not lost.
            await self._close_sessions(graceful=True, timeout_s=min(s.response_timeout_s, 2.0))
            delay = self._reconnect.next_delay()
            self._reconnect_at = self._now() + delay
            log.warning("%s: %s; reconnecting in %.1fs", self.name, self._last_error, delay)
            await asyncio.sleep(delay)

    async def _open(self) -> None:
        s = self.settings
        self._lost.clear()
        kinds: tuple[BindKind, ...] = (
            ("transceiver",) if s.bind_mode == "transceiver" else ("transmitter", "receiver")
        )
        for kind in kinds:
            new_session = partial(
                SmppSession,
                window=s.window,
                response_timeout_s=s.response_timeout_s,
                enquire_link_interval_s=s.enquire_link_interval_s,
                on_deliver=self._inbox.on_deliver if kind != "transmitter" else None,
                close_on_timeout=s.timeout_policy == "resend",
                on_close=self._lost.set,
            )
            session = await open_session(
                s.host,
                s.port,
                new_session,
                ssl_context=s.ssl_context(),
                connect_timeout_s=s.connect_timeout_s,
            )
            self._sessions.append(session)
            await bind(
                session,
                kind,
                system_id=s.system_id,
                password=s.password,
                system_type=s.system_type,
                address_range=s.address_range,
            )
        self._tx = self._sessions[0]

    async def _close_sessions(self, *, graceful: bool, timeout_s: float | None = None) -> None:
        sessions, self._sessions, self._tx = self._sessions, [], None
        self._bound.clear()
        try:
            for session in sessions:
                await (session.unbind(timeout_s) if graceful else session.close())
        finally:  # even when cancelled half-way, no socket is left open
            for session in sessions:
                session.abort("closed")

    def _fail(self, message: str | None) -> None:
        """Count an error; `message`, unless None, becomes the last error shown."""
        self.errors += 1
        if message is not None:
            self._last_error = message

    # ------------------------------------------------------------------------------ submit

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitOutcome]:
        session = self._tx
        if self._stopping or session is None or not session.bound:
            reason = "connector stopping" if self._stopping else f"not bound: {self._detail()}"
            return [self._queued(m, reason, self._unbound_retry_ms()) for m in batch]
        deadline = self._now() + self.settings.submit_deadline_s
        outcomes: list[SubmitOutcome | None] = [None] * len(batch)
        sent: list[tuple[int, list[PartAnswer | asyncio.Future[Response]]]] = []
        stopped: tuple[str, int] | None = None  # why the rest of the batch goes back, and when
        for index, message in enumerate(batch):
            if stopped is None and self._stopping:
                stopped = ("connector stopping", 0)
            elif stopped is None and self._now() > deadline:
                stopped = (f"batch took over {self.settings.submit_deadline_s:g}s", 0)
            if stopped is not None:
                outcomes[index] = self._queued(message, *stopped)
                continue
            try:
                pdus = submit_pdus(message, self.settings)
            except (InvalidField, LocalProtocolError) as exc:
                outcomes[index] = SubmitOutcome(
                    message.id, self.name, MessageStatus.REJECTED, error=str(exc)
                )
                continue
            results: list[PartAnswer | asyncio.Future[Response]] = []
            for pdu in pdus:
                if (wait := self._pacer.reserve(self._now())) > 0:
                    await asyncio.sleep(wait)
                try:
                    future = await session.send_request(pdu)
                except (SessionClosed, LocalProtocolError) as exc:
                    results.append(exc)
                    if isinstance(exc, SessionClosed):
                        stopped = (f"not sent: {exc}", self._unbound_retry_ms())
                    continue
                self._in_flight += 1
                self._idle.clear()
                future.add_done_callback(partial(self._part_done, self._now()))
                results.append(future)
            sent.append((index, results))
        futures = [r for _, results in sent for r in results if isinstance(r, asyncio.Future)]
        if futures:
            # Returns after the `_part_done` of every future has run: each outcome then sees
            # the backoff its own batch caused.
            await asyncio.wait(futures)
        for index, results in sent:
            answers = [_answer(r) for r in results]
            outcomes[index] = outcome_of(
                batch[index],
                answers,
                connector=self.name,
                timeout_policy=self.settings.timeout_policy,
                retry_after_ms=int(self._retry.delay_s * 1000),
            )
        done = [o for o in outcomes if o is not None]
        self.submitted += sum(o.status is MessageStatus.SENT for o in done)
        return done

    def _part_done(self, sent_at: float, future: asyncio.Future[Response]) -> None:
        """Runs as each response (or its absence) arrives, while the batch is still going:
        the pace must drop at the first throttle, not after the batch."""
        self._in_flight -= 1
        if not self._in_flight:
            self._idle.set()
        if future.cancelled():
            return
        error = future.exception()
        now = self._now()
        if error is not None:
            if isinstance(error, NoResponse) and error.timed_out:
                self.timeouts += 1
                self._fail(f"submit_sm: {error}")
            return
        status = future.result().command_status
        if status == CommandStatus.ESME_ROK:
            self.parts_submitted += 1
            self._retry.succeeded(now)
        elif is_temporary(status):
            self.throttled += 1
            self._retry.failed(now)
            if status in (CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL):
                self._pacer.throttled(now, sent_at)

    def _queued(self, message: OutboundMessage, error: str, retry_ms: int) -> SubmitOutcome:
        return queued(message, self.name, error, retry_ms)

    def _unbound_retry_ms(self) -> int:
        wait = self.settings.reconnect_min_s
        if self._reconnect_at is not None:
            wait = max(wait, self._reconnect_at - self._now())
        return int(wait * 1000)

    # ------------------------------------------------------------------------------ status

    def status(self) -> ConnectorStatus:
        return ConnectorStatus(
            name=self.name,
            kind=self.kind,
            bound=self._bound.is_set() and all(s.bound for s in self._sessions),
            in_flight=self._in_flight,
            submitted=self.submitted,
            receipts=self._inbox.receipts,
            inbound=self._inbox.inbound,
            errors=self.errors,
            detail=self._detail(),
            extra={
                "parts_submitted": float(self.parts_submitted),
                "timeouts": float(self.timeouts),
                "throttled": float(self.throttled),
                "rate_limit_per_s": float(self._pacer.rate or 0.0),
                "retry_after_s": self._retry.delay_s,
                "reassembling": float(self._inbox.reassembling),
            },
        )

    def _detail(self) -> str:
        s = self.settings
        if self._stopping:
            return "stopped"
        if self._bound.is_set():
            detail = f"bound to {s.host}:{s.port} as {s.bind_mode}"
            if self._pacer.slowed and self._pacer.rate is not None:
                detail += f"; throttled to {self._pacer.rate:.0f}/s"
            return detail
        if self._reconnect_at is not None:
            wait = max(0.0, self._reconnect_at - self._now())
            return f"{self._last_error}; reconnecting in {wait:.1f}s"
        return f"connecting to {s.host}:{s.port}"
