"""The actions of `POST /skycore/v2`: each reads its fields, calls the services SMSFactor
uses (sending, subscriptions) and returns the fields of its success reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from relais.api.skycore import codes, fields
from relais.api.skycore.codes import SkycoreFailure
from relais.api.skycore.replies import HELD, QUEUED
from relais.core.errors import InvalidField, InvalidSender
from relais.core.sender import validate_sender
from relais.core.short_links import placeholders_for_urls
from relais.services import skycore_settings, subscriptions
from relais.services.platform import AccountRef, Platform
from relais.services.sending import numbers
from relais.services.sending.common import SendReport

MAX_MASK = 11

Action = Callable[[Platform, AccountRef, dict[str, Any]], Awaitable[dict[str, Any]]]


def _sender(body: dict[str, Any]) -> str:
    """The sender the message shows: `from-mask` cut to 11 characters when given, else
    `from` (both required to be valid senders: E111)."""
    sender = validate_sender(fields.text(body, "from", required=True))
    mask = fields.text(body, "from-mask")
    if mask is not None and mask.strip():
        sender = validate_sender(mask.strip()[:MAX_MASK])
    if sender is None:
        raise InvalidSender("The sender is empty.")
    return sender


def _refused(report: SendReport) -> None:
    """The failure of a send whose one recipient was screened out, by the reason counted."""
    if report.sent:
        return
    for counter, code in codes.SCREENED.items():
        if report.counters.get(counter):
            raise SkycoreFailure(code)
    raise SkycoreFailure(codes.UNAVAILABLE, "The message was not accepted.")


async def sendsms(platform: Platform, account: AccountRef, body: dict[str, Any]) -> dict[str, Any]:
    text = fields.text(body, "message-text", required=True)
    assert text is not None
    to = fields.mobile(body, "to")
    sender = _sender(body)
    campaign_ref = fields.reference(body, "campaign-ref")
    links: tuple[str, ...] = ()
    if fields.flag(body, "click-tracking"):
        text, links = placeholders_for_urls(text)
    settings = await skycore_settings.settings_of(platform, account_id=account.id)
    if settings.enforce_campaign_check:
        if campaign_ref is None:
            raise SkycoreFailure(codes.CAMPAIGN_REQUIRED)
        await subscriptions.require_subscription(
            platform, account=account, campaign_ref=campaign_ref, mobile=to
        )
    submission = numbers.Submission(
        text=text,
        recipients=[numbers.Recipient("+" + to)],
        kind="single",
        sender=sender,
        links=links,
    )
    try:
        report = await numbers.send(platform, account=account, submission=submission)
    except InvalidSender:
        raise
    except InvalidField as exc:  # too many parts, a link that cannot be tracked
        raise SkycoreFailure(codes.INVALID_TEXT, exc.detail) from None
    _refused(report)
    return {
        "tracking-id": str(report.ticket),
        "to": fields.text(body, "to"),
        "from": fields.text(body, "from"),
        "status-details": HELD if report.moderated else QUEUED,
    }


def _subscription_reply(body: dict[str, Any], found: subscriptions.Subscription) -> dict[str, Any]:
    return {
        "campaign-ref": found.campaign_ref,
        "subscriber-ref": found.subscriber_ref or "",
        "mobile": fields.text(body, "mobile"),
    }


async def subscribe(
    platform: Platform, account: AccountRef, body: dict[str, Any]
) -> dict[str, Any]:
    campaign_ref = fields.reference(body, "campaign-ref", required=True)
    mobile = fields.mobile(body, "mobile")
    subscriber_ref = fields.reference(body, "subscriber-ref")
    assert campaign_ref is not None
    found = await subscriptions.subscribe(
        platform,
        account=account,
        campaign_ref=campaign_ref,
        mobile=mobile,
        subscriber_ref=subscriber_ref,
    )
    return _subscription_reply(body, found)


async def unsubscribe(
    platform: Platform, account: AccountRef, body: dict[str, Any]
) -> dict[str, Any]:
    campaign_ref = fields.reference(body, "campaign-ref", required=True)
    mobile = fields.mobile(body, "mobile")
    assert campaign_ref is not None
    found = await subscriptions.unsubscribe(
        platform, account=account, campaign_ref=campaign_ref, mobile=mobile
    )
    return _subscription_reply(body, found)


ACTIONS: dict[str, tuple[Action, str]] = {
    # action (lower case) -> (handler, the number field a failure reply repeats)
    "sendsms": (sendsms, "to"),
    "subscribe": (subscribe, "mobile"),
    "unsubscribe": (unsubscribe, "mobile"),
}
