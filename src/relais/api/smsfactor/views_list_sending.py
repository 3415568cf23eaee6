"""SMSFactor POST /send/lists and POST /send/lists/simulate (api_reference §1.4.4, §1.4.5).

The message is read as for POST /send (`sms.message.{text, pushtype, sender, delay,
unicode}`, `delay` also beside `message`). The lists, in every shape clients send them:

* JSON as documented: `"lists": [{"value": 45190}, {"value": 47854}]`;
* wrapped: `"lists": {"list": [{"value": 45190}]}`, bare ids `"lists": [45190]` or one object;
* XML: one `<lists><value>45190</value></lists>` per list, or
  `<lists><list><value>45190</value></list>…</lists>`.

A list id that is not a number (the documentation's 24-hex ObjectIds are SMSFactor's own)
names no list of ours: status -5, like a list of another account."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from relais.api.smsfactor import translate
from relais.api.smsfactor.endpoint import endpoint, resource_id
from relais.api.smsfactor.translate import as_list, campaign_message, text_field
from relais.core.errors import MissingField, NotFound
from relais.services.sending import lists as list_sending
from relais.services.sending.lists import ListSubmission


def _list_id(entry: Any) -> int:
    raw = entry
    if isinstance(entry, dict):
        raw = entry.get("value", entry.get("id", entry.get("listId", entry.get("list_id"))))
    if isinstance(raw, dict | list):
        raise NotFound('A list is named by its id: {"value": 45190}')
    text = text_field(raw)
    if not text:
        raise MissingField("A list has no value (its id)")
    return resource_id(text, what="list")


def _list_ids(raw: Any) -> list[int]:
    entries = as_list(raw)
    if len(entries) == 1 and isinstance(entries[0], dict) and "list" in entries[0]:
        entries = as_list(entries[0]["list"])
    expanded: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("value"), list):
            # XML <lists><value>1</value><value>2</value></lists>
            expanded.extend(entry["value"])
        elif isinstance(entry, dict) and "list" in entry:
            expanded.extend(as_list(entry["list"]))
        else:
            expanded.append(entry)
    return [_list_id(entry) for entry in expanded]


def list_submission(body: dict[str, Any]) -> ListSubmission:
    """`{"sms": {"message": {...}, "lists": [{"value": id}, ...]}}`."""
    sms, message = campaign_message(body)
    list_ids = _list_ids(sms.get("lists"))
    if not list_ids:
        raise MissingField("sms.lists names no list")
    return ListSubmission(list_ids=list_ids, **message)


@endpoint
async def send_lists(platform, account, request, body):
    report = await list_sending.send_lists(
        platform, account=account, submission=list_submission(body)
    )
    return translate.send_fields(report)


@endpoint
async def simulate_lists(platform, account, request, body):
    report = await list_sending.send_lists(
        platform, account=account, submission=list_submission(body), simulate=True
    )
    return translate.send_fields(report)


routes = [
    Route("/send/lists", send_lists, methods=["POST"]),
    Route("/send/lists/simulate", simulate_lists, methods=["POST"]),
]
