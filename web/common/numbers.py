"""Numbers as people type them: Western or Arabic-Indic digits, thousands separators, MAD.

Pure functions, no I/O: ``parse_int("١٢ ٠٠٠") == 12000``, ``parse_mad("1.234.567,89") ==
123456789`` (centimes). A separator followed by one or two final digits is the decimal mark
(amounts in MAD have centimes, never three decimals); every other separator groups thousands,
and groups must then be of three digits, so that a typo like ``12,34,5`` is refused rather than
read as 12345.
"""

from __future__ import annotations

import re
from typing import Final

# ٠-٩ (Arabic-Indic) and ۰-۹ (Extended Arabic-Indic, as Persian keyboards type them).
_DIGITS: Final = {ord(c): str(i % 10) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹")}
# Bidi marks that locales put around amounts (ar_MA writes U+200F before and after).
_MARKS: Final = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c"), None)
_CURRENCY: Final = re.compile(r"(?i)^(?:mad|dhs?|د\.م\.?|درهم)\s*|\s*(?:mad|dhs?|د\.م\.?|درهم)$")
_SPACES: Final = "\u0020\u00a0\u202f\u2009"
_GROUPING: Final = f"[{_SPACES},.'\u066c]"  # ٬ is the Arabic thousands separator
# One grouping character, used throughout (the backreference), or none at all.
_INTEGER: Final = re.compile(rf"[0-9]{{1,3}}(?:({_GROUPING})[0-9]{{3}}(?:\1[0-9]{{3}})*)?|[0-9]+")
_DECIMAL: Final = re.compile(r"(.*?)([.,\u066b])([0-9]{1,2})")  # ٫: the Arabic decimal separator
MAX_DIGITS: Final = 15  # 10^13 MAD and more is a typo, and keeps bigint far away


class NumberFormatError(ValueError):
    """Raised when a text is not a whole number, or not an amount with at most two decimals."""


def normalise(text: str) -> str:
    """``text`` with Western digits, without bidi marks, a currency word or outer spaces."""
    cleaned = text.translate(_DIGITS).translate(_MARKS).strip(_SPACES + "\t\n")
    return _CURRENCY.sub("", cleaned).strip(_SPACES)


def _whole(text: str) -> int:
    match = _INTEGER.fullmatch(text)
    if match is None or (match[1] and text.startswith("0")):  # "0.001" is no thousands group
        raise NumberFormatError(text)
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits.lstrip("0")) > MAX_DIGITS:
        raise NumberFormatError(text)
    return int(digits)


def parse_int(text: str) -> int:
    """A non-negative whole number, e.g. ``"1 200"``, ``"١٬٢٠٠"`` or ``"1,200"`` -> 1200."""
    return _whole(normalise(text))


def parse_mad(text: str) -> int:
    """A non-negative amount of MAD as integer centimes: ``"1 500,5"`` -> 150050."""
    cleaned = normalise(text)
    decimal = _DECIMAL.fullmatch(cleaned)
    if decimal is None:
        return _whole(cleaned) * 100
    whole, mark, fraction = decimal.groups()
    if mark in whole:  # "1.234.5": a grouping dot cannot also be the decimal mark
        raise NumberFormatError(text)
    return _whole(whole) * 100 + int(fraction.ljust(2, "0"))
