"""Validators of patent numbers, credit codes and identity numbers (property tests + examples)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipx.registry.numbers import (
    CREDIT_CODE_CHARSET,
    InvalidCreditCode,
    InvalidIdentityNumber,
    InvalidNumber,
    make_credit_code,
    make_identity_number,
    make_patent_number,
    normalise_asset_number,
    normalise_copyright_number,
    normalise_trademark_number,
    parse_patent_number,
    patent_check_character,
    validate_credit_code,
    validate_identity_number,
)

TODAY = date.today()
DIGITS = "0123456789"
DIVISIONS = ["110108", "310115", "320102", "330106", "350100", "420111", "440305", "100000"]

patent_numbers = st.one_of(
    st.builds(
        make_patent_number,
        st.integers(2003, TODAY.year),
        st.sampled_from("12389"),
        st.integers(0, 9_999_999),
    ),
    st.builds(
        lambda y, t, s: make_patent_number(y, t, s, legacy=True),
        st.integers(1985, 2003),
        st.sampled_from("12389"),
        st.integers(0, 99_999),
    ),
)
credit_codes = st.builds(
    make_credit_code,
    st.text(CREDIT_CODE_CHARSET, min_size=8, max_size=8),
    st.sampled_from(DIVISIONS),
    st.sampled_from(CREDIT_CODE_CHARSET),
    st.sampled_from(CREDIT_CODE_CHARSET),
)
identity_numbers = st.builds(
    make_identity_number,
    st.sampled_from([d for d in DIVISIONS if d != "100000"]),
    st.dates(date(1900, 1, 1), TODAY),
    st.integers(0, 999),
)


def _corrupt(data: st.DataObject, text: str, allowed_at) -> str:
    """Replace one character by a different character allowed at that position."""
    index = data.draw(st.sampled_from([i for i, c in enumerate(text) if c != "."]))
    choices = [c for c in allowed_at(index, text) if c != text[index]]
    return text[:index] + data.draw(st.sampled_from(choices)) + text[index + 1 :]


# --- patents --------------------------------------------------------------------------------


@given(patent_numbers)
def test_generated_patent_numbers_parse_to_themselves(number: str) -> None:
    parsed = parse_patent_number(number)
    assert parsed.number == number
    assert parse_patent_number(parsed.number) == parsed


@given(patent_numbers, st.data())
def test_any_single_character_corruption_of_a_patent_number_fails(number, data) -> None:
    check_at = len(number) - 1
    corrupted = _corrupt(data, number, lambda i, _: DIGITS + "X" if i == check_at else DIGITS)
    with pytest.raises(InvalidNumber):
        parse_patent_number(corrupted)


@given(patent_numbers, st.sampled_from(["", "ZL", "CN", "zl", "ZL ", "CN "]), st.booleans())
def test_common_spellings_normalise_to_the_same_number(number, prefix, spaced) -> None:
    body, check = number.split(".")
    year_len = 4 if len(body) == 12 else 2
    if spaced:
        spelled = f"{prefix}{body[:year_len]} {body[year_len]} {body[year_len + 1 :]}.{check}"
    else:
        spelled = f"{prefix}{body}{check.lower()}"
    assert parse_patent_number(spelled).number == number


def test_full_width_characters_are_folded() -> None:
    assert parse_patent_number("ＺＬ２０１５１０９５８７７２．０").number == "201510958772.0"


@pytest.mark.parametrize(
    ("text", "normalised", "kind", "year"),
    [
        # numbers printed on public pages (patent lists, product pages)
        ("ZL202010566088.9", "202010566088.9", "invention", 2020),
        ("ZL2015 1 0958772.0", "201510958772.0", "invention", 2015),
        ("ZL201811564288.X", "201811564288.X", "invention", 2018),
        ("ZL202322865413.3", "202322865413.3", "utility_model", 2023),
        ("97101765.4", "97101765.4", "invention", 1997),
    ],
)
def test_real_world_patent_numbers(text, normalised, kind, year) -> None:
    parsed = parse_patent_number(text)
    assert (parsed.number, parsed.kind, parsed.year) == (normalised, kind, year)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("202010566088.8", "check character"),
        ("202040566088.3", "type digit"),
        ("200210100000.0", "year"),
        (f"{TODAY.year + 1}10100000.0", "year"),
        ("84101765.0", "year"),
        ("2020105660888", "check character"),
        ("2020-10566088.9", "not a CNIPA"),
        ("", "not a CNIPA"),
    ],
)
def test_bad_patent_numbers_say_why(text, reason) -> None:
    with pytest.raises(InvalidNumber, match=reason):
        parse_patent_number(text)


def test_check_character_matches_design_formula() -> None:
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    body = "201811564288"
    assert (
        patent_check_character(body)
        == "0123456789X"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    )
    assert patent_check_character(body) == "X"


def test_pct_types_map_to_their_kind() -> None:
    assert parse_patent_number(make_patent_number(2019, 8, 1)).kind == "invention"
    assert parse_patent_number(make_patent_number(2019, 9, 1)).pct


@pytest.mark.parametrize(
    ("kind", "type_code", "ok"),
    [("invention", 1, True), ("invention", 8, True), ("utility_model", 2, True),
     ("utility_model", 9, True), ("design", 3, True), ("invention", 2, False),
     ("design", 1, False), ("utility_model", 3, False), ("trademark", 1, False)],
)  # fmt: skip
def test_asset_kind_must_agree_with_type_digit(kind, type_code, ok) -> None:
    number = make_patent_number(2021, type_code, 4242)
    if ok:
        assert normalise_asset_number(kind, number) == number
    else:
        with pytest.raises(InvalidNumber):
            normalise_asset_number(kind, number)


# --- trademarks and copyrights --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalised"),
    [("12345678", "12345678"), (" 第 1234567 号 ", "1234567"), ("0042", "42"), ("１２３", "123")],
)
def test_trademark_numbers(text, normalised) -> None:
    assert normalise_trademark_number(text) == normalised
    assert normalise_trademark_number(normalised) == normalised


@pytest.mark.parametrize("text", ["", "0", "12345678901", "12a45", "TM123"])
def test_bad_trademark_numbers(text) -> None:
    with pytest.raises(InvalidNumber):
        normalise_trademark_number(text)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("2023SR0123456", "2023SR0123456"),
        ("2023 sr 0123456", "2023SR0123456"),
        ("软著登字第2019SR0654321号", "2019SR0654321"),
        ("国作登字-2023-F-00012345", "国作登字-2023-F-00012345"),
        ("国作登字—2023—F—00012345", "国作登字-2023-F-00012345"),
        ("渝作登字－2021－a－00001234", "渝作登字-2021-A-00001234"),
    ],
)
def test_copyright_numbers(text, normalised) -> None:
    assert normalise_copyright_number(text) == normalised
    assert normalise_asset_number("copyright", normalised) == normalised


@pytest.mark.parametrize(
    "text", ["2023SR", "SR0123456", "作登字-2023-F-00012345", f"{TODAY.year + 1}SR0123456"]
)
def test_bad_copyright_numbers(text) -> None:
    with pytest.raises(InvalidNumber):
        normalise_copyright_number(text)


# --- credit codes ---------------------------------------------------------------------------


@given(credit_codes)
def test_generated_credit_codes_validate(code: str) -> None:
    assert validate_credit_code(code) == code
    assert validate_credit_code(code.lower()) == code


@given(credit_codes, st.data())
def test_any_single_character_corruption_of_a_credit_code_fails(code, data) -> None:
    corrupted = _corrupt(data, code, lambda i, _: DIGITS if 2 <= i <= 7 else CREDIT_CODE_CHARSET)
    with pytest.raises(InvalidCreditCode):
        validate_credit_code(corrupted)


def test_standard_worked_example() -> None:
    # GB 32100-2015's worked example: ...Y4Z is wrong, the computed check character is 3
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    with pytest.raises(InvalidCreditCode):
        validate_credit_code("91350100M000100Y4Z")


def test_a_real_institution_code_passes_both_checks() -> None:
    # Tsinghua University's published code (public institution, registry 1, category 2)
    assert validate_credit_code(" 12100000400000624d ") == "12100000400000624D"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y4", "not a unified"),
        ("91350100M0001O0Y43", "not a unified"),  # letter O is excluded
        ("913A0100M000100Y43", "not a unified"),  # division must be digits
        ("91990100M000100Y43", "administrative division"),
        ("91350100M000100Y53", "organization code check"),
    ],
)
def test_bad_credit_codes_say_why(code, reason) -> None:
    with pytest.raises(InvalidCreditCode, match=reason):
        validate_credit_code(code)


# --- identity numbers -----------------------------------------------------------------------


@given(identity_numbers)
def test_generated_identity_numbers_validate(number: str) -> None:
    assert validate_identity_number(number.lower()) == number


@given(identity_numbers, st.data())
def test_any_single_character_corruption_of_an_identity_number_fails(number, data) -> None:
    corrupted = _corrupt(data, number, lambda i, _: DIGITS + "X" if i == 17 else DIGITS)
    with pytest.raises(InvalidIdentityNumber):
        validate_identity_number(corrupted)


def test_gb11643_example_and_bad_dates() -> None:
    # the example printed in GB 11643-1999
    assert validate_identity_number("11010519491231002x") == "11010519491231002X"
    leap = make_identity_number("110105", date(2000, 2, 29), 1)
    assert validate_identity_number(leap) == leap
    not_a_date = "110105" + "19990229" + leap[14:17]
    with pytest.raises(InvalidIdentityNumber, match="not a date"):
        validate_identity_number(not_a_date + "0")


def test_identity_error_does_not_echo_the_number() -> None:
    with pytest.raises(InvalidIdentityNumber) as excinfo:
        validate_identity_number("110105194912310021")
    assert "110105194912310021" not in str(excinfo.value)
