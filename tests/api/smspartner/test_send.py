"""POST|GET /v1/send: the reply of §2.2 in JSON and XML, the shared sending path, sandbox,
scheduling, and every error code a send's input can trigger, with nothing stored."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from tests.api.smspartner.partner import (
    MOBILE,
    MSISDN,
    NATIONAL,
    TUESDAY,
    at,
    stored,
    xml_reply,
)
from tests.support import fetch_all, make_customer

from relais.core.schedule import PARIS
from relais.services import suspension, tokens
from relais.store.tables import campaigns, messages


def body(customer, **fields) -> dict:
    return {"apiKey": customer.token, "phoneNumbers": MOBILE, "message": "Bonjour", **fields}


async def test_send_answers_message_id_nb_sms_cost_and_queues_the_message(
    client, customer, platform
):
    at(platform, TUESDAY)
    reply = await client.post("/v1/send", json=body(customer, sender="mycompany"))
    assert reply.status_code == 200
    answer = reply.json()
    assert answer == {
        "success": True,
        "code": 200,
        "message_id": answer["message_id"],
        "nb_sms": 1,
        "cost": 0.045,
        "currency": "EUR",
    }
    assert isinstance(answer["message_id"], int) and answer["message_id"] > 0
    rows = await fetch_all(platform, select(messages.c.destination, messages.c.status))
    assert rows == [(MSISDN, "queued")]
    sender = await fetch_all(platform, select(campaigns.c.sender))
    assert sender == [("mycompany",)]


async def test_send_get_form_and_xml_format(client, customer, platform):
    at(platform, TUESDAY)
    reply = await client.get(
        "/v1/send",
        params={**body(customer), "phoneNumbers": NATIONAL, "_format": "xml"},
    )
    assert reply.headers["content-type"].startswith("application/xml")
    answer = xml_reply(reply.content)
    assert (answer["success"], answer["code"], answer["nb_sms"]) == ("true", "200", "1")
    assert answer["currency"] == "EUR" and int(answer["message_id"]) > 0


async def test_send_to_several_numbers_counts_each_once(client, customer, platform):
    at(platform, TUESDAY)
    numbers = f"{MOBILE}, {NATIONAL},+33612345679,+4915112345678"
    reply = await client.post("/v1/send", json=body(customer, phoneNumbers=numbers))
    assert reply.json()["nb_sms"] == 3
    rows = await fetch_all(platform, select(messages.c.destination).order_by(messages.c.id))
    assert rows == [(MSISDN,), ("33612345679",), ("4915112345678",)]


async def test_send_stores_tag_and_callback_urls_on_the_campaign(client, customer, platform):
    at(platform, TUESDAY)
    fields = body(
        customer, tag="promo-1", urlDlr="https://example.com/dlr", urlResponse="http://x.fr/mo"
    )
    assert (await client.post("/v1/send", json=fields)).json()["success"] is True
    rows = await fetch_all(
        platform, select(campaigns.c.tag, campaigns.c.dlr_url, campaigns.c.reply_url)
    )
    assert rows == [("promo-1", "https://example.com/dlr", "http://x.fr/mo")]


async def test_br_euro_and_special_characters_are_replaced_outside_unicode(
    client, customer, platform
):
    at(platform, TUESDAY)
    message = "Prix:br:10:euro: [offre] ça ôte ~ «ok»"
    await client.post("/v1/send", json=body(customer, message=message))
    rows = await fetch_all(platform, select(campaigns.c.text, campaigns.c.encoding))
    assert rows == [('Prix\n10€ (offre) Ça ote  "ok"', "gsm7")]


async def test_unicode_mode_keeps_the_characters_and_counts_70_per_sms(client, customer, platform):
    at(platform, TUESDAY)
    reply = await client.post(
        "/v1/send", json=body(customer, message="ô" * 71 + ":br:", isUnicode=1)
    )
    assert reply.json()["nb_sms"] == 2
    rows = await fetch_all(platform, select(campaigns.c.text, campaigns.c.encoding))
    assert rows == [("ô" * 71 + "\n", "ucs2")]


async def test_sandbox_prices_and_stores_nothing(client, customer, platform):
    at(platform, TUESDAY)
    before = await stored(platform)
    reply = await client.post("/v1/send", json=body(customer, sandbox=1, message="a" * 161))
    answer = reply.json()
    assert (answer["success"], answer["nb_sms"], answer["cost"]) == (True, 2, 0.09)
    assert answer["message_id"] == 0
    assert await stored(platform) == before


async def test_sandbox_still_answers_insufficient_credit(client, platform):
    at(platform, TUESDAY)
    poor = await make_customer(platform, email="poor@example.com", credits=0)
    reply = await client.post("/v1/send", json=body(poor, sandbox=1))
    assert reply.json() == {"success": False, "code": 11, "message": "Crédit insuffisant"}


async def test_scheduled_send_answers_its_date(client, customer, platform):
    at(platform, TUESDAY)
    fields = body(customer, scheduledDeliveryDate="08/07/2026", time=9, minute=35)
    answer = (await client.post("/v1/send", json=fields)).json()
    assert answer["scheduledDeliveryDate"] == "2026-07-08 09:35:00"
    rows = await fetch_all(platform, select(campaigns.c.status, campaigns.c.send_at))
    expected = int(datetime(2026, 7, 8, 9, 35, tzinfo=PARIS).timestamp() * 1000)
    assert rows == [("scheduled", expected)]


async def test_marketing_send_adds_the_stop_mention(client, customer, platform):
    at(platform, TUESDAY)
    await client.post("/v1/send", json=body(customer, isStopSms=1))
    rows = await fetch_all(platform, select(campaigns.c.text, campaigns.c.pushtype))
    assert rows == [(f"Bonjour\n{platform.settings.stop_notice}", "marketing")]


async def test_marketing_send_at_night_is_held_until_8am(client, customer, platform):
    at(platform, datetime(2026, 7, 7, 21, 0, tzinfo=PARIS))
    answer = (await client.post("/v1/send", json=body(customer, isStopSms=1))).json()
    assert answer["scheduledDeliveryDate"] == "2026-07-08 08:00:00"


@pytest.mark.parametrize(
    ("date", "hour", "code"),
    [
        ("08/07/2026", 21, 22),  # a Wednesday, after 20:00
        ("08/07/2026", 7, 22),  # before 08:00
        ("12/07/2026", 10, 23),  # a Sunday
        ("14/07/2026", 10, 23),  # Bastille Day
    ],
)
async def test_marketing_send_scheduled_outside_the_window_is_refused(
    client, customer, platform, date, hour, code
):
    at(platform, TUESDAY)
    before = await stored(platform)
    fields = body(customer, isStopSms=1, scheduledDeliveryDate=date, time=hour, minute=0)
    answer = (await client.post("/v1/send", json=fields)).json()
    assert (answer["success"], answer["code"]) == (False, code)
    assert await stored(platform) == before


async def test_alert_send_scheduled_on_a_sunday_night_is_accepted(client, customer, platform):
    at(platform, TUESDAY)
    fields = body(customer, scheduledDeliveryDate="12/07/2026", time=23, minute=55)
    assert (await client.post("/v1/send", json=fields)).json()["success"] is True


def too_many_numbers() -> str:
    return ",".join(f"+336{n:08d}" for n in range(501))


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"apiKey": None}, 1, "Clé API requise"),
        ({"apiKey": "nope"}, 10, "Clé API incorrecte"),
        ({"phoneNumbers": None}, 2, "Le numéro de téléphone est requis"),
        ({"phoneNumbers": " , ,"}, 55, "Aucun numéro à qui envoyer"),
        ({"phoneNumbers": too_many_numbers()}, 50, "500 numéros maximum par envoi"),
        ({"message": None}, 43, "Le message est requis"),
        ({"message": ""}, 43, "Le message est requis"),
        ({"sender": "my-company"}, 44, "L'émetteur n'est pas valide"),
        ({"time": 9}, 45, "La date d'envoi est requise"),
        ({"scheduledDeliveryDate": "2026-07-08", "time": 9, "minute": 0}, 49, None),
        ({"scheduledDeliveryDate": "31/02/2026", "time": 9, "minute": 0}, 49, None),
        ({"scheduledDeliveryDate": "08/07/2026", "time": 25, "minute": 0}, 46, None),
        ({"scheduledDeliveryDate": "08/07/2026", "time": 9, "minute": "x"}, 47, None),
        ({"scheduledDeliveryDate": "08/07/2026", "time": 9, "minute": 7}, 48, None),
        ({"scheduledDeliveryDate": "08/07/2026", "time": 9, "minute": 60}, 48, None),
        ({"message": "a" * 1531}, 52, "Le message ne peut pas dépasser 10 SMS concaténés"),
        ({"message": "a" * 161, "gamme": 2}, 42, "Gamme Low Cost : 160 caractères maximum"),
    ],
)
async def test_send_errors_answer_their_code_and_store_nothing(
    client, customer, platform, fields, code, message
):
    at(platform, TUESDAY)
    before = await stored(platform)
    request = {k: v for k, v in body(customer, **fields).items() if v is not None}
    reply = await client.post("/v1/send", json=request)
    assert reply.status_code == 200
    answer = reply.json()
    assert (answer["success"], answer["code"]) == (False, code)
    if message is not None:
        assert answer["message"] == message
    assert await stored(platform) == before


async def test_constraint_errors_answer_code_9_with_each_element(client, customer, platform):
    at(platform, TUESDAY)
    before = await stored(platform)
    fields = body(
        customer,
        phoneNumbers="922264,+33612345678",
        sender="averylongsender",
        tag="Has Spaces",
        urlDlr="ftp://nope",
        gamme=3,
    )
    answer = (await client.post("/v1/send", json=fields)).json()
    assert answer == {
        "success": False,
        "code": 9,
        "error": [
            {
                "elementId": "children[phoneNumbers].data",
                "message": "Ce numero de telephone n'est pas valide (922264)",
            },
            {
                "elementId": "children[sender].data",
                "message": "L'emetteur ne peut pas etre plus long que 11 caracteres",
            },
            {
                "elementId": "children[tag].data",
                "message": "Le tag doit faire 20 caracteres au plus, en minuscules, sans espace",
            },
            {
                "elementId": "children[urlDlr].data",
                "message": "L'URL n'est pas valide (ftp://nope)",
            },
            {
                "elementId": "children[gamme].data",
                "message": "La gamme doit etre 1 (Premium) ou 2 (Low Cost)",
            },
        ],
    }
    assert await stored(platform) == before


async def test_scheduled_date_without_time_or_in_the_past_is_code_9(client, customer, platform):
    at(platform, TUESDAY)
    missing = (
        await client.post("/v1/send", json=body(customer, scheduledDeliveryDate="08/07/2026"))
    ).json()
    assert missing["code"] == 9
    assert [e["elementId"] for e in missing["error"]] == [
        "children[minute].data",
        "children[time].data",
    ]
    past = body(customer, scheduledDeliveryDate="21/11/2014", time=9, minute=0)
    answer = (await client.post("/v1/send", json=past)).json()
    assert answer["error"] == [
        {
            "elementId": "children[scheduledDeliveryDate].data",
            "message": "La date (21/11/2014 à 9:00) est anterieure a la date actuelle.",
        }
    ]


async def test_malformed_json_is_code_90_with_http_400(client, customer, platform):
    reply = await client.post(
        "/v1/send",
        content=b'{"apiKey": "x", "message": "a "b""}',
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert reply.json() == {"success": False, "code": 90, "message": "JSON mal formé"}
    xml = await client.post("/v1/send?_format=xml", content=b"{oops")
    assert xml.status_code == 400 and xml_reply(xml.content)["code"] == "90"


async def test_insufficient_credit_is_code_11_and_stores_nothing(client, platform):
    at(platform, TUESDAY)
    poor = await make_customer(platform, email="poor@example.com", credits=0)
    before = await stored(platform)
    answer = (await client.post("/v1/send", json=body(poor))).json()
    assert answer == {"success": False, "code": 11, "message": "Crédit insuffisant"}
    assert await stored(platform) == before


async def test_expired_key_is_code_10_and_foreign_address_is_code_96(client, customer, platform):
    at(platform, TUESDAY)
    limited = await tokens.create_token(
        platform, account_id=customer.account.id, allowed_ips=["10.9.9.9"]
    )
    answer = (await client.post("/v1/send", json=body(customer, apiKey=limited.value))).json()
    assert (answer["code"], answer["message"]) == (96, "Adresse IP non autorisée")
    short = await tokens.create_token(platform, account_id=customer.account.id, ttl=60)
    at(platform, datetime(2026, 7, 8, 10, 0, tzinfo=PARIS))
    expired = (await client.post("/v1/send", json=body(customer, apiKey=short.value))).json()
    assert (expired["code"], expired["message"]) == (10, "Clé API incorrecte")


async def test_errors_in_xml(client, customer, platform):
    reply = await client.get("/v1/send", params={"_format": "xml", "phoneNumbers": MOBILE})
    assert xml_reply(reply.content) == {
        "success": "false",
        "code": "1",
        "message": "Clé API requise",
    }
    bad = await client.get(
        "/v1/send",
        params={**body(customer), "_format": "xml", "phoneNumbers": "12"},
    )
    assert xml_reply(bad.content)["error"] == [
        {
            "elementId": "children[phoneNumbers].data",
            "message": "Ce numero de telephone n'est pas valide (12)",
        }
    ]


async def test_unknown_paths_and_methods_under_v1_answer_in_smspartner_shape(client, customer):
    unknown = await client.get("/v1/nothing", params={"apiKey": customer.token})
    assert unknown.status_code == 404
    assert unknown.json() == {
        "success": False,
        "code": 404,
        "message": "Aucune ressource GET /v1/nothing",
    }
    wrong = await client.delete("/v1/send", params={"_format": "xml"})
    assert wrong.status_code == 404 and xml_reply(wrong.content)["code"] == "404"


async def test_a_suspended_account_is_code_30(client, customer, platform):
    await suspension.suspend(platform, actor="test", account_id=customer.account.id)
    answer = (await client.post("/v1/send", json=body(customer))).json()
    assert answer == {"success": False, "code": 30, "message": "Compte bloqué"}
