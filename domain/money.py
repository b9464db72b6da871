"""Money is an ``int`` of centimes everywhere (``amount_centimes``); formatted only at the edge."""

from __future__ import annotations

from typing import Final

CURRENCY: Final = "MAD"
CENTIMES_PER_DIRHAM: Final = 100
#: The June 2022 envelope of the Drâa-Tafilalet regional council: 50,000,000.00 MAD.
DEFAULT_ENVELOPE_CENTIMES: Final = 5_000_000_000
#: Basis points in one whole (100 %); shares such as the 30 % funding cap are in basis points.
BASIS_POINTS: Final = 10_000


def share_of(amount_centimes: int, basis_points: int) -> int:
    """Return ``basis_points`` / 10,000 of an amount, rounded down to the centime."""
    return amount_centimes * basis_points // BASIS_POINTS
