"""
One TCP connection to the simulator: an asyncio task around a `SmppConnection(Role.SMSC)`.

Each read is drained PDU by PDU and every request is answered as it is read, so a client
with a window of 100 submits never waits behind one slow answer; all the bytes produced by one
read go out in one write. Deliveries (receipts, MO) are written under their own window
(`window.DeliverWindow`), and whatever is unacknowledged when the session ends goes back to
the simulator to be sent to the next receiver that binds, as a carrier stores and forwards.

A session knows its simulator only as an `Smsc`, a protocol `server.SmscSimulator` meets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final, Protocol

from relais.smpp import (
    NEED_DATA,
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    CommandStatus,
    ConnectionClosed,
    DataSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    LocalProtocolError,
    OutOfState,
    Pdu,
    RemoteProtocolError,
    Role,
    SmppConnection,
    SubmitSm,
    Unbind,
    UnbindResp,
    UnknownPdu,
    fragment_of,
    is_temporary,
    make_tlvs,
    response_for,
)
from relais.smpp.constants import INTERFACE_VERSION, RESPONSE_BIT
from relais.smpp.state import BOUND_STATES, State
from relais.smpp.tlv import Tag
from relais.smsc_simulator.config import SimulatorConfig
from relais.smsc_simulator.deliveries import Delivery
from relais.smsc_simulator.ids import MessageIds
from relais.smsc_simulator.policy import Deduplicator, SubmitRules, dedupe_key
from relais.smsc_simulator.record import AcceptedSubmit, Counters, Record
from relais.smsc_simulator.window import DeliverWindow

__all__ = ["Session", "Smsc"]

log = logging.getLogger(__name__)

READ_SIZE: Final = 256 * 1024
_ROK: Final = CommandStatus.ESME_ROK
_THROTTLED: Final = CommandStatus.ESME_RTHROTTLED
_INVCMDID: Final = CommandStatus.ESME_RINVCMDID
_RECEIVING: Final = frozenset({State.BOUND_RX, State.BOUND_TRX})


class Smsc(Protocol):
    """What a session asks of its simulator: the carrier's rules and records, the clocks
    (`clock`, wall time, dates submits; `loop_time` times them), binds and deliveries."""

    config: SimulatorConfig
    counters: Counters
    record: Record
    rules: SubmitRules
    dedupe: Deduplicator
    ids: MessageIds
    clock: Callable[[], datetime]
    loop_time: Callable[[], float]

    def bind_status(self, pdu: BindTransmitter | BindReceiver | BindTransceiver) -> int: ...

    def attach(self, session: Session) -> None: ...

    def detach(self, session: Session) -> None: ...

    def receipt_for(self, entry: AcceptedSubmit, now: float) -> None: ...

    def retry_later(self, system_id: str | None, delivery: Delivery) -> None: ...


class Session:
    """The SMSC end of one ESME connection."""

    def __init__(
        self, simulator: Smsc, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.sim = simulator
        self.reader = reader
        self.writer = writer
        self.conn = SmppConnection(Role.SMSC)
        self.peer = writer.get_extra_info("peername")
        self.system_id: str | None = None
        self.receives = False  # bound as receiver or transceiver
        self.attached = False  # counted by the simulator as a bind of system_id
        self.submits = 0  # submit_sm and data_sm received on this connection
        self.closed = False
        self.task: asyncio.Task[None] | None = None
        self._out: list[bytes] = []
        self._deliveries = DeliverWindow(simulator.config.deliver_window)
        self._closing = False  # stop reading: unbind done, or the stream is unusable
        self._cut = False  # disconnect_after fired: drop the link without answering
        self._handlers: dict[type, Callable[[Any], None]] = {
            SubmitSm: self._on_submit,
            DataSm: self._on_submit,
            DeliverSmResp: self._on_deliver_resp,
            EnquireLink: self._on_enquire_link,
            BindTransmitter: self._on_bind,
            BindReceiver: self._on_bind,
            BindTransceiver: self._on_bind,
            Unbind: self._on_unbind,
            UnbindResp: self._on_unbind_resp,
            EnquireLinkResp: _ignore,
            GenericNack: self._on_generic_nack,
            OutOfState: self._on_out_of_state,
            UnknownPdu: self._on_unknown,
            ConnectionClosed: self._on_closed,
        }

    @property
    def bound(self) -> bool:
        return self.conn.state in BOUND_STATES

    # --------------------------------------------------------------------------- the loop

    async def run(self) -> None:
        """Read, answer, write, until the peer or the simulator ends the session."""
        self.task = asyncio.current_task()
        reader, conn = self.reader, self.conn
        try:
            while not self._closing:
                data = await reader.read(READ_SIZE)
                conn.receive_data(data)
                self._drain()
                if self._cut:
                    await self._cut_link()
                    return
                self.flush()
                if not data:
                    break
                await self.writer.drain()  # a client that does not read slows us down
        except (ConnectionError, OSError):
            pass  # the peer reset the connection: nothing to answer any more
        except Exception:
            log.exception("SMSC simulator session with %s failed", self.peer)
        finally:
            await self._close()

    def _drain(self) -> None:
        conn, handlers = self.conn, self._handlers
        while not self._cut and not self._closing:  # ConnectionClosed repeats once at EOF
            try:
                event = conn.next_event()
            except RemoteProtocolError as exc:
                self._on_protocol_error(exc)
                if exc.fatal:
                    self._closing = True
                    return
                continue
            if event is NEED_DATA:
                return
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)

    def _send(self, pdu: Pdu) -> None:
        try:
            self._out.append(self.conn.send(pdu))
        except LocalProtocolError as exc:
            log.debug("not sending %r: %s", pdu, exc)

    def flush(self) -> None:
        """Write what the last events produced, in one call."""
        out = self._out
        if not out:
            return
        if not self.closed and not self.writer.is_closing():
            self.writer.write(out[0] if len(out) == 1 else b"".join(out))
        out.clear()

    # ------------------------------------------------------------------------- submit_sm

    def _on_submit(self, pdu: SubmitSm | DataSm) -> None:
        sim = self.sim
        config = sim.config
        counters = sim.counters
        counters.submits += 1
        self.submits += 1
        if config.disconnect_after is not None and sim.rules.cut_now(self.submits):
            # The link drops with this submit in flight: accepted, never answered.
            self._cut = True
            counters.unanswered += 1
            if not config.no_response:
                self._accept(pdu, sim.loop_time(), answer=False)
            return
        if config.no_response:
            counters.unanswered += 1
            return
        self._accept(pdu, sim.loop_time(), answer=True)

    def _accept(self, pdu: SubmitSm | DataSm, now: float, *, answer: bool) -> None:
        sim = self.sim
        config = sim.config
        counters = sim.counters
        system_id = self.system_id or ""
        fragment = fragment_of(pdu) if pdu.esm_class & 0x40 or pdu.tlvs else None
        key = None
        if config.dedupe_user_message_reference:
            reference = pdu.tlvs.get(Tag.USER_MESSAGE_REFERENCE)
            if reference is not None:
                key = dedupe_key(
                    system_id,
                    pdu.source_addr,
                    pdu.destination_addr,
                    int.from_bytes(reference, "big"),
                    fragment,
                )
                known = sim.dedupe.get(key, now)
                if known is not None:
                    counters.duplicates += 1
                    if answer:
                        self._send(pdu.response(message_id=known))
                    return
        if config.throttle_per_second is not None and sim.rules.throttled(system_id, now):
            counters.throttled += 1
            if answer:
                self._send(pdu.response(_THROTTLED))
            return
        if config.submit_error is not None:
            status = sim.rules.error_for(pdu.destination_addr)
            if status is not None:
                counters.errored += 1
                if answer:
                    self._send(pdu.response(status))
                return
        message_id = sim.ids.new()
        entry = AcceptedSubmit(message_id, system_id, pdu, fragment, sim.clock())
        sim.record.add(entry)
        counters.accepted += 1
        if key is not None:
            sim.dedupe.put(key, message_id, now)
        if config.receipt_before_response:
            sim.receipt_for(entry, now)  # written before the response below: the race
            if answer:
                self._send(pdu.response(message_id=message_id))
        else:
            if answer:
                self._send(pdu.response(message_id=message_id))
            sim.receipt_for(entry, now)

    async def _cut_link(self) -> None:
        """disconnect_after: send what was answered before, then drop the TCP connection."""
        self.sim.counters.disconnects += 1
        self.flush()
        with contextlib.suppress(Exception):
            self.writer.transport.set_write_buffer_limits(high=0)
            await asyncio.wait_for(self.writer.drain(), 1.0)
        self.writer.transport.abort()

    # ------------------------------------------------------------------------ deliveries

    def push(self, deliveries: Iterable[Delivery]) -> None:
        """Queue deliver_sm for this receiver and write as many as its window allows."""
        self._deliveries.add(deliveries)
        self._pump()
        self.flush()

    def _pump(self) -> None:
        if self.conn.state not in _RECEIVING:
            return  # unbinding: what is queued goes to another receiver when we detach
        if not self.closed:
            self._deliveries.fill(self.conn, self._out, self.sim.counters)

    def _on_deliver_resp(self, pdu: DeliverSmResp) -> None:
        delivery = self._deliveries.answered(pdu.sequence_number)
        status = pdu.command_status
        counters = self.sim.counters
        if status == _ROK:
            counters.delivers_acked += 1
        else:
            counters.delivers_refused += 1
            if delivery is not None and is_temporary(status):
                self.sim.retry_later(self.system_id, delivery)
        if self._deliveries.waiting:
            self._pump()

    def _on_generic_nack(self, pdu: GenericNack) -> None:
        if self._deliveries.answered(pdu.sequence_number) is not None:
            self.sim.counters.delivers_refused += 1
            self._pump()

    def take_undelivered(self) -> list[Delivery]:
        """Everything queued or unacknowledged, handed back when the session ends."""
        return self._deliveries.take_all()

    # ------------------------------------------------------------------ session commands

    def _on_bind(self, pdu: BindTransmitter | BindReceiver | BindTransceiver) -> None:
        sim = self.sim
        status = sim.bind_status(pdu)
        if status != _ROK:
            sim.counters.bind_failures += 1
            self._send(pdu.response(status))
            return
        self._send(
            pdu.response(
                system_id=sim.config.smsc_system_id,
                tlvs=make_tlvs(sc_interface_version=INTERFACE_VERSION),
            )
        )
        sim.counters.binds += 1
        self.system_id = pdu.system_id
        self.receives = not isinstance(pdu, BindTransmitter)
        sim.attach(self)  # may push queued deliveries, after the bind_resp above

    def _on_enquire_link(self, pdu: EnquireLink) -> None:
        self._send(pdu.response())

    def _on_unbind(self, pdu: Unbind) -> None:
        self.sim.counters.unbinds += 1
        self.sim.detach(self)
        self._send(pdu.response())
        self._closing = True

    def _on_unbind_resp(self, pdu: UnbindResp) -> None:
        self._closing = True

    def _on_closed(self, event: ConnectionClosed) -> None:
        self._closing = True

    def _on_unknown(self, pdu: UnknownPdu) -> None:
        if pdu.command_id & RESPONSE_BIT:
            return  # a response we cannot read answers nothing we track
        self.sim.counters.generic_nacks += 1
        self._send(GenericNack(sequence_number=pdu.sequence_number, command_status=_INVCMDID))

    def _on_out_of_state(self, event: OutOfState) -> None:
        pdu = event.pdu
        if pdu.command_id & RESPONSE_BIT:
            return
        if isinstance(pdu, EnquireLink):  # the link is alive whatever the bind state
            self._send(pdu.response())
            return
        self._send(response_for(pdu.command_id, pdu.sequence_number, event.command_status_hint))

    def _on_protocol_error(self, exc: RemoteProtocolError) -> None:
        log.debug("protocol error from %s: %s", self.peer, exc)
        command_id, sequence = exc.command_id, exc.sequence_number
        if command_id is not None and command_id & RESPONSE_BIT:
            return  # a bad response: nothing to answer
        if command_id is not None and sequence is not None and not exc.fatal:
            answer = response_for(command_id, sequence, exc.command_status_hint)
        else:
            answer = GenericNack(
                sequence_number=sequence or 0, command_status=exc.command_status_hint
            )
        if isinstance(answer, GenericNack):
            self.sim.counters.generic_nacks += 1
        self._send(answer)

    # ------------------------------------------------------------------------- shutdown

    async def shutdown(self, timeout_s: float) -> None:
        """Unbind if bound, wait for the unbind_resp (or `timeout_s`), then close."""
        if self.bound and not self.closed:
            self.sim.detach(self)
            self._send(Unbind())
            self.flush()
            task = self.task
            if task is not None and task is not asyncio.current_task():
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(task), timeout_s)
        if not self.closed:
            self.writer.close()

    async def _close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.sim.detach(self)
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


def _ignore(_event: object) -> None:
    """Events that need no answer."""
