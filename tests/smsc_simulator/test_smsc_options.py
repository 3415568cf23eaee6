"""Command-line values -> SimulatorConfig, and the config's own checks."""

from __future__ import annotations

import pytest

from relais.core.errors import ConfigError
from relais.smpp import CommandStatus
from relais.smsc_simulator import SimulatorConfig, config_from_options
from relais.smsc_simulator.options import parse_delay, parse_stat_mix, parse_status


@pytest.mark.parametrize(
    "raw",
    ["0x58", "0X58", "88", 88, "ESME_RTHROTTLED", "esme_rthrottled", "RTHROTTLED", " 0x58 "],
)
def test_options_status_as_hex_decimal_or_name(raw: str | int) -> None:
    assert parse_status(raw) == CommandStatus.ESME_RTHROTTLED


@pytest.mark.parametrize("raw", ["ESME_RNOPE", "0xZZ", "", "-1", "0x100000000"])
def test_options_bad_status_names_the_option(raw: str) -> None:
    with pytest.raises(ConfigError, match="--submit-error"):
        parse_status(raw)


def test_options_stat_mix_parsing() -> None:
    assert parse_stat_mix("DELIVRD=0.9,UNDELIV=0.1") == {"DELIVRD": 0.9, "UNDELIV": 0.1}
    assert parse_stat_mix("delivered:9; rejectd:1") == {"DELIVRD": 9.0, "REJECTD": 1.0}
    assert parse_stat_mix("EXPIRED=100%") == {"EXPIRED": 100.0}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("DELIVRD", "STAT=WEIGHT"),
        ("LOST=1", "is not a stat"),
        ("DELIVRD=much", "no number"),
        ("DELIVRD=-1", "negative"),
        ("DELIVRD=0", "positive weight"),
        ("", "positive weight"),
    ],
)
def test_options_bad_stat_mix(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_stat_mix(raw)


def test_options_delay_fixed_or_range() -> None:
    assert parse_delay("1000") == 1000
    assert parse_delay("500-3000") == (500, 3000)
    for bad in ("soon", "-5", "3000-500", "1-2-3"):
        with pytest.raises(ConfigError, match="--receipt-delay-ms"):
            parse_delay(bad)


def test_options_build_every_mode() -> None:
    config = config_from_options(
        system_id="relais",
        password="secret",
        max_binds=2,
        black_hole=True,
        throttle=50,
        submit_error="ESME_RSYSERR",
        submit_error_every=4,
        submit_error_destinations="+33600000001, 33600000002",
        disconnect_after=10,
        disconnect_repeat=True,
        receipt_delay_ms="200-900",
        stat_mix="DELIVRD=0.8,UNDELIV=0.2",
        receipt_parts="LAST",
        id_format="decimal",
        receipt_id_format="hex",
        receipt_tlvs=False,
        dedupe=False,
        seed=1,
    )
    assert config == SimulatorConfig(
        system_id="relais",
        password="secret",
        max_binds=2,
        black_hole=True,
        throttle_per_second=50,
        submit_error=CommandStatus.ESME_RSYSERR,
        submit_error_every=4,
        submit_error_destinations=frozenset({"33600000001", "33600000002"}),
        disconnect_after=10,
        disconnect_after_repeat=True,
        receipt_delay_ms=(200, 900),
        stat_mix={"DELIVRD": 0.8, "UNDELIV": 0.2},
        receipt_parts="last",
        id_format="decimal",
        receipt_id_format="hex",
        receipt_tlvs=False,
        dedupe_user_message_reference=False,
        seed=1,
    )
    assert config.delay_range_s == (0.2, 0.9)
    described = config.describe()
    for words in ("black hole", "throttle 50/s", "ESME_RSYSERR every 4th", "disconnect after 10"):
        assert words in described


def test_options_defaults_are_the_happy_carrier() -> None:
    config = config_from_options()
    assert config == SimulatorConfig()
    assert config.describe().startswith("happy, receipts after 0 ms (DELIVRD=1")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"receipt_parts": "middle"}, "receipt_parts"),
        ({"id_format": "base64"}, "id_format"),
        ({"receipt_id_format": "uuid"}, "receipt_id_format"),
        ({"throttle": 0}, "throttle_per_second"),
        ({"max_binds": -1}, "max_binds"),
        ({"disconnect_after": 0}, "disconnect_after"),
        ({"submit_error": "0"}, "ESME_ROK is not an error"),
        ({"submit_error_every": 2}, "need submit_error"),
        ({"submit_error_destinations": "336"}, "need submit_error"),
        ({"dedupe_window_s": 0}, "dedupe_window_s"),
    ],
)
def test_options_bad_values_raise_config_error(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_options(**options)


def test_options_config_checks_stat_mix_and_delay_directly() -> None:
    with pytest.raises(ConfigError, match="stat_mix"):
        SimulatorConfig(stat_mix={"DELIVERED?": 1})
    with pytest.raises(ConfigError, match="receipt_delay_ms"):
        SimulatorConfig(receipt_delay_ms=(900, 100))
    assert SimulatorConfig(stat_mix={"delivrd": 1}).stat_mix == {"DELIVRD": 1.0}
