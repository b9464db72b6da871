"""Moroccan business identifiers: ICE, RC (commercial register) and RNAE (auto-entrepreneurs).

The ICE check is python-stdnum's (``stdnum.ma.ice``: ISO 7064 MOD 97-10, ``int(ice) % 97 == 0``),
not a rule of our own; in front of it we only turn Arabic-Indic digits into ASCII ones. Stored
events are facts: they are never re-validated when loaded.
"""

from __future__ import annotations

import re
from typing import Final

from stdnum.ma import ice as stdnum_ice

from domain.errors import InvalidValueError

# Arabic-Indic (U+0660..U+0669) and Extended Arabic-Indic, i.e. Persian (U+06F0..U+06F9).
_ASCII_DIGITS: Final = str.maketrans(
    {**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}}
)
_ICE: Final = re.compile(r"[0-9]{15}")
_RC_NUMBER: Final = re.compile(r"[0-9]{1,10}")
# The RNAE number printed on the auto-entrepreneur card: digits only; no public check digit.
_RNAE_NUMBER: Final = re.compile(r"[0-9]{4,12}")
_RC_COURT_MAX_LENGTH: Final = 40


def ascii_digits(text: str) -> str:
    """Return ``text`` with Arabic-Indic digits (٠-٩ and ۰-۹) replaced by ASCII digits."""
    return text.translate(_ASCII_DIGITS)


def ice_check_digits(first13: str) -> str:
    """Return the two check digits making ``first13`` + them a multiple of 97 (a valid ICE)."""
    return f"{-int(first13) * 100 % 97:02d}"


def is_valid_ice(ice: str) -> bool:
    """Tell whether ``ice`` is exactly 15 ASCII digits that python-stdnum accepts as an ICE."""
    return _ICE.fullmatch(ice) is not None and stdnum_ice.is_valid(ice)


def ice_with_check(first13: str) -> str:
    """Return a valid ICE made of ``first13`` and its check digits (for tests and demo data)."""
    if re.fullmatch(r"[0-9]{13}", first13) is None:
        raise InvalidValueError("ice", first13, "expected 13 digits")
    return first13 + ice_check_digits(first13)


def normalise_ice(raw: str) -> str:
    """Return the ICE in canonical form (ASCII digits, no spaces) or raise ``InvalidValueError``."""
    ice = ascii_digits(raw).replace(" ", "").strip()
    if not is_valid_ice(ice):
        raise InvalidValueError("ice", raw, "expected 15 digits with a valid ICE check")
    return ice


def normalise_rc(court: str, number: str) -> tuple[str, str]:
    """Return the RC (court short name, number) in canonical form or raise ``InvalidValueError``.

    The court is the short name of the commercial register's court, e.g. ``"Errachidia"``.
    """
    court = " ".join(court.split())
    if not court or len(court) > _RC_COURT_MAX_LENGTH:
        raise InvalidValueError("rc_court", court, "expected a short court name")
    number = ascii_digits(number).strip()
    if _RC_NUMBER.fullmatch(number) is None:
        raise InvalidValueError("rc_number", number, "expected 1 to 10 digits")
    return court, number


def normalise_rnae(number: str) -> str:
    """Return an RNAE (auto-entrepreneur register) number as ASCII digits or raise."""
    plain = ascii_digits(number).replace(" ", "").strip()
    if _RNAE_NUMBER.fullmatch(plain) is None:
        raise InvalidValueError("rnae_number", number, "expected 4 to 12 digits")
    return plain
