"""A small scriptable SMSC on real TCP, built on `SmppConnection(Role.SMSC)`, for the SMPP
connector's tests (the carrier simulator in `relais.smsc_simulator` is the full one).

Each test sets a `Script`: which destinations to refuse with which status, how many submits
to throttle first, whether to answer at all, when to drop the connection, in which base to
write ids and receipts, how long to hold answers so the client's window fills."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from relais.core.connector import InboundSms, OutboundMessage, Receipt
from relais.delivery.connectors.smpp.config import SmppSettings
from relais.delivery.connectors.smpp.connector import SmppConnector
from relais.smpp import (
    NEED_DATA,
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    CommandStatus,
    ConnectionClosed,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    EsmClass,
    OutOfState,
    Pdu,
    RemoteProtocolError,
    Response,
    Role,
    SmppConnection,
    State,
    SubmitSm,
    Unbind,
    UnbindResp,
    format_receipt,
    make_tlvs,
)

_BIND_KINDS = {
    BindTransceiver: "transceiver",
    BindTransmitter: "transmitter",
    BindReceiver: "receiver",
}


@dataclass
class Script:
    errors: dict[str, int] = field(default_factory=dict)  # destination -> command_status
    throttle_first: int = 0  # answer ESME_RTHROTTLED to this many first submits
    silent: bool = False  # never answer a submit
    drop_after: int | None = None  # close the connection after this many submits, once
    answer_delay_s: float = 0.0  # hold each answer this long
    answer_jitter_s: float = 0.0  # ... plus up to this much more, so answers come out of order
    id_format: str = "{:x}"  # how submit_sm_resp writes ids
    receipts: bool = False  # send a DELIVRD receipt for every accepted submit
    receipt_id_format: str = "{:x}"  # how receipts write the same ids
    password: str | None = None  # refuse binds with another password
    # The status for the n-th submit (1-based), None for the rules above.
    status_for: Callable[[SubmitSm, int], int | None] | None = None


class SmscSession:
    def __init__(self, smsc: FakeSmsc, writer: asyncio.StreamWriter) -> None:
        self.smsc = smsc
        self.conn = SmppConnection(Role.SMSC)
        self.writer = writer
        self.kind: str | None = None
        self.deliver_acks: list[DeliverSmResp] = []
        self._out: list[bytes] = []

    @property
    def receives(self) -> bool:
        return self.conn.state in (State.BOUND_RX, State.BOUND_TRX)

    def send(self, pdu: Pdu) -> None:
        if self.conn.state in (State.CLOSED, State.ERROR) or self.writer.is_closing():
            return
        self.writer.write(self.conn.send(pdu))

    def close(self) -> None:
        self.writer.close()


class FakeSmsc:
    def __init__(self, script: Script | None = None, *, tls: ssl.SSLContext | None = None):
        self.script = script or Script()
        self.tls = tls
        self.sessions: list[SmscSession] = []
        self.binds: list[str] = []
        self.submits: list[SubmitSm] = []
        self.ids_by_reference: dict[int | None, str] = {}  # user_message_reference -> our id
        self.unbinds = 0
        self.enquire_links = 0
        self.max_outstanding = 0
        self.connections = 0
        self._ids = itertools.count(1_000_000)
        self._dropped = False
        self._random = random.Random(7)
        self.link_answers = 0  # enquire_link_resp and unbind_resp the client sent us
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        for session in self.sessions:
            session.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def deliver(self, pdu: DeliverSm) -> None:
        """Send `pdu` on a receiving session, as an SMSC delivers an MO or a receipt."""
        await wait_until(lambda: any(s.receives for s in self.sessions))
        session = next(s for s in self.sessions if s.receives)
        session.send(pdu)

    def probe_clients(self, pdu_type: type[EnquireLink | Unbind]) -> None:
        """Send enquire_link or unbind to every bound client, as an SMSC may."""
        for session in self.sessions:
            if session.conn.state in (State.BOUND_TRX, State.BOUND_TX, State.BOUND_RX):
                session.send(pdu_type())

    def receiver(self) -> SmscSession | None:
        return next((s for s in self.sessions if s.receives), None)

    # -------------------------------------------------------------------------- serving

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = SmscSession(self, writer)
        self.sessions.append(session)
        self.connections += 1
        try:
            while data := await reader.read(65536):
                session.conn.receive_data(data)
                events = []
                while True:
                    try:
                        event = session.conn.next_event()
                    except RemoteProtocolError:
                        return
                    if event is NEED_DATA or isinstance(event, ConnectionClosed):
                        break
                    events.append(event)
                self.max_outstanding = max(self.max_outstanding, session.conn.unanswered)
                for event in events:
                    self._handle(session, event)
                if writer.is_closing():
                    return
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            self.sessions.remove(session)
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    def _handle(self, session: SmscSession, event: object) -> None:
        script = self.script
        if isinstance(event, BindTransceiver | BindTransmitter | BindReceiver):
            ok = script.password is None or event.password == script.password
            status = CommandStatus.ESME_ROK if ok else CommandStatus.ESME_RINVPASWD
            self.binds.append(_BIND_KINDS[type(event)])
            session.send(event.response(status, system_id="fake"))
        elif isinstance(event, SubmitSm):
            self._submit(session, event)
        elif isinstance(event, EnquireLink):
            self.enquire_links += 1
            session.send(event.response())
        elif isinstance(event, Unbind):
            self.unbinds += 1
            session.send(event.response())
            session.close()
        elif isinstance(event, DeliverSmResp):
            session.deliver_acks.append(event)
        elif isinstance(event, EnquireLinkResp | UnbindResp):
            self.link_answers += 1
        elif isinstance(event, OutOfState) and not isinstance(event.pdu, Response):
            session.send(event.pdu.response(event.command_status_hint))

    def _submit(self, session: SmscSession, pdu: SubmitSm) -> None:
        script = self.script
        self.submits.append(pdu)
        count = len(self.submits)
        if script.silent:
            return
        if script.drop_after is not None and count > script.drop_after and not self._dropped:
            self._dropped = True
            session.close()
            return
        number = next(self._ids)
        status = script.errors.get(pdu.destination_addr, CommandStatus.ESME_ROK)
        if count <= script.throttle_first:
            status = CommandStatus.ESME_RTHROTTLED
        scripted = script.status_for(pdu, count) if script.status_for else None
        if scripted is not None:
            status = scripted
        message_id = script.id_format.format(number) if status == CommandStatus.ESME_ROK else ""
        self.ids_by_reference[pdu.user_message_reference] = message_id

        def answer() -> None:
            session.send(pdu.response(status, message_id=message_id))
            if status == CommandStatus.ESME_ROK and script.receipts and pdu.registered_delivery:
                self._receipt(pdu, script.receipt_id_format.format(number))

        delay = script.answer_delay_s + self._random.uniform(0, script.answer_jitter_s)
        if delay:
            asyncio.get_running_loop().call_later(delay, answer)
        else:
            answer()

    def _receipt(self, pdu: SubmitSm, message_id: str) -> None:
        receiver = self.receiver()
        if receiver is None:
            return
        now = datetime.now(UTC)
        text = format_receipt(message_id=message_id, stat="DELIVRD", submit_date=now, done_date=now)
        receiver.send(
            DeliverSm(
                source_addr=pdu.destination_addr,
                destination_addr=pdu.source_addr,
                esm_class=EsmClass.DELIVERY_RECEIPT,
                short_message=text.encode("latin-1"),
                tlvs=make_tlvs(receipted_message_id=message_id, message_state=2),
            )
        )


async def wait_until(predicate: Callable[[], bool], seconds: float = 5.0) -> None:
    """Poll `predicate` every few milliseconds; fail the test when it stays false."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


