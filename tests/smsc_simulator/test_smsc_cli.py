"""The `smsc-simulator` typer command, without starting a server."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from relais.core.errors import ConfigError
from relais.smsc_simulator.cli import add_simulator_command, run_simulator_from_options


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A stand-in for relais.cli's app."""

    add_simulator_command(app)
    return app


def test_cli_command_is_registered_with_every_option() -> None:
    result = CliRunner().invoke(make_app(), ["smsc-simulator", "--help"])
    assert result.exit_code == 0
    assert "fault-injecting SMPP" in result.output
    command = typer.main.get_command(make_app()).commands["smsc-simulator"]  # type: ignore[attr-defined]
    options = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    for option in (
        "--port",
        "--system-id",
        "--password",
        "--max-binds",
        "--black-hole",
        "--no-response",
        "--throttle",
        "--submit-error",
        "--submit-error-every",
        "--submit-error-destinations",
        "--disconnect-after",
        "--receipt-delay-ms",
        "--stat-mix",
        "--receipt-parts",
        "--id-format",
        "--receipt-id-format",
        "--mo-every-s",
        "--stop-every-s",
        "--disconnect-repeat",
        "--receipt-before-response",
        "--no-receipt-tlvs",
        "--no-dedupe",
        "--seed",
    ):
        assert option in options


def test_cli_bad_value_exits_2_with_a_clear_message() -> None:
    result = CliRunner().invoke(make_app(), ["smsc-simulator", "--submit-error", "ESME_RNOPE"])
    assert result.exit_code == 2
    assert "--submit-error" in result.output


def test_cli_run_checks_demo_periods_before_listening() -> None:
    with pytest.raises(ConfigError, match="--mo-every-s"):
        run_simulator_from_options(port=0, mo_every_s=0)
