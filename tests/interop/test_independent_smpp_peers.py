"""Interoperability with SMPP implementations not written here:

* our connector and dispatcher against an SMSC built on the npm `smpp` package, run under node;
* the smpplib client (PyPI) against our carrier simulator.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import threading
from pathlib import Path

import smpplib.client
import smpplib.consts
import smpplib.gsm
from sqlalchemy import select
from tests.support import fetch_all, make_customer, wait_until

from relais.delivery.connectors.factory import build_connector
from relais.delivery.dispatcher import Dispatcher
from relais.services import connectors as connector_service
from relais.services.sending.numbers import Recipient, Submission, send
from relais.smsc_simulator.server import SmscSimulator
from relais.store.tables import inbound_messages, messages

HERE = Path(__file__).parent


class NodeSmsc:
    """`node smsc.js PORT` in a subprocess; collects the submits it reports."""

    def __init__(self, port: int) -> None:
        node = shutil.which("node")
        assert node, "node is needed for this test (scripts/test installs it)"
        assert (HERE / "node_modules" / "smpp").is_dir(), "run npm ci in tests/interop"
        self.process = subprocess.Popen(
            [node, str(HERE / "smsc.js"), str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        first = self.process.stdout.readline()
        assert first.startswith("listening"), first
        self.submits: list[dict] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.submits.append(json.loads(line))

    def inject_mo(self, source: str, destination: str, text: str) -> None:
        self.process.stdin.write(f"mo {source} {destination} {text}\n")
        self.process.stdin.flush()

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self.process.stdin.close()


async def test_connector_delivers_through_the_npm_smpp_smsc(platform, unused_tcp_port):
    smsc = NodeSmsc(unused_tcp_port)
    try:
        await connector_service.put_connector(
            platform,
            actor="test",
            name="node",
            kind="smpp",
            settings={"host": "127.0.0.1", "port": unused_tcp_port, "system_id": "relais"},
        )
        await connector_service.add_route(platform, actor="test", connector="node")
        dispatcher = Dispatcher(platform, factory=build_connector, builtin=None, linger_s=0.01)
        platform.on_queued = dispatcher.wake
        await dispatcher.start()
        try:
            customer = await make_customer(platform, credits=100)
            recipients = [Recipient("33612345601"), Recipient("33612345699")]
            await send(
                platform,
                account=customer.account,
                submission=Submission("Hello node", recipients, sender="RELAIS"),
            )
            await send(
                platform,
                account=customer.account,
                submission=Submission("Bonjour ô " * 10, [Recipient("33612345602")]),
            )

            async def settled() -> bool:
                rows = await fetch_all(platform, select(messages.c.status))
                return {r[0] for r in rows} <= {"delivered", "not_delivered"}

            await wait_until(settled)
            smsc.inject_mo("33612345601", "RELAIS", "STOP")

            async def stop_stored() -> bool:
                return bool(await fetch_all(platform, select(inbound_messages.c.id)))

            await wait_until(stop_stored)
        finally:
            await dispatcher.stop()
    finally:
        smsc.close()
    rows = await fetch_all(
        platform, select(messages.c.destination, messages.c.status).order_by(messages.c.id)
    )
    assert [tuple(r) for r in rows] == [
        ("33612345601", "delivered"),
        ("33612345699", "not_delivered"),
        ("33612345602", "delivered"),
    ]
    by_destination = {}
    for submit in smsc.submits:
        by_destination.setdefault(submit["destination"], []).append(submit)
    hello = by_destination["33612345601"][0]
    assert (hello["source"], hello["source_ton"], hello["message"]) == ("RELAIS", 5, "Hello node")
    assert hello["registered_delivery"] == 1
    long_parts = by_destination["33612345602"]
    assert len(long_parts) == 2  # 100 UCS-2 characters: two parts of at most 67
    assert {p["data_coding"] for p in long_parts} == {8}
    assert "".join(p["message"] for p in long_parts) == "Bonjour ô " * 10
    inbound = await fetch_all(
        platform, select(inbound_messages.c.source, inbound_messages.c.is_stop)
    )
    assert [tuple(r) for r in inbound] == [("33612345601", True)]


def test_smpplib_client_is_served_by_the_carrier_simulator():
    async def serve(started: threading.Event, stop: threading.Event, box: dict) -> None:
        async with SmscSimulator(system_id="lib", password="pw") as simulator:
            box["port"] = simulator.port
            box["simulator"] = simulator
            started.set()
            await asyncio.to_thread(stop.wait)

    started, stop, box = threading.Event(), threading.Event(), {}
    server = threading.Thread(target=lambda: asyncio.run(serve(started, stop, box)))
    server.start()
    try:
        assert started.wait(10)
        client = smpplib.client.Client(
            "127.0.0.1", box["port"], timeout=5, allow_unknown_opt_params=True
        )
        receipts: list[str] = []
        sent: list[str] = []
        client.set_message_received_handler(
            lambda pdu: receipts.append(pdu.short_message.decode()) or 0
        )
        client.set_message_sent_handler(lambda pdu: sent.append(pdu.message_id.decode()))
        client.connect()
        client.bind_transceiver(system_id="lib", password="pw")
        parts, coding, esm_class = smpplib.gsm.make_parts("Hello from smpplib")
        for part in parts:
            client.send_message(
                source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
                source_addr="LIB",
                dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                destination_addr="33612345678",
                short_message=part,
                data_coding=coding,
                esm_class=esm_class,
                registered_delivery=True,
            )
        while len(sent) < 1 or len(receipts) < 1:
            client.read_once()
        client.unbind()
        client.disconnect()
    finally:
        stop.set()
        server.join(10)
    assert len(sent) == 1 and sent[0]
    assert f"id:{sent[0]}" in receipts[0] and "stat:DELIVRD" in receipts[0]
    accepted = list(box["simulator"].accepted)
    assert [(a.source, a.destination, a.text) for a in accepted] == [
        ("LIB", "33612345678", "Hello from smpplib")
    ]
