"""`POST /v1/send` fields to a send (api_reference §2.2): every check SMSPartner makes before
a message is accepted, each answering its own code, and the Submission the shared sending
service stores, bills and delivers like any other dialect's."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from relais.api.smspartner import errors as codes
from relais.api.smspartner.endpoint import Fields, flag, text
from relais.api.smspartner.errors import FieldErrors, PartnerError
from relais.api.smspartner.schedule import as_delay, refuse_outside_marketing_window, scheduled_at
from relais.api.smspartner.text import as_sent
from relais.core.encoding import segment_count
from relais.core.errors import InvalidField, InvalidSender
from relais.core.phone import normalize_recipient
from relais.core.send_rules import release_time
from relais.core.sender import validate_sender
from relais.core.status import PushType
from relais.core.templates import with_stop_notice
from relais.core.webhook_targets import check_url, refused_address
from relais.services.sending.numbers import Recipient, Submission

MAX_NUMBERS: Final = 500
MAX_PARTS: Final = 10
LOW_COST_LENGTH: Final = 160
PREMIUM, LOW_COST = "1", "2"
_SENDER_CHARS: Final = re.compile(r"[A-Za-z0-9 ]+", re.ASCII)
_TAG: Final = re.compile(r"[a-z0-9_\-.]{1,20}", re.ASCII)
MAX_URL: Final = 500  # campaigns.dlr_url, reply_url
MAX_SIGNATURE: Final = 255  # webhooks.signature


@dataclass(frozen=True, slots=True)
class SendOrder:
    """A checked send: what the service stores, and what the reply needs besides its report."""

    submission: Submission
    numbers: list[str]  # the recipients' msisdns, in order, without repeats
    parts: int  # SMS parts of each message
    sandbox: bool
    goes_out_at: datetime | None  # None: now


def split_numbers(raw: str | None) -> list[str]:
    """`phoneNumbers` as its comma-separated entries; code 2 without any, 55 when only
    separators, 50 beyond 500."""
    if raw is None:
        raise PartnerError(codes.PHONE_REQUIRED)
    entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
    if not entries:
        raise PartnerError(codes.NO_NUMBER)
    if len(entries) > MAX_NUMBERS:
        raise PartnerError(codes.TOO_MANY_NUMBERS)
    return entries


def check_numbers(entries: list[str], country: str, problems: FieldErrors) -> list[str]:
    """The msisdns of `entries` in order without repeats; each invalid one is a code 9 item."""
    found: list[str] = []
    for entry in entries:
        destination = normalize_recipient(entry, country)
        if destination is None:
            problems.add("phoneNumbers", f"Ce numero de telephone n'est pas valide ({entry})")
        elif destination.msisdn not in found:
            found.append(destination.msisdn)
    return found


def check_sender(raw: str | None, problems: FieldErrors) -> str | None:
    if raw is None:
        return None
    if len(raw) > 11:
        problems.add("sender", "L'emetteur ne peut pas etre plus long que 11 caracteres")
        return None
    if len(raw) < 3:
        problems.add("sender", "L'emetteur doit contenir au moins 3 caracteres")
        return None
    if not _SENDER_CHARS.fullmatch(raw):
        raise PartnerError(codes.SENDER_INVALID)
    try:
        return validate_sender(raw)
    except InvalidSender:
        raise PartnerError(codes.SENDER_INVALID) from None


def check_callback_url(name: str, url: str, problems: FieldErrors, *, allow_private: bool) -> None:
    """A callback URL passes the checks of a webhook URL (core.webhook_targets): http(s), a
    host, no user or password; an address given as such must be one a webhook may reach
    (its resolved addresses are checked again at each delivery). Else a code 9 item."""
    if len(url) > MAX_URL:
        problems.add(name, f"L'URL ne peut pas depasser {MAX_URL} caracteres")
        return
    try:
        _, host, _ = check_url(url)
    except InvalidField:
        problems.add(name, f"L'URL n'est pas valide ({url[:60]})")
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    reason = refused_address(address, allow_private=allow_private)
    if reason is not None:
        problems.add(name, f"L'URL n'est pas autorisee ({url[:60]}) : {reason}")


def check_options(
    fields: Fields, problems: FieldErrors, *, allow_private: bool = False
) -> tuple[str | None, str | None, str]:
    """`tag`, `urlDlr`, `urlResponse` and `gamme` (or `range`): (tag, dlr url, range) with
    each bad value a code 9 item."""
    tag = text(fields, "tag")
    if tag is not None and not _TAG.fullmatch(tag):
        problems.add("tag", "Le tag doit faire 20 caracteres au plus, en minuscules, sans espace")
    for name in ("urlDlr", "urlResponse"):
        url = text(fields, name)
        if url is not None:
            check_callback_url(name, url, problems, allow_private=allow_private)
    signature = text(fields, "callbackSignature")
    if signature is not None and len(signature) > MAX_SIGNATURE:
        problems.add("callbackSignature", f"La signature depasse {MAX_SIGNATURE} caracteres")
    gamme = text(fields, "gamme") or text(fields, "range") or PREMIUM
    if gamme not in (PREMIUM, LOW_COST):
        problems.add("gamme", "La gamme doit etre 1 (Premium) ou 2 (Low Cost)")
    return tag, text(fields, "urlDlr"), gamme


@dataclass(frozen=True, slots=True)
class Options:
    """What every message of a send shares: sender, labels, range, time and mode."""

    sender: str | None
    tag: str | None
    dlr_url: str | None
    reply_url: str | None
    callback_signature: str | None  # Relais's own field: the key callbacks are signed with
    gamme: str
    when: datetime | None  # the client's scheduled time
    unicode: bool
    pushtype: PushType
    sandbox: bool
    goes_out_at: datetime | None  # when it leaves: `when`, or the marketing window's opening


def read_options(
    fields: Fields, problems: FieldErrors, *, now: datetime, allow_private: bool = False
) -> Options:
    """The shared fields of /v1/send and /v1/bulk-send; bad values are code 9 items in
    `problems`, raised before the schedule is read (codes 45-49, 22, 23). `allow_private`:
    the platform lets webhooks reach private addresses (RELAIS_WEBHOOK_ALLOW_PRIVATE)."""
    sender = check_sender(text(fields, "sender"), problems)
    tag, dlr_url, gamme = check_options(fields, problems, allow_private=allow_private)
    problems.raise_if_any()
    when = scheduled_at(
        text(fields, "scheduledDeliveryDate"), text(fields, "time"), text(fields, "minute"), now=now
    )
    pushtype = PushType.MARKETING if flag(fields, "isStopSms") else PushType.ALERT
    if pushtype is PushType.MARKETING and when is not None:
        refuse_outside_marketing_window(when)
    return Options(
        sender=sender,
        tag=tag,
        dlr_url=dlr_url,
        reply_url=text(fields, "urlResponse"),
        callback_signature=text(fields, "callbackSignature") or None,
        gamme=gamme,
        when=when,
        unicode=flag(fields, "isUnicode"),
        pushtype=pushtype,
        sandbox=flag(fields, "sandbox"),
        goes_out_at=release_time(now, when, pushtype),
    )


def message_text(raw: object) -> str:
    """A `message` as given (spaces kept); code 43 when there is none."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise PartnerError(codes.MESSAGE_REQUIRED)
    return raw


