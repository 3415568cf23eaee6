"""Low-balance alerts (SMSFactor /notification/balance, BALANCE_ALERT webhooks): each
account's settings, and the one check the ledger runs after every balance move.

An account is alerted once when its balance falls to or below its trigger; `alerted` then
holds further alerts back until the balance is above the trigger again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Connection, ScalarSelect, bindparam, select, update

from relais.core.events import EventType, balance_alert_body
from relais.store import webhook_outbox as outbox
from relais.store.account_settings import change_settings, read_settings
from relais.store.event_targets import live_webhooks
from relais.store.tables import balance_notifications

FIELDS = ("alert_trigger", "alert_email", "alert_gsm", "email", "phone_number")

_c = balance_notifications.c
_BELOW = _c.alert_trigger >= bindparam("balance")
# One statement, one primary-key probe: an account without settings (or with trigger 0)
# matches nothing; otherwise `alerted` follows the balance, and the rows that just became
# alerted come back so their webhooks are told.
_CROSSED = (
    update(balance_notifications)
    .where(
        _c.account_id == bindparam("account"),
        _c.alert_trigger > 0,
        _c.alerted != _BELOW,
    )
    .values(alerted=_BELOW)
    .returning(_c.alerted, _c.alert_trigger)
)


def watched_trigger(account_id: ColumnElement[Any]) -> ScalarSelect[Any]:
    """The trigger of the account `account_id` names when it set one above 0, else NULL: a
    correlated subquery the ledger returns with each balance move, so an account nobody
    watches costs no statement of its own."""
    return (
        select(_c.alert_trigger)
        .where(_c.account_id == account_id, _c.alert_trigger > 0)
        .scalar_subquery()
    )


def balance_crossed(conn: Connection, *, account_id: int, balance: int, now_ms: int) -> int:
    """After a balance move to `balance`: reset the alert when the balance is above the
    trigger again, or, when it has just fallen to or below it, queue one BALANCE_ALERT event
    per live webhook of that type; how many events."""
    row = conn.execute(_CROSSED, {"account": account_id, "balance": balance}).first()
    if row is None or not row.alerted:
        return 0
    kind = EventType.BALANCE_ALERT.value
    webhook_ids = live_webhooks(conn, wanted=[(account_id, kind)]).get((account_id, kind), [])
    body = balance_alert_body(balance=balance, trigger=row.alert_trigger, at_ms=now_ms).decode()
    outbox.enqueue(
        conn, [outbox.NewEvent(hook, account_id, kind, body, now_ms) for hook in webhook_ids]
    )
    return len(webhook_ids)


def get_settings(conn: Connection, account_id: int) -> dict[str, Any] | None:
    """The account's settings by field, or None when it never set any."""
    return read_settings(conn, balance_notifications, FIELDS, account_id)


def put_settings(
    conn: Connection, *, account_id: int, changes: Mapping[str, Any], now_ms: int
) -> dict[str, Any]:
    """Change only the given fields (defaults for a new row); all fields afterwards. Any
    change re-arms the alert: the next debit to or below the trigger is told."""
    change_settings(
        conn,
        balance_notifications,
        account_id=account_id,
        values={**changes, "alerted": False},
        now_ms=now_ms,
    )
    stored = get_settings(conn, account_id)
    assert stored is not None
    return stored
