"""The rules of a send request that need no database: its text and kind (pushtype), how many
SMS parts its text may take, and when it goes out.

Marketing (pushtype marketing/advertising) is released only inside the marketing window
(core.quiet_hours): asked for outside it, a send is scheduled for the window's next opening.
Raises the InvalidRequest errors of relais.core.errors (the one error root core shares)."""

from __future__ import annotations

from datetime import datetime

from relais.core.errors import InvalidField, MissingField
from relais.core.quiet_hours import next_release
from relais.core.status import PushType

__all__ = ["check_parts", "parse_pushtype", "release_time", "require_text"]


def require_text(text: str | None) -> str:
    """The campaign text; MissingField when there is none."""
    if text is None or text == "":
        raise MissingField("The text is missing")
    return text


def parse_pushtype(raw: str | None) -> PushType:
    try:
        return PushType.parse(raw)
    except ValueError:
        raise InvalidField("pushtype must be alert or marketing") from None


def check_parts(parts: int, *, max_parts: int, pushtype: PushType, notice: str) -> None:
    """InvalidField when a text needs more than `max_parts` SMS parts."""
    if parts > max_parts:
        with_notice = " with the STOP notice" if pushtype is PushType.MARKETING and notice else ""
        raise InvalidField(
            f"The text needs {parts} SMS parts{with_notice}; at most {max_parts} are allowed"
        )


def release_time(now: datetime, send_at: datetime | None, pushtype: PushType) -> datetime | None:
    """When a send goes out: its delay (None: now), moved for marketing to the next opening
    of the marketing window. None means now."""
    if pushtype is not PushType.MARKETING:
        return send_at
    due = send_at or now
    released = next_release(due)
    return send_at if released == due else released
