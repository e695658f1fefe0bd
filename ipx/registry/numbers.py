"""Validation and normalisation of the identifiers the registry stores.

Patent application numbers (CNIPA), trademark and copyright registration numbers, unified social
credit codes (GB 32100-2015) and resident identity numbers (GB 11643-1999), plus generators of
valid ones for tests and sample data. Pure standard library.

Sources for the check algorithms (checked against each other):
- CNIPA application number: ../shared/DESIGN.md ("Registry").
- GB 32100-2015: W_i = 3^(i-1) mod 31, C18 = 31 - MOD(sum, 31) with 31 -> 0, worked example
  91350100M000100Y4Z -> check "3" (GB 32100-2015 annex as reproduced at
  renrendoc.com/p-47802332.html and yc00.com/web/1713075042a2177900.html; same weights in
  hutool CreditCodeUtil and python-stdnum cn/uscc.py).
- GB 11714-1997 organization code: characters 0-9A-Z valued 0..35, weights 3,7,9,10,5,8,4,2,
  C9 = 11 - MOD(sum, 11), 10 -> "X", 11 -> "0".
- GB 11643-1999: ISO 7064 MOD 11-2 over 17 digits, 10 -> "X".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from ipx.rights import PATENT_KINDS

__all__ = [
    "InvalidNumber",
    "InvalidCreditCode",
    "InvalidIdentityNumber",
    "PatentNumber",
    "PATENT_KINDS",
    "parse_patent_number",
    "patent_check_character",
    "normalise_trademark_number",
    "normalise_copyright_number",
    "normalise_asset_number",
    "validate_credit_code",
    "validate_identity_number",
    "make_patent_number",
    "make_credit_code",
    "make_identity_number",
    "CREDIT_CODE_CHARSET",
]


class InvalidNumber(ValueError):
    """An identifier that is malformed or fails its check character.

    ``code`` names the problem and ``params`` its particulars (e.g. ``check-character`` with
    the character given and the one expected), so a page can say it in the reader's language;
    the English text stays the message.
    """

    def __init__(self, message: str, *, code: str = "malformed", **params: object) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class InvalidCreditCode(InvalidNumber):
    """A unified social credit code that violates GB 32100-2015."""


class InvalidIdentityNumber(InvalidNumber):
    """A resident identity number that violates GB 11643-1999."""


def _clean(text: object) -> str:
    """NFKC folds full-width digits, letters and dots; whitespace is never significant."""
    if not isinstance(text, str):
        raise InvalidNumber(f"expected a string, got {type(text).__name__}")
    folded = unicodedata.normalize("NFKC", text)
    folded = re.sub(r"[\u2010-\u2015\u2212\uFE63]", "-", folded)  # dash variants
    return re.sub(r"\s+", "", folded).upper()


# --- CNIPA patent application numbers -------------------------------------------------------

PATENT_TYPES = {
    "1": "invention",
    "2": "utility_model",
    "3": "design",
    "8": "invention",
    "9": "utility_model",
}
_WEIGHTS_12 = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_WEIGHTS_8 = (2, 3, 4, 5, 6, 7, 8, 9)
_PATENT_RE = re.compile(r"(?:ZL|CN)?(\d{12}|\d{8})\.?([0-9X])")


@dataclass(frozen=True)
class PatentNumber:
    """A valid CNIPA application number; `number` is the normalised `202310123456.7` form."""

    number: str
    year: int
    type_code: str
    kind: str

    @property
    def pct(self) -> bool:
        """True for a PCT application entering the Chinese national phase (type 8 or 9)."""
        return self.type_code in ("8", "9")

    def __str__(self) -> str:
        return self.number


def patent_check_character(digits: str) -> str:
    """The check character of a 12- or 8-digit application number body."""
    if not (digits.isascii() and digits.isdigit() and len(digits) in (8, 12)):
        raise InvalidNumber(f"patent number body must be 8 or 12 digits, got {digits!r}")
    weights = _WEIGHTS_12 if len(digits) == 12 else _WEIGHTS_8
    return "0123456789X"[sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11]


def _patent_year(digits: str, today: date) -> int:
    if len(digits) == 12:
        year = int(digits[:4])
        if not 2003 <= year <= today.year:
            raise InvalidNumber(
                f"12-digit numbers start in 2003; year {year} is out of range",
                code="patent-year",
                year=year,
            )
        return year
    yy = int(digits[:2])
    if not (yy >= 85 or yy <= 3):
        raise InvalidNumber(
            f"8-digit numbers were used 1985-2003; year {yy:02d} is out of range",
            code="patent-year",
            year=f"{yy:02d}",
        )
    return 1900 + yy if yy >= 85 else 2000 + yy


def parse_patent_number(text: str, *, today: date | None = None) -> PatentNumber:
    """Parse a CNIPA application number in any common spelling, verifying its check character.

    Accepts an optional `ZL`/`CN` prefix, spaces, full-width characters, a lower-case `x` and
    the dot before the check character being present or not.
    """
    cleaned = _clean(text)
    match = _PATENT_RE.fullmatch(cleaned)
    if match is None:
        raise InvalidNumber(
            f"{text!r} is not a CNIPA application number "
            "(12 or 8 digits and a check character, e.g. 202310123456.7)",
            code="patent-format",
        )
    digits, check = match.groups()
    year = _patent_year(digits, today or date.today())
    type_code = digits[4] if len(digits) == 12 else digits[2]
    if type_code not in PATENT_TYPES:
        raise InvalidNumber(
            f"{text!r}: type digit {type_code} is not 1, 2, 3, 8 or 9",
            code="patent-type",
            digit=type_code,
        )
    expected = patent_check_character(digits)
    if check != expected:
        raise InvalidNumber(
            f"{text!r}: check character is {check}, expected {expected}",
            code="check-character",
            given=check,
            expected=expected,
        )
    return PatentNumber(f"{digits}.{check}", year, type_code, PATENT_TYPES[type_code])


def make_patent_number(
    year: int, type_code: str | int, serial: int, *, legacy: bool | None = None
) -> str:
    """A valid normalised application number; 8-digit legacy form for years before 2003."""
    legacy = year < 2003 if legacy is None else legacy
    type_code = str(type_code)
    if type_code not in PATENT_TYPES:
        raise ValueError(f"type code {type_code} is not 1, 2, 3, 8 or 9")
    width = 5 if legacy else 7
    if not 0 <= serial < 10**width:
        raise ValueError(f"serial {serial} does not fit in {width} digits")
    head = f"{year % 100:02d}" if legacy else f"{year:04d}"
    digits = f"{head}{type_code}{serial:0{width}d}"
    return f"{digits}.{patent_check_character(digits)}"


# --- trademark and copyright registration numbers -------------------------------------------

_TRADEMARK_RE = re.compile(r"第?(\d{1,10})号?")
_SOFTWARE_RE = re.compile(r"(?:软著登字第)?((?:19|20)\d{2})SR(\d{4,8})号?")
_WORK_RE = re.compile(r"([\u4e00-\u9fff])作登字-?((?:19|20)\d{2})-([A-Z])-(\d{4,10})")


def normalise_trademark_number(text: str) -> str:
    """A trademark registration number: 1-10 digits, optionally written `第…号`.

    Leading zeros are dropped so that one registration has one spelling.
    """
    match = _TRADEMARK_RE.fullmatch(_clean(text))
    if match is None or int(match.group(1)) == 0:
        raise InvalidNumber(
            f"{text!r} is not a trademark registration number (1-10 digits)",
            code="trademark-format",
        )
    return str(int(match.group(1)))


def normalise_copyright_number(text: str, *, today: date | None = None) -> str:
    """A copyright registration number, permissively parsed.

    Two families are accepted: software registrations `YYYYSR` + 4-8 digits (optionally inside
    `软著登字第…号`), e.g. `2023SR0123456`; and work registrations `X作登字-YYYY-C-NNNNNNNN`
    (X the registering office: 国 for the national centre or a province's one-character name;
    C the work category letter; 4-10 digits), e.g. `国作登字-2023-F-00012345`. Any dash variant
    and spaces are accepted; the year must not lie in the future. Digits are kept as written.
    """
    cleaned = _clean(text)
    this_year = (today or date.today()).year
    if match := _SOFTWARE_RE.fullmatch(cleaned):
        year, serial = match.groups()
        normalised = f"{year}SR{serial}"
    elif match := _WORK_RE.fullmatch(cleaned):
        office, year, category, serial = match.groups()
        normalised = f"{office}作登字-{year}-{category}-{serial}"
    else:
        raise InvalidNumber(
            f"{text!r} is not a copyright registration number "
            "(e.g. 2023SR0123456 or 国作登字-2023-F-00012345)",
            code="copyright-format",
        )
    if int(year) > this_year:
        raise InvalidNumber(
            f"{text!r}: registration year {year} is in the future",
            code="future-year",
            year=year,
        )
    return normalised


def normalise_asset_number(kind: str, text: str, *, today: date | None = None) -> str:
    """Normalise the number of an asset of `kind`; a patent's type digit must match the kind."""
    if kind in PATENT_KINDS:
        parsed = parse_patent_number(text, today=today)
        if parsed.kind != kind:
            raise InvalidNumber(
                f"{text!r} is a {parsed.kind.replace('_', ' ')} number "
                f"(type {parsed.type_code}), not a {kind.replace('_', ' ')}",
                code="patent-kind",
                number_kind=parsed.kind,
                kind=kind,
            )
        return parsed.number
    if kind == "trademark":
        return normalise_trademark_number(text)
    if kind == "copyright":
        return normalise_copyright_number(text, today=today)
    raise InvalidNumber(f"unknown asset kind {kind!r}")


