"""What a campaign text holds besides words: merge fields and placeholders.

* `[info1]`..`[info4]` (any case): a list contact's own fields, merged per contact
  (`Template`); a missing field merges as nothing.
* `<-stop->`: replaced by the STOP notice (api_reference §1.4.7; Mautic appends it); a
  marketing text without it gets the notice appended (`with_stop_notice`).
* `<-short->`: a tracked short link, one per entry of the send's `links`, put in place
  as each message goes out (core.short_links).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from relais.core.status import PushType

__all__ = ["SHORT_LINK_PLACEHOLDER", "STOP_PLACEHOLDER", "Template", "with_stop_notice"]

STOP_PLACEHOLDER: Final = "<-stop->"
SHORT_LINK_PLACEHOLDER: Final = "<-short->"

_FIELD: Final = re.compile(r"\[info([1-4])\]", re.IGNORECASE)


def with_stop_notice(text: str, *, pushtype: PushType, notice: str) -> str:
    """The text as it goes out: `<-stop->` replaced by the STOP notice, and for marketing the
    notice appended after a newline unless the text already carries it."""
    if STOP_PLACEHOLDER in text:
        return text.replace(STOP_PLACEHOLDER, notice)
    if pushtype is PushType.MARKETING and notice and notice.lower() not in text.lower():
        return f"{text}\n{notice}"
    return text


class Template:
    """A text with `[info1]`..`[info4]` fields (any case), merged per contact."""

    __slots__ = ("_format", "fields", "text")

    def __init__(self, text: str) -> None:
        pieces = _FIELD.split(text)
        self.text = text
        self.fields: tuple[int, ...] = tuple(int(n) - 1 for n in pieces[1::2])
        # str.format does the merge in C: literals escaped, fields as {0}..{3}.
        literals = [piece.replace("{", "{{").replace("}", "}}") for piece in pieces[0::2]]
        out = [literals[0]]
        for index, literal in zip(self.fields, literals[1:], strict=True):
            out.append(f"{{{index}}}")
            out.append(literal)
        self._format = "".join(out).format

    @property
    def constant(self) -> bool:
        return not self.fields

    def merge(self, infos: Sequence[str | None]) -> str:
        """The text with each field replaced by the contact's info (None: nothing)."""
        i1, i2, i3, i4 = infos
        return self._format(i1 or "", i2 or "", i3 or "", i4 or "")
