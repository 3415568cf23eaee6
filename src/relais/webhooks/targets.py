"""Where a webhook request may go: the URL's host is resolved at each attempt, every address
it resolves to is checked (core.webhook_targets), and the request is sent to the checked
address itself, so a name that resolves elsewhere a moment later (DNS rebinding) cannot
redirect it. HTTPS keeps the host name for the certificate check (SNI) and Host header."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

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


async def pinned_request(
    client: httpx.AsyncClient,
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
) -> httpx.Request:
    """The POST of `body` to `url`, addressed to the checked IP of its host; TargetRefused
    when the URL or any address of its host is not allowed."""
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
    target = httpx.URL(url)
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    extensions = {"sni_hostname": host} if scheme == "https" else {}
    return client.build_request(
        "POST",
        target.copy_with(host=literal),
        content=body,
        headers={**headers, "Host": target.netloc.decode("ascii")},
        extensions=extensions,
    )
