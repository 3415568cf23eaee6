"""
Message text: which SMS alphabet it needs and how many segments it costs.

Cost is counted per segment, so this decides what customers pay. The rules are 3GPP TS 23.038:
text made only of the GSM 7-bit default alphabet (plus its extension table, whose characters take
two septets: ESC + char) is sent as GSM-7, 160 septets in one SMS or 153 per part of a long SMS;
anything else is sent as UCS-2 (UTF-16 in practice), 70 code units in one SMS or 67 per part. A
part never ends between ESC and its character, nor between the two halves of a surrogate pair,
so a long text can need more parts than a plain division says.

The encoders produce unpacked GSM septets (one per byte) and UTF-16-BE, the payloads of SMPP
data_coding 0 and 8.
"""

from __future__ import annotations

import enum
import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Final

from relais.core.errors import InvalidField

__all__ = [
    "GSM7_PART",
    "GSM7_SINGLE",
    "UCS2_PART",
    "UCS2_SINGLE",
    "Encoding",
    "SegmentedText",
    "decode_gsm7",
    "decode_ucs2",
    "encode_gsm7",
    "encode_ucs2",
    "segment",
    "segment_count",
]

# Capacity of one SMS and of each part of a long SMS (the rest of 140 octets holds the UDH).
GSM7_SINGLE: Final = 160
GSM7_PART: Final = 153
UCS2_SINGLE: Final = 70
UCS2_PART: Final = 67

_ESC: Final = 0x1B
# The default alphabet, indexed by septet value (0x1B is the escape, not a character).
_BASIC: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: character -> septet sent after ESC.
_EXTENSION: Final = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

_BASIC_CODES: Final = {ch: code for code, ch in enumerate(_BASIC) if code != _ESC}
_EXTENSION_CHARS: Final = frozenset(_EXTENSION)
_EXTENSION_BY_CODE: Final = {code: ch for ch, code in _EXTENSION.items()}
_BASIC_CLASS: Final = "".join(re.escape(ch) for ch in sorted(_BASIC_CODES))
_GSM_CLASS: Final = "".join(re.escape(ch) for ch in sorted({*_BASIC_CODES, *_EXTENSION}))
_EXT_CLASS: Final = "".join(re.escape(ch) for ch in sorted(_EXTENSION))

# One scan finds both what costs two septets and what GSM-7 cannot carry at all (the extension
# characters are not in the default table, so "not a default character" covers both).
_SPECIAL: Final = re.compile(f"[^{_BASIC_CLASS}]")
_NOT_GSM: Final = re.compile(f"[^{_GSM_CLASS}]")
_EXTENSION_RE: Final = re.compile(f"[{_EXT_CLASS}]")
_ASTRAL: Final = re.compile("[\U00010000-\U0010ffff]")

_ENCODE_TABLE: Final = {
    **{ord(ch): chr(code) for ch, code in _BASIC_CODES.items()},
    **{ord(ch): chr(_ESC) + chr(code) for ch, code in _EXTENSION.items()},
}


class Encoding(enum.StrEnum):
    """The alphabet a message is sent in (values are stored in the database)."""

    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True, slots=True)
class SegmentedText:
    """A text cut into the SMS parts it is sent as.

    `length` is in septets for GSM-7 (extension characters count two) and in UTF-16 code units
    for UCS-2 (characters outside the BMP count two).
    """

    encoding: Encoding
    length: int
    parts: tuple[str, ...]

    @property
    def segment_count(self) -> int:
        return len(self.parts)


def _measure(text: str, force_unicode: bool) -> tuple[Encoding, int, bool]:
    """(encoding, length in septets or code units, whether some characters weigh two)."""
    if not force_unicode:
        hits = _SPECIAL.findall(text)
        if not hits:
            return Encoding.GSM7, len(text), False
        if _EXTENSION_CHARS.issuperset(hits):
            return Encoding.GSM7, len(text) + len(hits), True
    units = len(text.encode("utf-16-le", "surrogatepass")) >> 1
    return Encoding.UCS2, units, units != len(text)


