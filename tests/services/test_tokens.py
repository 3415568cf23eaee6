"""Token rules below the API: validation, digest-only storage, ttl, allowed_ips, deletion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from tests.support import fetch_all

from relais.config import Settings
from relais.core.errors import AuthenticationFailed, ConfigError, InvalidField, NotFound
from relais.services import accounts, tokens
from relais.store.tables import api_tokens


async def new_account(platform, email: str = "t@example.com") -> int:
    await accounts.create_account(
        platform, actor="test", email=email, password="secret!", credits=0
    )
    return (await accounts.find_account(platform, email=email)).id


def test_validate_allowed_ips_canonicalizes():
    assert tokens.validate_allowed_ips([" 10.0.0.1", "2A01:DB8:0::1", "10.0.0.1", "::/0"]) == (
        "10.0.0.1",
        "2a01:db8::1",
        "::/0",
    )
    assert tokens.validate_allowed_ips([]) is None
    assert tokens.validate_allowed_ips(None) is None


@pytest.mark.parametrize("bad", ["999.1.1.1", "10.0.0.0/33", "10.0.0.1/24", "", "host", "::1/129"])
def test_validate_allowed_ips_rejects_bad_entries(bad):
    with pytest.raises(InvalidField, match="allowed_ips"):
        tokens.validate_allowed_ips(["10.0.0.1", bad])


@pytest.mark.parametrize("bad", [0, -5, True, 1.5, "60", 10**12])
def test_validate_ttl_rejects_non_positive_integers(bad):
    with pytest.raises(InvalidField, match="ttl"):
        tokens.validate_ttl(bad)


async def test_create_token_stores_only_the_digest(platform):
    account_id = await new_account(platform)
    created = await tokens.create_token(
        platform, account_id=account_id, name="n", ttl=60, allowed_ips=["10.0.0.0/8"]
    )
    [row] = await fetch_all(platform, select(api_tokens))
    assert row.token_hash == tokens.token_digest(created.value)
    assert all(created.value not in str(column) for column in row)
    assert row.ttl == 60 and row.expires_at == row.created_at + 60_000
    assert created.allowed_ips == ("10.0.0.0/8",)


async def test_authenticate_token_checks_allowed_ips(platform):
    account_id = await new_account(platform)
    created = await tokens.create_token(
        platform, account_id=account_id, allowed_ips=["192.168.2.0/24", "2a01:db8::/32"]
    )
    for address in ("192.168.2.9", "2a01:db8::1", "::ffff:192.168.2.9"):
        ref = await tokens.authenticate_token(platform, created.value, client_ip=address)
        assert ref.id == account_id
    for address in ("192.168.3.9", "2a02::1", None, "garbage"):
        with pytest.raises(AuthenticationFailed, match="allowed_ips"):
            await tokens.authenticate_token(platform, created.value, client_ip=address)


async def test_authenticate_token_refuses_after_expiry(platform):
    now = [datetime(2026, 5, 1, tzinfo=UTC)]
    platform.clock = lambda: now[0]
    account_id = await new_account(platform)
    created = await tokens.create_token(platform, account_id=account_id, ttl=10)
    await tokens.authenticate_token(platform, created.value)
    now[0] += timedelta(seconds=10)
    with pytest.raises(AuthenticationFailed):
        await tokens.authenticate_token(platform, created.value)


async def test_delete_token_forgets_the_cached_token(platform):
    account_id = await new_account(platform)
    other_id = await new_account(platform, "other@example.com")
    created = await tokens.create_token(platform, account_id=account_id)
    await tokens.authenticate_token(platform, created.value)
    with pytest.raises(NotFound):
        await tokens.delete_token(platform, account_id=other_id, token_id=created.token_id)
    await tokens.authenticate_token(platform, created.value)
    await tokens.delete_token(platform, account_id=account_id, token_id=created.token_id)
    with pytest.raises(AuthenticationFailed):
        await tokens.authenticate_token(platform, created.value)
    assert await tokens.list_tokens(platform, account_id=account_id) == []


def test_settings_trusted_proxies_from_env():
    settings = Settings.from_env({"RELAIS_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1,"})
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.0.2.1/32")
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(ConfigError, match="RELAIS_TRUSTED_PROXIES"):
        Settings.from_env({"RELAIS_TRUSTED_PROXIES": "10.0.0.0/40"})
