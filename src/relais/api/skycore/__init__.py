"""The Skycore dialect (api_reference §3): `POST /skycore/v2` with an `x-api-key` header and
a JSON body whose `action` (any case) is `sendsms`, `subscribe` or `unsubscribe`. Every
reply is HTTP 200 with `"status": "Success"` or `"Failure"` and an `error-code` of the
table in codes.py (docs/skycore.md)."""
