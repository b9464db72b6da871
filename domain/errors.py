"""The common base of domain errors, and the errors no single aggregate owns.

Each error has a stable ``code`` so that the web layer can map it to an HTTP status and a
translated message in one place; the code is part of the API and never changes meaning.
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID


class DomainError(Exception):
    """Raised when a command breaks a rule of the programme (base class, never raised itself)."""

    code: ClassVar[str] = "domain_error"


class InvalidValueError(DomainError):
    """Raised when a value given to a command is malformed or out of its allowed range."""

    code = "invalid_value"

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"{field}={value!r}: {reason}")


class UnknownReferenceError(DomainError):
    """Raised when a province, commune, sector or legal form is not in the reference data."""

    code = "unknown_reference"

    def __init__(self, kind: str, key: str) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"unknown {kind}: {key!r}")


class InvalidTransitionError(DomainError):
    """Raised when a command is not allowed in the aggregate's current status."""

    code = "invalid_transition"

    def __init__(self, aggregate_id: UUID, status: str, action: str) -> None:
        self.aggregate_id = aggregate_id
        self.application_id = aggregate_id  # the name most callers know it by
        self.status = status
        self.action = action
        super().__init__(f"{aggregate_id}: cannot {action} when {status}")


def require_positive(field: str, amount: int) -> None:
    """Refuse a non-positive (or non-integer) amount of centimes or count."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidValueError(field, amount, "must be a positive integer")


def require_non_negative(field: str, amount: int) -> None:
    """Refuse a negative (or non-integer) number."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise InvalidValueError(field, amount, "must be a non-negative integer")
