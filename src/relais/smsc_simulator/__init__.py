"""
Relais's SMSC simulator: a real SMPP 3.4 server (SMSC) over TCP that injects the faults
carriers commit, modelled on Jasmin's test SMSCs. It is a feature for users (`relais
smsc-simulator`, docs/smsc-simulator.md) and the peer Relais's own SMPP client is tested
against.

    async with SmscSimulator(SimulatorConfig(receipt_delay_ms=200)) as smsc:
        ...  # bind an ESME to 127.0.0.1:smsc.port, submit, read receipts
        await smsc.inject_mo(source="33612345678", destination="36000", text="STOP")

Not to be confused with the built-in carrier (`relais.delivery.connectors.builtin_carrier`),
the in-process connector that speaks no SMPP.

Modules: `config` (what the carrier does), `options` (command-line values to a config),
`server` (listening, binds, routing of deliveries), `session` (one connection), `window`
(a receiver's deliver window), `policy` (throttling, errors, cuts, retries recognised),
`deliveries` (receipts and MO as deliver_sm), `mo` (inbound texts to PDUs), `ids` (message
ids), `record` (what was seen), `cli` (the typer command). The PDUs and the session state
are `relais.smpp`'s.
"""

from __future__ import annotations

from relais.smsc_simulator.config import SimulatorConfig
from relais.smsc_simulator.options import config_from_options
from relais.smsc_simulator.record import AcceptedSubmit, Counters
from relais.smsc_simulator.server import SmscSimulator

__all__ = ["AcceptedSubmit", "Counters", "SimulatorConfig", "SmscSimulator", "config_from_options"]
