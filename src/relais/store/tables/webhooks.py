"""Webhooks: where an account wants its events POSTed, the outbox of events waiting for
them, and the log of every delivery attempt."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, text

from relais.store.tables.base import Id, metadata

CALLBACK_TYPES = "type IN ('SMSPARTNER_DLR', 'SMSPARTNER_RESPONSE')"

# An account's webhooks (SMSFactor /webhook): one URL per event type it is told of.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("type", String(20), nullable=False),  # DLR | MO | STOP | CLICKER | BALANCE_ALERT
    Column("url", String(2000), nullable=False),
    # The key requests are signed with; NULL: requests go unsigned.
    Column("signature", String(255), nullable=True),
    Column("status", String(10), nullable=False, server_default="live"),  # live | paused
    Column("last_http_code", Integer, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_webhooks_account_type", "account_id", "type"),
    # A send's SMSPartner callback webhooks, found by URL (core.smspartner_callbacks).
    Index(
        "ix_webhooks_callback_url",
        "account_id",
        "type",
        "url",
        sqlite_where=text(CALLBACK_TYPES),
        postgresql_where=text(CALLBACK_TYPES),
    ),
)

# The outbox: one row per event and webhook, written in the transaction of the change that
# caused it (a receipt, a reply, a click, a debit); the sender delivers it. Its id is the
# event's stable identity across retries (the `webhook-id` header).
webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("webhook_id", ForeignKey("webhooks.id"), nullable=False),
    Column("account_id", BigInteger, nullable=False),
    Column("type", String(20), nullable=False),
    Column("payload", Text, nullable=False),  # the JSON body, byte for byte as POSTed
    Column("created_at", BigInteger, nullable=False),
    # pending | delivered | failed (retries exhausted)
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", BigInteger, nullable=False),
    # A sender's lease: a process that dies mid-delivery leaves it to lapse.
    Column("claimed_until", BigInteger, nullable=True),
    Column("delivered_at", BigInteger, nullable=True),
    Index(
        "ix_webhook_events_due",
        "next_attempt_at",
        "id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_webhook_events_webhook", "webhook_id", "id"),
)

# Every delivery attempt, for the account's log (GET /webhook/:id/logs).
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", ForeignKey("webhook_events.id"), nullable=False),
    Column("webhook_id", BigInteger, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", BigInteger, nullable=False),
    Column("http_code", Integer, nullable=True),  # NULL: no answer (timeout, refused, ...)
    Column("latency_ms", Integer, nullable=False),
    Column("error", String(200), nullable=True),
    Index("ix_webhook_attempts_webhook", "webhook_id", "id"),
)
