"""
Delivery receipts: read them as carriers really write them, and write them for the simulator.

SMPP 3.4 Appendix B only suggests a format:

    id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
    err:E text: . . . . . . . . .

and carriers vary it: keys in any case or order ("Text:", "submit_date:"), fields missing
(Jasmin writes only id, submit date, done date, stat and err, and its ids are UUIDs), dates of
10, 12 or 14 digits, extra spaces, the id in hex where submit_sm_resp gave it in decimal or the
reverse (Kannel's msg-id-type setting exists for exactly that), and the id and state sometimes
only in the receipted_message_id and message_state TLVs. So the parser cuts the text at the
keys it knows rather than matching one fixed pattern, and ids are compared through
`normalize_message_id`, which gives every form an id may take.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Final

from relais.core.status import MessageStatus
from relais.smpp.constants import DataCoding, EsmClass, MessageState
from relais.smpp.pdu import DataSm, DeliverSm

__all__ = [
    "STATUS_BY_STAT",
    "DeliveryReceipt",
    "format_receipt",
    "is_receipt",
    "normalize_message_id",
    "parse_receipt",
    "receipt_from_pdu",
    "stat_for",
]

STATUS_BY_STAT: Final[dict[str, MessageStatus]] = {
    "DELIVRD": MessageStatus.DELIVERED,
    "UNDELIV": MessageStatus.NOT_DELIVERED,
    "EXPIRED": MessageStatus.EXPIRED,
    "REJECTD": MessageStatus.REJECTED,
    "DELETED": MessageStatus.NOT_DELIVERED,
    "UNKNOWN": MessageStatus.NOT_DELIVERED,
    "ACCEPTD": MessageStatus.SENT,  # accepted by the SMSC, not yet delivered: not final
    "ENROUTE": MessageStatus.SENT,
}
# Full words some carriers write instead of the seven-letter abbreviations.
_STAT_ALIASES: Final = {
    "DELIVERED": "DELIVRD",
    "UNDELIVERABLE": "UNDELIV",
    "UNDELIVERED": "UNDELIV",
    "REJECTED": "REJECTD",
    "ACCEPTED": "ACCEPTD",
}
_STAT_BY_STATE: Final[dict[int, str]] = {
    MessageState.ENROUTE: "ENROUTE",
    MessageState.DELIVERED: "DELIVRD",
    MessageState.EXPIRED: "EXPIRED",
    MessageState.DELETED: "DELETED",
    MessageState.UNDELIVERABLE: "UNDELIV",
    MessageState.ACCEPTED: "ACCEPTD",
    MessageState.UNKNOWN: "UNKNOWN",
    MessageState.REJECTED: "REJECTD",
}

_KEY: Final = re.compile(
    r"(?:^|(?<=\s))(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:", re.IGNORECASE
)
# Appendix B exactly as the simulator, Kannel and most SMSCs write it: lower-case keys in
# order, one space apart, values of printable ASCII. `parse_receipt` reads it with this one
# match (~3 µs) and leaves every other form to the general cut at keys (~16 µs), which gives
# the same receipt for this form (tests/smpp/test_smpp_receipts.py proves it).
_APPENDIX_B: Final = re.compile(
    r"id:([!-~]+) sub:([!-~]+) dlvrd:([!-~]+) submit date:([0-9]+) done date:([0-9]+)"
    r" stat:([!-~]+) err:([!-~]+) text:(.*)",
    re.DOTALL,
)
_HEX: Final = frozenset("0123456789abcdef")
_DATE_FORMATS: Final = {10: "%y%m%d%H%M", 12: "%y%m%d%H%M%S", 14: "%Y%m%d%H%M%S"}


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What a receipt says; any field the carrier left out is None.

    Dates are kept as the digits the carrier wrote (its clock, its time zone); turn them into
    datetimes with `submitted_at(tz)` / `done_at(tz)` once the carrier's zone is known.
    """

    id: str | None
    stat: str | None
    err: str | None = None
    sub: str | None = None
    dlvrd: str | None = None
    submit_date: str | None = None
    done_date: str | None = None
    text: str | None = None
    receipted_message_id: str | None = None  # TLV, when the carrier sent it
    message_state: int | None = None  # TLV, when the carrier sent it

    @property
    def status(self) -> MessageStatus | None:
        """Our status for this receipt, or None for a state word nobody documents."""
        if self.stat is not None:
            return STATUS_BY_STAT.get(self.stat)
        if self.message_state is not None:
            return STATUS_BY_STAT.get(_STAT_BY_STATE.get(self.message_state, "UNKNOWN"))
        return None

    @property
    def is_final(self) -> bool:
        status = self.status
        return status is not None and status is not MessageStatus.SENT

    def match_ids(self) -> set[str]:
        """Every form of the ids this receipt names, to intersect with those of a submit."""
        forms: set[str] = set()
        for raw in (self.receipted_message_id, self.id):
            if raw:
                forms |= normalize_message_id(raw)
        return forms

    def submitted_at(self, tz: tzinfo) -> datetime | None:
        return _parse_date(self.submit_date, tz)

    def done_at(self, tz: tzinfo) -> datetime | None:
        return _parse_date(self.done_date, tz)


