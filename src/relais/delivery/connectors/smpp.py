"""
The SMPP 3.4 client connector: Relais as an ESME towards a carrier's SMSC.

A background task keeps the bind up (one transceiver session, or a transmitter and a
receiver), reconnecting with a jittered backoff; `start()` never waits for the SMSC, and a
submit while unbound answers QUEUED so the dispatcher puts the batch back. A batch is
pipelined: parts are written as fast as the window (and the rate cap) allows and the
responses are collected afterwards, so 500 messages cost about 500/window round trips.

Outcomes, per message (the contract is `SubmitOutcome`): every part accepted -> SENT with
the carrier ids; a part refused with a temporary status -> QUEUED after the retry backoff,
and the submit rate is cut; a permanent status -> a final failure naming it; no response ->
`timeout_policy` decides (resend: QUEUED, and the session, now suspect, is replaced; fail:
REJECTED "no response"). user_message_reference carries the message id so an SMSC can drop
the duplicate a resend may create.

Receipts and inbound SMS come from deliver_sm; both are buffered and handed to the sink a
few milliseconds later in batches, never one call per PDU.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Final, cast

from relais.core.status import MessageStatus
from relais.delivery.connectors.base import ConnectorStatus, DeliverySink, InboundSms
from relais.delivery.connectors.smpp_config import (
    Pacer,
    ReconnectBackoff,
    RetryBackoff,
    SmppSettings,
)
from relais.delivery.connectors.smpp_session import (
    BindKind,
    NoResponse,
    SessionClosed,
    SmppSession,
    open_session,
)
from relais.errors import InvalidField
from relais.smpp import (
    CommandStatus,
    DataSm,
    DeliverSm,
    DeliveryReceipt,
    LocalProtocolError,
    Reassembler,
    Response,
    SmppError,
    SubmitSm,
    fragment_of,
    is_temporary,
    make_tlvs,
    message_text,
    receipt_from_pdu,
    split_for_submit,
    status_name,
)
from relais.smpp.receipts import is_receipt, parse_receipt
from relais.store.outbound import OutboundMessage, Receipt, SubmitOutcome

__all__ = ["SmppConnector", "canonical_message_id"]

log = logging.getLogger("relais.smpp")

FLUSH_INTERVAL_S: Final = 0.005  # receipts and inbound SMS wait at most this for company
FLUSH_SIZE: Final = 1000  # ... or until this many are buffered
_FAILURE_BY_STATUS: Final[dict[int, MessageStatus]] = {
    CommandStatus.ESME_RINVDSTADR: MessageStatus.INVALID_DESTINATION,
    CommandStatus.ESME_RINVSRCADR: MessageStatus.INVALID_SENDER,
}
_QUEUED, _REJECTED = MessageStatus.QUEUED, MessageStatus.REJECTED
_PartResult = Response | SmppError | LocalProtocolError


def canonical_message_id(raw: str) -> str:
    """A carrier id as stored: lower-case, no "0x", no leading zeros ("" stays "")."""
    value = raw.strip().lower()
    if value.startswith("0x"):
        value = value[2:]
    return (value.lstrip("0") or "0") if value else ""


def _error_text(status: int) -> str:
    """ "ESME_RINVDSTADR (0x0000000B)", without the description."""
    return status_name(status).split(":", 1)[0]


def _answer(result: _PartResult | asyncio.Future[Response]) -> _PartResult:
    """What a part got; a session future only ever fails with NoResponse."""
    if not isinstance(result, asyncio.Future):
        return result
    if result.cancelled():
        return NoResponse("cancelled", timed_out=False)
    return cast(_PartResult, result.exception()) or result.result()


def _wall_ms() -> int:
    return int(time.time() * 1000)


class SmppConnector:
    """A `Connector` speaking SMPP 3.4 to one SMSC account."""

    kind = "smpp"

    def __init__(
        self,
        settings: SmppSettings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self._now = monotonic
        self._sink: DeliverySink | None = None
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
        self._reassembler = Reassembler()
        self._receipts: list[Receipt] = []
        self._inbound: list[InboundSms] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        # Completed when the next flush's receipts and inbound SMS are committed.
        self._stored: asyncio.Future[None] | None = None
        self._settling: set[asyncio.Future[None]] = set()
        self._expire_handle: asyncio.TimerHandle | None = None
        self._reconnect_at: float | None = None
        self._last_error = ""
        self._in_flight = 0
        self.submitted = self.parts_submitted = self.receipts = self.inbound = 0
        self.errors = self.timeouts = self.throttled = 0

    # --------------------------------------------------------------------------- lifecycle

    async def start(self, sink: DeliverySink) -> None:
        """Begin binding in the background; returns at once even if the SMSC is down."""
        self._sink = sink
        self._stopping = False
        loop = asyncio.get_running_loop()
        self._supervisor = loop.create_task(self._keep_bound(), name=f"smpp-{self.name}")
        self._expire_handle = loop.call_later(self._expire_every(), self._expire_inbound)

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
        for handle in (self._flush_handle, self._expire_handle):
            if handle is not None:
                handle.cancel()
        self._flush_handle = self._expire_handle = None
        self._flush()

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
            session = await open_session(
                s.host,
                s.port,
                ssl_context=s.ssl_context(),
                connect_timeout_s=s.connect_timeout_s,
                window=s.window,
                response_timeout_s=s.response_timeout_s,
                enquire_link_interval_s=s.enquire_link_interval_s,
                on_deliver=self._on_deliver if kind != "transmitter" else None,
                close_on_timeout=s.timeout_policy == "resend",
                on_close=self._lost.set,
            )
            self._sessions.append(session)
            await session.bind(
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

    def _fail(self, message: str) -> None:
        self.errors += 1
        self._last_error = message

    # ------------------------------------------------------------------------------ submit

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitOutcome]:
        session = self._tx
        if self._stopping or session is None or not session.bound:
            reason = "connector stopping" if self._stopping else f"not bound: {self._detail()}"
            return [self._queued(m, reason, self._unbound_retry_ms()) for m in batch]
        deadline = self._now() + self.settings.submit_deadline_s
        outcomes: list[SubmitOutcome | None] = [None] * len(batch)
        sent: list[tuple[int, list[_PartResult | asyncio.Future[Response]]]] = []
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
                pdus = self._pdus(message)
            except (InvalidField, LocalProtocolError) as exc:
                outcomes[index] = SubmitOutcome(message.id, self.name, _REJECTED, error=str(exc))
                continue
            results: list[_PartResult | asyncio.Future[Response]] = []
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
            outcomes[index] = self._outcome(batch[index], answers)
        done = [o for o in outcomes if o is not None]
        self.submitted += sum(o.status is MessageStatus.SENT for o in done)
        return done

    def _pdus(self, message: OutboundMessage) -> list[SubmitSm]:
        s = self.settings
        parts = split_for_submit(
            message.text,
            force_unicode=message.encoding == "ucs2",
            method=s.long_message_method,
            reference=message.id & 0xFFFF,  # a UDH keeps the low 8 bits, SAR all 16
        )
        source_ton, source_npi, source = s.source_address(message.sender)
        dest_ton, dest_npi, destination = s.destination_address(message.destination)
        reference = message.id & 0xFFFF
        return [
            SubmitSm(
                source_addr_ton=source_ton,
                source_addr_npi=source_npi,
                source_addr=source,
                dest_addr_ton=dest_ton,
                dest_addr_npi=dest_npi,
                destination_addr=destination,
                esm_class=part.esm_class,
                registered_delivery=s.registered_delivery,
                data_coding=part.data_coding,
                short_message=part.short_message,
                tlvs=make_tlvs(user_message_reference=reference, extra=part.tlvs),
            )
            for part in parts
        ]

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

    def _outcome(self, message: OutboundMessage, answers: list[_PartResult]) -> SubmitOutcome:
        ids: list[str] = []
        final: tuple[MessageStatus, str] | None = None
        retry: str | None = None
        for answer in answers:
            if isinstance(answer, Response):
                status = answer.command_status
                if status == CommandStatus.ESME_ROK and hasattr(answer, "message_id"):
                    if carrier_id := canonical_message_id(answer.message_id):
                        ids.append(carrier_id)
                elif is_temporary(status):
                    retry = retry or _error_text(status)
                elif final is None:
                    final = (_FAILURE_BY_STATUS.get(status, _REJECTED), _error_text(status))
            elif isinstance(answer, NoResponse):
                if self.settings.timeout_policy == "fail":
                    final = final or (_REJECTED, "no response")
                else:
                    retry = retry or f"no response ({answer})"
            elif isinstance(answer, SessionClosed):
                retry = retry or f"not sent: {answer}"
            elif final is None:  # LocalProtocolError: this PDU cannot be sent at all
                final = (_REJECTED, str(answer))
        if final is not None:
            return SubmitOutcome(message.id, self.name, final[0], tuple(ids), error=final[1])
        if retry is not None:
            # Parts already accepted are sent again with the rest; a receipt for one of
            # them must not settle the message, so their ids are not reported.
            return self._queued(message, retry, int(self._retry.delay_s * 1000))
        return SubmitOutcome(message.id, self.name, MessageStatus.SENT, tuple(ids))

    def _queued(self, message: OutboundMessage, error: str, retry_ms: int) -> SubmitOutcome:
        return SubmitOutcome(message.id, self.name, _QUEUED, error=error, retry_after_ms=retry_ms)

    def _unbound_retry_ms(self) -> int:
        wait = self.settings.reconnect_min_s
        if self._reconnect_at is not None:
            wait = max(wait, self._reconnect_at - self._now())
        return int(wait * 1000)

    # ---------------------------------------------------------------- receipts and inbound

    def _on_deliver(self, pdu: DeliverSm | DataSm) -> asyncio.Future[None] | None:
        """Buffer what the deliver_sm carries; the future of its commit, or None when nothing
        needs storing (the session then answers at once)."""
        if (receipt := receipt_from_pdu(pdu)) is not None:
            return self._on_receipt(receipt)
        if is_receipt(pdu):
            self._fail(f"unreadable delivery receipt: {pdu.user_data[:80]!r}")
            return None
        if (receipt := _unflagged_receipt(pdu)) is not None:
            return self._on_receipt(receipt)
        return self._on_inbound(pdu)

    def _next_flush(self) -> asyncio.Future[None]:
        if self._stored is None:
            self._stored = asyncio.get_running_loop().create_future()
        return self._stored

    def _on_receipt(self, receipt: DeliveryReceipt) -> asyncio.Future[None] | None:
        status = receipt.status
        raw = receipt.receipted_message_id or receipt.id
        if status is None or not receipt.is_final or not raw:
            return None  # ACCEPTD / ENROUTE, or a state nobody documents
        exact = canonical_message_id(raw)
        others = sorted(receipt.match_ids() - {exact})
        error = None
        if status is not MessageStatus.DELIVERED:
            error = f"err:{receipt.err}" if receipt.err else f"stat:{receipt.stat}"
        self.receipts += 1
        self._receipts.append(Receipt(self.name, (exact, *others), status, _wall_ms(), error))
        stored = self._next_flush()
        self._schedule_flush(len(self._receipts))
        return stored

    def _on_inbound(self, pdu: DeliverSm | DataSm) -> asyncio.Future[None] | None:
        source = _plain(pdu.source_addr)
        destination = _plain(pdu.destination_addr)
        fragment = fragment_of(pdu)
        text = (
            message_text(pdu)
            if fragment is None
            else self._reassembler.add(
                source=f"{source}\0{destination}",
                fragment=fragment,
                data_coding=pdu.data_coding,
                now=self._now(),
            )
        )
        if text is None:
            return None  # a part kept for reassembly; answered at once
        return self._accept_inbound(source, destination, text)

    def _accept_inbound(self, source: str, destination: str, text: str) -> asyncio.Future[None]:
        self.inbound += 1
        self._inbound.append(InboundSms(self.name, source, destination, text, _wall_ms()))
        stored = self._next_flush()
        self._schedule_flush(len(self._inbound))
        return stored

    def _expire_inbound(self) -> None:
        """Deliver what came of messages whose other parts never did: better a partial
        text than none."""
        cutoff = self._now() - self.settings.inbound_expiry_s
        for key, _, text in self._reassembler.expire(older_than=cutoff):
            source, _, destination = key.partition("\0")
            self._accept_inbound(source, destination, text)
        loop = asyncio.get_running_loop()
        self._expire_handle = loop.call_later(self._expire_every(), self._expire_inbound)

    def _expire_every(self) -> float:
        return min(30.0, self.settings.inbound_expiry_s / 4)

    def _schedule_flush(self, buffered: int) -> None:
        if buffered >= FLUSH_SIZE:
            self._flush()
        elif self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(FLUSH_INTERVAL_S, self._flush)

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        receipts, self._receipts = self._receipts, []
        inbound, self._inbound = self._inbound, []
        stored, self._stored = self._stored, None
        if self._sink is None:
            if stored is not None and not stored.done():
                stored.set_exception(ConnectionError("no sink"))
            return
        try:
            commits = []
            if receipts:
                commits.append(self._sink.receipts(receipts))
            if inbound:
                commits.append(self._sink.inbound(inbound))
        except Exception as exc:
            log.exception("%s: the delivery sink failed", self.name)
            self.errors += 1
            if stored is not None and not stored.done():
                stored.set_exception(exc)
            return
        if stored is not None:
            task = asyncio.ensure_future(_settle_after(commits, stored))
            self._settling.add(task)
            task.add_done_callback(self._settling.discard)

    # ------------------------------------------------------------------------------ status

    def status(self) -> ConnectorStatus:
        return ConnectorStatus(
            name=self.name,
            kind=self.kind,
            bound=self._bound.is_set() and all(s.bound for s in self._sessions),
            in_flight=self._in_flight,
            submitted=self.submitted,
            receipts=self.receipts,
            inbound=self.inbound,
            errors=self.errors,
            detail=self._detail(),
            extra={
                "parts_submitted": float(self.parts_submitted),
                "timeouts": float(self.timeouts),
                "throttled": float(self.throttled),
                "rate_limit_per_s": float(self._pacer.rate or 0.0),
                "retry_after_s": self._retry.delay_s,
                "reassembling": float(len(self._reassembler)),
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


def _unflagged_receipt(pdu: DeliverSm | DataSm) -> DeliveryReceipt | None:
    """A receipt some SMSCs send with esm_class 0: the full Appendix B text (id, stat and a
    done date), which no person types into an SMS."""
    if fragment_of(pdu) is not None:
        return None
    parsed = parse_receipt(message_text(pdu))
    if parsed is None or not (parsed.id and parsed.stat and parsed.done_date):
        return None
    return parsed


def _plain(address: str) -> str:
    """An international number without its "+"; anything else as received."""
    return address[1:] if address.startswith("+") and address[1:].isdigit() else address


async def _settle_after(commits: list[Awaitable[None]], stored: asyncio.Future[None]) -> None:
    """Complete `stored` once every commit did (or fail it with the first error)."""
    try:
        await asyncio.gather(*commits)
    except Exception as exc:
        if not stored.done():
            stored.set_exception(exc)
        return
    if not stored.done():
        stored.set_result(None)