class RecordingSink:
    """A DeliverySink that keeps everything, and counts its calls to prove batching."""

    def __init__(self) -> None:
        self.receipt_list: list[Receipt] = []
        self.inbound_list: list[InboundSms] = []
        self.calls = 0

    def receipts(self, receipts: Sequence[Receipt]) -> asyncio.Future[None]:
        self.calls += 1
        self.receipt_list.extend(receipts)
        return self._committed()

    def inbound(self, messages: Sequence[InboundSms]) -> asyncio.Future[None]:
        self.calls += 1
        self.inbound_list.extend(messages)
        return self._committed()

    def _committed(self) -> asyncio.Future[None]:
        """Stored at once, or failing when the test sets `self.failure`."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        failure = getattr(self, "failure", None)
        if failure is not None:
            future.set_exception(failure)
        else:
            future.set_result(None)
        return future


def message(
    message_id: int,
    text: str = "Hello from Relais",
    *,
    destination: str = "33612345678",
    sender: str | None = "Relais",
    encoding: str = "gsm7",
) -> OutboundMessage:
    return OutboundMessage(
        id=message_id,
        campaign_id=1,
        account_id=1,
        destination=destination,
        text=text,
        sender=sender,
        encoding=encoding,
        parts=1,
        gsmsmsid=None,
        attempts=1,
    )


def wall_clock() -> datetime:
    """The clock the connectors under test date receipts and inbound SMS by."""
    return datetime.now(UTC)


@contextlib.asynccontextmanager
async def running(
    script: Script | None = None, **settings: Any
) -> AsyncIterator[tuple[FakeSmsc, SmppConnector, RecordingSink]]:
    """A fake SMSC and a connector bound to it; both stopped on the way out."""
    smsc = FakeSmsc(script)
    port = await smsc.start()
    options: dict[str, Any] = {
        "name": "carrier",
        "host": "127.0.0.1",
        "port": port,
        "system_id": "relais",
        "password": "secret",
        "reconnect_min_s": 0.02,
        "reconnect_max_s": 0.1,
    } | settings
    connector = SmppConnector(SmppSettings(**options), clock=wall_clock)
    sink = RecordingSink()
    await connector.start(sink)
    try:
        assert await connector.wait_bound(5)
        yield smsc, connector, sink
    finally:
        await connector.stop()
        await smsc.stop()
