"""Password guessing through the SMSFactor credential forms: after 10 wrong passwords the
account is refused password logins for a while, the right password included, while its
tokens keep working; one address guessing across accounts is locked out the same way."""

from __future__ import annotations

import asyncio

from tests.support import make_customer

from relais.core.login_throttle import LoginThrottle


async def credits_with_password(client, email: str, password: str) -> dict:
    return (
        await client.get("/credits", headers={"sfusername": email, "sfpassword": password})
    ).json()


async def test_ten_wrong_passwords_lock_the_account_but_not_its_tokens(client, customer):
    for _ in range(10):
        assert (await credits_with_password(client, customer.email, "wrong"))["status"] == -1
    refused = await credits_with_password(client, customer.email, customer.password)
    assert refused["status"] == -1
    assert "Too many wrong passwords" in refused["details"]
    by_token = (await client.get("/credits", headers=customer.bearer)).json()
    assert int(by_token["credits"]) == 100


async def test_fewer_failures_than_the_limit_leave_the_right_password_working(client, customer):
    for _ in range(9):
        await credits_with_password(client, customer.email, "wrong")
    assert "credits" in await credits_with_password(client, customer.email, customer.password)


async def test_one_address_guessing_across_accounts_is_locked_out(client, platform, customer):
    other = await make_customer(platform, email="other@example.com")
    for n in range(10):
        await credits_with_password(client, f"nobody{n}@example.com", "guess")
    refused = await credits_with_password(client, other.email, other.password)
    assert "Too many wrong passwords" in refused["details"]


async def test_the_lockout_ends(client, platform, customer):
    platform.login_throttle = LoginThrottle(max_failures=2, window_s=60, lockout_s=0.3)
    for _ in range(2):
        await credits_with_password(client, customer.email, "wrong")
    assert (await credits_with_password(client, customer.email, customer.password))["status"] == -1
    await asyncio.sleep(0.4)
    assert "credits" in await credits_with_password(client, customer.email, customer.password)
