from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from relais.core import phone
from relais.core.phone import Destination, country_of, normalize_number, normalize_recipient


def _reference(text: str, region: str | None) -> Destination | None:
    """phonenumbers' own answer: parse + is_valid_number + region_code_for_number + E.164."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Destination(e164[1:], phonenumbers.region_code_for_number(number))


def _reference_region(digits: str) -> str:
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return "ZZ"
    return phonenumbers.region_code_for_number(number) or "ZZ"


@pytest.mark.parametrize(
    ("raw", "msisdn", "country"),
    [
        # French mobile in every form clients send
        ("33612345678", "33612345678", "FR"),
        ("+33612345678", "33612345678", "FR"),
        ("0033612345678", "33612345678", "FR"),
        ("0612345678", "33612345678", "FR"),
        ("06 12 34 56 78", "33612345678", "FR"),
        ("06.12.34.56.78", "33612345678", "FR"),
        ("06-12-34-56-78", "33612345678", "FR"),
        ("+33 (0)6 12 34 56 78", "33612345678", "FR"),
        ("+33 6 12 34 56 78", "33612345678", "FR"),
        (" +33612345678 ", "33612345678", "FR"),
        ("0033/6/12/34/56/78", "33612345678", "FR"),
        ("33 7 81 23 45 67", "33781234567", "FR"),
        ("612345678", None, None),  # bare digits are international only: +61 2345678 is invalid
        # DOM-TOM: their own regions behind shared calling codes
        ("+262692123456", "262692123456", "RE"),
        ("262692123456", "262692123456", "RE"),
        ("+262639012345", "262639012345", "YT"),
        ("+590690001234", "590690001234", "GP"),
        ("+596696201234", "596696201234", "MQ"),
        ("+594694201234", "594694201234", "GF"),
        ("+687751234", "687751234", "NC"),
        ("0692123456", None, None),  # a Réunion number dialled nationally is not a FR number
        # NANPA
        ("+1 212 555 0123", "12125550123", "US"),
        ("+12015550123", "12015550123", "US"),
        ("12015550123", "12015550123", "US"),
        ("+1 (416) 555-0123", "14165550123", "CA"),
        ("+1 212 055 0123", None, None),  # area exchange codes do not start with 0
        ("+14162345678", "14162345678", "CA"),
        ("+18762345678", "18762345678", "JM"),
        # United Kingdom and crown dependencies
        ("+447400123456", "447400123456", "GB"),
        ("00447400123456", "447400123456", "GB"),
        ("+44 20 7946 0958", "442079460958", "GB"),
        ("+447781123456", "447781123456", "GG"),
        # others
        ("+4915123456789", "4915123456789", "DE"),
        ("+41781234567", "41781234567", "CH"),
        ("+79123456789", "79123456789", "RU"),
        ("+77012345678", "77012345678", "KZ"),
        ("+390669812345", "390669812345", "VA"),
        ("+393123456789", "393123456789", "IT"),
        ("+80012345678", "80012345678", "001"),
        # invalid
        ("", None, None),
        ("   ", None, None),
        ("+", None, None),
        ("00", None, None),
        ("0", None, None),
        ("abc", None, None),
        ("06 12 34 56 7A", None, None),
        ("+33 6 12 34 56", None, None),
        ("+33 6 12 34 56 789", None, None),
        ("+0612345678", None, None),
        ("+999123456789", None, None),
        ("3361234567812345678901", None, None),
        ("++33612345678", None, None),
        ("33612345678#", None, None),
        ("０６１２３４５６７８", None, None),  # full-width digits are not accepted
        ("06 12 34 56 78 ext 12", None, None),
    ],
)
def test_normalize_number_table(raw: str, msisdn: str | None, country: str | None) -> None:
    expected = None if msisdn is None else Destination(msisdn, country or "")
    assert normalize_number(raw) == expected


@pytest.mark.parametrize("raw", ["+80012345678", "0080012345678", "80012345678"])
def test_non_geographic_numbers_are_valid_but_not_sms_recipients(raw: str) -> None:
    assert normalize_number(raw) == Destination("80012345678", "001")
    assert normalize_recipient(raw) is None


def test_normalize_recipient_keeps_geographic_numbers() -> None:
    assert normalize_recipient("0612345678") == Destination("33612345678", "FR")
    assert normalize_recipient("+14155552671") == Destination("14155552671", "US")
    assert normalize_recipient("12") is None


def test_normalize_number_other_default_country() -> None:
    assert normalize_number("07400 123456", "GB") == Destination("447400123456", "GB")
    assert normalize_number("0692123456", "RE") == Destination("262692123456", "RE")
    assert normalize_number("0612345678", "fr") == Destination("33612345678", "FR")


def test_normalize_number_without_default_country_refuses_national_forms() -> None:
    assert normalize_number("0612345678", None) is None
    assert normalize_number("612345678", None) is None
    assert normalize_number("33612345678", None) == Destination("33612345678", "FR")


def test_normalize_number_unknown_default_country_refuses_national_forms() -> None:
    assert normalize_number("0612345678", "XX") is None
    assert normalize_number("+33612345678", "XX") == Destination("33612345678", "FR")


def test_normalize_number_national_with_idd_prefix_follows_phonenumbers() -> None:
    # "011" is the US international prefix: phonenumbers reads it as such, and so do we.
    assert normalize_number("011 33 6 12 34 56 78", "US") == Destination("33612345678", "FR")


@pytest.mark.parametrize(
    ("msisdn", "country"),
    [
        ("33612345678", "FR"),
        ("+33612345678", "FR"),
        ("262692123456", "RE"),
        ("262639012345", "YT"),
        ("14162345678", "CA"),
        ("12015550123", "US"),
        ("447400123456", "GB"),
        ("80012345678", "001"),
        ("3361", "FR"),  # like phonenumbers, a one-region code names its region even if invalid
        ("999123456", "ZZ"),
        ("0612345678", "ZZ"),
        ("", "ZZ"),
        ("33abc", "ZZ"),
    ],
)
def test_country_of_table(msisdn: str, country: str) -> None:
    assert country_of(msisdn) == country


def test_fast_path_covers_every_calling_code() -> None:
    for code in COUNTRY_CODE_TO_REGION_CODE:
        assert phone._country(code) is not None, code


def _example_numbers() -> list[str]:
    """Valid international digits of every region and number type, from phonenumbers itself."""
    found = []
    for code, regions in COUNTRY_CODE_TO_REGION_CODE.items():
        for region in regions:
            meta = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
            for name in ("fixed_line", "mobile", "toll_free", "premium_rate", "voip", "uan"):
                desc = getattr(meta, name)
                if desc is not None and desc.example_number:
                    found.append(f"{code}{desc.example_number}")
    return sorted(set(found))


_EXAMPLES = _example_numbers()
_CODES = sorted(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
_DIGITS = st.text(alphabet="0123456789", min_size=0, max_size=14)


@st.composite
def _international_digits(draw: st.DrawFn) -> str:
    """Digit strings of 8-15 characters, mostly behind real calling codes, often nearly valid."""
    kind = draw(st.sampled_from(["example", "code", "random"]))
    if kind == "example":
        base = draw(st.sampled_from(_EXAMPLES))
        keep = draw(st.integers(min_value=len(base) // 2, max_value=len(base)))
        tail = draw(st.text(alphabet="0123456789", min_size=0, max_size=len(base) - keep + 1))
        digits = base[:keep] + tail
    elif kind == "code":
        digits = draw(st.sampled_from(_CODES)) + draw(_DIGITS)
    else:
        digits = draw(st.text(alphabet="0123456789", min_size=8, max_size=15))
    return digits[:15].ljust(8, "0") if kind != "example" else digits


@settings(max_examples=3000, deadline=None)
@given(_international_digits())
@example("33612345678")
@example("330612345678")
@example("14162345678")
@example("447781123456")
@example("5491123456789")
@example("5511961234567")
def test_fast_path_agrees_with_phonenumbers(digits: str) -> None:
    fast = phone._fast_international(digits)
    assert fast is not phone._SLOW
    assert fast == _reference("+" + digits, None)
    assert normalize_number("+" + digits) == fast
    assert country_of(digits) == _reference_region(digits)


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from("123456789"),
    st.text(alphabet="0123456789", min_size=0, max_size=13),
    st.sampled_from(["FR", "GB", "RE", "GP", "US", "DE", "AR", "BR", "IT"]),
)
def test_fast_national_agrees_with_phonenumbers(first: str, rest: str, region: str) -> None:
    digits = "0" + first + rest  # a single leading 0: "00" is always international for us
    assert normalize_number(digits, region) == _reference(digits, region)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from("123456789"), st.text(alphabet="0123456789", min_size=5, max_size=12))
def test_normalize_number_bare_digits_are_international_only(first: str, rest: str) -> None:
    digits = first + rest
    expected = _reference("+" + digits, None)
    assert normalize_number(digits) == expected
