"""
Every error Relais raises on purpose descends from `RelaisError`; foreign errors
(SQLAlchemy, sockets, parsers) are translated at the boundary that meets them.

* RelaisError
  + InvalidRequest ............ the caller's input is wrong; nothing was stored
    - MalformedJSON
    - MalformedXML
    - MissingField
    - InvalidField
    - InvalidDelay
    - InvalidSender
    - NotSubscribed ........... the number is not subscribed to the campaign named
    - OptedOut ................ the number sent STOP or was blacklisted
  + AuthenticationFailed ...... no or wrong credentials, or a disabled account
  + InsufficientCredits ....... the balance does not cover the cost
  + NotFound .................. the resource does not exist for this account
  + NotCancellable ............ the campaign is not waiting for its send time
  + StorageError .............. the database failed; the operation was rolled back
  + ConfigError ............... settings cannot be used
"""

from __future__ import annotations


class RelaisError(Exception):
    """Something went wrong in Relais."""

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail if detail is not None else (self.__doc__ or "").strip()
        super().__init__(self.detail)


class InvalidRequest(RelaisError):
    """The request is not valid."""


class MalformedJSON(InvalidRequest):
    """The JSON body cannot be parsed."""


class MalformedXML(InvalidRequest):
    """The XML body cannot be parsed."""


class BodyTooLarge(InvalidRequest):
    """The request body is larger than this route accepts."""


class MissingField(InvalidRequest):
    """A required field is missing."""


class InvalidField(InvalidRequest):
    """A field has a value that cannot be used."""


class InvalidDelay(InvalidRequest):
    """The delay is not a future date in a known format."""


class InvalidSender(InvalidRequest):
    """The sender must be at most 11 letters and digits, or a phone number."""


class NotSubscribed(InvalidRequest):
    """The number is not subscribed to this campaign."""


class OptedOut(InvalidRequest):
    """The number opted out (STOP) or is on the account's blacklist."""


class AuthenticationFailed(RelaisError):
    """The credentials are missing or do not match an active account."""


class TokenExpired(AuthenticationFailed):
    """The API token has passed its expiry."""


class AddressNotAllowed(AuthenticationFailed):
    """The token carries an IP allow-list that does not hold the caller's address."""


class AccountSuspended(AuthenticationFailed):
    """The account (or the account paying for it) is suspended."""


class LoginThrottled(AuthenticationFailed):
    """Too many wrong passwords for this account or from this address: wait, or use a token."""


class InsufficientCredits(RelaisError):
    """The balance does not cover the cost of this campaign."""


class NotFound(RelaisError):
    """The resource does not exist."""


class NotCancellable(RelaisError):
    """Only a campaign still waiting for its send time can be cancelled."""


class StorageError(RelaisError):
    """The database could not complete the operation."""


class ConfigError(RelaisError):
    """The settings cannot be used."""
