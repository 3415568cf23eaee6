"""
The SMPP connector: Relais as an ESME, submitting to a carrier's SMSC and taking its receipts
and inbound SMS.

Modules, one idea each: `connector` (the `Connector`: keeps the bind up, pipelines a batch,
reports its status), `submits` (a message as submit_sm PDUs, their answers as its outcome),
`binding` (connect and bind a session), `session` (one session over one connection: the
asyncio driver of `relais.smpp`'s sans-IO core), `window` (the requests in flight on a
session, their timeouts), `inbox` (receipts and inbound SMS on their way to the sink),
`pacing` (submit rate cap and backoffs), `config` (the operator's settings).
"""

from __future__ import annotations

from relais.delivery.connectors.smpp.config import SmppSettings
from relais.delivery.connectors.smpp.connector import SmppConnector

__all__ = ["SmppConnector", "SmppSettings"]
