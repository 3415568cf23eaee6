"""Two SmppConnections, an ESME and an SMSC, joined in memory (after h11's ConnectionPair)."""

from __future__ import annotations

from typing import Any, TypeVar

from relais.smpp import (
    NEED_DATA,
    BindTransceiver,
    CommandStatus,
    ConnectionClosed,
    Pdu,
    Request,
    Response,
    Role,
    SmppConnection,
)
from relais.smpp.connection import Event

T = TypeVar("T")
MESSAGE: dict[str, Any] = {
    "source_addr": "Relais",
    "destination_addr": "33612345678",
    "short_message": b"Hi",
}


class SessionPair:
    """An ESME and an SMSC wired back to back."""

    def __init__(self, *, window: int | None = None) -> None:
        self.esme = SmppConnection(Role.ESME, window=window)
        self.smsc = SmppConnection(Role.SMSC)

    def peer(self, conn: SmppConnection) -> SmppConnection:
        return self.smsc if conn is self.esme else self.esme

    def send(self, conn: SmppConnection, pdu: Pdu) -> list[Event]:
        """`conn` sends `pdu`; returns what the other end sees."""
        return receive(self.peer(conn), conn.send(pdu))

    def bind(self, request: Pdu | None = None) -> None:
        request = request or BindTransceiver(system_id="relais", password="pw")
        bind = one(self.send(self.esme, request), Request)
        answer = one(self.send(self.smsc, bind.response(system_id="SMSC")), Response)
        assert answer.command_status == CommandStatus.ESME_ROK


def one(events: list[Event], kind: type[T]) -> T:
    """The single event in `events`, checked to be a `kind`."""
    (event,) = events
    assert isinstance(event, kind)
    return event


def receive(conn: SmppConnection, data: bytes) -> list[Event]:
    conn.receive_data(data)
    events: list[Event] = []
    while (event := conn.next_event()) is not NEED_DATA:
        events.append(event)
        if isinstance(event, ConnectionClosed):
            break
    return events
