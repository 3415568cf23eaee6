"""Contact lists and the opt-out lists (blacklist, NPAI)."""

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
