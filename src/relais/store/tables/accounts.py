"""Accounts, their credentials, money and sending policy."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from relais.store.tables.base import Id, metadata

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("country", String(2), nullable=False, server_default="FR"),
    # Cached sum of credit_ledger.amount, updated in the same transaction as each ledger row.
    Column("balance", BigInteger, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", BigInteger, nullable=False),
    # A sub-account's parent; an `unlimited` sub-account spends its parent's credits.
    Column("parent_id", Id, ForeignKey("accounts.id"), nullable=True, index=True),
    Column("unlimited", Boolean, nullable=False, server_default="0"),
    # Profile (SMSFactor POST /account): empty text when not given.
    Column("firstname", String(100), nullable=False, server_default=""),
    Column("lastname", String(100), nullable=False, server_default=""),
    Column("company", String(100), nullable=False, server_default=""),
    Column("type", String(20), nullable=False, server_default=""),  # company | association | ...
    Column("city", String(100), nullable=False, server_default=""),
    Column("phone", String(20), nullable=False, server_default=""),
    Column("address1", String(200), nullable=False, server_default=""),
    Column("address2", String(200), nullable=False, server_default=""),
    Column("zip", String(20), nullable=False, server_default=""),
    Column("sender", String(16), nullable=False, server_default=""),  # default sender
    Column("description", String(500), nullable=False, server_default=""),
    Column("lang", String(2), nullable=False, server_default=""),
    # Operator controls. A suspended account (or a sub-account of one) is refused everywhere
    # and its waiting messages are held until it is unlocked.
    Column("suspended_at", BigInteger, nullable=True),
    Column("suspension_reason", String(200), nullable=False, server_default=""),
    # JSON list of ISO alpha-2 countries the account may send to; NULL means every country.
    Column("allowed_countries", Text, nullable=True),
)

# An account's monthly cap of messages to one country (calendar month, Europe/Paris).
country_caps = Table(
    "country_caps",
    metadata,
    Column("account_id", ForeignKey("accounts.id"), primary_key=True),
    Column("country", String(2), primary_key=True),
    Column("monthly_limit", BigInteger, nullable=False),
)

# Messages accepted per account, country and month, kept in the send's transaction so the
# caps above are checked without counting messages.
country_usage = Table(
    "country_usage",
    metadata,
    Column("account_id", ForeignKey("accounts.id"), primary_key=True),
    Column("country", String(2), primary_key=True),
    Column("month", String(7), primary_key=True),  # YYYY-MM
    Column("messages", BigInteger, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False, server_default=""),
    # SHA-256 of the token: tokens are 256-bit random, so a fast hash is enough and
    # a lookup by hash leaks nothing about the secret.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Column("revoked_at", BigInteger, nullable=True),
    # Lifetime in seconds as the client asked (expires_at holds the instant), or None.
    Column("ttl", Integer, nullable=True),
    # JSON list of IP addresses and CIDR networks the token may be used from, or None.
    Column("allowed_ips", Text, nullable=True),
)

credit_ledger = Table(
    "credit_ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("reason", String(20), nullable=False),
    Column("campaign_id", BigInteger, nullable=True),
    Column("note", String(200), nullable=False, server_default=""),
    Column("created_at", BigInteger, nullable=False),
)

prices = Table(
    "prices",
    metadata,
    # ISO alpha-2 country, or "*" for every country without its own row.
    Column("country", String(2), primary_key=True),
    Column("credits_per_part", Integer, nullable=False),
)

# SMSFactor GET/PUT /notification/balance: one row per account that set one.
balance_notifications = Table(
    "balance_notifications",
    metadata,
    Column("account_id", Id, ForeignKey("accounts.id"), primary_key=True),
    Column("alert_trigger", BigInteger, nullable=False, server_default="0"),  # 0: no alert
    Column("alert_email", Boolean, nullable=False, server_default="0"),
    Column("alert_gsm", Boolean, nullable=False, server_default="0"),
    Column("email", String(254), nullable=False, server_default=""),
    Column("phone_number", String(20), nullable=False, server_default=""),
    # An alert was sent and the balance has not gone back above the trigger since.
    Column("alerted", Boolean, nullable=False, server_default="0"),
    Column("updated_at", BigInteger, nullable=False),
)
