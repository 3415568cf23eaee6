"""
One SMPP session over one TCP (or TLS) connection: the asyncio driver of `SmppConnection`.

The sans-IO core decides what is valid; this file only moves bytes and keeps time (after
h11's asyncio examples). It is an `asyncio.Protocol`, not a pair of streams, because at tens
of thousands of PDUs a second a reader task and a drain per write cost more than the codec:
bytes are fed to the core straight from `data_received`, every PDU written in one loop
iteration goes out in one `transport.write`, and response timeouts and enquire_link ride on
one periodic tick instead of a timer per request.

What it does, and nothing more (no business logic): keep at most `window` requests in
flight and hand each caller a future for its response; fail that future with `NoResponse`
when no response comes in time (and `abandon` the sequence number, so a late answer is
dropped); answer deliver_sm / data_sm at once after giving them to `on_deliver`; answer
enquire_link and unbind; probe an idle link with enquire_link; unbind and close. The window
of requests in flight, and their timeouts, are `window.RequestWindow`'s; connecting and
binding are `binding.py`'s.

The link is timed on the monotonic clock (idle probes, response deadlines): no wall time is
read here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable
from typing import Any, Final, cast

from relais.delivery.connectors.smpp.window import NoResponse, RequestWindow, SessionClosed
from relais.smpp import (
    NEED_DATA,
    AlertNotification,
    CommandStatus,
    ConnectionClosed,
    DataSm,
    DeliverSm,
    EnquireLink,
    GenericNack,
    LocalProtocolError,
    Outbind,
    OutOfState,
    RemoteProtocolError,
    Request,
    Response,
    Role,
    SmppConnection,
    SmppError,
    Unbind,
    UnknownPdu,
    response_for,
)
from relais.smpp.constants import RESPONSE_BIT
from relais.smpp.state import BOUND_STATES

__all__ = ["DeliverCallback", "SmppSession"]

log = logging.getLogger("relais.smpp.session")

# May return a future: the deliver_sm is answered when it completes (after the receipt or
# inbound SMS is committed), with ESME_RX_T_APPN if it fails so the SMSC delivers it again.
DeliverCallback = Callable[[DeliverSm | DataSm], asyncio.Future[None] | None]
_ROK: Final = CommandStatus.ESME_ROK


class SmppSession(asyncio.Protocol):
    """An ESME session; open and bind it with `binding.open_session` and `binding.bind`."""

    def __init__(
        self,
        *,
        window: int,
        response_timeout_s: float,
        enquire_link_interval_s: float,
        on_deliver: DeliverCallback | None = None,
        close_on_timeout: bool = False,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        # One slot of headroom over our own window, so unbind still goes out when it is full.
        self._conn = SmppConnection(Role.ESME, window=window + 1)
        self.window = window
        self.response_timeout_s = response_timeout_s
        self.enquire_link_interval_s = enquire_link_interval_s
        self.on_deliver = on_deliver
        self.close_on_timeout = close_on_timeout  # a request without answer: the link is suspect
        self.on_close = on_close
        self.close_reason: str | None = None
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._out: list[bytes] = []
        self._flush_handle: asyncio.Handle | None = None
        self._window = RequestWindow(self._conn, window, response_timeout_s=response_timeout_s)
        self._finished: asyncio.Future[None] = self._loop.create_future()
        self._lost: asyncio.Future[None] = self._loop.create_future()
        self._tick_s = max(0.01, min(0.5, response_timeout_s / 10, enquire_link_interval_s / 4))
        self._tick_handle: asyncio.TimerHandle | None = None
        self._last_rx = time.monotonic()
        self._probing = False

    # ------------------------------------------------------------------------------ state

    @property
    def bound(self) -> bool:
        return self._conn.state in BOUND_STATES and not self._finished.done()

    @property
    def closed(self) -> bool:
        return self._finished.done()

    @property
    def outstanding(self) -> int:
        return self._conn.outstanding

    async def wait_closed(self) -> None:
        await asyncio.shield(self._finished)

    # ---------------------------------------------------------------------------- requests

    async def request(self, pdu: Request, *, timeout_s: float | None = None) -> Response:
        """Send `pdu` when the window allows and wait for its response.

        Raises:
            SessionClosed: it could not be sent. NoResponse: no answer came.
            LocalProtocolError: the core refused the PDU (wrong state, does not encode).
        """
        return await (await self.send_request(pdu, timeout_s=timeout_s))

    async def send_request(
        self, pdu: Request, *, timeout_s: float | None = None
    ) -> asyncio.Future[Response]:
        """Send `pdu` as soon as the window has room; the future resolves with its response.

        Returns without yielding while the window has room, so a caller sending many PDUs
        in a loop fills the window within one loop iteration and they go out in one write.
        """
        window = self._window
        if window.queued or not window.has_slot():
            await window.wait_for_slot()
        return self._send_now(pdu, timeout_s)

    def _send_now(self, pdu: Request, timeout_s: float | None) -> asyncio.Future[Response]:
        if self._finished.done():
            raise SessionClosed(self.close_reason or "the session is closed")
        data = self._conn.send(pdu)
        future = self._window.track(int.from_bytes(data[12:16], "big"), timeout_s)
        self._write(data)
        return future

    # ----------------------------------------------------------------------------- writing

    def _write(self, data: bytes) -> None:
        self._out.append(data)
        if self._flush_handle is None:
            self._flush_handle = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_handle = None
        if self._out and self._transport is not None and not self._transport.is_closing():
            self._transport.write(b"".join(self._out))
        self._out.clear()

    def _reply(self, pdu: Any) -> None:
        try:
            self._write(self._conn.send(pdu))
        except LocalProtocolError as exc:
            log.warning("cannot answer the SMSC: %s", exc)

    # ------------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._tick_handle = self._loop.call_later(self._tick_s, self._tick)

    def data_received(self, data: bytes) -> None:
        self._last_rx = time.monotonic()
        self._conn.receive_data(data)
        self._drain()

    def eof_received(self) -> bool | None:
        with contextlib.suppress(RuntimeError):
            self._conn.receive_data(b"")
        self._drain()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._finish(f"connection lost: {exc}" if exc else "the SMSC closed the connection")
        if not self._lost.done():
            self._lost.set_result(None)

    def pause_writing(self) -> None:
        self._window.writable = False

    def resume_writing(self) -> None:
        self._window.writable = True
        self._window.wake()

    # ----------------------------------------------------------------------------- reading

    def _drain(self) -> None:
        conn = self._conn
        while not self._finished.done():
            try:
                event = conn.next_event()
            except RemoteProtocolError as exc:
                if self._protocol_error(exc):
                    continue
                return
            if event is NEED_DATA:
                return
            if isinstance(event, Response):
                self._resolve(event)
            elif isinstance(event, DeliverSm | DataSm):
                self._deliver(event)
            elif isinstance(event, EnquireLink):
                self._reply(event.response())
            elif isinstance(event, Unbind):
                self._reply(event.response())
                self.abort("the SMSC unbound")
            elif isinstance(event, ConnectionClosed):
                self.abort("the SMSC closed the connection")
            elif isinstance(event, OutOfState):
                self._out_of_state(event)
            elif isinstance(event, UnknownPdu) and not event.is_response:
                self._reply(
                    response_for(
                        event.command_id, event.sequence_number, CommandStatus.ESME_RINVCMDID
                    )
                )
            # outbind, alert_notification: nothing to do for a bound ESME

    def _resolve(self, response: Response) -> None:
        if not self._window.resolve(response):
            log.warning("unmatched %s from the SMSC", type(response).__name__)

    def _deliver(self, pdu: DeliverSm | DataSm) -> None:
        status = _ROK
        if self.on_deliver is not None:
            try:
                stored = self.on_deliver(pdu)
            except Exception:
                log.exception("deliver_sm handler failed; asking the SMSC to retry")
                status = CommandStatus.ESME_RX_T_APPN
            else:
                if stored is not None:
                    stored.add_done_callback(lambda done: self._answer_deliver(pdu, done))
                    return
        self._reply(pdu.response(status))

    def _answer_deliver(self, pdu: DeliverSm | DataSm, stored: asyncio.Future[None]) -> None:
        if self.closed:
            return  # the SMSC will deliver it again on the next bind
        failed = stored.cancelled() or stored.exception() is not None
        self._reply(pdu.response(CommandStatus.ESME_RX_T_APPN if failed else _ROK))

    def _out_of_state(self, event: OutOfState) -> None:
        pdu = event.pdu
        if isinstance(pdu, Response):
            self._resolve(pdu)
        elif isinstance(pdu, Outbind | AlertNotification):
            pass
        elif isinstance(pdu, Request):
            self._reply(pdu.response(event.command_status_hint))
        elif not pdu.is_response:
            self._reply(
                response_for(pdu.command_id, pdu.sequence_number, event.command_status_hint)
            )

    def _protocol_error(self, exc: RemoteProtocolError) -> bool:
        """Answer or drop what the SMSC got wrong; False when the session cannot go on."""
        hint, sequence = exc.command_status_hint, exc.sequence_number or 0
        if exc.fatal:
            self._reply(GenericNack(sequence_number=sequence, command_status=hint))
            self.abort(f"SMPP protocol error: {exc}")
            return False
        if exc.command_id is None:
            self._reply(GenericNack(sequence_number=sequence, command_status=hint))
        elif exc.command_id & RESPONSE_BIT:
            if not self._window.answered_late(sequence):
                log.warning("SMSC protocol error: %s", exc)
        else:
            self._reply(response_for(exc.command_id, sequence, hint))
        return True

    # ------------------------------------------------------------------------------ timing

    def _tick(self) -> None:
        now = time.monotonic()
        if self._window.expire(now):
            if self.close_on_timeout:
                self.abort(f"no response within {self.response_timeout_s:g}s")
                return
            self._window.wake()
        if (
            not self._probing
            and self.bound
            and now - self._last_rx >= self.enquire_link_interval_s
            and self._window.has_slot()
        ):
            self._probing = True
            self._send_now(EnquireLink(), None).add_done_callback(self._probed)
        self._tick_handle = self._loop.call_later(self._tick_s, self._tick)

    def _probed(self, future: asyncio.Future[Response]) -> None:
        self._probing = False
        if not future.cancelled() and isinstance(future.exception(), NoResponse):
            self.abort("enquire_link unanswered")

    # ----------------------------------------------------------------------------- closing

    async def unbind(self, timeout_s: float | None = None) -> None:
        """Unbind gracefully (waiting up to `timeout_s` for unbind_resp), then close."""
        try:
            if self.bound:
                await self._send_now(Unbind(), timeout_s)
        except (SmppError, LocalProtocolError) as exc:
            log.info("unbind: %s", exc)
        finally:
            self.abort("unbound")
        await self.close()

    def abort(self, reason: str) -> None:
        """End the session now, without unbind; what was written is still flushed."""
        self._finish(reason)
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    async def close(self, timeout_s: float = 2.0) -> None:
        self.abort(self.close_reason or "closed")
        if self._transport is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._lost), timeout_s)
        except TimeoutError:
            self._transport.abort()

    def _finish(self, reason: str) -> None:
        if self._finished.done():
            return
        self.close_reason = reason
        self._flush()
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        self._window.close(reason)
        self._finished.set_result(None)
        if self.on_close is not None:
            self.on_close()