# --- GB 32100-2015 unified social credit code ----------------------------------------------

CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_C = "[0-9A-HJ-NPQRTUWXY]"
_CREDIT_RE = re.compile(rf"{_C}{{2}}\d{{6}}{_C}{{8}}[0-9X]{_C}")
# GB/T 2260 province-level prefixes, plus 10 for registrations by national authorities.
_PROVINCES = frozenset(
    {f"{p}" for p in (10, 11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42)}
    | {f"{p}" for p in (43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82)}
)
_ID_PROVINCES = _PROVINCES - {"10"}


def _organization_check(body: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def _credit_check(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARSET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(text: str) -> str:
    """Validate an 18-character unified social credit code; return it upper-case.

    Checks the character set, the administrative division (6 digits with a GB/T 2260 province
    prefix), the GB 11714 organization-code check at position 17 and the GB 32100 check at 18.
    """
    try:
        code = _clean(text)
    except InvalidNumber as exc:
        raise InvalidCreditCode(str(exc)) from None
    if _CREDIT_RE.fullmatch(code) is None:
        raise InvalidCreditCode(
            f"{text!r} is not a unified social credit code "
            "(18 characters from 0-9 and A-Y without I, O, S, V, Z; positions 3-8 digits)",
            code="credit-code-format",
        )
    if code[2:4] not in _PROVINCES:
        raise InvalidCreditCode(
            f"{text!r}: {code[2:8]} is not an administrative division code",
            code="division",
            division=code[2:8],
        )
    if (expected := _organization_check(code[8:16])) != code[16]:
        raise InvalidCreditCode(
            f"{text!r}: organization code check is {code[16]}, expected {expected}",
            code="organization-check",
            given=code[16],
            expected=expected,
        )
    if (expected := _credit_check(code[:17])) != code[17]:
        raise InvalidCreditCode(
            f"{text!r}: check character is {code[17]}, expected {expected}",
            code="check-character",
            given=code[17],
            expected=expected,
        )
    return code


def make_credit_code(
    org_body: str, division: str = "110108", registry: str = "9", category: str = "1"
) -> str:
    """A valid credit code from an 8-character organization body and a 6-digit division."""
    head = f"{registry}{category}{division}{org_body}"
    if len(org_body) != 8 or _CREDIT_RE.fullmatch(head + "00") is None:
        raise ValueError(f"cannot build a credit code from {head!r}")
    first17 = head + _organization_check(org_body)
    return first17 + _credit_check(first17)


# --- GB 11643-1999 resident identity number -------------------------------------------------

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_RE = re.compile(r"\d{17}[0-9X]")


def _identity_check(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "0123456789X"[(12 - total % 11) % 11]


def validate_identity_number(text: str, *, today: date | None = None) -> str:
    """Validate an 18-character resident identity number; return it with an upper-case X."""
    try:
        number = _clean(text)
    except InvalidNumber as exc:
        raise InvalidIdentityNumber(str(exc)) from None
    if _ID_RE.fullmatch(number) is None:
        raise InvalidIdentityNumber(
            "an identity number is 17 digits and a digit or X", code="identity-format"
        )
    if number[:2] not in _ID_PROVINCES:
        raise InvalidIdentityNumber(
            f"{number[:6]} is not an administrative division code",
            code="division",
            division=number[:6],
        )
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdentityNumber(
            "the birth date in the identity number is not a date", code="birth-date"
        ) from None
    if not date(1900, 1, 1) <= birth <= (today or date.today()):
        raise InvalidIdentityNumber(
            "the birth date in the identity number is out of range", code="birth-date"
        )
    if (expected := _identity_check(number[:17])) != number[17]:
        # the message never echoes the number: it is personal data
        raise InvalidIdentityNumber(
            f"identity number check character is wrong (expected {expected})",
            code="check-character",
            expected=expected,
        )
    return number


def make_identity_number(area: str, birth: date, sequence: int) -> str:
    """A valid identity number for a 6-digit area, a birth date and a 3-digit sequence."""
    if not (len(area) == 6 and area.isdigit() and 0 <= sequence < 1000):
        raise ValueError("area must be 6 digits and sequence 0-999")
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + _identity_check(first17)


#: A pledge's registration number (``IPX-P-2026-000001``): the public query's number search
#: takes it too.
REGISTRATION_NUMBER = re.compile(r"IPX-P-\d{4}-\d{6}")


def registration_number(text: str) -> str | None:
    """``text`` as a pledge's registration number, if it is one (any case, spaces around)."""
    number = text.strip().upper()
    return number if REGISTRATION_NUMBER.fullmatch(number) else None
