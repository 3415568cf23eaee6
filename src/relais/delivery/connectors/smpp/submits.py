"""
A message in SMPP terms: the submit_sm PDUs of its parts, and the `SubmitOutcome` their
answers make.

Pure (no session, no clock), so the connector's rules for outcomes read in one place: every
part accepted -> SENT with the carrier ids; a part refused with a temporary status, or sent
but unanswered under the "resend" policy, or not sent because the session closed -> QUEUED
until the retry delay; a permanent status -> a final failure naming it (an unanswered part
under the "fail" policy is one: REJECTED "no response"). user_message_reference carries the
message id so an SMSC can drop the duplicate a resend may create.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from relais.core.connector import OutboundMessage, SubmitOutcome
from relais.core.status import MessageStatus
from relais.delivery.connectors.smpp.config import SmppSettings, TimeoutPolicy
from relais.delivery.connectors.smpp.window import NoResponse, SessionClosed
from relais.smpp import (
    CommandStatus,
    LocalProtocolError,
    Response,
    SmppError,
    SubmitSm,
    is_temporary,
    make_tlvs,
    split_for_submit,
    status_name,
)
from relais.smpp.receipts import canonical_message_id

__all__ = ["PartAnswer", "outcome_of", "queued", "submit_pdus"]

# What one part got: its response, or why it has none (NoResponse, SessionClosed), or why it
# could not be sent at all (LocalProtocolError).
PartAnswer = Response | SmppError | LocalProtocolError

_FAILURE_BY_STATUS: Final[dict[int, MessageStatus]] = {
    CommandStatus.ESME_RINVDSTADR: MessageStatus.INVALID_DESTINATION,
    CommandStatus.ESME_RINVSRCADR: MessageStatus.INVALID_SENDER,
}
_QUEUED, _REJECTED = MessageStatus.QUEUED, MessageStatus.REJECTED


def submit_pdus(message: OutboundMessage, settings: SmppSettings) -> list[SubmitSm]:
    """The submit_sm of each part of `message`.

    Raises:
        InvalidField: the text cannot be encoded as asked.
        LocalProtocolError: a field does not fit SMPP.
    """
    s = settings
    parts = split_for_submit(
        message.text,
        force_unicode=message.encoding == "ucs2",
        method=s.long_message_method,
        reference=message.id & 0xFFFF,  # a UDH keeps the low 8 bits, SAR all 16
    )
    source_ton, source_npi, source = s.source_address(message.sender)
    dest_ton, dest_npi, destination = s.destination_address(message.destination)
    reference = message.id & 0xFFFF
    return [
        SubmitSm(
            source_addr_ton=source_ton,
            source_addr_npi=source_npi,
            source_addr=source,
            dest_addr_ton=dest_ton,
            dest_addr_npi=dest_npi,
            destination_addr=destination,
            esm_class=part.esm_class,
            registered_delivery=s.registered_delivery,
            data_coding=part.data_coding,
            short_message=part.short_message,
            tlvs=make_tlvs(user_message_reference=reference, extra=part.tlvs),
        )
        for part in parts
    ]


def outcome_of(
    message: OutboundMessage,
    answers: Sequence[PartAnswer],
    *,
    connector: str,
    timeout_policy: TimeoutPolicy,
    retry_after_ms: int,
) -> SubmitOutcome:
    """The outcome of `message` from what each of its parts got."""
    ids: list[str] = []
    final: tuple[MessageStatus, str] | None = None
    retry: str | None = None
    for answer in answers:
        if isinstance(answer, Response):
            status = answer.command_status
            if status == CommandStatus.ESME_ROK and hasattr(answer, "message_id"):
                if carrier_id := canonical_message_id(answer.message_id):
                    ids.append(carrier_id)
            elif is_temporary(status):
                retry = retry or _error_text(status)
            elif final is None:
                final = (_FAILURE_BY_STATUS.get(status, _REJECTED), _error_text(status))
        elif isinstance(answer, NoResponse):
            if timeout_policy == "fail":
                final = final or (_REJECTED, "no response")
            else:
                retry = retry or f"no response ({answer})"
        elif isinstance(answer, SessionClosed):
            retry = retry or f"not sent: {answer}"
        elif final is None:  # LocalProtocolError: this PDU cannot be sent at all
            final = (_REJECTED, str(answer))
    if final is not None:
        return SubmitOutcome(message.id, connector, final[0], tuple(ids), error=final[1])
    if retry is not None:
        # Parts already accepted are sent again with the rest; a receipt for one of
        # them must not settle the message, so their ids are not reported.
        return queued(message, connector, retry, retry_after_ms)
    return SubmitOutcome(message.id, connector, MessageStatus.SENT, tuple(ids))


def queued(message: OutboundMessage, connector: str, error: str, retry_ms: int) -> SubmitOutcome:
    """`message` goes back to the queue, due again in `retry_ms`."""
    return SubmitOutcome(message.id, connector, _QUEUED, error=error, retry_after_ms=retry_ms)


def _error_text(status: int) -> str:
    """ "ESME_RINVDSTADR (0x0000000B)", without the description."""
    return status_name(status).split(":", 1)[0]
