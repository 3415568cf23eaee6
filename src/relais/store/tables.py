"""The schema, in SQLAlchemy Core. Instants are Unix milliseconds (see core.instant);
money is integer credits; enum columns hold the lowercase enum values."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")  # INTEGER PRIMARY KEY is the rowid on SQLite

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
    Index("ix_messages_destination", "destination", "id"),
    # Anti-flood counts an account's messages to one number over the last hour.
    Index("ix_messages_account_destination_due", "account_id", "destination", "due_at"),
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

# Numbers an account must never send to (STOP replies, manual additions).
blacklist = Table(
    "blacklist",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("destination", String(20), nullable=False),
    Column("origin", String(10), nullable=False),  # stop | api
    Column("created_at", BigInteger, nullable=False),
    # The contact's details when known (from the list contact a STOP answered, or POST).
    Column("info1", String(255), nullable=True),
    Column("info2", String(255), nullable=True),
    Column("info3", String(255), nullable=True),
    Column("info4", String(255), nullable=True),
    # The campaign a STOP answered (GET /campaign/:id/blacklist), when known.
    Column("campaign_id", BigInteger, nullable=True, index=True),
    UniqueConstraint("account_id", "destination", name="uq_blacklist_account_destination"),
)

# Numbers known not to reach anyone ("N'habite Pas à l'Adresse Indiquée"): never sent to.
npai = Table(
    "npai",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("destination", String(20), nullable=False),
    Column("origin", String(10), nullable=False),  # receipt | api | list
    Column("created_at", BigInteger, nullable=False),
    Column("info1", String(255), nullable=True),
    Column("info2", String(255), nullable=True),
    Column("info3", String(255), nullable=True),
    Column("info4", String(255), nullable=True),
    # The campaign whose receipt revealed the number (GET /campaign/:id/npai), when known.
    Column("campaign_id", BigInteger, nullable=True, index=True),
    UniqueConstraint("account_id", "destination", name="uq_npai_account_destination"),
)

# Contact lists (SMSFactor POST /list) and their contacts with up to four merge fields.
contact_lists = Table(
    "contact_lists",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_contact_lists_account", "account_id", "id"),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("list_id", ForeignKey("contact_lists.id"), nullable=False),
    # The number in international form without '+' (the list's contacts are validated on
    # the way in: invalid ones are counted and not stored).
    Column("destination", String(20), nullable=False),
    Column("country", String(2), nullable=False),
    Column("info1", String(255), nullable=True),
    Column("info2", String(255), nullable=True),
    Column("info3", String(255), nullable=True),
    Column("info4", String(255), nullable=True),
    # A receipt said the number reaches no one; PUT /list/:id/npai/clear moves it to `npai`.
    Column("npai", Boolean, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    Index("ix_contacts_list", "list_id", "id"),
    Index("ix_contacts_list_destination", "list_id", "destination"),
)

# The lists a list campaign was sent to (GET /campaign/:id `lists`).
campaign_lists = Table(
    "campaign_lists",
    metadata,
    Column("campaign_id", ForeignKey("campaigns.id"), primary_key=True),
    Column("list_id", BigInteger, primary_key=True),
)

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
