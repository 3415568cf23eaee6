"""Delivery over real SMPP on TCP: the dispatcher and the SMPP connector against the carrier
simulator in each of its modes, on both databases. Nothing lost, nothing sent twice, every
message in the right final status."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from tests.support import fetch_all, make_customer, wait_until

from relais.delivery.connectors.factory import build_connector
from relais.delivery.dispatcher import Dispatcher
from relais.services import connectors as connector_service
from relais.services.sending.numbers import Recipient, Submission, send
from relais.smpp import CommandStatus
from relais.smsc_simulator.config import SimulatorConfig
from relais.smsc_simulator.server import SmscSimulator
from relais.store.tables import blacklist, inbound_messages, messages

FINAL_OR_WAITING = {"queued", "sending", "sent"}


def numbers(count: int, base: int = 60000000) -> list[Recipient]:
    return [Recipient(f"336{base + i:08d}") for i in range(count)]


async def message_rows(platform) -> list:
    return await fetch_all(
        platform,
        select(messages.c.id, messages.c.status, messages.c.error, messages.c.attempts).order_by(
            messages.c.id
        ),
    )


@contextlib.asynccontextmanager
async def carrier(
    platform, config: SimulatorConfig, **settings
) -> AsyncIterator[tuple[SmscSimulator, Dispatcher]]:
    """A simulator on a free port, an SMPP connector routed to it, and a dispatcher."""
    simulator = SmscSimulator(config)
    await simulator.start()
    await connector_service.put_connector(
        platform,
        actor="test",
        name="smsc",
        kind="smpp",
        settings={
            "host": "127.0.0.1",
            "port": simulator.port,
            "system_id": "relais",
            "password": "secret",
            "window": 20,
            "response_timeout_s": 1.0,
            "reconnect_min_s": 0.05,
            "reconnect_max_s": 0.2,
            "retry_initial_s": 0.05,
            "retry_max_s": 0.2,
            **settings,
        },
    )
    await connector_service.add_route(platform, actor="test", connector="smsc")
    dispatcher = Dispatcher(
        platform,
        factory=build_connector,
        builtin=None,
        batch_size=50,
        reconcile_s=0.2,
        sweep_s=0.1,
        part_grace_ms=300,
        linger_s=0.01,
    )
    platform.on_queued = dispatcher.wake
    await dispatcher.start()
    try:
        yield simulator, dispatcher
    finally:
        await dispatcher.stop()
        await simulator.stop()


async def send_to(platform, recipients: list[Recipient], text: str = "Hello") -> None:
    customer = await make_customer(platform, credits=100_000)
    await send(platform, account=customer.account, submission=Submission(text, recipients))


async def all_final(platform) -> bool:
    return not {row.status for row in await message_rows(platform)} & FINAL_OR_WAITING


async def test_happy_carrier_delivers_every_message_exactly_once(platform):
    async with carrier(platform, SimulatorConfig(system_id="relais", password="secret")) as (
        simulator,
        _,
    ):
        await send_to(platform, numbers(300))
        await wait_until(lambda: all_final(platform))
        rows = await message_rows(platform)
        assert {row.status for row in rows} == {"delivered"}
        assert simulator.counters.accepted == 300
        assert len({entry.destination for entry in simulator.accepted}) == 300


async def test_long_messages_go_as_concatenated_parts_with_one_status(platform):
    config = SimulatorConfig(system_id="relais", password="secret")
    async with carrier(platform, config) as (simulator, _):
        await send_to(platform, numbers(5), text="ê" * 200)  # UCS-2, 3 parts
        await wait_until(lambda: all_final(platform))
        assert {row.status for row in await message_rows(platform)} == {"delivered"}
        assert simulator.counters.accepted == 15
        texts = {entry.whole_text for entry in simulator.accepted if entry.whole_text}
        assert texts == {"ê" * 200}


@pytest.mark.parametrize("id_format", ["hex", "decimal"])
async def test_receipts_in_the_other_base_still_match(platform, id_format):
    config = SimulatorConfig(
        system_id="relais",
        password="secret",
        id_format=id_format,
        receipt_id_format=("decimal" if id_format == "hex" else "hex"),
    )
    async with carrier(platform, config):
        await send_to(platform, numbers(40))
        await wait_until(lambda: all_final(platform))
        assert {row.status for row in await message_rows(platform)} == {"delivered"}


async def test_stat_mix_maps_to_final_statuses(platform):
    config = SimulatorConfig(
        system_id="relais",
        password="secret",
        stat_mix={"DELIVRD": 0.5, "UNDELIV": 0.25, "EXPIRED": 0.15, "REJECTD": 0.1},
        receipt_delay_ms=(5, 50),
        seed=3,
    )
    async with carrier(platform, config):
        await send_to(platform, numbers(200))
        await wait_until(lambda: all_final(platform))
        counts = Counter(row.status for row in await message_rows(platform))
        assert set(counts) == {"delivered", "not_delivered", "expired", "rejected"}
        assert sum(counts.values()) == 200


@pytest.mark.parametrize("parts", ["first", "last"])
async def test_carrier_reporting_one_part_still_settles_the_message(platform, parts):
    config = SimulatorConfig(system_id="relais", password="secret", receipt_parts=parts)
    async with carrier(platform, config) as (simulator, _):
        await send_to(platform, numbers(4), text="x" * 400)  # 3 GSM parts
        await wait_until(lambda: all_final(platform))
        assert {row.status for row in await message_rows(platform)} == {"delivered"}
        assert simulator.counters.receipts_sent == 4


async def test_black_hole_messages_expire_after_validity(platform):
    config = SimulatorConfig(system_id="relais", password="secret", black_hole=True)
    async with carrier(platform, config) as (simulator, dispatcher):
        dispatcher.validity_ms = 500
        await send_to(platform, numbers(10))
        await wait_until(lambda: all_final(platform))
        rows = await message_rows(platform)
        assert {row.status for row in rows} == {"expired"}
        assert simulator.counters.accepted == 10


async def test_permanent_submit_error_is_a_final_failure_with_its_smpp_error(platform):
    config = SimulatorConfig(
        system_id="relais",
        password="secret",
        submit_error=CommandStatus.ESME_RINVDSTADR,
        submit_error_destinations=frozenset({"33660000001"}),
    )
    async with carrier(platform, config):
        await send_to(platform, numbers(3))
        await wait_until(lambda: all_final(platform))
        rows = await message_rows(platform)
        assert [row.status for row in rows] == ["delivered", "invalid_destination", "delivered"]
        assert "ESME_RINVDSTADR" in rows[1].error


async def test_throttled_carrier_gets_everything_once_in_the_end(platform):
    config = SimulatorConfig(system_id="relais", password="secret", throttle_per_second=200)
    async with carrier(platform, config) as (simulator, _):
        await send_to(platform, numbers(400))
        await wait_until(lambda: all_final(platform), seconds=40)
        assert {row.status for row in await message_rows(platform)} == {"delivered"}
        assert simulator.counters.throttled > 0
        assert simulator.counters.accepted == 400


async def test_disconnects_lose_nothing_and_send_nothing_twice(platform):
    config = SimulatorConfig(
        system_id="relais", password="secret", disconnect_after=70, disconnect_after_repeat=True
    )
    async with carrier(platform, config) as (simulator, _):
        await send_to(platform, numbers(300))
        await wait_until(lambda: all_final(platform), seconds=40)
        assert {row.status for row in await message_rows(platform)} == {"delivered"}
        assert simulator.counters.disconnects >= 3
        assert simulator.counters.accepted == 300  # retries recognised, not delivered again


async def test_no_response_keeps_messages_queued_for_retry(platform):
    config = SimulatorConfig(system_id="relais", password="secret", no_response=True)
    async with carrier(platform, config) as (simulator, _):
        await send_to(platform, numbers(5))

        async def retried() -> bool:
            rows = await message_rows(platform)
            return all(row.attempts >= 2 for row in rows)

        await wait_until(retried)
        rows = await message_rows(platform)
        assert {row.status for row in rows} <= {"queued", "sending"}
        assert simulator.counters.accepted == 0


async def test_inbound_reply_and_stop_are_stored_and_stop_blacklists(platform):
    config = SimulatorConfig(system_id="relais", password="secret")
    async with carrier(platform, config) as (simulator, _):
        await send_to(platform, numbers(1))
        await wait_until(lambda: all_final(platform))
        await simulator.inject_mo(source="33660000000", destination="36000", text="Oui merci")
        await simulator.inject_mo(
            source="33660000000", destination="36000", text="Réponse " * 30, shuffle=True
        )
        await simulator.inject_stop(source="33660000000", destination="36000")

        async def stored() -> bool:
            return len(await fetch_all(platform, select(inbound_messages.c.id))) == 3

        await wait_until(stored)
    rows = await fetch_all(
        platform,
        select(inbound_messages.c.text, inbound_messages.c.is_stop).order_by(inbound_messages.c.id),
    )
    assert [tuple(r) for r in rows] == [
        ("Oui merci", False),
        ("Réponse " * 30, False),
        ("STOP", True),
    ]
    listed = await fetch_all(platform, select(blacklist.c.destination))
    assert [r[0] for r in listed] == ["33660000000"]