def _doubles(text: str, encoding: Encoding) -> list[int]:
    """Positions of the characters that weigh two: extension characters or astral ones."""
    pattern = _EXTENSION_RE if encoding is Encoding.GSM7 else _ASTRAL
    return [m.start() for m in pattern.finditer(text)]


def _limits(encoding: Encoding) -> tuple[int, int]:
    if encoding is Encoding.GSM7:
        return GSM7_SINGLE, GSM7_PART
    return UCS2_SINGLE, UCS2_PART


def _boundaries(size: int, doubles: list[int], part: int) -> list[int]:
    """Greedy cut points of a text of `size` characters where those at `doubles` weigh two."""
    heavy = set(doubles)
    cuts = []
    start = 0
    while start < size:
        end = min(size, start + part)
        weight = (end - start) + bisect_left(doubles, end) - bisect_left(doubles, start)
        while weight > part:  # give back characters until the part fits; pairs stay whole
            end -= 1
            weight -= 2 if end in heavy else 1
        cuts.append(end)
        start = end
    return cuts


def segment(text: str, *, force_unicode: bool = False) -> SegmentedText:
    """Choose the alphabet and cut `text` into the parts it will be sent as."""
    encoding, length, uneven = _measure(text, force_unicode)
    single, part = _limits(encoding)
    if length <= single:
        return SegmentedText(encoding, length, (text,))
    doubles = _doubles(text, encoding) if uneven else []
    parts = []
    start = 0
    for end in _boundaries(len(text), doubles, part):
        parts.append(text[start:end])
        start = end
    return SegmentedText(encoding, length, tuple(parts))


def segment_count(text: str, *, force_unicode: bool = False) -> tuple[Encoding, int]:
    """The alphabet and number of SMS parts of `text`, without building the parts."""
    if not force_unicode and not _SPECIAL.search(text):  # plain GSM-7: the common case
        size = len(text)
        return Encoding.GSM7, 1 if size <= GSM7_SINGLE else -(-size // GSM7_PART)
    encoding, length, uneven = _measure(text, force_unicode)
    single, part = _limits(encoding)
    if length <= single:
        return encoding, 1
    if not uneven:
        return encoding, -(-length // part)
    return encoding, len(_boundaries(len(text), _doubles(text, encoding), part))


def encode_gsm7(text: str) -> bytes:
    """Unpacked GSM 03.38 septets, one per byte, ESC (0x1B) before extension characters."""
    bad = _NOT_GSM.search(text)
    if bad is not None:
        raise InvalidField(
            f"Character {bad.group()!r} at position {bad.start()} is not in the GSM 03.38 alphabet"
        )
    return text.translate(_ENCODE_TABLE).encode("ascii")


def decode_gsm7(data: bytes) -> str:
    """Text of unpacked GSM septets.

    As TS 23.038 asks of a receiver, ESC followed by a septet the extension table does not define
    reads as that septet's default-alphabet character; ESC ESC and a trailing ESC read as a space.
    """
    out = []
    escaped = False
    for byte in data:
        if byte > 0x7F:
            raise InvalidField(f"Byte 0x{byte:02X} is not a GSM 7-bit septet")
        if escaped:
            escaped = False
            if byte == _ESC:
                out.append(" ")
            else:
                out.append(_EXTENSION_BY_CODE.get(byte) or _BASIC[byte])
        elif byte == _ESC:
            escaped = True
        else:
            out.append(_BASIC[byte])
    if escaped:
        out.append(" ")
    return "".join(out)


def encode_ucs2(text: str) -> bytes:
    """UTF-16-BE (UCS-2 as carriers accept it, with surrogate pairs for emoji)."""
    try:
        return text.encode("utf-16-be")
    except UnicodeEncodeError as exc:
        raise InvalidField(f"Text has an unpaired surrogate at position {exc.start}") from None


def decode_ucs2(data: bytes) -> str:
    """Text of UTF-16-BE bytes."""
    try:
        return data.decode("utf-16-be")
    except UnicodeDecodeError as exc:
        raise InvalidField(f"Bytes are not valid UTF-16-BE at offset {exc.start}") from None
