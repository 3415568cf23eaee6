from __future__ import annotations

import ipaddress

import pytest

from relais.core.errors import InvalidField
from relais.core.webhook_targets import check_url, refused_address


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("0.0.0.0", "unspecified address"),
        ("::", "unspecified address"),
        ("127.0.0.1", "loopback address"),
        ("127.255.255.254", "loopback address"),
        ("::1", "loopback address"),
        ("169.254.169.254", "cloud metadata address"),
        ("fd00:ec2::254", "cloud metadata address"),
        ("169.254.0.1", "link-local address"),
        ("fe80::1", "link-local address"),
        ("224.0.0.1", "multicast address"),
        ("239.255.255.250", "multicast address"),
        ("ff02::1", "multicast address"),
        ("100.64.0.1", "carrier-grade NAT address"),
        ("100.127.255.254", "carrier-grade NAT address"),
        ("fec0::1", "site-local address"),
        ("10.0.0.1", "private address"),
        ("172.16.0.1", "private address"),
        ("172.31.255.255", "private address"),
        ("192.168.1.1", "private address"),
        ("fc00::1", "private address"),
        ("fd12:3456::1", "private address"),
    ],
)
def test_refused_addresses_and_why(address, reason):
    assert refused_address(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "address",
    [
        "0.1.2.3",  # "this network"
        "192.0.0.8",  # IETF protocol assignments
        "192.0.2.1",  # documentation
        "198.18.0.1",  # benchmarking
        "198.51.100.7",
        "203.0.113.9",
        "240.0.0.1",  # reserved for future use
        "255.255.255.255",  # limited broadcast
        "2001:db8::1",  # documentation
        "2001::1",  # Teredo
        "100::1",  # discard-only
        "::a00:1",  # IPv4-compatible (deprecated)
        "64:ff9b:1::1",  # local-use NAT64
    ],
)
def test_other_special_purpose_addresses_are_refused(address):
    assert refused_address(ipaddress.ip_address(address)) == "special-purpose address"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("::ffff:127.0.0.1", "loopback address (::ffff:7f00:1 embeds 127.0.0.1)"),
        ("::ffff:169.254.169.254", "cloud metadata address"),
        ("::ffff:10.1.2.3", "private address"),
        ("::ffff:0.0.0.0", "unspecified address"),
        ("::ffff:192.0.2.1", "special-purpose address"),
        ("::ffff:100.64.0.1", "carrier-grade NAT address"),
        ("2002:7f00:1::", "loopback address"),  # 6to4
        ("2002:a9fe:a9fe::1", "cloud metadata address"),
        ("2002:c0a8:101::", "private address"),
        ("64:ff9b::127.0.0.1", "loopback address"),  # NAT64
        ("64:ff9b::169.254.169.254", "cloud metadata address"),
        ("64:ff9b::192.168.0.1", "private address"),
    ],
)
def test_ipv4_wrapped_in_ipv6_is_judged_as_itself(address, reason):
    found = refused_address(ipaddress.ip_address(address))
    assert found is not None and found.startswith(reason)


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "8.8.8.8",
        "1.1.1.1",
        "100.63.255.255",  # just below carrier-grade NAT
        "100.128.0.0",  # just above
        "172.32.0.1",  # just outside 172.16/12
        "2606:4700:4700::1111",
        "2a00:1450:4007:80e::200e",
        "::ffff:8.8.8.8",
        "2002:808:808::1",  # 6to4 of 8.8.8.8
        "64:ff9b::8.8.8.8",  # NAT64 of 8.8.8.8
    ],
)
def test_public_addresses_are_allowed(address):
    assert refused_address(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", None),
        ("::1", None),
        ("10.0.0.1", None),
        ("192.168.1.1", None),
        ("169.254.0.1", None),
        ("::ffff:127.0.0.1", None),
        ("169.254.169.254", "cloud metadata address"),
        ("fd00:ec2::254", "cloud metadata address"),
        (
            "::ffff:169.254.169.254",
            "cloud metadata address (::ffff:a9fe:a9fe embeds 169.254.169.254)",
        ),
    ],
)
def test_allow_private_lifts_every_rule_but_metadata(address, reason):
    assert refused_address(ipaddress.ip_address(address), allow_private=True) == reason


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://hooks.example.com/sms", ("https", "hooks.example.com", 443)),
        ("http://hooks.example.com", ("http", "hooks.example.com", 80)),
        ("HTTPS://Hooks.Example.COM:8443/x?y=1#z", ("https", "hooks.example.com", 8443)),
        ("http://127.0.0.1:8080/dlr", ("http", "127.0.0.1", 8080)),
        ("http://[::1]:9000/", ("http", "::1", 9000)),
        ("http://example.com./", ("http", "example.com", 80)),
        ("https://example.com:/", ("https", "example.com", 443)),
        ("http://example.com:65535", ("http", "example.com", 65535)),
        ("http://example.com:1", ("http", "example.com", 1)),
    ],
)
def test_check_url_accepts_http_and_https(url, target):
    assert check_url(url) == target


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://example.com:70/", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("example.com/hook", "http:// or https://"),
        ("//example.com/hook", "http:// or https://"),
        ("", "http:// or https://"),
        ("https://user:pass@example.com/", "user name or password"),
        ("https://user@example.com/", "user name or password"),
        ("https://@example.com/", "user name or password"),
        ("http://good.com\\@evil.com/", "user name or password"),
        ("https:///path", "no host"),
        ("https://", "no host"),
        ("https://:443/", "no host"),
        ("http://example.com:0/", "between 1 and 65535"),
        ("http://example.com:65536/", "not a valid URL"),
        ("http://example.com:99999999/", "not a valid URL"),
        ("http://example.com:-1/", "not a valid URL"),
        ("http://example.com:http/", "not a valid URL"),
        ("http://[::1/", "not a valid URL"),
        ("http://exa mple.com/", "spaces or control"),
        ("http://example.com/\r\nX-Injected: 1", "spaces or control"),
        ("http://example.com\t/", "spaces or control"),
    ],
)
def test_check_url_refuses(url, why):
    with pytest.raises(InvalidField) as raised:
        check_url(url)
    assert why in raised.value.detail
