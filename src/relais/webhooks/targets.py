"""Where a webhook request may go: the URL's host is resolved at each round of deliveries,
every address it resolves to is checked (core.webhook_targets), and the request is sent to the
checked address itself, so a name that resolves elsewhere a moment later (DNS rebinding) cannot
redirect it. HTTPS keeps the host name for the certificate check (SNI) and Host header."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from relais.core.errors import InvalidField
from relais.core.webhook_targets import check_url, refused_address


class TargetRefused(Exception):
    """The webhook's URL or the address it resolves to may not be called."""


async def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address `host` resolves to (an address given as such is itself)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TargetRefused(f"cannot resolve {host}: {exc.strerror or exc}") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class Target:
    """A webhook URL resolved and checked: the address its requests go to, and what they
    must say of the host they were meant for (Host header, SNI)."""

    scheme: str
    address: str  # the checked IP address, without brackets
    port: int
    host_header: str
    request_target: bytes  # path and query, percent-encoded
    server_hostname: str | None  # for TLS: the name the certificate must carry

    @property
    def key(self) -> tuple[str, str, int, str | None]:
        """What a connection is to: one made for an equal key may carry this target's
        requests (same checked address, same TLS name)."""
        return (self.scheme, self.address, self.port, self.server_hostname)


async def resolve_target(url: str, *, allow_private: bool) -> Target:
    """Resolve `url`'s host and check every address it has; TargetRefused when the URL or
    any of its addresses is not allowed. Done again for each round of deliveries."""
    try:
        scheme, host, port = check_url(url)
    except InvalidField as exc:
        raise TargetRefused(exc.detail) from None
    addresses = await resolve(host, port)
    for address in addresses:
        reason = refused_address(address, allow_private=allow_private)
        if reason is not None:
            raise TargetRefused(f"{host} resolves to {address}, {reason}")
    if not addresses:
        raise TargetRefused(f"{host} resolves to no address")
    try:
        parsed = httpx.URL(url)  # its normal form: IDNA host, percent-encoded path
    except httpx.InvalidURL as exc:
        raise TargetRefused(f"invalid URL: {exc}") from None
    return Target(
        scheme,
        str(addresses[0]),
        port,
        parsed.netloc.decode("ascii"),
        parsed.raw_path,
        host if scheme == "https" else None,
    )
