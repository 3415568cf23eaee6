"""An account's Skycore settings, set by the operator (operator API, `relais skycore set`):
"Enforce Campaign Check" (a `sendsms` must name a campaign its recipient is subscribed to)
and the postback URL (where the account's MT and MO postbacks go, as webhooks of their own
types: core.skycore_postbacks). Changes are audited."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import Connection

from relais.core.errors import InvalidField, MissingField, NotFound
from relais.core.webhook_targets import check_url
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.store import account_policy as policy_store
from relais.store import subscriptions as store

MAX_URL_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class SkycoreSettings:
    enforce_campaign_check: bool = False
    postback_url: str = ""  # "": no postbacks

    def as_dict(self) -> dict[str, bool | str]:
        return asdict(self)


def _read(conn: Connection, account_id: int) -> SkycoreSettings:
    stored = store.read_settings(conn, account_id)
    if stored is None:
        return SkycoreSettings()
    return SkycoreSettings(bool(stored["enforce_campaign_check"]), stored["postback_url"])


def _require_account(conn: Connection, account_id: int) -> None:
    if policy_store.get_settings(conn, account_id) is None:
        raise NotFound(f"No account {account_id}")


def check_postback_url(raw: str) -> str:
    """A postback URL as stored ("" clears it); InvalidField when it cannot be used."""
    url = raw.strip()
    if not url:
        return ""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidField(f"postback_url is at most {MAX_URL_LENGTH} characters")
    check_url(url, what="postback_url")
    return url


async def get_settings(platform: Platform, *, account_id: int) -> SkycoreSettings:
    """The account's settings (the defaults when it never set any); NotFound for no account."""

    def read(conn: Connection) -> SkycoreSettings:
        _require_account(conn, account_id)
        return _read(conn, account_id)

    return await platform.db.read(read)


async def settings_of(platform: Platform, *, account_id: int) -> SkycoreSettings:
    """The settings a request of the (authenticated) account applies."""
    return await platform.db.read(lambda conn: _read(conn, account_id))


async def set_settings(
    platform: Platform,
    *,
    actor: str,
    account_id: int,
    enforce_campaign_check: bool | None = None,
    postback_url: str | None = None,
) -> SkycoreSettings:
    """Change the given settings only (checked before anything is stored); all afterwards."""
    values: dict[str, bool | str] = {}
    if enforce_campaign_check is not None:
        values["enforce_campaign_check"] = bool(enforce_campaign_check)
    if postback_url is not None:
        values["postback_url"] = check_postback_url(postback_url)
    if not values:
        raise MissingField("Give enforce_campaign_check or postback_url")

    def change(conn: Connection, now_ms: int) -> SkycoreSettings:
        _require_account(conn, account_id)
        store.change_settings(conn, account_id=account_id, values=values, now_ms=now_ms)
        if "postback_url" in values:
            url = str(values["postback_url"])
            store.set_postback_webhooks(conn, account_id=account_id, url=url, now_ms=now_ms)
        return _read(conn, account_id)

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="account.skycore_settings",
        account_id=account_id,
        details=values,
    )


async def postback_webhooks(platform: Platform, *, account_id: int) -> list[tuple[int, str, str]]:
    """(webhook id, type, status) of the account's postback URL, for the operator (the ids
    `relais webhook replay` takes)."""
    return await platform.db.read(lambda conn: store.postback_webhooks(conn, account_id=account_id))
