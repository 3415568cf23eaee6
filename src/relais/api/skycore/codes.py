"""Skycore's error codes: the reference's E100 (invalid request), E103-E109
(authentication), E111 (invalid sender) and E713 (billing), and Relais's own numbers for
the rest. docs/skycore.md publishes this table."""

from __future__ import annotations

from typing import Final

from relais.core import errors
from relais.core.screening import BLACKLISTED, COUNTRY_LIMIT, FLOOD, INVALID, NOT_ALLOWED, NPAI

INVALID_REQUEST: Final = "E100"
MISSING_KEY: Final = "E103"
INVALID_KEY: Final = "E104"
EXPIRED_KEY: Final = "E105"
ADDRESS_NOT_ALLOWED: Final = "E106"
ACCOUNT_SUSPENDED: Final = "E109"
INVALID_ACTION: Final = "E110"
INVALID_SENDER: Final = "E111"
INVALID_MOBILE: Final = "E112"
INVALID_TEXT: Final = "E113"
CAMPAIGN_REQUIRED: Final = "E114"
NOT_SUBSCRIBED: Final = "E115"
OPTED_OUT: Final = "E116"
UNREACHABLE: Final = "E117"
TOO_MANY: Final = "E118"
COUNTRY_NOT_ALLOWED: Final = "E119"
COUNTRY_CAP: Final = "E120"
INVALID_REFERENCE: Final = "E121"
BILLING: Final = "E713"
UNAVAILABLE: Final = "E900"

INFO: Final[dict[str, str]] = {
    INVALID_REQUEST: (
        "Invalid request. Please make a valid JSON POST request with all the required variables."
    ),
    MISSING_KEY: "Missing API key. Send it in the x-api-key header.",
    INVALID_KEY: "Invalid API key.",
    EXPIRED_KEY: "The API key has expired.",
    ADDRESS_NOT_ALLOWED: "The API key is not allowed from this IP address.",
    ACCOUNT_SUSPENDED: "The account is suspended.",
    INVALID_ACTION: "Invalid action.",
    INVALID_SENDER: "Invalid Sender.",
    INVALID_MOBILE: "Invalid mobile number. Give digits with the country code.",
    INVALID_TEXT: "Invalid message text.",
    CAMPAIGN_REQUIRED: "Campaign reference required: Enforce Campaign Check is on.",
    NOT_SUBSCRIBED: "The mobile number is not subscribed to this campaign.",
    OPTED_OUT: "The mobile number has opted out (STOP).",
    UNREACHABLE: "The mobile number is known not to reach anyone.",
    TOO_MANY: "Too many messages to this mobile number; try again later.",
    COUNTRY_NOT_ALLOWED: "The account may not send to this country.",
    COUNTRY_CAP: "The account's monthly limit for this country is reached.",
    INVALID_REFERENCE: "Invalid campaign or subscriber reference.",
    BILLING: "There is billing problem on your account.",
    UNAVAILABLE: "Temporary failure. Please try again later.",
}

# The codes whose cause varies: their error-info names it after the table's text.
_DETAILED: Final = frozenset(
    {INVALID_REQUEST, INVALID_ACTION, INVALID_MOBILE, INVALID_TEXT, INVALID_REFERENCE}
)

# A recipient screened out of a send (core.screening counters) -> the failure it answers.
SCREENED: Final[dict[str, str]] = {
    INVALID: INVALID_MOBILE,
    BLACKLISTED: OPTED_OUT,
    NPAI: UNREACHABLE,
    FLOOD: TOO_MANY,
    NOT_ALLOWED: COUNTRY_NOT_ALLOWED,
    COUNTRY_LIMIT: COUNTRY_CAP,
}

# Errors of the layers below -> code, most specific first.
_BY_ERROR: Final[tuple[tuple[type[errors.RelaisError], str], ...]] = (
    (errors.TokenExpired, EXPIRED_KEY),
    (errors.AddressNotAllowed, ADDRESS_NOT_ALLOWED),
    (errors.AccountSuspended, ACCOUNT_SUSPENDED),
    (errors.AuthenticationFailed, INVALID_KEY),
    (errors.InvalidSender, INVALID_SENDER),
    (errors.NotSubscribed, NOT_SUBSCRIBED),
    (errors.OptedOut, OPTED_OUT),
    (errors.InvalidRequest, INVALID_REQUEST),
    (errors.InsufficientCredits, BILLING),
)


class SkycoreFailure(errors.RelaisError):
    """A failure this dialect names itself, with its Skycore code."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        self.code = code
        super().__init__(detail if detail is not None else INFO[code])


def code_of(exc: errors.RelaisError) -> str:
    if isinstance(exc, SkycoreFailure):
        return exc.code
    for kind, code in _BY_ERROR:
        if isinstance(exc, kind):
            return code
    return UNAVAILABLE


def error_info(code: str, exc: errors.RelaisError) -> str:
    """The table's text; for the codes whose cause varies, followed by the cause."""
    info = INFO[code]
    if code in _DETAILED and exc.detail and exc.detail != info:
        return f"{info} {exc.detail}"
    return info
