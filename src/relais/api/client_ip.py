"""The caller's IP address as every dialect sees it: the peer, or, behind trusted proxies,
the client X-Forwarded-For names (token IP allow-lists are checked against it)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import Request


@lru_cache(maxsize=8)
def _proxy_networks(
    trusted: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _is_trusted(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request, trusted: tuple[str, ...]) -> str | None:
    """The caller's IP: the peer, or, when the peer is a trusted proxy, the right-most
    address of X-Forwarded-For that is not itself a trusted proxy."""
    peer = request.client.host if request.client else None
    if not trusted or peer is None:
        return peer
    networks = _proxy_networks(trusted)
    if not _is_trusted(peer, networks):
        return peer
    hops = [
        hop.strip()
        for header in request.headers.getlist("x-forwarded-for")
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer
