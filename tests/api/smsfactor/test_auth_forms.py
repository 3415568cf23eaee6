"""Every credential form of api_reference §1.1, answered in JSON and in XML."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest

MOBILE = "33612345678"
FORMATS = {"json": "application/json", "xml": "application/xml"}


def status_of(reply, fmt: str) -> int:
    if fmt == "json":
        assert reply.headers["content-type"].startswith("application/json")
        return reply.json()["status"]
    assert reply.headers["content-type"].startswith("application/xml")
    return int(ElementTree.fromstring(reply.content).find("status").text)


def campaign(**auth) -> dict:
    body = {"sms": {"message": {"text": "Hi"}, "recipients": {"gsm": [{"value": MOBILE}]}}}
    if auth:
        body["sms"]["authentication"] = auth
    return body


async def send_with(client, customer, form: str, accept: str, *, wrong: bool = False):
    secret = "wrong-secret" if wrong else None
    token = secret or customer.token
    password = secret or customer.password
    headers = {"Accept": accept}
    query = {"to": MOBILE, "text": "Hi"}
    if form == "bearer":
        return await client.get(
            "/send", params=query, headers={**headers, "Authorization": f"Bearer {token}"}
        )
    if form == "token_query":
        return await client.get("/send", params={**query, "token": token}, headers=headers)
    if form == "sf_headers":
        return await client.get(
            "/send",
            params=query,
            headers={**headers, "sfusername": customer.email, "sfpassword": password},
        )
    if form == "username_query":
        return await client.get(
            "/send",
            params={**query, "username": customer.email, "password": password},
            headers=headers,
        )
    if form == "body_password":
        return await client.post(
            "/send", json=campaign(username=customer.email, password=password), headers=headers
        )
    if form == "body_token":
        return await client.post("/send", json=campaign(token=token), headers=headers)
    if form == "form_data":
        body = campaign(username=customer.email, password=password)
        return await client.post(
            "/send",
            content=urlencode({"data": json.dumps(body)}),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
    raise AssertionError(form)


AUTH_FORMS = [
    "bearer",
    "token_query",
    "sf_headers",
    "username_query",
    "body_password",
    "body_token",
    "form_data",
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form", AUTH_FORMS)
async def test_auth_form_accepts_good_credentials(client, customer, form, fmt):
    reply = await send_with(client, customer, form, FORMATS[fmt])
    assert reply.status_code == 200
    assert status_of(reply, fmt) == 1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("form", AUTH_FORMS)
async def test_auth_form_refuses_wrong_credentials_with_minus_1(client, customer, form, fmt):
    reply = await send_with(client, customer, form, FORMATS[fmt], wrong=True)
    assert reply.status_code == 200
    assert status_of(reply, fmt) == -1
    balance = await client.get(
        "/credits", headers={**customer.bearer, "Accept": "application/json"}
    )
    assert balance.json()["credits"] == "100"


async def test_bearer_wins_over_body_credentials(client, customer):
    body = campaign(username=customer.email, password=customer.password)
    reply = await client.post("/send", json=body, headers={"Authorization": "Bearer wrong"})
    assert reply.json()["status"] == -1


async def test_non_bearer_authorization_scheme_is_refused(client, customer):
    reply = await client.get(
        "/credits",
        headers={"Authorization": f"Basic {customer.token}", "Accept": "application/json"},
    )
    assert reply.json()["status"] == -1
