"""
Command-line values -> `SimulatorConfig`. Kept apart from the typer command so the parsing
(statuses written as 0x58, 88 or ESME_RTHROTTLED; "DELIVRD=0.9,UNDELIV=0.1"; "500-3000")
can be tested without starting a server, and so every bad value fails with a `ConfigError`
that names the option.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from relais.core.errors import ConfigError
from relais.smpp.constants import CommandStatus
from relais.smpp.receipts import STATUS_BY_STAT
from relais.smsc_simulator.config import (
    ID_FORMATS,
    RECEIPT_ID_FORMATS,
    RECEIPT_PARTS,
    SimulatorConfig,
    one_of,
)

__all__ = ["config_from_options", "parse_delay", "parse_stat_mix", "parse_status"]

_STAT_ALIASES = {
    "DELIVERED": "DELIVRD",
    "UNDELIVERABLE": "UNDELIV",
    "UNDELIVERED": "UNDELIV",
    "REJECTED": "REJECTD",
    "ACCEPTED": "ACCEPTD",
}


def parse_status(value: str | int, *, option: str = "--submit-error") -> int:
    """A command_status from 88, "88", "0x58", "ESME_RTHROTTLED" or "rthrottled"."""
    if isinstance(value, int):
        number = value
    else:
        raw = value.strip()
        name = raw.upper()
        if not name.startswith("ESME_"):
            name = "ESME_" + name
        member = CommandStatus.__members__.get(name)
        if member is not None:
            number = int(member)
        else:
            try:
                number = int(raw, 0)
            except ValueError:
                raise ConfigError(
                    f"{option}: {value!r} is neither a number (88, 0x58) "
                    "nor a command_status name (ESME_RTHROTTLED)"
                ) from None
    if not 0 <= number <= 0xFFFFFFFF:
        raise ConfigError(f"{option}: {value!r} is outside 0..0xFFFFFFFF")
    return number


def parse_stat_mix(value: str | Mapping[str, float]) -> dict[str, float]:
    """ "DELIVRD=0.9,UNDELIV=0.1" (":" also separates; DELIVERED and the like are accepted)."""
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, Any]] = value.items()
    else:
        items = []
        for chunk in value.replace(";", ",").split(","):
            if not chunk.strip():
                continue
            word, sep, amount = chunk.replace(":", "=").partition("=")
            if not sep:
                raise ConfigError(f"--stat-mix: {chunk.strip()!r} is not STAT=WEIGHT")
            items.append((word, amount))
    mix: dict[str, float] = {}
    for raw_stat, raw_weight in items:
        stat = raw_stat.strip().upper()
        stat = _STAT_ALIASES.get(stat, stat)
        if stat not in STATUS_BY_STAT:
            raise ConfigError(
                f"--stat-mix: {raw_stat.strip()!r} is not a stat ({', '.join(STATUS_BY_STAT)})"
            )
        try:
            weight = float(str(raw_weight).strip().rstrip("%"))
        except ValueError:
            raise ConfigError(f"--stat-mix: weight {raw_weight!r} of {stat} is no number") from None
        if weight < 0 or weight != weight:
            raise ConfigError(f"--stat-mix: weight of {stat} cannot be negative")
        mix[stat] = mix.get(stat, 0.0) + weight
    if not mix or sum(mix.values()) <= 0:
        raise ConfigError("--stat-mix: give at least one stat with a positive weight")
    return mix


def parse_delay(value: str | int | tuple[int, int]) -> int | tuple[int, int]:
    """Milliseconds: "1000" fixed, "500-3000" drawn uniformly between the two."""
    if isinstance(value, int | tuple):
        return value
    low, sep, high = value.strip().partition("-")
    try:
        if not sep:
            delay = int(low)
            if delay < 0:
                raise ValueError
            return delay
        bounds = int(low), int(high)
    except ValueError:
        raise ConfigError(
            f"--receipt-delay-ms: {value!r} is neither milliseconds (1000) nor a range (500-3000)"
        ) from None
    if bounds[0] > bounds[1]:
        raise ConfigError(f"--receipt-delay-ms: range {value!r} ends before it starts")
    return bounds


def _destinations(value: str | Iterable[str] | None) -> frozenset[str]:
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else value
    return frozenset(item.strip().lstrip("+") for item in items if item.strip())


def config_from_options(
    *,
    system_id: str | None = None,
    password: str | None = None,
    max_binds: int | None = None,
    black_hole: bool = False,
    no_response: bool = False,
    throttle: int | None = None,
    submit_error: str | int | None = None,
    submit_error_every: int | None = None,
    submit_error_destinations: str | Iterable[str] | None = None,
    disconnect_after: int | None = None,
    disconnect_repeat: bool = False,
    receipt_delay_ms: str | int | tuple[int, int] = 0,
    stat_mix: str | Mapping[str, float] | None = None,
    receipt_parts: str = "all",
    receipt_before_response: bool = False,
    id_format: str = "hex",
    receipt_id_format: str = "same",
    receipt_tlvs: bool = True,
    dedupe: bool = True,
    dedupe_window_s: float = 300.0,
    deliver_window: int = 100,
    history_limit: int | None = None,
    seed: int | None = None,
) -> SimulatorConfig:
    """The `SimulatorConfig` the `relais smsc-simulator` options describe.

    Raises:
        ConfigError: a value cannot be used; the message names the option.
    """
    return SimulatorConfig(
        system_id=system_id or None,
        password=password,
        max_binds=max_binds,
        black_hole=black_hole,
        no_response=no_response,
        throttle_per_second=throttle,
        submit_error=None if submit_error is None else parse_status(submit_error),
        submit_error_every=submit_error_every,
        submit_error_destinations=_destinations(submit_error_destinations),
        disconnect_after=disconnect_after,
        disconnect_after_repeat=disconnect_repeat,
        receipt_delay_ms=parse_delay(receipt_delay_ms),
        stat_mix=parse_stat_mix(stat_mix) if stat_mix is not None else {"DELIVRD": 1.0},
        receipt_parts=one_of("receipt_parts", receipt_parts.lower(), RECEIPT_PARTS),
        receipt_before_response=receipt_before_response,
        id_format=one_of("id_format", id_format.lower(), ID_FORMATS),
        receipt_id_format=one_of(
            "receipt_id_format", receipt_id_format.lower(), RECEIPT_ID_FORMATS
        ),
        receipt_tlvs=receipt_tlvs,
        dedupe_user_message_reference=dedupe,
        dedupe_window_s=dedupe_window_s,
        deliver_window=deliver_window,
        history_limit=history_limit,
        seed=seed,
    )
