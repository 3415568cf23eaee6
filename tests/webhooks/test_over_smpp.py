"""Events from a real SMPP carrier to a real HTTP receiver: a message delivered by the SMSC
simulator, a reply and a STOP it sends back as deliver_sm, each ends as its webhook (DLR, MO,
STOP) at the customer's endpoint, on both backends."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.delivery.test_smpp_delivery import carrier
from tests.support import make_customer, wait_until
from tests.webhooks.receiver import Receiver

from relais.services import webhooks
from relais.services.sending.numbers import Recipient, Submission, send
from relais.smsc_simulator.config import SimulatorConfig
from relais.webhooks.sender import WebhookSender

MOBILE = "33660000000"


async def test_receipt_reply_and_stop_from_smpp_arrive_as_webhooks(platform):
    platform.settings = replace(platform.settings, webhook_allow_private=True)
    shop = await make_customer(platform, credits=100)
    async with Receiver() as receiver:
        for kind in ("DLR", "MO", "STOP"):
            await webhooks.create_webhook(
                platform, account_id=shop.account.id, type=kind, url=f"{receiver.url}/{kind}"
            )
        sender = WebhookSender(platform)
        platform.on_events = sender.wake
        sender.start()
        try:
            config = SimulatorConfig(system_id="relais", password="secret")
            async with carrier(platform, config) as (simulator, _):
                report = await send(
                    platform,
                    account=shop.account,
                    submission=Submission("Hello", [Recipient(MOBILE, "g-1")]),
                )

                async def told(count: int) -> bool:
                    return len(receiver.received) >= count

                await wait_until(lambda: told(1))
                await simulator.inject_mo(source=MOBILE, destination="36000", text="Oui merci")
                await wait_until(lambda: told(2))
                await simulator.inject_stop(source=MOBILE, destination="36000")
                await wait_until(lambda: told(3))
        finally:
            await sender.stop()
    by_path = {r.target: json.loads(r.body) for r in receiver.received}
    assert by_path.keys() == {"/hook/DLR", "/hook/MO", "/hook/STOP"}
    dlr = by_path["/hook/DLR"]
    assert (dlr["status"], dlr["destination"], dlr["message_id"], dlr["campaign_id"]) == (
        3,
        MOBILE,
        "g-1",
        str(report.ticket),
    )
    mo, stop = by_path["/hook/MO"], by_path["/hook/STOP"]
    assert (mo["message"], mo["from"], mo["last_message_id"]) == ("Oui merci", MOBILE, "g-1")
    assert (stop["message"], stop["from"], stop["account_id"]) == (
        "STOP",
        MOBILE,
        str(shop.account.id),
    )