def _parse_date(digits: str | None, tz: tzinfo) -> datetime | None:
    fmt = _DATE_FORMATS.get(len(digits or ""))
    if digits is None or fmt is None:
        return None
    try:
        return datetime.strptime(digits, fmt).replace(tzinfo=tz)
    except ValueError:
        return None


def _key_name(raw: str) -> str:
    """ "Submit_Date", "submitdate" and "submit date" are one key."""
    key = raw.lower().replace("_", " ")
    return {"submitdate": "submit date", "donedate": "done date"}.get(key, key)


def _stat(raw: str) -> str:
    word = raw.upper()
    return _STAT_ALIASES.get(word, word)


def parse_receipt(text: str) -> DeliveryReceipt | None:
    """The receipt in a deliver_sm text, or None when it names neither an id nor a stat."""
    usual = _APPENDIX_B.fullmatch(text)
    if usual is not None:
        message_id, sub, dlvrd, submit_date, done_date, stat, err, text_value = usual.groups()
        return DeliveryReceipt(
            id=message_id,
            stat=_stat(stat),
            err=err,
            sub=sub,
            dlvrd=dlvrd,
            submit_date=submit_date,
            done_date=done_date,
            text=text_value.strip(),
        )
    return _parse_any_form(text)


def _parse_any_form(text: str) -> DeliveryReceipt | None:
    values: dict[str, str] = {}
    matches = list(_KEY.finditer(text))
    keys = [_key_name(match.group(1)) for match in matches]
    for index, match in enumerate(matches):
        key = keys[index]
        if key in values:
            continue  # the first occurrence wins; a later one is inside the text
        # A value runs to the next key not seen yet, so "text:" keeps any "id:" it quotes.
        end = len(text)
        for later, later_key in zip(matches[index + 1 :], keys[index + 1 :], strict=True):
            if later_key not in values and later_key != key:
                end = later.start()
                break
        values[key] = text[match.end() : end]
    if not values:
        return None

    def token(key: str) -> str | None:
        parts = values.get(key, "").split()
        return parts[0] if parts else None

    def digits(key: str) -> str | None:
        found = "".join(ch for ch in values.get(key, "") if ch.isascii() and ch.isdigit())
        return found or None

    message_id, stat = token("id"), token("stat")
    if message_id is None and stat is None:
        return None
    text_value = values.get("text")
    return DeliveryReceipt(
        id=message_id,
        stat=_stat(stat) if stat is not None else None,
        err=token("err"),
        sub=token("sub"),
        dlvrd=token("dlvrd"),
        submit_date=digits("submit date"),
        done_date=digits("done date"),
        text=text_value.strip() if text_value is not None else None,
    )


