"""
Where a webhook may point. A customer's URL must not turn Relais into a proxy into its own
network (SSRF): the URL's form is checked when the webhook is saved and again before each
delivery (`check_url`), and every address its host resolves to is checked at delivery time
(`refused_address`), so a DNS answer that changes after the check is caught too.

Pure: resolving the host is the caller's job; here are only the rules over its answers.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from relais.core.errors import InvalidField

__all__ = ["check_url", "refused_address"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS: Final = {"http": 80, "https": 443}

# Cloud instance metadata services (AWS, GCP, Azure, OpenStack; AWS's IPv6 one): the classic
# prize of an SSRF, refused even when private addresses are allowed.
METADATA_ADDRESSES: Final = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
CARRIER_GRADE_NAT: Final = ipaddress.ip_network("100.64.0.0/10")
# RFC 6052's well-known NAT64 prefix: the last 32 bits are the IPv4 address really reached.
NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
# IANA special-purpose ranges not globally reachable that `ipaddress` has not always listed
# (its tables changed across Python patch releases): named here so the rule does not depend
# on the interpreter.
SPECIAL_PURPOSE: Final = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # this network
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1, -2, -3)
        "198.51.100.0/24",
        "203.0.113.0/24",
        "198.18.0.0/15",  # benchmarking
        "240.0.0.0/4",  # reserved, and the limited broadcast
        "::/8",  # reserved (IPv4-compatible, IPv4-translated)
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo, benchmarking, ...)
        "2001:db8::/32",  # documentation
        "64:ff9b:1::/48",  # local-use NAT64
    )
)


def refused_address(ip: IPAddress, *, allow_private: bool = False) -> str | None:
    """
    Why a webhook must not be delivered to this address, or None when it may. Refused:
    unspecified, loopback, the metadata addresses, link-local, multicast, carrier-grade NAT
    (100.64.0.0/10), IPv6 site-local, private, reserved and anything else not globally
    routable; an IPv4 address wrapped in IPv6 (IPv4-mapped, 6to4, NAT64) is judged as itself.
    `allow_private` (RELAIS_WEBHOOK_ALLOW_PRIVATE, for tests and closed networks) lifts every
    rule but the metadata addresses.
    """
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        reason = refused_address(embedded, allow_private=allow_private)
        return None if reason is None else f"{reason} ({ip} embeds {embedded})"
    if ip in METADATA_ADDRESSES:
        return "cloud metadata address"
    if allow_private:
        return None
    return _refusal(ip)


def check_url(url: str, *, what: str = "The webhook URL") -> tuple[str, str, int]:
    """
    The scheme, host and port of a webhook URL, or InvalidField: only http and https, no
    user or password in it, a host, a port in 1-65535 (80 or 443 when none is written).
    The host is lower-cased, an IPv6 literal without its brackets.
    """
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise InvalidField(f"{what} must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidField(f"{what} is not a valid URL (bad host or port)") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidField(f"{what} must start with http:// or https://")
    if "@" in parts.netloc:
        raise InvalidField(f"{what} must not contain a user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidField(f"{what} has no host")
    if port == 0:
        raise InvalidField(f"{what}'s port must be between 1 and 65535")
    return scheme, host, port if port is not None else DEFAULT_PORTS[scheme]


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _refusal(ip: IPAddress) -> str | None:
    """The first rule the address breaks, most specific first."""
    if ip.is_unspecified:
        return "unspecified address"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in CARRIER_GRADE_NAT:
        return "carrier-grade NAT address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "site-local address"
    if any(ip in network for network in SPECIAL_PURPOSE):
        return "special-purpose address"
    if ip.is_private:
        return "private address"
    if ip.is_reserved:
        return "reserved address"
    if not ip.is_global:
        return "address not publicly routable"
    return None
