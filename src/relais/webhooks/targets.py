"""Where a webhook request may go: the URL's host is resolved at each attempt, every address
it resolves to is checked (core.webhook_targets), and the request is sent to the checked
address itself, so a name that resolves elsewhere a moment later (DNS rebinding) cannot
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
    """A webhook URL resolved and checked: where its requests go, and what they must say of
    the host they were meant for."""

    url: httpx.URL  # the checked address in place of the host name
    host_header: str
    extensions: dict[str, str]

    def post(
        self, client: httpx.AsyncClient, body: bytes, headers: dict[str, str]
    ) -> httpx.Request:
        return client.build_request(
            "POST",
            self.url,
            content=body,
            headers={**headers, "Host": self.host_header},
            extensions=self.extensions,
        )


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
    parsed = httpx.URL(url)
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    return Target(
        parsed.copy_with(host=literal),
        parsed.netloc.decode("ascii"),
        {"sni_hostname": host} if scheme == "https" else {},
    )
