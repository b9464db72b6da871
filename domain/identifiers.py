"""Moroccan company identifiers: ICE (Identifiant commun de l'entreprise) and RC numbers."""

from __future__ import annotations

import re
from typing import Final

from domain.errors import InvalidValueError

# Arabic-Indic (U+0660..U+0669) and Extended Arabic-Indic, i.e. Persian (U+06F0..U+06F9).
_ASCII_DIGITS: Final = str.maketrans(
    {**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}}
)
_ICE: Final = re.compile(r"[0-9]{15}")
_RC_NUMBER: Final = re.compile(r"[0-9]{1,10}")
_RC_COURT_MAX_LENGTH: Final = 40


def ascii_digits(text: str) -> str:
    """Return ``text`` with Arabic-Indic digits (٠-٩ and ۰-۹) replaced by ASCII digits."""
    return text.translate(_ASCII_DIGITS)


def ice_check_digits(first13: str) -> str:
    """Return the two check digits of an ICE whose first 13 digits are ``first13``."""
    return f"{98 - (int(first13) * 100) % 97:02d}"


def is_valid_ice(ice: str) -> bool:
    """Tell whether ``ice`` is exactly 15 ASCII digits with a valid ISO 7064 MOD 97-10 check.

    Reading of the check used here (the published ICE specification does not give it in full;
    this is the reading the platform commits to): the ICE is 13 digits followed by two check
    digits computed as in ISO 7064 MOD 97-10 (the IBAN scheme), i.e. the last two digits equal
    ``98 - (int(first13) * 100) % 97``; equivalently ``int(ice) % 97 == 1``.
    """
    return _ICE.fullmatch(ice) is not None and int(ice) % 97 == 1


def ice_with_check(first13: str) -> str:
    """Return a valid ICE made of ``first13`` and its check digits (for tests and demo data)."""
    if re.fullmatch(r"[0-9]{13}", first13) is None:
        raise InvalidValueError("ice", first13, "expected 13 digits")
    return first13 + ice_check_digits(first13)


def normalise_ice(raw: str) -> str:
    """Return the ICE in canonical form (ASCII digits, no spaces) or raise ``InvalidValueError``."""
    ice = ascii_digits(raw).replace(" ", "").strip()
    if not is_valid_ice(ice):
        raise InvalidValueError("ice", raw, "expected 15 digits with a valid mod-97 check")
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
