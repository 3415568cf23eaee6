"""`python -m relais.smsc_simulator --port 2775 ...`: the simulator alone, same options as
`relais smsc-simulator`."""

from __future__ import annotations

import typer

from relais.smsc_simulator.cli import smsc_simulator

typer.run(smsc_simulator)
