"""
Settings of one SMPP connector, and how a sender and a recipient become SMPP addresses.

An operator writes these in a TOML/JSON file or passes them as CLI flags, so `from_mapping`
accepts strings for numbers and booleans, dashes for underscores, and refuses unknown keys
and impossible values with a `ConfigError` that names the connector, the key and the value.
The rate policies the settings parametrise are in pacing.py.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final, Literal

from relais.core.errors import ConfigError
from relais.smpp import Npi, Ton

__all__ = ["AddressCode", "BindMode", "LongMessageMethod", "SmppSettings", "TimeoutPolicy"]

BindMode = Literal["transceiver", "transmitter+receiver"]
LongMessageMethod = Literal["udh", "sar", "payload"]
TimeoutPolicy = Literal["resend", "fail"]
AddressCode = int | Literal["auto"]

_BIND_MODES: Final = {"transceiver": "transceiver", "trx": "transceiver"} | {
    alias: "transmitter+receiver" for alias in ("transmitter+receiver", "tx+rx", "tx_rx")
}
_TRUE: Final = {"1", "true", "yes", "on"}
_FALSE: Final = {"0", "false", "no", "off"}


def _auto_codes(address: str) -> tuple[int, int]:
    """TON/NPI for "auto": letters -> alphanumeric; 7+ digits -> international E.164;
    a shorter number (a short code) -> unknown/ISDN, which SMSCs route as they see fit."""
    if not address:
        return Ton.UNKNOWN, Npi.UNKNOWN
    if not address.isdigit():
        return Ton.ALPHANUMERIC, Npi.UNKNOWN
    if len(address) >= 7:
        return Ton.INTERNATIONAL, Npi.ISDN
    return Ton.UNKNOWN, Npi.ISDN


@dataclass(frozen=True)
class SmppSettings:
    """One SMPP account at one carrier. Validated on construction."""

    name: str
    host: str
    system_id: str
    port: int = 2775
    password: str = field(default="", repr=False)
    system_type: str = ""
    address_range: str = ""
    bind_mode: BindMode = "transceiver"
    tls: bool = False
    tls_ca_file: str | None = None
    tls_verify: bool = True
    source_ton: AddressCode = "auto"
    source_npi: AddressCode = "auto"
    dest_ton: AddressCode = "auto"
    dest_npi: AddressCode = "auto"
    default_source: str | None = None
    window: int = 50  # requests awaiting a response, at most
    throughput_per_second: float | None = None  # submit_sm PDUs (parts); None or 0: no cap
    enquire_link_interval_s: float = 30.0
    response_timeout_s: float = 10.0
    connect_timeout_s: float = 10.0
    reconnect_min_s: float = 1.0
    reconnect_max_s: float = 60.0
    long_message_method: LongMessageMethod = "udh"
    registered_delivery: int = 1  # 1: a receipt for every final outcome
    retry_initial_s: float = 1.0
    retry_max_s: float = 300.0
    throttle_slowdown: float = 0.5
    timeout_policy: TimeoutPolicy = "resend"  # for submits the SMSC never answered
    submit_deadline_s: float = 20.0  # stop starting new messages of a batch after this
    stop_timeout_s: float = 5.0
    inbound_expiry_s: float = 600.0

    def __post_init__(self) -> None:
        def bad(key: str, expected: str) -> ConfigError:
            value = getattr(self, key)
            shown = "***" if key == "password" else repr(value)
            return ConfigError(
                f"SMPP connector {self.name!r}: {key} must be {expected}, got {shown}"
            )

        if not self.name:
            raise ConfigError("SMPP connector: name must not be empty")
        checks: list[tuple[str, bool, str]] = [
            ("host", bool(self.host), "a host name or address"),
            ("port", 1 <= self.port <= 65535, "a TCP port (1-65535)"),
            ("system_id", 1 <= len(self.system_id) <= 15, "1 to 15 characters"),
            ("password", len(self.password) <= 8, "at most 8 characters"),
            ("system_type", len(self.system_type) <= 12, "at most 12 characters"),
            ("address_range", len(self.address_range) <= 40, "at most 40 characters"),
            ("bind_mode", self.bind_mode in _BIND_MODES.values(), _one_of(_BIND_MODES)),
            (
                "long_message_method",
                self.long_message_method in ("udh", "sar", "payload"),
                "one of 'udh', 'sar', 'payload'",
            ),
            ("timeout_policy", self.timeout_policy in ("resend", "fail"), "'resend' or 'fail'"),
            ("window", 1 <= self.window <= 10_000, "between 1 and 10000"),
            (
                "throughput_per_second",
                self.throughput_per_second is None or self.throughput_per_second > 0,
                "a positive number, or absent for no cap",
            ),
            ("registered_delivery", 0 <= self.registered_delivery <= 255, "0-255 (1: final)"),
            ("throttle_slowdown", 0 < self.throttle_slowdown < 1, "between 0 and 1 exclusive"),
            (
                "reconnect_max_s",
                self.reconnect_max_s >= self.reconnect_min_s,
                "at least reconnect_min_s",
            ),
            ("retry_max_s", self.retry_max_s >= self.retry_initial_s, "at least retry_initial_s"),
            ("default_source", len(self.default_source or "") <= 20, "at most 20 characters"),
            ("stop_timeout_s", self.stop_timeout_s >= 0, "zero or more"),
        ]
        for key in ("source_ton", "dest_ton"):
            checks.append((key, _valid_code(getattr(self, key)), _codes_of(Ton)))
        for key in ("source_npi", "dest_npi"):
            checks.append((key, _valid_code(getattr(self, key)), _codes_of(Npi)))
        for key in ("enquire_link_interval_s", "response_timeout_s", "connect_timeout_s",
                    "reconnect_min_s", "retry_initial_s", "submit_deadline_s",
                    "inbound_expiry_s"):  # fmt: skip
            value = getattr(self, key)
            checks.append((key, math.isfinite(value) and value > 0, "a positive number"))
        for key, ok, expected in checks:
            if not ok:
                raise bad(key, expected)
        if self.tls_ca_file is not None and not Path(self.tls_ca_file).is_file():
            raise bad("tls_ca_file", "a readable certificate file")

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> SmppSettings:
        """Settings from a config-file table or CLI flags (values may be strings)."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        name = str(raw.get("name", ""))
        for key, value in raw.items():
            attr = str(key).strip().replace("-", "_")
            if attr not in known:
                raise ConfigError(
                    f"SMPP connector {name!r}: unknown setting {key!r}; "
                    f"known settings: {', '.join(sorted(known))}"
                )
            parse = _PARSERS.get(attr, _text)
            try:
                values[attr] = parse(value)
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"SMPP connector {name!r}: {attr} {exc}") from None
        for required in ("name", "host", "system_id"):
            if required not in values:
                raise ConfigError(f"SMPP connector {name!r}: {required} is required")
        return cls(**values)

    # ----------------------------------------------------------------------------- derived

    def source_address(self, sender: str | None) -> tuple[int, int, str]:
        """(TON, NPI, source_addr) of a message's sender, or of `default_source` if none."""
        address = (sender or self.default_source or "").strip()
        if address.startswith("+") and address[1:].isdigit():
            address = address[1:]
        return self._codes(address, self.source_ton, self.source_npi)

    def destination_address(self, destination: str) -> tuple[int, int, str]:
        address = destination.strip().lstrip("+")
        return self._codes(address, self.dest_ton, self.dest_npi)

    @staticmethod
    def _codes(address: str, ton: AddressCode, npi: AddressCode) -> tuple[int, int, str]:
        auto_ton, auto_npi = _auto_codes(address)
        return (
            auto_ton if ton == "auto" else int(ton),
            auto_npi if npi == "auto" else int(npi),
            address,
        )

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context to connect with, or None for plain TCP."""
        if not self.tls:
            return None
        context = ssl.create_default_context(cafile=self.tls_ca_file)
        if not self.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def _one_of(choices: Mapping[str, str]) -> str:
    return "one of " + ", ".join(repr(c) for c in sorted(set(choices.values())))


def _codes_of(enum: type[Ton] | type[Npi]) -> str:
    names = ", ".join(f"{m.name.lower()}={m.value}" for m in enum)
    return f"'auto' or one of {names}"


def _valid_code(value: AddressCode) -> bool:
    return value == "auto" or (isinstance(value, int) and 0 <= value <= 255)


# --------------------------------------------------------------------------------- parsing


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"must be a string, got {value!r}")
    return value.strip()


def _optional_text(value: object) -> str | None:
    return None if value is None or value == "" else _text(value)


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"must be an integer, got {value!r}")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"must be an integer, got {value!r}") from None


def _float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"must be a number, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"must be a number, got {value!r}") from None


def _optional_float(value: object) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "0")):
        return None
    number = _float(value)
    return None if number == 0 else number


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"must be true or false, got {value!r}")


def _choice(choices: Mapping[str, str]) -> Callable[[object], str]:
    def parse(value: object) -> str:
        key = _text(value).lower()
        if key not in choices:
            raise ValueError(f"must be {_one_of(choices)}, got {value!r}")
        return choices[key]

    return parse


def _code(enum: type[Ton] | type[Npi]) -> Callable[[object], AddressCode]:
    def parse(value: object) -> AddressCode:
        if isinstance(value, str):
            word = value.strip().lower()
            if word == "auto":
                return "auto"
            if word.upper() in enum.__members__:
                return int(enum[word.upper()])
        number = _int(value)
        if not 0 <= number <= 255:
            raise ValueError(f"must be {_codes_of(enum)}, got {value!r}")
        return number

    return parse


_PARSERS: Final[dict[str, Callable[[object], Any]]] = {
    "port": _int,
    "window": _int,
    "registered_delivery": _int,
    "tls": _bool,
    "tls_verify": _bool,
    "tls_ca_file": _optional_text,
    "default_source": _optional_text,
    "throughput_per_second": _optional_float,
    "bind_mode": _choice(_BIND_MODES),
    "long_message_method": _choice({m: m for m in ("udh", "sar", "payload")}),
    "timeout_policy": _choice({"resend": "resend", "fail": "fail"}),
    "source_ton": _code(Ton),
    "dest_ton": _code(Ton),
    "source_npi": _code(Npi),
    "dest_npi": _code(Npi),
    **{
        key: _float
        for key in (
            "enquire_link_interval_s",
            "response_timeout_s",
            "connect_timeout_s",
            "reconnect_min_s",
            "reconnect_max_s",
            "retry_initial_s",
            "retry_max_s",
            "throttle_slowdown",
            "submit_deadline_s",
            "stop_timeout_s",
            "inbound_expiry_s",
        )
    },
}
