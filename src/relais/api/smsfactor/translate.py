"""SMSFactor request fields to service inputs, and service results to SMSFactor fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from relais.api.smsfactor.replies import MODERATION_MESSAGE, MODERATION_STATUS
from relais.core.errors import InvalidField, MissingField
from relais.core.instant import from_ms
from relais.core.schedule import format_paris
from relais.core.screening import COUNTERS
from relais.services.campaigns import CampaignReport
from relais.services.sending.common import SendReport
from relais.services.sending.numbers import Recipient, Submission


def as_list(value: Any) -> list[Any]:
    """XML gives one element as a value and several as a list; JSON may do either."""
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def text_field(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | str):
        return str(value)
    raise InvalidField("A text field holds an object or a list")


def named_text(spec: Mapping[str, Any], name: str) -> str | None:
    """`spec[name]` as a text (None when absent); an object or a list there is refused by name."""
    try:
        return text_field(spec.get(name))
    except InvalidField:
        raise InvalidField(f"{name}: must be a text, not an object or a list") from None


def _flag(value: Any) -> bool:
    return text_field(value) in {"1", "true", "True"}


def single_submission(params: Mapping[str, str]) -> Submission:
    """GET /send and GET /send/simulate query parameters."""
    text = params.get("text")
    to = params.get("to")
    if text is None or text == "":
        raise MissingField("The text parameter is missing")
    if not to:
        raise MissingField("The to parameter is missing")
    return Submission(
        text=text,
        recipients=[Recipient(to, params.get("gsmsmsid") or None)],
        kind="single",
        sender=params.get("sender"),
        pushtype=params.get("pushtype"),
        delay=params.get("delay"),
        force_unicode=_flag(params.get("unicode")),
    )


def _recipient(entry: Any) -> Recipient:
    if isinstance(entry, dict):
        number = text_field(entry.get("value"))
        if not number:
            raise MissingField("A recipient has no value")
        gsmsmsid = text_field(entry.get("gsmsmsid"))
        return Recipient(number, gsmsmsid or None)
    number = text_field(entry)
    if not number:
        raise MissingField("A recipient has no value")
    return Recipient(number)


def campaign_message(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `sms` object of a campaign body (POST /send, POST /send/lists) and its message as
    the keyword fields of a submission: text, sender, pushtype, delay, force_unicode."""
    sms = body.get("sms")
    if not isinstance(sms, dict):
        raise MissingField("The sms object is missing")
    message = sms.get("message")
    if not isinstance(message, dict):
        raise MissingField("The sms.message object is missing")
    text = text_field(message.get("text"))
    if not text:
        raise MissingField("The sms.message.text field is missing")
    # The Ruby gem puts delay beside message instead of inside it.
    delay = message.get("delay", sms.get("delay"))
    links = [text_field(link) or "" for link in as_list(message.get("links"))]
    return sms, {
        "text": text,
        "links": links,
        "sender": text_field(message.get("sender")),
        "pushtype": text_field(message.get("pushtype")),
        "delay": text_field(delay),
        "force_unicode": _flag(message.get("unicode")),
    }


def campaign_submission(body: dict[str, Any]) -> Submission:
    """POST /send and POST /send/simulate: `{"sms": {"message": …, "recipients": …}}`."""
    sms, message = campaign_message(body)
    recipients = sms.get("recipients")
    if not isinstance(recipients, dict):
        raise MissingField("The sms.recipients object is missing")
    entries = as_list(recipients.get("gsm"))
    if not entries:
        raise MissingField("sms.recipients.gsm holds no recipient")
    return Submission(recipients=[_recipient(entry) for entry in entries], kind="bulk", **message)


def send_fields(report: SendReport) -> dict[str, Any]:
    """Counters as JSON integers and the ticket as a string (api_reference §1.2, §1.13).

    A campaign held for moderation answers status -8 with every other field of a success."""
    fields: dict[str, Any] = {}
    if report.moderated:
        fields.update(status=MODERATION_STATUS, message=MODERATION_MESSAGE)
    if report.ticket is not None:
        fields["ticket"] = str(report.ticket)
    fields.update(
        cost=report.cost,
        credits=report.credits,
        total=report.total,
        sent=report.sent,
    )
    for name in COUNTERS:
        fields[name] = report.counters[name]
    return fields


def campaign_fields(report: CampaignReport) -> dict[str, Any]:
    """One campaign as GET /campaign/:id and GET /campaigns show it (numbers as strings)."""
    row = report.campaign
    return {
        "id": str(row.id),
        "sender": row.sender or "",
        "text": row.text,
        "creation_date": format_paris(from_ms(row.created_at)),
        "date": format_paris(from_ms(row.send_at)),
        "cost": str(row.cost),
        # Repeated <lists><id>…</id></lists> elements in XML, as the reference shows.
        "lists": [{"id": str(list_id)} for list_id in report.lists],
        "status": report.state,
        "delivery_rate": str(report.delivery_rate),
        "delivered": str(report.delivered),
        "error": str(report.error),
        "expired": str(report.expired),
        "network_error": str(report.network_error),
        "stop": str(report.stops),
        "npai": str(report.npai),
        "total": str(report.messages),
        # Ours: the reference's campaign has no click counts (docs/short-links.md).
        "clicks": str(report.clicks),
        "unique_clicks": str(report.unique_clicks),
    }
