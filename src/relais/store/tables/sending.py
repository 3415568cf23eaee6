"""Campaigns and the messages they hold: the outbound queue, parts and replies."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from relais.store.tables.base import Id, metadata

campaigns = Table(
    "campaigns",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("text", Text, nullable=False),
    Column("sender", String(16), nullable=True),
    Column("pushtype", String(10), nullable=False),
    Column("encoding", String(5), nullable=False),
    Column("status", String(10), nullable=False),
    Column("send_at", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("cost", BigInteger, nullable=False),
    Column("total", Integer, nullable=False),
    Column("sent", Integer, nullable=False),
    Column("blacklisted", Integer, nullable=False, server_default="0"),
    Column("duplicated", Integer, nullable=False, server_default="0"),
    Column("npai", Integer, nullable=False, server_default="0"),
    Column("invalid", Integer, nullable=False, server_default="0"),
    Column("not_allowed", Integer, nullable=False, server_default="0"),
    Column("flood", Integer, nullable=False, server_default="0"),
    Column("country_limit", Integer, nullable=False, server_default="0"),
    # Why a campaign in status `moderation` is held for review (the rule that matched).
    Column("moderation_reason", String(200), nullable=True),
    # The long URLs of the text's `<-short->` placeholders, in order, as a JSON array; NULL
    # without tracked links (core.short_links).
    Column("links", Text, nullable=True),
    # A client's own label of the campaign (SMSPartner `tag`, GET /v1/bulk-status-by-tag) and
    # the per-send callback URLs a dialect was given (SMSPartner `urlDlr`, `urlResponse`).
    Column("tag", String(20), nullable=True),
    Column("dlr_url", String(500), nullable=True),
    Column("reply_url", String(500), nullable=True),
    # The hidden webhooks those callbacks go through (core.smspartner_callbacks); NULL
    # without one. The partial index holds only campaigns with a `urlDlr`.
    Column("dlr_webhook_id", BigInteger, nullable=True),
    Column("reply_webhook_id", BigInteger, nullable=True),
    # When the retention purge erased the campaign's texts (services/retention.py); NULL
    # while they are kept. The partial index lists only campaigns the purge may still erase.
    Column("purged_at", BigInteger, nullable=True),
    Index(
        "ix_campaigns_unpurged",
        "account_id",
        "send_at",
        sqlite_where=text("purged_at IS NULL"),
        postgresql_where=text("purged_at IS NULL"),
    ),
    Index("ix_campaigns_account_created", "account_id", "id"),
    Index(
        "ix_campaigns_dlr_webhook",
        "id",
        "dlr_webhook_id",
        sqlite_where=text("dlr_webhook_id IS NOT NULL"),
        postgresql_where=text("dlr_webhook_id IS NOT NULL"),
    ),
    Index(
        "ix_campaigns_account_tag",
        "account_id",
        "tag",
        sqlite_where=text("tag IS NOT NULL"),
        postgresql_where=text("tag IS NOT NULL"),
    ),
    # Date ranges of GET /campaigns, GET /messages and consumption metrics.
    Index("ix_campaigns_account_send_at", "account_id", "send_at"),
    # The moderation queue: only the few campaigns waiting for review are in it.
    Index(
        "ix_campaigns_moderation",
        "id",
        sqlite_where=text("status = 'moderation'"),
        postgresql_where=text("status = 'moderation'"),
    ),
)

# The outbound queue: the dispatcher claims rows whose status is queued and due_at has come.
messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("campaign_id", ForeignKey("campaigns.id"), nullable=False),
    Column("account_id", BigInteger, nullable=False),
    Column("destination", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("gsmsmsid", String(100), nullable=True),
    # NULL when the text is the campaign's (only merged texts are stored per message).
    Column("text", Text, nullable=True),
    Column("parts", Integer, nullable=False),
    Column("cost", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("due_at", BigInteger, nullable=False),
    Column("claimed_until", BigInteger, nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # The connector the router chose when the message was accepted; its owner claims it.
    Column("connector", String(50), nullable=True),
    Column("error", String(200), nullable=True),
    Column("submitted_at", BigInteger, nullable=True),
    Column("done_at", BigInteger, nullable=True),
    # The list contact a list campaign's message was merged from (for its info1..4).
    Column("contact_id", BigInteger, nullable=True),
    Index("ix_messages_campaign", "campaign_id"),
    # Partial: only waiting rows are in it, so the many later status changes (sent,
    # delivered, ...) never touch it; in claim order, so a claim reads no more than it takes.
    Index(
        "ix_messages_queue",
        "connector",
        "due_at",
        "id",
        sqlite_where=text("status IN ('queued', 'sending')"),
        postgresql_where=text("status IN ('queued', 'sending')"),
    ),
    # By number: anti-flood counts an account's messages to it over the last hour, GET
    # /campaigns finds the campaigns sent to it, a reply finds the last message sent to it.
    # One index, not two: each is a random page that every send writes.
    Index("ix_messages_destination_account_due", "destination", "account_id", "due_at"),
)

# One row per submitted SMS part: receipts come back per part, by the carrier's id.
message_parts = Table(
    "message_parts",
    metadata,
    Column("message_id", ForeignKey("messages.id"), primary_key=True),
    Column("part", Integer, primary_key=True, autoincrement=False),
    Column("connector", String(50), nullable=False),
    Column("carrier_id", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("done_at", BigInteger, nullable=True),
    Index("ix_message_parts_carrier", "carrier_id", "connector"),
)

# Receipts whose part was not known when they arrived (a submit the process that made it
# never stored, before a crash): kept until the part appears or the validity period ends.
parked_receipts = Table(
    "parked_receipts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("connector", String(50), nullable=False),
    Column("carrier_ids", Text, nullable=False),  # the id's forms, space-separated
    Column("status", String(20), nullable=False),
    Column("done_at", BigInteger, nullable=False),
    Column("error", Text, nullable=True),
    Column("parked_at", BigInteger, nullable=False),
)

# Mobile-originated SMS: replies and STOPs.
inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", BigInteger, nullable=True),  # NULL when no account sent to `source`
    Column("message_id", BigInteger, nullable=True),  # the last message sent to `source`
    Column("connector", String(50), nullable=False),
    Column("source", String(32), nullable=False),
    Column("destination", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("is_stop", Boolean, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Index("ix_inbound_account", "account_id", "id"),
    # The replies side of GET /messages, and GET /campaign/:id/mo.
    Index("ix_inbound_account_received", "account_id", "received_at"),
    Index("ix_inbound_message", "message_id"),
)

# One row per click on a tracked short link (a message's link `position`); robots and
# link previews are not clicks (core.user_agents).
link_clicks = Table(
    "link_clicks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("message_id", ForeignKey("messages.id"), nullable=False),
    Column("campaign_id", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Column("clicked_at", BigInteger, nullable=False),
    Column("user_agent", String(500), nullable=False),
    Column("brand", String(50), nullable=False),
    Column("model", String(100), nullable=False),
    Column("os", String(50), nullable=False),
    Index("ix_link_clicks_message", "message_id", "position"),
    # The clicks of a campaign (GET /campaign/:id).
    Index("ix_link_clicks_campaign", "campaign_id"),
)

# The lists a list campaign was sent to (GET /campaign/:id `lists`).
campaign_lists = Table(
    "campaign_lists",
    metadata,
    Column("campaign_id", ForeignKey("campaigns.id"), primary_key=True),
    Column("list_id", BigInteger, primary_key=True),
)
