"""An account's webhooks and the log of their delivery attempts: the queries behind the
SMSFactor /webhook endpoints, and the one the sender records each attempt with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from relais.core.skycore_postbacks import TYPES as POSTBACK_TYPES
from relais.core.smspartner_callbacks import TYPES as CALLBACK_TYPES
from relais.store.tables import webhook_attempts, webhook_events, webhooks

# A webhook's status: live ones get events; a paused one (by its account, or after its
# endpoint answered 410) gets none new and keeps those already queued.
LIVE = "live"
PAUSED = "paused"
STATUSES = (LIVE, PAUSED)
# An account's postback URL (store.subscriptions) and a send's SMSPartner callback URLs
# (store.send_callbacks) are kept as webhooks of their own types; the SMSFactor /webhook
# endpoints neither count, show, change nor delete those.
_CUSTOMER_OWN = webhooks.c.type.not_in(POSTBACK_TYPES + CALLBACK_TYPES)


@dataclass(frozen=True, slots=True)
class WebhookRow:
    id: int
    account_id: int
    type: str  # DLR | MO | STOP | CLICKER | BALANCE_ALERT
    url: str
    signature: str | None
    status: str  # live | paused
    last_http_code: int | None
    created_at: int


@dataclass(frozen=True, slots=True)
class AttemptRow:
    id: int
    event_id: int
    attempt: int
    attempted_at: int
    http_code: int | None  # None: no answer (timeout, refused, ...)
    latency_ms: int
    error: str | None


@dataclass(frozen=True, slots=True)
class AttemptPage:
    total: int
    rows: list[AttemptRow]


_COLUMNS = (
    webhooks.c.id,
    webhooks.c.account_id,
    webhooks.c.type,
    webhooks.c.url,
    webhooks.c.signature,
    webhooks.c.status,
    webhooks.c.last_http_code,
    webhooks.c.created_at,
)


def insert_webhook(
    conn: Connection, *, account_id: int, type: str, url: str, signature: str | None, now_ms: int
) -> int:
    return conn.execute(
        insert(webhooks)
        .values(
            account_id=account_id,
            type=type,
            url=url,
            signature=signature,
            status=LIVE,
            created_at=now_ms,
        )
        .returning(webhooks.c.id)
    ).scalar_one()


def count_webhooks(conn: Connection, *, account_id: int) -> int:
    return conn.execute(
        select(func.count())
        .select_from(webhooks)
        .where(webhooks.c.account_id == account_id, _CUSTOMER_OWN)
    ).scalar_one()


def owned_webhook(conn: Connection, *, account_id: int, webhook_id: int) -> WebhookRow | None:
    """The webhook if it is this account's own (a parent's or a sub-account's is not)."""
    row = conn.execute(
        select(*_COLUMNS).where(
            webhooks.c.id == webhook_id, webhooks.c.account_id == account_id, _CUSTOMER_OWN
        )
    ).first()
    return WebhookRow(*row) if row else None


def owner_of(conn: Connection, *, webhook_id: int) -> int | None:
    """The account a webhook belongs to (for the operator, who sees every account's)."""
    return conn.execute(select(webhooks.c.account_id).where(webhooks.c.id == webhook_id)).scalar()


def account_webhooks(conn: Connection, *, account_id: int) -> list[WebhookRow]:
    rows = conn.execute(
        select(*_COLUMNS)
        .where(webhooks.c.account_id == account_id, _CUSTOMER_OWN)
        .order_by(webhooks.c.id)
    )
    return [WebhookRow(*row) for row in rows]


def update_webhook(
    conn: Connection, *, account_id: int, webhook_id: int, changes: dict[str, Any]
) -> WebhookRow | None:
    """Apply `changes` (column: value) to the account's webhook; the row as it now is."""
    if changes:
        conn.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id, webhooks.c.account_id == account_id, _CUSTOMER_OWN)
            .values(**changes)
        )
    return owned_webhook(conn, account_id=account_id, webhook_id=webhook_id)


def delete_webhook(
    conn: Connection, *, account_id: int, webhook_id: int, postback: bool = False
) -> bool:
    """Delete the account's webhook (its postback URL's, with `postback`) with its events and
    their attempts (no ON DELETE CASCADE is declared). The webhook and its events are locked
    first (PostgreSQL), so an event or attempt written meanwhile waits for this transaction
    instead of dangling."""
    locked = conn.execute(
        select(webhooks.c.id)
        .where(
            webhooks.c.id == webhook_id,
            webhooks.c.account_id == account_id,
            webhooks.c.type.in_(POSTBACK_TYPES) if postback else _CUSTOMER_OWN,
        )
        .with_for_update()
    ).first()
    if locked is None:
        return False
    conn.execute(
        select(webhook_events.c.id)
        .where(webhook_events.c.webhook_id == webhook_id)
        .with_for_update()
    ).all()
    conn.execute(delete(webhook_attempts).where(webhook_attempts.c.webhook_id == webhook_id))
    conn.execute(delete(webhook_events).where(webhook_events.c.webhook_id == webhook_id))
    conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))
    return True


# --- delivery attempts ----------------------------------------------------------------------


def record_attempt(
    conn: Connection,
    *,
    event_id: int,
    webhook_id: int,
    attempt: int,
    attempted_at: int,
    http_code: int | None,
    latency_ms: int,
    error: str | None = None,
) -> int:
    """Log one delivery attempt of an event (for the sender); an answer's HTTP code also
    becomes the webhook's `last_http_code`. The attempt's id."""
    attempt_id = conn.execute(
        insert(webhook_attempts)
        .values(
            event_id=event_id,
            webhook_id=webhook_id,
            attempt=attempt,
            attempted_at=attempted_at,
            http_code=http_code,
            latency_ms=latency_ms,
            error=None if error is None else error[:200],
        )
        .returning(webhook_attempts.c.id)
    ).scalar_one()
    if http_code is not None:
        conn.execute(
            update(webhooks).where(webhooks.c.id == webhook_id).values(last_http_code=http_code)
        )
    return attempt_id


def attempt_page(conn: Connection, *, webhook_id: int, start: int, length: int) -> AttemptPage:
    """The webhook's attempts, newest first."""
    total = conn.execute(
        select(func.count())
        .select_from(webhook_attempts)
        .where(webhook_attempts.c.webhook_id == webhook_id)
    ).scalar_one()
    rows = conn.execute(
        select(
            webhook_attempts.c.id,
            webhook_attempts.c.event_id,
            webhook_attempts.c.attempt,
            webhook_attempts.c.attempted_at,
            webhook_attempts.c.http_code,
            webhook_attempts.c.latency_ms,
            webhook_attempts.c.error,
        )
        .where(webhook_attempts.c.webhook_id == webhook_id)
        .order_by(webhook_attempts.c.id.desc())
        .offset(start)
        .limit(length)
    )
    return AttemptPage(total, [AttemptRow(*row) for row in rows])
