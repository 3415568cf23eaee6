"""What the numbering plan says about a phone number: its country, its type and the network
it was originally allocated to. Pure: no I/O beyond phonenumbers' bundled metadata, no clock.

This is not a live HLR lookup: whether the number is in service, ported or roaming is unknown
here, and callers must say so."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from relais.core.phone import normalize_number

__all__ = ["NumberPlanInfo", "describe_number"]

_TYPE_NAMES: dict[int, str] = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}


@dataclass(frozen=True, slots=True)
class NumberPlanInfo:
    """One looked-up number. `msisdn` is None when the number is not valid; the other fields
    are None when the plan does not tell (an empty network name reads as None)."""

    given: str
    msisdn: str | None
    country: str | None  # ISO 3166 alpha-2, or "001" for non-geographic calling codes
    country_name: str | None
    country_prefix: str | None
    network_name: str | None
    number_type: str | None

    @property
    def valid(self) -> bool:
        return self.msisdn is not None


def describe_number(raw: str, default_country: str | None = "FR") -> NumberPlanInfo:
    """The numbering plan's answer for `raw`, read like a recipient of a send (so national
    forms belong to `default_country`)."""
    found = normalize_number(raw, default_country)
    if found is None:
        return NumberPlanInfo(raw, None, None, None, None, None, None)
    try:
        number = phonenumbers.parse("+" + found.msisdn, None)
    except NumberParseException:  # pragma: no cover - normalize_number accepted it
        return NumberPlanInfo(raw, None, None, None, None, None, None)
    # Imported on the first lookup, not with the module: their data is ~115 MB of memory in
    # every process, and only POST /lookup reads it.
    from phonenumbers import carrier, geocoder

    return NumberPlanInfo(
        given=raw,
        msisdn=found.msisdn,
        country=found.country,
        country_name=geocoder.country_name_for_number(number, "en") or None,
        country_prefix=str(number.country_code),
        network_name=carrier.name_for_number(number, "en") or None,
        number_type=_TYPE_NAMES.get(phonenumbers.number_type(number), "unknown"),
    )
