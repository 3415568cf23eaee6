"""Build a connector from the operator's definition (a `connectors` row)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from relais.config import parse_outcome_mix
from relais.core.connector import Connector
from relais.core.errors import ConfigError
from relais.delivery.connectors.builtin_carrier import BuiltinCarrier
from relais.store.connectors import ConnectorRow


def builtin_carrier_from_settings(
    name: str, settings: dict[str, Any], *, clock: Callable[[], datetime]
) -> BuiltinCarrier:
    unknown = set(settings) - {"receipt_delay_ms", "outcomes", "seed"}
    if unknown:
        raise ConfigError(f"unknown simulator settings: {', '.join(sorted(unknown))}")
    outcomes = settings.get("outcomes")
    try:
        delay = int(settings.get("receipt_delay_ms", 200))
    except (TypeError, ValueError):
        raise ConfigError("receipt_delay_ms must be an integer") from None
    return BuiltinCarrier(
        clock=clock,
        name=name,
        receipt_delay_ms=delay,
        outcomes=parse_outcome_mix(outcomes) if isinstance(outcomes, str) else outcomes,
        seed=settings.get("seed"),
    )


def validate(kind: str, name: str, settings: dict[str, Any]) -> None:
    """Refuse a definition that could not be started, before it is stored."""
    build_connector(ConnectorRow(name, kind, settings, True, 0), clock=_never_started)


def build_connector(row: ConnectorRow, *, clock: Callable[[], datetime]) -> Connector:
    """The connector `row` defines; `clock` (the platform's) dates what it reports."""
    if row.kind == "simulator":
        return builtin_carrier_from_settings(row.name, row.settings, clock=clock)
    if row.kind == "smpp":
        from relais.delivery.connectors.smpp import SmppConnector, SmppSettings

        settings = SmppSettings.from_mapping({**row.settings, "name": row.name})
        return SmppConnector(settings, clock=clock)
    raise ConfigError(f"unknown connector kind {row.kind!r}")


def _never_started() -> datetime:
    raise RuntimeError("a connector built to validate its definition is never started")
