"""
What the simulated carrier does: one `SimulatorConfig`, with every fault combinable.

Modelled on Jasmin's catalogue of test SMSCs (happy, black hole, no response, throttled,
error on submit, receipt after delay), plus the faults Relais's SMPP client has to survive in
the field: a bind limit per account, a link cut with a submit in flight, receipts written in
another base than the submit_sm_resp id, receipts for only one part of a long message, and a
carrier that recognises a retried submit by its user_message_reference.

The defaults are the happy carrier: any credentials bind, every submit_sm is accepted with a
fresh message_id, and a DELIVRD receipt follows at once when registered_delivery asks for one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, TypeVar

from relais.core.errors import ConfigError
from relais.smpp.constants import CommandStatus

__all__ = [
    "ID_FORMATS",
    "RECEIPT_ID_FORMATS",
    "RECEIPT_PARTS",
    "STATS",
    "IdFormat",
    "ReceiptIdFormat",
    "ReceiptParts",
    "SimulatorConfig",
    "one_of",
]

# The stat words of SMPP 3.4 Appendix B a receipt may carry.
STATS: Final = (
    "DELIVRD",
    "UNDELIV",
    "EXPIRED",
    "REJECTD",
    "DELETED",
    "UNKNOWN",
    "ACCEPTD",
    "ENROUTE",
)
IdFormat = Literal["hex", "decimal", "uuid"]
ReceiptIdFormat = Literal["same", "hex", "decimal"]
ReceiptParts = Literal["all", "first", "last"]

ID_FORMATS: Final[tuple[IdFormat, ...]] = ("hex", "decimal", "uuid")
RECEIPT_ID_FORMATS: Final[tuple[ReceiptIdFormat, ...]] = ("same", "hex", "decimal")
RECEIPT_PARTS: Final[tuple[ReceiptParts, ...]] = ("all", "first", "last")
_Choice = TypeVar("_Choice", bound=str)

_MAX_STATUS: Final = 0xFFFFFFFF


def _positive(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or value < 1):
        raise ConfigError(f"{name} must be a whole number of at least 1, not {value!r}")


def one_of(name: str, value: str, allowed: tuple[_Choice, ...]) -> _Choice:
    """`value` as the one of `allowed` it is, or a ConfigError naming the setting `name`."""
    for choice in allowed:
        if value == choice:
            return choice
    raise ConfigError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatorConfig:
    """How the simulated SMSC answers; see docs/smsc-simulator.md for each field."""

    # --- binds
    system_id: str | None = None  # None: any system_id binds
    password: str | None = None  # None: any password binds
    max_binds: int | None = None  # simultaneous binds per system_id
    max_binds_status: int = CommandStatus.ESME_RALYBND
    smsc_system_id: str = "RelaisSim"  # what bind_*_resp names us
    # --- submit_sm
    black_hole: bool = False  # accept, never send a receipt
    no_response: bool = False  # never answer submit_sm at all
    throttle_per_second: int | None = None  # above this, ESME_RTHROTTLED
    submit_error: int | None = None  # answer submits with this command_status ...
    submit_error_every: int | None = None  # ... only every Nth of them ...
    submit_error_destinations: frozenset[str] = frozenset()  # ... only to these numbers
    disconnect_after: int | None = None  # cut the link at the Nth submit of a connection
    disconnect_after_repeat: bool = False  # every connection, not only the first one
    # --- receipts
    receipt_delay_ms: int | tuple[int, int] = 0  # fixed, or (min, max) drawn uniformly
    stat_mix: Mapping[str, float] = field(default_factory=lambda: {"DELIVRD": 1.0})
    receipt_parts: ReceiptParts = "all"  # which parts of a long message get a receipt
    receipt_before_response: bool = False  # the race real carriers have: DLR before resp
    id_format: IdFormat = "hex"
    receipt_id_format: ReceiptIdFormat = "same"
    receipt_tlvs: bool = True  # receipted_message_id and message_state
    # --- retries
    dedupe_user_message_reference: bool = True
    dedupe_window_s: float = 300.0
    # --- outbound deliver_sm (receipts and MO)
    deliver_window: int = 100  # deliver_sm awaiting deliver_sm_resp, per session
    deliver_retry_s: float = 1.0  # after a temporary error in deliver_sm_resp
    # --- bookkeeping
    history_limit: int | None = None  # keep only the last N accepted submits
    seed: int | None = None  # reproducible stats, delays and ids

    def __post_init__(self) -> None:
        destinations = frozenset(self.submit_error_destinations)
        object.__setattr__(self, "submit_error_destinations", destinations)
        object.__setattr__(self, "stat_mix", _checked_mix(self.stat_mix))
        for name in ("max_binds", "throttle_per_second", "submit_error_every"):
            _positive(name, getattr(self, name))
        _positive("disconnect_after", self.disconnect_after)
        _positive("deliver_window", self.deliver_window)
        _positive("history_limit", self.history_limit)
        if self.submit_error is not None:
            if not 0 < self.submit_error <= _MAX_STATUS:
                raise ConfigError(
                    f"submit_error must be a command_status in 1..0xFFFFFFFF, not "
                    f"{self.submit_error!r} (ESME_ROK is not an error)"
                )
        elif self.submit_error_every is not None or destinations:
            raise ConfigError("submit_error_every and submit_error_destinations need submit_error")
        if not 0 <= self.max_binds_status <= _MAX_STATUS:
            raise ConfigError(f"max_binds_status {self.max_binds_status!r} is no command_status")
        _checked_delay(self.receipt_delay_ms)
        one_of("receipt_parts", self.receipt_parts, RECEIPT_PARTS)
        one_of("id_format", self.id_format, ID_FORMATS)
        one_of("receipt_id_format", self.receipt_id_format, RECEIPT_ID_FORMATS)
        if self.dedupe_window_s <= 0:
            raise ConfigError(f"dedupe_window_s must be positive, not {self.dedupe_window_s!r}")
        if self.deliver_retry_s < 0:
            raise ConfigError(f"deliver_retry_s cannot be negative: {self.deliver_retry_s!r}")

    @property
    def delay_range_s(self) -> tuple[float, float]:
        """(min, max) receipt delay in seconds; equal when the delay is fixed."""
        low, high = _delay_bounds(self.receipt_delay_ms)
        return low / 1000, high / 1000

    def describe(self) -> str:
        """One line naming the modes in force, for the CLI banner and logs."""
        modes = []
        if self.no_response:
            modes.append("no response")
        elif self.black_hole:
            modes.append("black hole")
        if self.throttle_per_second is not None:
            modes.append(f"throttle {self.throttle_per_second}/s")
        if self.submit_error is not None:
            modes.append(_describe_error(self))
        if self.disconnect_after is not None:
            again = "every connection" if self.disconnect_after_repeat else "first connection"
            modes.append(f"disconnect after {self.disconnect_after} submits ({again})")
        if not modes:
            modes.append("happy")
        if not self.black_hole and not self.no_response:
            low, high = _delay_bounds(self.receipt_delay_ms)
            delay = f"{low:g} ms" if low == high else f"{low:g}-{high:g} ms"
            mix = ",".join(f"{stat}={weight:g}" for stat, weight in self.stat_mix.items())
            modes.append(f"receipts after {delay} ({mix}, parts={self.receipt_parts})")
        ids: str = self.id_format
        if self.receipt_id_format != "same":
            ids += f", receipt ids {self.receipt_id_format}"
        modes.append(f"ids {ids}")
        if self.max_binds is not None:
            modes.append(f"max {self.max_binds} binds")
        return ", ".join(modes)


def _describe_error(config: SimulatorConfig) -> str:
    status = config.submit_error or 0
    try:
        name = CommandStatus(status).name
    except ValueError:
        name = f"0x{status:08X}"
    text = f"submit error {name}"
    if config.submit_error_every is not None:
        text += f" every {config.submit_error_every}th submit"
    if config.submit_error_destinations:
        text += f" to {', '.join(sorted(config.submit_error_destinations))}"
    return text


def _checked_mix(mix: Mapping[str, float] | Iterable[tuple[str, float]]) -> dict[str, float]:
    """The stat mix with stat words upper-cased; unknown words or no weight at all refused."""
    checked: dict[str, float] = {}
    items = mix.items() if isinstance(mix, Mapping) else mix
    for raw, weight in items:
        stat = str(raw).strip().upper()
        if stat not in STATS:
            raise ConfigError(f"stat_mix: {raw!r} is not one of {', '.join(STATS)}")
        if not isinstance(weight, int | float) or weight < 0 or weight != weight:
            raise ConfigError(f"stat_mix: the weight of {stat} must be a number >= 0")
        checked[stat] = checked.get(stat, 0.0) + float(weight)
    if sum(checked.values()) <= 0:
        raise ConfigError("stat_mix needs at least one stat with a positive weight")
    return checked


def _delay_bounds(delay: int | tuple[int, int]) -> tuple[float, float]:
    low, high = delay if isinstance(delay, tuple) else (delay, delay)
    return float(low), float(high)


def _checked_delay(delay: int | tuple[int, int]) -> None:
    if isinstance(delay, tuple):
        if len(delay) != 2 or not all(isinstance(d, int | float) for d in delay):
            raise ConfigError(f"receipt_delay_ms range must be (min, max), not {delay!r}")
        low, high = delay
        if low < 0 or high < low:
            raise ConfigError(f"receipt_delay_ms range needs 0 <= min <= max, not {delay!r}")
    elif not isinstance(delay, int | float) or delay < 0:
        raise ConfigError(f"receipt_delay_ms must be >= 0, not {delay!r}")
