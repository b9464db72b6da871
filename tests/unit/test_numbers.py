"""Numbers typed by people: digits of either script, separators of each locale, MAD amounts."""

from __future__ import annotations

import contextlib

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from web.common.i18n import FORMAT_LOCALES, LANGUAGES, format_mad
from web.common.numbers import NumberFormatError, parse_int, parse_mad

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
EXTENDED = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
CENTIMES = st.integers(min_value=0, max_value=10**15)


@pytest.mark.parametrize(
    ("text", "centimes"),
    [
        ("50000000", 5_000_000_000),
        ("50 000 000", 5_000_000_000),
        ("50.000.000,00", 5_000_000_000),
        ("50,000,000.00", 5_000_000_000),
        ("٥٠٬٠٠٠٬٠٠٠٫٠٠", 5_000_000_000),
        ("۱۲۵۰٫۵", 125_050),
        ("1\u202f500,25 MAD", 150_025),
        ("12,5", 1250),
        ("0,05", 5),
        ("1.234", 123_400),  # a dot before three digits groups thousands (fr, ar_MA)
        ("  300 DH ", 30_000),
        ("٣٠٠ درهم", 30_000),
    ],
)
def test_amounts_as_typed(text: str, centimes: int) -> None:
    assert parse_mad(text) == centimes


@pytest.mark.parametrize(
    "text",
    ["", " ", "abc", "-5", "+5", "1.2.3", "12,34,5", "1.234.5", "1,234.567", "1,5,0", "1e6",
     "١٠ x", "0.001", "1" + "0" * 16, "١٢-٣"],
)  # fmt: skip
def test_refused_amounts(text: str) -> None:
    with pytest.raises(NumberFormatError):
        parse_mad(text)


@pytest.mark.parametrize(
    ("text", "value"), [("12", 12), ("١٢٠٠", 1200), ("۱٬۲۰۰", 1200), ("1 200", 1200), ("0", 0)]
)
def test_whole_numbers(text: str, value: int) -> None:
    assert parse_int(text) == value


@pytest.mark.parametrize("text", ["1,5", "12.50", "", "x", "-1", "1 20"])
def test_whole_numbers_refuse_decimals_and_junk(text: str) -> None:
    with pytest.raises(NumberFormatError):
        parse_int(text)


@given(CENTIMES, st.sampled_from(LANGUAGES))
def test_an_amount_formatted_for_a_language_parses_back(centimes: int, language: str) -> None:
    assert parse_mad(format_mad(centimes, language)) == centimes


@given(CENTIMES, st.sampled_from([ARABIC_INDIC, EXTENDED]))
def test_arabic_indic_digits_read_as_western_ones(centimes: int, table: dict[int, str]) -> None:
    western = f"{centimes // 100},{centimes % 100:02d}"
    assert parse_mad(western.translate(table)) == parse_mad(western) == centimes


@given(st.integers(min_value=0, max_value=10**15 - 1), st.sampled_from(LANGUAGES))
def test_a_grouped_whole_number_parses_back(value: int, language: str) -> None:
    text = format_decimal(value, locale=FORMAT_LOCALES[language], numbering_system="latn")
    assert parse_int(text) == value
    assert parse_int(text.translate(ARABIC_INDIC)) == value


@given(st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩ ,.٫٬-abc", max_size=20))
def test_anything_typed_parses_or_is_refused_cleanly(text: str) -> None:
    with contextlib.suppress(NumberFormatError):
        assert parse_mad(text) >= 0
