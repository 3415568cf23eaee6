"""The schema, in SQLAlchemy Core. Instants are Unix milliseconds (see core.instant);
money is integer credits; enum columns hold the lowercase enum values.

One module per concept; this package is the schema's one public face."""

from __future__ import annotations

from relais.store.tables.accounts import (
    accounts,
    api_tokens,
    balance_notifications,
    country_caps,
    country_usage,
    credit_ledger,
    prices,
)
from relais.store.tables.base import Id, metadata
from relais.store.tables.contacts import blacklist, contact_lists, contacts, npai
from relais.store.tables.operations import (
    audit_log,
    cache_epochs,
    connector_leases,
    connectors,
    instance_keys,
    moderation_rules,
    operator_tokens,
    process_reports,
    retention_settings,
    routes,
)
from relais.store.tables.sending import (
    campaign_lists,
    campaigns,
    inbound_messages,
    link_clicks,
    message_parts,
    messages,
    parked_receipts,
)
from relais.store.tables.subscriptions import campaign_subscriptions, skycore_settings
from relais.store.tables.webhooks import webhook_attempts, webhook_events, webhooks

__all__ = [
    "Id",
    "accounts",
    "api_tokens",
    "audit_log",
    "balance_notifications",
    "blacklist",
    "cache_epochs",
    "campaign_lists",
    "campaign_subscriptions",
    "campaigns",
    "connector_leases",
    "connectors",
    "contact_lists",
    "contacts",
    "country_caps",
    "country_usage",
    "credit_ledger",
    "inbound_messages",
    "instance_keys",
    "link_clicks",
    "message_parts",
    "messages",
    "metadata",
    "moderation_rules",
    "npai",
    "operator_tokens",
    "parked_receipts",
    "prices",
    "process_reports",
    "retention_settings",
    "routes",
    "skycore_settings",
    "webhook_attempts",
    "webhook_events",
    "webhooks",
]
