"""An account's webhooks: where it wants its events (DLR, MO, STOP, CLICKER, BALANCE_ALERT)
POSTed, and the log of the attempts to deliver them.

Each account, sub-accounts included, has its own webhooks and sees only those; another
account's id is not found. Nothing is cached: the events a change causes look up the live
webhooks in their own transaction (services.events), so a change applies to the next event."""

from __future__ import annotations

from typing import Any

from relais.core.errors import InvalidField, MissingField, NotFound
from relais.core.events import EventType
from relais.core.instant import to_ms
from relais.core.webhook_targets import check_url
from relais.services.platform import Platform
from relais.store import webhooks as store
from relais.store.webhooks import STATUSES, AttemptPage, WebhookRow

Webhook = WebhookRow

TYPES = tuple(EventType)
MAX_URL = 2000
MAX_SIGNATURE = 255
MAX_WEBHOOKS = 100  # per account
MAX_PAGE = 1000


# --- validation -----------------------------------------------------------------------------


def _refuse_control_characters(name: str, value: str) -> None:
    for char in value:
        code = ord(char)
        if code < 32 or 127 <= code < 160:
            raise InvalidField(f"{name} holds a control character (U+{code:04X})")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidField(f"{name} must be a text")
    _refuse_control_characters(name, value)
    return value.strip()


def validate_type(value: Any) -> str:
    """One of TYPES, in any case; stored upper case."""
    if value is None or value == "":
        raise MissingField(f"type is missing: one of {', '.join(TYPES)}")
    kind = _text("type", value).upper()
    if kind not in TYPES:
        raise InvalidField(f"type must be one of {', '.join(TYPES)}, not {value[:40]!r}")
    return kind


def validate_url(value: Any) -> str:
    """An absolute http(s) URL with a host, at most MAX_URL characters: the form the sender
    checks again at each delivery (core.webhook_targets.check_url)."""
    if value is None or value == "":
        raise MissingField("url is missing: an http:// or https:// address")
    url = _text("url", value)
    if len(url) > MAX_URL:
        raise InvalidField(f"url is longer than {MAX_URL} characters")
    check_url(url)
    return url


def validate_signature(value: Any) -> str | None:
    """The key requests are signed with; None or empty: unsigned."""
    if value is None:
        return None
    signature = _text("signature", value)
    if len(signature) > MAX_SIGNATURE:
        raise InvalidField(f"signature is longer than {MAX_SIGNATURE} characters")
    return signature or None


def validate_status(value: Any) -> str:
    if value is None or value == "":
        raise MissingField("status is missing: live or paused")
    status = _text("status", value).lower()
    if status not in STATUSES:
        raise InvalidField(f"status must be live or paused, not {value[:40]!r}")
    return status


def _not_found(webhook_id: int) -> NotFound:
    return NotFound(f"No webhook with id {webhook_id}")


# --- changing -------------------------------------------------------------------------------


async def create_webhook(
    platform: Platform, *, account_id: int, type: str, url: str, signature: str | None = None
) -> Webhook:
    """A new live webhook of the account."""
    kind = validate_type(type)
    address = validate_url(url)
    key = validate_signature(signature)
    now_ms = to_ms(platform.clock())

    def work(conn) -> Webhook:
        if store.count_webhooks(conn, account_id=account_id) >= MAX_WEBHOOKS:
            raise InvalidField(f"An account has at most {MAX_WEBHOOKS} webhooks")
        webhook_id = store.insert_webhook(
            conn, account_id=account_id, type=kind, url=address, signature=key, now_ms=now_ms
        )
        found = store.owned_webhook(conn, account_id=account_id, webhook_id=webhook_id)
        assert found is not None
        return found

    return await platform.db.write(work)


async def update_webhook(
    platform: Platform,
    *,
    account_id: int,
    webhook_id: int,
    type: str | None = None,
    url: str | None = None,
    signature: str | None = None,
    status: str | None = None,
) -> Webhook:
    """Change what is given (None: unchanged; an empty signature removes it)."""
    changes: dict[str, Any] = {}
    if type is not None:
        changes["type"] = validate_type(type)
    if url is not None:
        changes["url"] = validate_url(url)
    if signature is not None:
        changes["signature"] = validate_signature(signature)
    if status is not None:
        changes["status"] = validate_status(status)
    if not changes:
        raise MissingField("Nothing to change: give type, url, signature or status")

    def work(conn) -> Webhook:
        found = store.update_webhook(
            conn, account_id=account_id, webhook_id=webhook_id, changes=changes
        )
        if found is None:
            raise _not_found(webhook_id)
        return found

    return await platform.db.write(work)


async def set_status(
    platform: Platform, *, account_id: int, webhook_id: int, status: str
) -> Webhook:
    """Pause a webhook (its events are not sent) or make it live again."""
    return await update_webhook(
        platform, account_id=account_id, webhook_id=webhook_id, status=validate_status(status)
    )


async def delete_webhook(platform: Platform, *, account_id: int, webhook_id: int) -> None:
    """Delete the webhook with its pending events and its delivery log."""

    def work(conn) -> None:
        if not store.delete_webhook(conn, account_id=account_id, webhook_id=webhook_id):
            raise _not_found(webhook_id)

    await platform.db.write(work)


# --- reading --------------------------------------------------------------------------------


async def list_webhooks(platform: Platform, *, account_id: int) -> list[Webhook]:
    return await platform.db.read(lambda conn: store.account_webhooks(conn, account_id=account_id))


async def webhook_logs(
    platform: Platform, *, account_id: int, webhook_id: int, start: int = 0, length: int = 100
) -> AttemptPage:
    """The webhook's delivery attempts, newest first."""
    if start < 0 or not 1 <= length <= MAX_PAGE:
        raise InvalidField(f"start must be >= 0 and length between 1 and {MAX_PAGE}")

    def work(conn) -> AttemptPage | None:
        if store.owned_webhook(conn, account_id=account_id, webhook_id=webhook_id) is None:
            return None
        return store.attempt_page(conn, webhook_id=webhook_id, start=start, length=length)

    page = await platform.db.read(work)
    if page is None:
        raise _not_found(webhook_id)
    return page
