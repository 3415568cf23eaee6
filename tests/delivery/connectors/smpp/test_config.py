"""SMPP connector settings as an operator writes them."""

from __future__ import annotations

from typing import Any

import pytest

from relais.core.errors import ConfigError
from relais.delivery.connectors.smpp.config import SmppSettings

BASE: dict[str, Any] = {"name": "orange", "host": "smsc.example", "system_id": "relais"}


def test_settings_from_mapping_reads_cli_strings() -> None:
    settings = SmppSettings.from_mapping(
        BASE
        | {
            "port": "2776",
            "password": "pw",
            "bind-mode": "tx+rx",
            "tls": "yes",
            "tls_verify": "false",
            "window": "20",
            "throughput_per_second": "150.5",
            "source_ton": "alphanumeric",
            "dest_npi": "1",
            "timeout_policy": "FAIL",
        }
    )

    assert settings.port == 2776 and settings.window == 20
    assert settings.bind_mode == "transmitter+receiver"
    assert settings.tls and not settings.tls_verify
    assert settings.throughput_per_second == 150.5
    assert (settings.source_ton, settings.source_npi, settings.dest_npi) == (5, "auto", 1)
    assert settings.timeout_policy == "fail"
    assert "pw" not in repr(settings)
    context = settings.ssl_context()
    assert context is not None and not context.check_hostname


def test_settings_defaults() -> None:
    settings = SmppSettings.from_mapping(BASE)

    assert (settings.port, settings.bind_mode, settings.window) == (2775, "transceiver", 50)
    assert settings.throughput_per_second is None
    assert (settings.enquire_link_interval_s, settings.response_timeout_s) == (30.0, 10.0)
    assert (settings.long_message_method, settings.registered_delivery) == ("udh", 1)
    assert settings.timeout_policy == "resend"
    assert settings.ssl_context() is None


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("port", 0, "port must be a TCP port"),
        ("port", "x", "port must be an integer"),
        ("window", 0, "window must be between 1 and 10000"),
        ("bind_mode", "both", "bind_mode must be one of"),
        ("system_id", "a" * 16, "system_id must be 1 to 15 characters"),
        ("password", "123456789", "password must be at most 8 characters, got ***"),
        ("throttle_slowdown", 1.5, "throttle_slowdown must be between 0 and 1"),
        ("reconnect_max_s", 0.5, "reconnect_max_s must be at least reconnect_min_s"),
        ("timeout_policy", "retry", "timeout_policy must be one of"),
        ("source_ton", 300, "source_ton must be 'auto' or one of"),
        ("long_message_method", "split", "long_message_method must be one of"),
        ("response_timeout_s", -1, "response_timeout_s must be a positive number"),
        ("tls", "maybe", "tls must be true or false"),
        ("tls_ca_file", "/nonexistent/ca.pem", "tls_ca_file must be a readable certificate"),
        ("colour", "blue", "unknown setting 'colour'"),
    ],
)
def test_settings_refuse_bad_values(key: str, value: object, says: str) -> None:
    with pytest.raises(ConfigError, match="SMPP connector 'orange'") as caught:
        SmppSettings.from_mapping(BASE | {key: value})

    assert says in str(caught.value)


def test_settings_require_host() -> None:
    with pytest.raises(ConfigError, match="host is required"):
        SmppSettings.from_mapping({"name": "orange", "system_id": "relais"})


def test_settings_auto_addresses() -> None:
    settings = SmppSettings.from_mapping(BASE | {"default_source": "Relais"})

    assert settings.source_address("Promo") == (5, 0, "Promo")
    assert settings.source_address("+33612345678") == (1, 1, "33612345678")
    assert settings.source_address("36180") == (0, 1, "36180")
    assert settings.source_address(None) == (5, 0, "Relais")
    assert settings.destination_address("33612345678") == (1, 1, "33612345678")
    forced = SmppSettings.from_mapping(BASE | {"source_ton": "national", "dest_ton": 0})
    assert forced.source_address("0612345678") == (2, 1, "0612345678")
    assert forced.destination_address("33612345678") == (0, 1, "33612345678")
    assert SmppSettings.from_mapping(BASE).source_address(None) == (0, 0, "")
