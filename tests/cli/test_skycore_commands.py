"""`relais skycore show|set` as an operator scripts them."""

from __future__ import annotations

from sqlalchemy import select
from tests.support import fetch_all, make_customer, relais

from relais.services import skycore_settings
from relais.store.tables import audit_log

DEFAULTS = "enforce_campaign_check off\npostback_url -\n"


async def test_skycore_show_and_set(database_url, platform):
    customer = await make_customer(platform)
    shown = relais(database_url, "skycore", "show", "--email", customer.email)
    assert (shown.returncode, shown.stdout) == (0, DEFAULTS), shown.stderr
    on = relais(
        database_url, "skycore", "set", "--email", customer.email, "--enforce-campaign-check"
    )
    assert (on.returncode, on.stdout) == (0, "enforce_campaign_check on\npostback_url -\n")
    url = relais(
        database_url,
        "skycore",
        "set",
        "--email",
        customer.email,
        "--postback-url",
        "https://hooks.example/sky",
    )
    assert url.stdout == "enforce_campaign_check on\npostback_url https://hooks.example/sky\n"
    shown = relais(database_url, "skycore", "show", "--email", customer.email)
    lines = shown.stdout.splitlines()
    assert lines[:2] == ["enforce_campaign_check on", "postback_url https://hooks.example/sky"]
    assert [line.split()[2:] for line in lines[2:]] == [
        ["SKYCORE_MO", "live", "pending=0", "delivered=0", "failed=0"],
        ["SKYCORE_MT", "live", "pending=0", "delivered=0", "failed=0"],
    ]
    off = relais(
        database_url, "skycore", "set", "--email", customer.email, "--no-enforce-campaign-check"
    )
    assert off.stdout.startswith("enforce_campaign_check off\n")
    found = await skycore_settings.get_settings(platform, account_id=customer.account.id)
    assert found.postback_url == "https://hooks.example/sky"
    assert not found.enforce_campaign_check
    actions = await fetch_all(
        platform, select(audit_log.c.action).where(audit_log.c.action.like("%skycore%"))
    )
    assert len(actions) == 3


async def test_skycore_set_refuses_nothing_to_set_bad_urls_and_unknown_accounts(
    database_url, platform
):
    customer = await make_customer(platform)
    nothing = relais(database_url, "skycore", "set", "--email", customer.email)
    assert nothing.returncode == 1 and "give --enforce-campaign-check" in nothing.stderr
    bad = relais(
        database_url, "skycore", "set", "--email", customer.email, "--postback-url", "ftp://x/"
    )
    assert bad.returncode == 1 and "postback_url" in bad.stderr
    unknown = relais(database_url, "skycore", "show", "--email", "nobody@example.com")
    assert unknown.returncode == 1
    found = await skycore_settings.get_settings(platform, account_id=customer.account.id)
    assert found == skycore_settings.SkycoreSettings()
