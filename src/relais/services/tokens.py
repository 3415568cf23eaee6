"""API tokens: creating, listing, deleting, and checking them on each request.

A token's value is shown once, at creation; only its SHA-256 digest is stored. A token may
carry a lifetime (`ttl`, seconds; it stops working at created_at + ttl) and a list of the
IP addresses / CIDR networks it may be used from."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from relais.core.errors import (
    AddressNotAllowed,
    AuthenticationFailed,
    InvalidField,
    NotFound,
    TokenExpired,
)
from relais.core.instant import to_ms
from relais.core.text import refuse_control_characters
from relais.services.accounts import account_ref, refuse_suspended
from relais.services.platform import AccountRef, Platform
from relais.store import accounts as account_store
from relais.store import cache_epochs
from relais.store import tokens as token_store
from relais.store.storage_errors import storage_errors

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_NAME = 200
MAX_ALLOWED_IPS = 100
# Ten years: a longer lifetime is a typo, and no lifetime at all is spelled by leaving it out.
MAX_TTL_SECONDS = 10 * 366 * 24 * 3600


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created: `value` is the secret, shown this once."""

    value: str
    token_id: int
    allowed_ips: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    name: str
    created_at_ms: int
    expires_at_ms: int | None
    ttl: int | None
    allowed_ips: tuple[str, ...] | None
    active: bool


@dataclass(frozen=True, slots=True)
class _Cached:
    owner: token_store.TokenOwner
    account: AccountRef
    networks: tuple[Network, ...] | None
    stored: account_store.AccountRow


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_ttl(ttl: int | None) -> int | None:
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= MAX_TTL_SECONDS:
        raise InvalidField(
            f"ttl must be a positive number of seconds (at most {MAX_TTL_SECONDS}), not {ttl!r}"
        )
    return ttl


def validate_allowed_ips(entries: Sequence[str] | None) -> tuple[str, ...] | None:
    """Each entry as an IPv4/IPv6 address or CIDR network in canonical form; None (or an
    empty list) means the token works from any address."""
    if not entries:
        return None
    if len(entries) > MAX_ALLOWED_IPS:
        raise InvalidField(f"allowed_ips holds at most {MAX_ALLOWED_IPS} entries")
    canonical: list[str] = []
    for entry in entries:
        if not isinstance(entry, str) or len(entry) > 64:
            raise InvalidField(f"allowed_ips: {entry!r} is not an IP address or CIDR network")
        text = entry.strip()
        try:
            if "/" in text:
                value = str(ipaddress.ip_network(text, strict=True))
            else:
                value = str(ipaddress.ip_address(text))
        except ValueError as exc:
            raise InvalidField(
                f"allowed_ips: {entry!r} is not an IP address or CIDR network ({exc})"
            ) from None
        if value not in canonical:
            canonical.append(value)
    return tuple(canonical)


def _networks(allowed_ips: str | None) -> tuple[Network, ...] | None:
    if allowed_ips is None:
        return None
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in json.loads(allowed_ips))


def _ips(allowed_ips: str | None) -> tuple[str, ...] | None:
    return None if allowed_ips is None else tuple(json.loads(allowed_ips))


async def create_token(
    platform: Platform,
    *,
    account_id: int,
    name: str = "",
    ttl: int | None = None,
    allowed_ips: Sequence[str] | None = None,
) -> NewToken:
    """A new API token; its value is returned once and only its digest is stored."""
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise InvalidField(f"name must be a text of at most {MAX_NAME} characters")
    refuse_control_characters(name, "name")
    ttl = validate_ttl(ttl)
    ips = validate_allowed_ips(allowed_ips)
    value = "rl_" + secrets.token_urlsafe(32)
    now_ms = to_ms(platform.clock())
    token_id = await platform.db.write(
        lambda conn: token_store.insert_token(
            conn,
            account_id=account_id,
            token_hash=token_digest(value),
            name=name.strip(),
            now_ms=now_ms,
            expires_at=None if ttl is None else now_ms + ttl * 1000,
            ttl=ttl,
            allowed_ips=None if ips is None else json.dumps(list(ips)),
        )
    )
    return NewToken(value, token_id, ips)


def _info(row: token_store.TokenRow, now_ms: int) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        name=row.name,
        created_at_ms=row.created_at,
        expires_at_ms=row.expires_at,
        ttl=row.ttl,
        allowed_ips=_ips(row.allowed_ips),
        active=row.expires_at is None or row.expires_at > now_ms,
    )


async def list_tokens(platform: Platform, *, account_id: int) -> list[TokenInfo]:
    rows = await platform.db.read(lambda conn: token_store.list_tokens(conn, account_id=account_id))
    now_ms = to_ms(platform.clock())
    return [_info(row, now_ms) for row in rows]


async def get_token(platform: Platform, *, account_id: int, token_id: int) -> TokenInfo:
    row = await platform.db.read(
        lambda conn: token_store.get_token(conn, account_id=account_id, token_id=token_id)
    )
    if row is None:
        raise NotFound(f"No token with id {token_id}")
    return _info(row, to_ms(platform.clock()))


async def delete_token(platform: Platform, *, account_id: int, token_id: int) -> None:
    """Delete the token; this process refuses it from the next request on, the others as
    soon as they see the accounts cache epoch move (RELAIS_CACHE_POLL_SECONDS)."""
    now_ms = to_ms(platform.clock())

    def work(conn) -> str | None:
        digest = token_store.revoke_token(
            conn, account_id=account_id, token_id=token_id, now_ms=now_ms
        )
        if digest is not None:
            cache_epochs.bump(conn, cache_epochs.ACCOUNTS)
        return digest

    if await platform.db.write(work) is None:
        raise NotFound(f"No token with id {token_id}")
    platform.forget_cached(cache_epochs.ACCOUNTS)


def _allowed(networks: tuple[Network, ...], client_ip: str | None) -> bool:
    if not client_ip:
        return False
    try:
        address = ipaddress.ip_address(client_ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


async def authenticate_token(
    platform: Platform, token: str, *, client_ip: str | None = None
) -> AccountRef:
    """The account a token acts for. `client_ip` is checked only against tokens that
    carry allowed_ips."""
    if not token or len(token) > 512:
        raise AuthenticationFailed("Token invalide")
    digest = token_digest(token)
    cached = platform.tokens.get(digest)
    if cached is None:

        def work(conn):
            owner = token_store.owner_of(conn, digest)
            if owner is None:
                return None
            account = account_store.get_by_id(conn, owner.account_id)
            return owner, account

        with storage_errors():
            found = await platform.db.read(work)
        if found is None:
            raise AuthenticationFailed("Token invalide")
        owner, account = found
        cached = _Cached(owner, account_ref(account), _networks(owner.allowed_ips), account)
        platform.tokens.put(digest, cached)
    assert isinstance(cached, _Cached)
    owner = cached.owner
    if not owner.account_active or owner.revoked_at is not None:
        raise AuthenticationFailed("Token invalide")
    refuse_suspended(cached.stored)
    if owner.expires_at is not None and owner.expires_at <= to_ms(platform.clock()):
        raise TokenExpired("Token expiré")
    if cached.networks is not None and not _allowed(cached.networks, client_ip):
        raise AddressNotAllowed(
            f"This token cannot be used from the address {client_ip or 'unknown'}: "
            "it is not in the token's allowed_ips"
        )
    return cached.account