def outgoing(message: str, options: Options, *, stop_notice: str) -> tuple[str, int]:
    """The text to send (markers expanded, §2.6 replacements) and its parts with the STOP
    mention of marketing; codes 42 (Low Cost beyond 160 characters) and 52 (over 10 parts)."""
    body = as_sent(message, unicode=options.unicode)
    with_notice = with_stop_notice(body, pushtype=options.pushtype, notice=stop_notice)
    _, parts = segment_count(with_notice, force_unicode=options.unicode)
    if options.gamme == LOW_COST and (len(with_notice) > LOW_COST_LENGTH or parts > 1):
        raise PartnerError(codes.LOW_COST_LENGTH)
    if parts > MAX_PARTS:
        raise PartnerError(codes.TOO_MANY_PARTS)
    return body, parts


def submission(body: str, numbers: list[str], options: Options) -> Submission:
    return Submission(
        text=body,
        recipients=[Recipient(number) for number in numbers],
        kind="single" if len(numbers) == 1 else "bulk",
        sender=options.sender,
        pushtype=options.pushtype.value,
        delay=as_delay(options.when) if options.when is not None else None,
        force_unicode=options.unicode,
        tag=options.tag,
        dlr_url=options.dlr_url,
        reply_url=options.reply_url,
        callback_signature=options.callback_signature,
    )


def read_send(
    fields: Fields, *, country: str, now: datetime, stop_notice: str, allow_private: bool = False
) -> SendOrder:
    """Check a `/v1/send` request in SMSPartner's order and build its Submission."""
    entries = split_numbers(text(fields, "phoneNumbers"))
    message = message_text(fields.get("message"))
    problems = FieldErrors()
    numbers = check_numbers(entries, country, problems)
    options = read_options(fields, problems, now=now, allow_private=allow_private)
    body, parts = outgoing(message, options, stop_notice=stop_notice)
    return SendOrder(
        submission=submission(body, numbers, options),
        numbers=numbers,
        parts=parts,
        sandbox=options.sandbox,
        goes_out_at=options.goes_out_at,
    )
