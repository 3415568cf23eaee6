"""A minimal ESME over TCP on `SmppConnection(Role.ESME)`, to drive the simulator from tests.

It is not the product's client: no reconnects, no timers of its own. A background task reads
everything the simulator sends, answers deliver_sm (with `ack_status`) and unbind, and files
responses by sequence_number for the coroutines waiting on them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any, Literal

from relais.smpp import (
    NEED_DATA,
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    CommandStatus,
    ConnectionClosed,
    DeliverSm,
    DeliveryReceipt,
    Pdu,
    PduReader,
    Response,
    Role,
    SmppConnection,
    SubmitSm,
    Unbind,
    encode,
    receipt_from_pdu,
    split_for_submit,
)
from relais.smpp.receipts import is_receipt

BINDS = {"tx": BindTransmitter, "rx": BindReceiver, "trx": BindTransceiver}
SUBMIT: dict[str, Any] = {
    "source_addr": "Relais",
    "source_addr_ton": 5,
    "destination_addr": "33612345678",
    "dest_addr_ton": 1,
    "dest_addr_npi": 1,
    "short_message": b"Hello",
    "registered_delivery": 1,
}

LONG_TEXT = "Relais " * 60  # 420 GSM-7 characters: three parts


def long_message(method: str, reference: int = 7) -> list[SubmitSm]:
    """The three submit_sm of LONG_TEXT, tied by a UDH or by SAR TLVs."""
    parts = split_for_submit(LONG_TEXT, method=method, reference=reference)  # type: ignore[arg-type]
    assert len(parts) == 3
    return [
        SubmitSm(
            **{**SUBMIT, "short_message": part.short_message},
            esm_class=part.esm_class,
            data_coding=part.data_coding,
            tlvs=part.tlvs,
        )
        for part in parts
    ]


class Esme:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.conn = SmppConnection(Role.ESME)
        self.responses: dict[int, Pdu] = {}
        self.delivers: list[DeliverSm] = []
        self.ack_status: int = CommandStatus.ESME_ROK
        self.closed = False
        self.unbound_by_peer = False
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, port: int) -> Esme:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def _read(self) -> None:
        conn = self.conn
        try:
            while True:
                data = await self.reader.read(256 * 1024)
                conn.receive_data(data)
                out = []
                while (event := conn.next_event()) is not NEED_DATA:
                    if isinstance(event, ConnectionClosed):
                        self.closed = True
                        break
                    elif isinstance(event, DeliverSm):
                        self.delivers.append(event)
                        out.append(conn.send(event.response(self.ack_status)))
                    elif isinstance(event, Unbind):
                        self.unbound_by_peer = True
                        out.append(conn.send(event.response()))
                    elif isinstance(event, Response):
                        self.responses[event.sequence_number] = event
                if out and not self.writer.is_closing():
                    self.writer.write(b"".join(out))
                self._changed.set()
                if not data:
                    return
        except (ConnectionError, OSError):
            pass
        finally:
            self.closed = True
            self._changed.set()

    # ------------------------------------------------------------------------ waiting

    async def until(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def quiet(self, seconds: float = 0.2) -> None:
        """Let the simulator act for a while (to show that it does not)."""
        await asyncio.sleep(seconds)

    # ----------------------------------------------------------------------- requests

    def send(self, pdu: Pdu) -> int:
        """Write `pdu`; returns its sequence_number."""
        data = self.conn.send(pdu)
        self.writer.write(data)
        return int.from_bytes(data[12:16], "big")

    async def response(self, sequence_number: int, timeout_s: float = 5.0) -> Pdu:
        await self.until(lambda: sequence_number in self.responses, timeout_s)
        return self.responses.pop(sequence_number)

    async def request(self, pdu: Pdu, timeout_s: float = 5.0) -> Any:
        return await self.response(self.send(pdu), timeout_s)

    async def bind(
        self,
        kind: Literal["tx", "rx", "trx"] = "trx",
        system_id: str = "relais",
        password: str = "secret",
    ) -> Any:
        return await self.request(BINDS[kind](system_id=system_id, password=password))

    async def submit(self, **fields: Any) -> Any:
        return await self.request(SubmitSm(**{**SUBMIT, **fields}))

    async def submit_many(self, pdus: Iterable[Pdu], window: int = 100) -> list[Any]:
        """Pipelined: up to `window` submits in flight, written in batches."""
        conn, batch, sequences = self.conn, [], []
        for pdu in pdus:
            if conn.outstanding >= window:
                self.writer.write(b"".join(batch))
                batch.clear()
                await self.until(lambda: conn.outstanding < window)
            data = conn.send(pdu)
            batch.append(data)
            sequences.append(int.from_bytes(data[12:16], "big"))
        if batch:
            self.writer.write(b"".join(batch))
        await self.until(lambda: conn.outstanding == 0, timeout_s=30)
        return [self.responses.pop(sequence) for sequence in sequences]

    async def wait_delivers(self, count: int, timeout_s: float = 5.0) -> list[DeliverSm]:
        await self.until(lambda: len(self.delivers) >= count, timeout_s)
        return self.delivers

    @property
    def receipts(self) -> list[DeliveryReceipt]:
        found = (receipt_from_pdu(pdu) for pdu in self.delivers if is_receipt(pdu))
        return [receipt for receipt in found if receipt is not None]

    @property
    def mo(self) -> list[DeliverSm]:
        return [pdu for pdu in self.delivers if not is_receipt(pdu)]

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def exchange_raw(port: int, *pdus: Pdu, expect: int, timeout_s: float = 5.0) -> list[Pdu]:
    """Write PDUs with no session rules at all (to break them on purpose); read `expect`
    PDUs back, or fewer if the simulator closes first."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    frames, received = PduReader(), []
    try:
        writer.write(b"".join(pdu if isinstance(pdu, bytes) else encode(pdu) for pdu in pdus))
        async with asyncio.timeout(timeout_s):
            while len(received) < expect:
                data = await reader.read(65536)
                if not data:
                    break
                frames.feed(data)
                while (pdu := frames.next_pdu()) is not NEED_DATA:
                    received.append(pdu)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    return received
