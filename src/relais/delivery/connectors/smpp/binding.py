"""
Opening an ESME session: the TCP (or TLS) connection to the SMSC, then the bind.

Apart from `session.py`, which runs a session once it exists: the connector opens one
transceiver, or a transmitter and a receiver, with these two steps each time it (re)binds.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Final, Literal

from relais.delivery.connectors.smpp.session import SmppSession
from relais.smpp import (
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    CommandStatus,
    Response,
    SmppError,
    status_name,
)

__all__ = ["BindKind", "BindRefused", "bind", "open_session"]

BindKind = Literal["transceiver", "transmitter", "receiver"]
_BINDS: Final = {
    "transceiver": BindTransceiver,
    "transmitter": BindTransmitter,
    "receiver": BindReceiver,
}


class BindRefused(SmppError):
    """The SMSC answered the bind with an error status."""

    def __init__(self, command_status: int) -> None:
        super().__init__(f"bind refused: {status_name(command_status)}")
        self.command_status = command_status


async def open_session(
    host: str,
    port: int,
    new_session: Callable[[], SmppSession],
    *,
    ssl_context: ssl.SSLContext | None = None,
    connect_timeout_s: float = 10.0,
) -> SmppSession:
    """Connect (TLS when `ssl_context` is given) and return the session `new_session` makes,
    not yet bound."""
    loop = asyncio.get_running_loop()
    _, protocol = await asyncio.wait_for(
        loop.create_connection(
            new_session,
            host,
            port,
            ssl=ssl_context,
            server_hostname=host if ssl_context is not None else None,
        ),
        connect_timeout_s,
    )
    return protocol


async def bind(
    session: SmppSession,
    kind: BindKind,
    *,
    system_id: str,
    password: str,
    system_type: str = "",
    address_range: str = "",
) -> Response:
    """Bind `session` as `kind`.

    Raises:
        BindRefused: the SMSC answered with an error status.
        SessionClosed, NoResponse: the link failed first.
    """
    request = _BINDS[kind](
        system_id=system_id,
        password=password,
        system_type=system_type,
        address_range=address_range,
    )
    response = await session.request(request)
    if response.command_status != CommandStatus.ESME_ROK:
        raise BindRefused(response.command_status)
    return response
