"""Campaign subscriptions (Skycore's `subscribe` / `unsubscribe` actions) and the per-account
settings of the Skycore dialect (Enforce Campaign Check, postback URL)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
)

from relais.store.tables.base import Id, metadata

# A number's subscription to one of an account's campaigns (named by the customer's
# campaign reference); an ended one is kept with who ended it (api, or a STOP).
campaign_subscriptions = Table(
    "campaign_subscriptions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("campaign_ref", String(100), nullable=False),
    Column("mobile", String(20), nullable=False),
    Column("subscriber_ref", String(100), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("ended_by", String(10), nullable=True),  # api | stop, while not active
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    UniqueConstraint(
        "account_id", "campaign_ref", "mobile", name="uq_campaign_subscriptions_number"
    ),
    Index("ix_campaign_subscriptions_mobile", "account_id", "mobile"),
)

# Skycore's account settings: one row per account that set one (no row: check off, no URL).
skycore_settings = Table(
    "skycore_settings",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("enforce_campaign_check", Boolean, nullable=False, server_default="0"),
    Column("postback_url", String(2000), nullable=False, server_default=""),
    Column("updated_at", BigInteger, nullable=False),
)
