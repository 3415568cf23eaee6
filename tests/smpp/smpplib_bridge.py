"""python-smpplib behind two functions, for the interop tests and nothing else.

smpplib ignores the `sequence` keyword (its `_set_vars` keeps the default client's 0), so
`smpplib_encode` sets the attribute after construction; its PDUs also ask their client for
sequence numbers, which a stub answers.
"""

from __future__ import annotations

from typing import Any

import smpplib.command
import smpplib.smpp


class _SequenceStub:
    """smpplib PDUs ask their client for sequence numbers; the header overrides it on parse."""

    sequence = 0

    def next_sequence(self) -> int:
        return 0


def smpplib_encode(name: str, sequence: int, status: int, fields: dict[str, Any]) -> bytes:
    command = smpplib.smpp.make_pdu(name, client=_SequenceStub(), status=status, **fields)
    command.sequence = sequence
    return bytes(command.generate())


def smpplib_decode(data: bytes) -> smpplib.command.Command:
    return smpplib.smpp.parse_pdu(data, client=_SequenceStub())


def expected(value: Any) -> Any:
    """What smpplib parses a field we wrote to: C-octet strings come back as bytes."""
    return value.encode("latin-1") if isinstance(value, str) else value
