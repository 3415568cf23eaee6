"""The app's own 404 and 405 answers: each in the format of the dialect whose paths they
fall under, even where no route pattern of that dialect matches."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/%0Asend"),  # a newline: the /v1 catch-all's pattern does not match it
        ("TRACE", "/v1/send"),  # a method the catch-all does not list
        ("PROPFIND", "/v1/me?_format=xml"),
    ],
)
async def test_what_no_smspartner_route_takes_answers_in_smspartner_shape(client, method, path):
    reply = await client.request(method, path)
    assert reply.status_code == 404
    if "_format=xml" in path:
        assert reply.content.startswith(b"<?xml") and b"<success>false</success>" in reply.content
    else:
        assert reply.json()["success"] is False
        assert reply.json()["code"] == 404


async def test_a_path_outside_every_dialect_still_answers_in_smsfactor_shape(client):
    reply = await client.request("TRACE", "/send")
    assert reply.status_code == 405
    assert reply.json()["status"] == -7
