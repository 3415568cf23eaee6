"""Simulators and test ESMEs that close themselves at the end of each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from tests.smsc_simulator.esme import Esme

from relais.smsc_simulator import SmscSimulator

StartSmsc = Callable[..., Awaitable[SmscSimulator]]
Connect = Callable[..., Awaitable[Esme]]


@pytest.fixture
async def start_smsc() -> AsyncIterator[StartSmsc]:
    """`await start_smsc(black_hole=True)`: a listening simulator with that config."""
    started: list[SmscSimulator] = []

    async def start(**config: Any) -> SmscSimulator:
        simulator = SmscSimulator(**config)
        await simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.stop()


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """`await connect(smsc, bind="trx")`: a test ESME, bound unless bind=None."""
    clients: list[Esme] = []

    async def open_(
        simulator: SmscSimulator, bind: str | None = "trx", system_id: str = "relais"
    ) -> Esme:
        esme = await Esme.connect(simulator.port)
        clients.append(esme)
        if bind is not None:
            answer = await esme.bind(bind, system_id=system_id)  # type: ignore[arg-type]
            assert answer.command_status == 0, answer
        return esme

    yield open_
    for esme in clients:
        await esme.close()
