from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from relais.core.webhook_signing import webhook_headers

BODY = '{"date":"2018-01-16T11:55:12+01:00","message":"Arrêt"}'.encode()


@pytest.mark.parametrize("signature", ["mysignature123", "clé secrète ✓", "x" * 255])
def test_standard_webhooks_library_verifies_our_signature(signature):
    now = int(time.time())
    headers = webhook_headers(BODY, signature, event_id="42", timestamp=now)
    receiver = Webhook(base64.b64encode(signature.encode()).decode())
    assert receiver.verify(BODY, headers) == {
        "date": "2018-01-16T11:55:12+01:00",
        "message": "Arrêt",
    }


@pytest.mark.parametrize(
    ("body", "event_id", "secret"),
    [
        (BODY + b" ", "42", "mysignature123"),
        (BODY, "43", "mysignature123"),
        (BODY, "42", "othersignature"),
    ],
)
def test_standard_webhooks_library_refuses_a_changed_body_id_or_key(body, event_id, secret):
    headers = webhook_headers(BODY, "mysignature123", event_id="42", timestamp=int(time.time()))
    headers["webhook-id"] = event_id
    with pytest.raises(WebhookVerificationError):
        Webhook(base64.b64encode(secret.encode()).decode()).verify(body, headers)


def test_smsfactor_signature_is_hex_hmac_sha256_of_the_raw_body():
    headers = webhook_headers(BODY, "mysignature123", event_id="42", timestamp=1516100112)
    expected = hmac.new(b"mysignature123", BODY, hashlib.sha256).hexdigest()
    assert headers["X-SMSFactor-Signature"] == expected
    assert expected == expected.lower() and len(expected) == 64


def test_standard_signature_is_v1_base64_hmac_of_id_timestamp_body():
    headers = webhook_headers(BODY, "mysignature123", event_id="msg_7", timestamp=1516100112)
    digest = hmac.new(b"mysignature123", b"msg_7.1516100112." + BODY, hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


@pytest.mark.parametrize("signature", [None, ""])
def test_no_signature_means_no_signature_headers(signature):
    headers = webhook_headers(BODY, signature, event_id="42", timestamp=1516100112)
    assert headers == {
        "Content-Type": "application/json",
        "webhook-id": "42",
        "webhook-timestamp": "1516100112",
    }


def test_signed_request_carries_every_header():
    headers = webhook_headers(BODY, "s", event_id="42", timestamp=1516100112)
    assert list(headers) == [
        "Content-Type",
        "webhook-id",
        "webhook-timestamp",
        "X-SMSFactor-Signature",
        "webhook-signature",
    ]
