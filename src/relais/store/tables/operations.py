"""What the operator runs: connectors, routes and their leases, moderation rules, the audit
log, operator tokens, cache epochs, retention settings, the instance's keys and the reports
of the processes that deliver."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from relais.store.tables.base import Id, metadata

# Carrier connections the operator configured; `settings` is the connector's JSON mapping.
connectors = Table(
    "connectors",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("kind", String(20), nullable=False),  # smpp | simulator
    Column("settings", Text, nullable=False),
    Column("enabled", Boolean, nullable=False, server_default="1"),
    Column("updated_at", BigInteger, nullable=False),
)

# Which connector carries which traffic: the most specific matching route wins.
routes = Table(
    "routes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("connector", String(50), nullable=False),
    Column("prefix", String(16), nullable=True),
    Column("country", String(2), nullable=True),
    Column("account_id", BigInteger, nullable=True),
    Column("sender", String(16), nullable=True),
    Column("priority", Integer, nullable=False, server_default="0"),
)

# A bind is owned by one process at a time: the owner renews its lease, others wait for it
# to lapse.
connector_leases = Table(
    "connector_leases",
    metadata,
    Column("connector", String(50), primary_key=True),
    Column("owner", String(100), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    # The owner's last report of the connector (JSON of ConnectorStatus), for operators.
    Column("state", Text, nullable=False, server_default="{}"),
)

# What holds a campaign for review. account_id NULL: the rule applies to every account.
moderation_rules = Table(
    "moderation_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=True, index=True),
    Column("kind", String(20), nullable=False),  # word | link | first_campaigns
    Column("value", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

# Every operator action, who did it and on what; never updated, never purged.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("actor", String(100), nullable=False),  # operator:<name> | cli:<user>
    Column("action", String(50), nullable=False),
    Column("account_id", BigInteger, nullable=True, index=True),
    Column("details", Text, nullable=False, server_default="{}"),  # JSON
)

# Credentials of the operator API (/operator/...), stored as SHA-256 digests like API tokens.
operator_tokens = Table(
    "operator_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
    Column("revoked_at", BigInteger, nullable=True),
)

# A version per shared cache (tokens and accounts, operator tables): a write that makes a
# cached entry wrong bumps it, and every process drops that cache when it sees the change.
cache_epochs = Table(
    "cache_epochs",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("version", BigInteger, nullable=False),
)

# How long an account keeps its data (SMSFactor GET/PUT /retention): "<n>d", "<n>m" or "-1"
# (endless) per kind. No row means endless everywhere. `survey` is stored and shown only.
retention_settings = Table(
    "retention_settings",
    metadata,
    Column("account_id", ForeignKey("accounts.id"), primary_key=True),
    Column("message", String(8), nullable=False, server_default="-1"),
    Column("list", String(8), nullable=False, server_default="-1"),
    Column("survey", String(8), nullable=False, server_default="-1"),
    Column("campaign", String(8), nullable=False, server_default="-1"),
    Column("updated_at", BigInteger, nullable=False),
)

# Secrets of this Relais instance, made once by the migration that needs them and shared by
# every process on the database: `short_links` keys the short codes (core.short_links).
instance_keys = Table(
    "instance_keys",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("secret", LargeBinary, nullable=False),
)

# What each delivering process last said about itself (JSON: its connectors, receipts and
# webhook counters), so any process's /metrics shows the work done in the others.
process_reports = Table(
    "process_reports",
    metadata,
    Column("owner", String(100), primary_key=True),
    Column("reported_at", BigInteger, nullable=False),
    Column("report", Text, nullable=False),
)
