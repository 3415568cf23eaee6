from __future__ import annotations

import json
from datetime import datetime

import pytest

from relais.core.events import (
    EventType,
    balance_alert_body,
    clicker_body,
    dlr_body,
    mo_body,
    stop_body,
)
from relais.core.instant import to_ms
from relais.core.schedule import PARIS
from relais.core.status import MessageStatus

WINTER = to_ms(datetime(2018, 1, 16, 11, 55, 12, 999000, tzinfo=PARIS))
SUMMER = to_ms(datetime(2017, 8, 7, 13, 1, 29, tzinfo=PARIS))


def test_dlr_body_is_the_reference_sample_byte_for_byte():
    body = dlr_body(
        status=MessageStatus.DELIVERED,
        at_ms=WINTER,
        destination="+33612345678",
        gsmsmsid="621277",
        ticket=15948909,
        country_code="FR",
    )
    assert body == (
        b'{"date":"2018-01-16T11:55:12+01:00","status":3,"destination":"33612345678",'
        b'"message_id":"621277","campaign_id":"15948909","country_code":"FR"}'
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (MessageStatus.QUEUED, 0),
        (MessageStatus.SENDING, 0),
        (MessageStatus.HELD, 0),
        (MessageStatus.CANCELLED, 0),
        (MessageStatus.SENT, 1),
        (MessageStatus.NOT_DELIVERED, 2),
        (MessageStatus.DELIVERED, 3),
        (MessageStatus.NOT_ALLOWED, 4),
        (MessageStatus.INVALID_DESTINATION, 5),
        (MessageStatus.INVALID_SENDER, 6),
        (MessageStatus.ROUTE_NOT_AVAILABLE, 7),
        (MessageStatus.REJECTED, 9),
        (MessageStatus.NETWORK_ERROR, 11),
        (MessageStatus.EXPIRED, 12),
    ],
)
def test_dlr_status_codes_follow_the_reference_table(status, code):
    body = dlr_body(
        status=status,
        at_ms=WINTER,
        destination="33612345678",
        gsmsmsid=None,
        ticket=1,
        country_code="FR",
    )
    assert json.loads(body)["status"] == code


def test_every_message_status_has_a_dlr_code():
    codes = {
        json.loads(
            dlr_body(status=s, at_ms=0, destination="1", gsmsmsid=None, ticket=1, country_code=None)
        )["status"]
        for s in MessageStatus
    }
    assert codes <= {0, 1, 2, 3, 4, 5, 6, 7, 9, 11, 12}


def test_dlr_without_gsmsmsid_has_a_null_message_id():
    body = json.loads(
        dlr_body(
            status=MessageStatus.EXPIRED,
            at_ms=SUMMER,
            destination="33612345678",
            gsmsmsid=None,
            ticket="42",
            country_code="FR",
        )
    )
    assert body["message_id"] is None
    assert body["campaign_id"] == "42"
    assert body["date"] == "2017-08-07T13:01:29+02:00"


@pytest.mark.parametrize("build", [mo_body, stop_body])
def test_reply_and_stop_bodies_are_the_reference_shape(build):
    body = build(
        at_ms=SUMMER,
        message="Webhooks are awesome!",
        sender="+33612345678",
        account_id=1234,
        last_gsmsmsid="your_gsmsmsid",
    )
    assert body == (
        b'{"date":"2017-08-07T13:01:29+02:00","message":"Webhooks are awesome!",'
        b'"from":"33612345678","account_id":"1234","last_message_id":"your_gsmsmsid"}'
    )


def test_texts_are_utf8_not_escaped_and_stay_valid_json():
    body = mo_body(
        at_ms=SUMMER,
        message='Arrêt "svp" \\ 😀\n',
        sender="33612345678",
        account_id=1,
        last_gsmsmsid=None,
    )
    assert "Arrêt".encode() in body and "😀".encode() in body
    assert json.loads(body)["message"] == 'Arrêt "svp" \\ 😀\n'
    assert json.loads(body)["last_message_id"] is None


def test_balance_alert_body_is_the_reference_sample():
    at = to_ms(datetime(2018, 7, 24, 16, 38, tzinfo=PARIS))
    assert balance_alert_body(balance=159, trigger=500, at_ms=at) == (
        b'{"balance":"159","trigger":"500","date":"2018-07-24 16:38:00"}'
    )


def test_clicker_body_is_the_reference_sample_made_valid():
    at = to_ms(datetime(2024, 7, 27, 8, 45, 21, tzinfo=PARIS))
    body = clicker_body(
        ticket=15948909,
        gsmsmsid="my gsmsmsid",
        at_ms=at,
        long_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        short_code="37MM",
        brand="Apple",
        model="iPhone",
        os="iOS",
        clicks=2,
    )
    assert body == (
        b'{"campaign_id":"15948909","gsmsid":"my gsmsmsid","date":"2024-07-27 08:45:21",'
        b'"long_url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ","short_url":"37MM",'
        b'"brand":"Apple","model":"iPhone","os":"iOS",'
        b'"info1":"","info2":"","info3":"","info4":"","clicks_on_link":"2"}'
    )


def test_clicker_gsmsid_may_be_null_and_infos_are_passed_through():
    body = json.loads(
        clicker_body(
            ticket=7,
            gsmsmsid=None,
            at_ms=0,
            long_url="https://example.com/a?b=c&d=é",
            short_code="Ab3",
            brand="",
            model="",
            os="",
            info1="Jean",
            info2="Dupont",
            info3="Lyon",
            info4="VIP",
            clicks=1,
        )
    )
    assert body["gsmsid"] is None
    assert [body[f"info{i}"] for i in range(1, 5)] == ["Jean", "Dupont", "Lyon", "VIP"]
    assert body["date"] == "1970-01-01 01:00:00"
    assert body["long_url"] == "https://example.com/a?b=c&d=é"


@pytest.mark.parametrize("name", ["DLR", "MO", "STOP", "CLICKER", "BALANCE_ALERT"])
def test_event_types_are_the_reference_names(name):
    assert EventType(name).value == name