def is_receipt(pdu: DeliverSm | DataSm) -> bool:
    """Whether esm_class marks `pdu` as an SMSC delivery receipt or intermediate notice."""
    kind = pdu.esm_class & EsmClass.TYPE_MASK
    return kind in (EsmClass.DELIVERY_RECEIPT, EsmClass.INTERMEDIATE_NOTIFICATION)


def receipt_from_pdu(pdu: DeliverSm | DataSm) -> DeliveryReceipt | None:
    """The receipt carried by `pdu` (text and TLVs together), or None for an ordinary SMS."""
    tlv_id, tlv_state = pdu.receipted_message_id, pdu.message_state
    if not is_receipt(pdu) and tlv_id is None:
        return None
    raw = pdu.user_data
    if pdu.data_coding == DataCoding.UCS2:
        text = raw.decode("utf-16-be", "replace")
    else:
        text = raw.decode("latin-1")  # receipts are ASCII; Latin-1 never fails
    parsed = parse_receipt(text) or DeliveryReceipt(id=None, stat=None)
    if tlv_id is None and tlv_state is None and parsed.id is None:
        return None
    stat = parsed.stat
    if stat is None and tlv_state is not None:
        stat = _STAT_BY_STATE.get(tlv_state, "UNKNOWN")
    return DeliveryReceipt(
        id=parsed.id if parsed.id is not None else tlv_id,
        stat=stat,
        err=parsed.err,
        sub=parsed.sub,
        dlvrd=parsed.dlvrd,
        submit_date=parsed.submit_date,
        done_date=parsed.done_date,
        text=parsed.text,
        receipted_message_id=tlv_id,
        message_state=tlv_state,
    )


def canonical_message_id(raw: str) -> str:
    """A carrier id as stored: lower-case, no "0x", no leading zeros ("" stays "")."""
    value = raw.strip().lower().removeprefix("0x")
    return (value.lstrip("0") or "0") if value else ""


def normalize_message_id(raw: str) -> set[str]:
    """The forms under which `raw` may come back: lower-cased, without leading zeros, and
    for a number the same value in the other base ("12345" -> also "3039", and the reverse).

    Two ids match when their sets intersect; prefer an exact match when several do, since
    "3039" read in both bases is two different numbers.
    """
    value = raw.strip().lower().removeprefix("0x")
    if not value:
        return set()
    forms = {canonical_message_id(value)}
    if len(value) <= 64:  # a message_id is at most 64 characters; never parse more
        if value.isascii() and value.isdigit():
            forms.add(format(int(value), "x"))
        if _HEX.issuperset(value):
            forms.add(str(int(value, 16)))
    return forms


def stat_for(status: MessageStatus) -> str:
    """The stat word a carrier would write for one of our statuses (for the simulator)."""
    for stat in ("DELIVRD", "EXPIRED", "REJECTD", "ACCEPTD"):
        if STATUS_BY_STAT[stat] is status:
            return stat
    return "UNDELIV"


def format_receipt(
    *,
    message_id: str,
    stat: str,
    submit_date: datetime,
    done_date: datetime,
    err: int | str = 0,
    sub: int = 1,
    dlvrd: int | None = None,
    text: str = "",
    seconds: bool = False,
) -> str:
    """The Appendix B receipt text; `dlvrd` defaults to 1 when stat is DELIVRD, else 0."""
    fmt = "%y%m%d%H%M%S" if seconds else "%y%m%d%H%M"
    delivered = dlvrd if dlvrd is not None else int(stat == "DELIVRD")
    error = f"{err:03d}" if isinstance(err, int) else err
    return (
        f"id:{message_id} sub:{sub:03d} dlvrd:{delivered:03d} "
        f"submit date:{submit_date.strftime(fmt)} done date:{done_date.strftime(fmt)} "
        f"stat:{stat} err:{error} text:{text[:20]}"
    )
