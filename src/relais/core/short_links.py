"""Tracked short links: the `<-short->` placeholders of a text, the long URLs they stand
for, and each recipient's own short code.

A code is the message's id and the link's position in the text, passed through a keyed
permutation of 40 bits (a four-round Feistel network over keyed BLAKE2b) and written as
7 base62 characters. Codes are therefore unique by construction (nothing is stored per
link, no collision is ever retried) yet cannot be walked from one to the next without the
instance's key. 40 bits hold 8 links per message for the first 2^37 messages.

The text keeps its placeholders in the database; a message's links are put in when it
goes out and when it is shown (`render`), always at the same length (`CODE_LENGTH`), so
the parts priced at sending are the parts sent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Final

from relais.core.errors import InvalidField
from relais.core.templates import SHORT_LINK_PLACEHOLDER
from relais.core.webhook_targets import check_url

__all__ = [
    "CODE_LENGTH",
    "MAX_LINKS",
    "MAX_URL_LENGTH",
    "ShortLinks",
    "check_links",
    "fill_placeholders",
    "placeholders_for_urls",
]

CODE_LENGTH: Final = 7
MAX_LINKS: Final = 8
MAX_URL_LENGTH: Final = 2000

_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DIGIT: Final = {c: i for i, c in enumerate(_ALPHABET)}
_POSITION_BITS: Final = 3  # MAX_LINKS == 2**3
_HALF_BITS: Final = 20
_HALF_MASK: Final = (1 << _HALF_BITS) - 1
_DOMAIN: Final = 1 << (2 * _HALF_BITS)
_ROUNDS: Final = 4
# A written URL: http(s):// up to the next space; punctuation that ends a sentence is not
# part of it ("Visit https://a.example/." links to https://a.example/).
_URL: Final = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING: Final = ".,;:!?)]}'"


def check_links(text: str, links: Sequence[str]) -> tuple[str, ...]:
    """The links of a send, checked against its text: as many as `<-short->` placeholders,
    each an http(s) URL of at most MAX_URL_LENGTH characters (InvalidField otherwise)."""
    placeholders = text.count(SHORT_LINK_PLACEHOLDER)
    if placeholders != len(links):
        raise InvalidField(
            f"The text has {placeholders} {SHORT_LINK_PLACEHOLDER} placeholder(s) "
            f"for {len(links)} link(s)"
        )
    if len(links) > MAX_LINKS:
        raise InvalidField(f"At most {MAX_LINKS} links per message")
    for link in links:
        if len(link) > MAX_URL_LENGTH:
            raise InvalidField(f"A link is at most {MAX_URL_LENGTH} characters")
        check_url(link, what="A link")
    return tuple(links)


def placeholders_for_urls(text: str) -> tuple[str, tuple[str, ...]]:
    """The text with each http(s) URL written in it (the first MAX_LINKS) replaced by a
    `<-short->` placeholder, and those URLs in order: click tracking of a plain text."""
    links: list[str] = []

    def replace(match: re.Match[str]) -> str:
        url = match.group(0)
        kept = url.rstrip(_TRAILING)
        if len(links) >= MAX_LINKS or not kept.partition("://")[2]:
            return url
        links.append(kept)
        return SHORT_LINK_PLACEHOLDER + url[len(kept) :]

    return _URL.sub(replace, text), tuple(links)


def fill_placeholders(text: str, values: Sequence[str]) -> str:
    """The text with its first placeholders replaced, in order, by `values`: the long URLs
    (what moderation judges), a message's short links, or samples of their length."""
    if not values:
        return text
    pieces = text.split(SHORT_LINK_PLACEHOLDER, len(values))
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=False):
        out.append(value)
        out.append(piece)
    return "".join(out)


class ShortLinks:
    """The short links of one Relais instance: `<base>/<code>`, codes under its key."""

    __slots__ = ("_keys", "base")

    def __init__(self, base: str, key: bytes) -> None:
        self.base = base.rstrip("/")
        # One BLAKE2b state per round, keyed once; each round copies it.
        self._keys = tuple(
            hashlib.blake2b(key=key, digest_size=3, person=b"relais-link" + bytes([r]))
            for r in range(_ROUNDS)
        )

    @property
    def sample(self) -> str:
        """A link as long, and of the same characters, as every link this instance makes."""
        return f"{self.base}/{'0' * CODE_LENGTH}"

    def code(self, message_id: int, position: int) -> str:
        """The short code of link `position` (from 0) of message `message_id`."""
        if not 0 <= position < MAX_LINKS:
            raise ValueError(f"link position {position} out of 0..{MAX_LINKS - 1}")
        value = (message_id << _POSITION_BITS) | position
        if not 0 < value < _DOMAIN:
            raise ValueError(f"message id {message_id} beyond what 40-bit codes hold")
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for state in self._keys:
            left, right = right, left ^ self._round(state, right)
        return _base62((left << _HALF_BITS) | right)

    def decode(self, code: str) -> tuple[int, int] | None:
        """(message id, position) of a code this instance made; None for anything else."""
        if len(code) != CODE_LENGTH:
            return None
        value = 0
        for char in code:
            digit = _DIGIT.get(char)
            if digit is None:
                return None
            value = value * 62 + digit
        if value >= _DOMAIN:
            return None
        left, right = value >> _HALF_BITS, value & _HALF_MASK
        for state in reversed(self._keys):
            left, right = right ^ self._round(state, left), left
        plain = (left << _HALF_BITS) | right
        message_id, position = plain >> _POSITION_BITS, plain & (MAX_LINKS - 1)
        return (message_id, position) if message_id > 0 else None

    def url(self, message_id: int, position: int) -> str:
        return f"{self.base}/{self.code(message_id, position)}"

    def render(self, text: str, message_id: int, count: int) -> str:
        """The text as message `message_id` carries it: its first `count` placeholders
        replaced by the message's own short links."""
        return fill_placeholders(
            text, [self.url(message_id, p) for p in range(min(count, MAX_LINKS))]
        )

    @staticmethod
    def _round(state: hashlib.blake2b, half: int) -> int:
        h = state.copy()
        h.update(half.to_bytes(3, "big"))
        return int.from_bytes(h.digest(), "big") & _HALF_MASK


def _base62(value: int) -> str:
    digits = []
    for _ in range(CODE_LENGTH):
        value, digit = divmod(value, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))
