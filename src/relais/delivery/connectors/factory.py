"""Build a connector from the operator's definition (a `connectors` row)."""

from __future__ import annotations

from typing import Any

from relais.config import parse_outcome_mix
from relais.core.connector import Connector
from relais.delivery.connectors.simulator import CarrierSimulator
from relais.errors import ConfigError
from relais.store.connectors import ConnectorRow


def simulator_from_settings(name: str, settings: dict[str, Any]) -> CarrierSimulator:
    unknown = set(settings) - {"receipt_delay_ms", "outcomes", "seed"}
    if unknown:
        raise ConfigError(f"unknown simulator settings: {', '.join(sorted(unknown))}")
    outcomes = settings.get("outcomes")
    try:
        delay = int(settings.get("receipt_delay_ms", 200))
    except (TypeError, ValueError):
        raise ConfigError("receipt_delay_ms must be an integer") from None
    return CarrierSimulator(
        name=name,
        receipt_delay_ms=delay,
        outcomes=parse_outcome_mix(outcomes) if isinstance(outcomes, str) else outcomes,
        seed=settings.get("seed"),
    )


def validate(kind: str, name: str, settings: dict[str, Any]) -> None:
    """Refuse a definition that could not be started, before it is stored."""
    build_connector(ConnectorRow(name, kind, settings, True, 0))


def build_connector(row: ConnectorRow) -> Connector:
    if row.kind == "simulator":
        return simulator_from_settings(row.name, row.settings)
    if row.kind == "smpp":
        from relais.delivery.connectors.smpp import SmppConnector
        from relais.delivery.connectors.smpp_config import SmppSettings

        return SmppConnector(SmppSettings.from_mapping({**row.settings, "name": row.name}))
    raise ConfigError(f"unknown connector kind {row.kind!r}")
