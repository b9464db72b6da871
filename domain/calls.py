"""Calls for applications: an optional window within an envelope, with eligibility rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.call_texts import CallDescription
from domain.errors import DomainError, InvalidValueError, require_positive
from domain.money import BASIS_POINTS, share_of
from domain.reference import province, sector

if TYPE_CHECKING:
    from datetime import datetime


DEFAULT_MAX_SHARE_BASIS_POINTS: Final = 3_000  # 30 % of the total investment


class CallClosedError(DomainError):
    """Raised when an application arrives outside the call's window or after it was closed."""

    code = "call_closed"

    def __init__(self, call_id: UUID, at: datetime) -> None:
        self.call_id = call_id
        self.at = at
        self.field = "call_id"
        super().__init__(f"call {call_id} is not open at {at.isoformat()}")


class IneligibleError(DomainError):
    """Raised when an application's sector, province or amount is outside the call's rules.

    ``rule`` says which: ``sector``, ``province``, ``amount_range`` or ``max_share``.
    """

    code = "ineligible"

    def __init__(self, call_id: UUID, field: str, value: object, rule: str = "") -> None:
        self.call_id = call_id
        self.field = field
        self.value = value
        self.rule = rule or field
        super().__init__(f"call {call_id}: {field}={value!r} is not eligible ({self.rule})")


class Call(Aggregate):
    """A call for applications drawing on one envelope."""

    TOPIC = "grants.call:Call"

    class Created(Aggregate.Created):
        """Base of ``Opened``; declared only so that it has a stable topic."""

        TOPIC = "grants.call:Call.Created"

    @staticmethod
    def create_id(call_id: UUID) -> UUID:
        """The id is chosen by the caller."""
        return call_id

    @classmethod
    def open(
        cls,
        *,
        call_id: UUID,
        envelope_id: UUID,
        title: str,
        eligible_sectors: Sequence[str],
        eligible_provinces: Sequence[str],
        min_request_centimes: int,
        max_request_centimes: int,
        opens_at: datetime,
        closes_at: datetime | None,
        at: datetime,
        max_share_basis_points: int = DEFAULT_MAX_SHARE_BASIS_POINTS,
    ) -> Call:
        """Open a call; empty eligibility lists mean "all sectors" / "all provinces"."""
        if not 0 < max_share_basis_points <= BASIS_POINTS:
            raise InvalidValueError("max_share_basis_points", max_share_basis_points, "1..10000")
        for key in eligible_sectors:
            sector(key)
        for key in eligible_provinces:
            province(key)
        require_positive("min_request_centimes", min_request_centimes)
        if max_request_centimes < min_request_centimes:
            raise InvalidValueError("max_request_centimes", max_request_centimes, "below minimum")
        if closes_at is not None and closes_at <= opens_at:
            raise InvalidValueError("closes_at", closes_at, "must be after opens_at")
        if not title.strip():
            raise InvalidValueError("title", title, "must not be blank")
        return cls(
            call_id=call_id,
            envelope_id=envelope_id,
            title=title.strip(),
            eligible_sectors=list(eligible_sectors),
            eligible_provinces=list(eligible_provinces),
            min_request_centimes=min_request_centimes,
            max_request_centimes=max_request_centimes,
            opens_at=opens_at,
            closes_at=closes_at,
            timestamp=at,
            max_share_basis_points=max_share_basis_points,
        )

    @event("Opened", topic="grants.call:Opened")
    def __init__(
        self,
        *,
        call_id: UUID,
        envelope_id: UUID,
        title: str,
        eligible_sectors: list[str],
        eligible_provinces: list[str],
        min_request_centimes: int,
        max_request_centimes: int,
        opens_at: datetime,
        closes_at: datetime | None,
        timestamp: datetime,
        # Added with the rules at submission; calls opened before hold the programme's 30 %.
        max_share_basis_points: int = DEFAULT_MAX_SHARE_BASIS_POINTS,
    ) -> None:
        self.envelope_id = envelope_id
        self.max_share_basis_points = max_share_basis_points
        self.description: CallDescription | None = None
        self.title = title
        self.eligible_sectors = tuple(eligible_sectors)
        self.eligible_provinces = tuple(eligible_provinces)
        self.min_request_centimes = min_request_centimes
        self.max_request_centimes = max_request_centimes
        self.opens_at = opens_at
        self.closes_at = closes_at
        self.closed_at: datetime | None = None

    def is_open_at(self, at: datetime) -> bool:
        """Whether the call accepts applications at ``at``."""
        if self.closed_at is not None or at < self.opens_at:
            return False
        return self.closes_at is None or at < self.closes_at

    def close(self, at: datetime) -> None:
        """Close the call early (or confirm its end); closing twice records nothing."""
        if self.closed_at is None:
            self._closed(timestamp=at)

    @event("Closed", topic="grants.call:Closed")
    def _closed(self, timestamp: datetime) -> None:
        self.closed_at = timestamp

    def describe(self, description: CallDescription, at: datetime) -> None:
        """Publish (or replace) the call's texts: titles, who may apply, documents, FAQ."""
        if description.as_dict() != (self.description.as_dict() if self.description else None):
            self._described(description=description.as_dict(), timestamp=at)

    @event("Described", topic="grants.call:Described")
    def _described(self, description: dict[str, object], timestamp: datetime) -> None:
        self.description = CallDescription.from_dict(description)

    def check_accepts(
        self,
        sector: str,
        province: str,
        requested_centimes: int,
        at: datetime,
        total_investment_centimes: int | None = None,
    ) -> None:
        """Raise unless the call accepts an application with these facts at ``at``."""
        if not self.is_open_at(at):
            raise CallClosedError(self.id, at)
        if self.eligible_sectors and sector not in self.eligible_sectors:
            raise IneligibleError(self.id, "sector", sector)
        if self.eligible_provinces and province not in self.eligible_provinces:
            raise IneligibleError(self.id, "province", province)
        if not self.min_request_centimes <= requested_centimes <= self.max_request_centimes:
            raise IneligibleError(self.id, "requested_centimes", requested_centimes, "amount_range")
        if total_investment_centimes is not None and requested_centimes > share_of(
            total_investment_centimes, self.max_share_basis_points
        ):
            raise IneligibleError(self.id, "requested_centimes", requested_centimes, "max_share")
