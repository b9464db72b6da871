"""The support envelope: the money a programme may commit, reserved per application.

Invariant: ``reserved_centimes + disbursed_centimes <= total_centimes`` after every event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError, InvalidValueError, require_positive
from domain.money import CURRENCY

if TYPE_CHECKING:
    from datetime import datetime


class EnvelopeExhaustedError(DomainError):
    """Raised when a reservation would take more than what remains in the envelope."""

    code = "envelope_exhausted"

    def __init__(self, envelope_id: UUID, requested_centimes: int, remaining_centimes: int) -> None:
        self.envelope_id = envelope_id
        self.requested_centimes = requested_centimes
        self.remaining_centimes = remaining_centimes
        super().__init__(f"{envelope_id}: {requested_centimes} > {remaining_centimes} remaining")


class EnvelopeClosedError(DomainError):
    """Raised when a reservation is asked of a closed envelope."""

    code = "envelope_closed"

    def __init__(self, envelope_id: UUID) -> None:
        self.envelope_id = envelope_id
        super().__init__(f"{envelope_id} is closed")


class ReservationExceededError(DomainError):
    """Raised when a release or disbursement exceeds what that application has reserved."""

    code = "reservation_exceeded"

    def __init__(
        self, envelope_id: UUID, application_id: UUID, requested_centimes: int, reserved: int
    ) -> None:
        self.envelope_id = envelope_id
        self.application_id = application_id
        self.requested_centimes = requested_centimes
        self.reserved_centimes = reserved
        super().__init__(f"{envelope_id}/{application_id}: {requested_centimes} > {reserved}")


class SupportEnvelope(Aggregate):
    """A fixed amount of money from which funding decisions reserve and tranches are paid."""

    TOPIC = "grants.envelope:SupportEnvelope"

    class Created(Aggregate.Created):
        """Base of ``Opened``; declared only so that it has a stable topic."""

        TOPIC = "grants.envelope:SupportEnvelope.Created"

    @staticmethod
    def create_id(envelope_id: UUID) -> UUID:
        """The id is chosen by the caller (the service layer), never generated here."""
        return envelope_id

    @classmethod
    def open(
        cls, *, envelope_id: UUID, name: str, total_centimes: int, at: datetime
    ) -> SupportEnvelope:
        """Open an envelope of ``total_centimes`` (currency MAD)."""
        require_positive("total_centimes", total_centimes)
        if not name.strip():
            raise InvalidValueError("name", name, "must not be blank")
        return cls(
            envelope_id=envelope_id,
            name=name.strip(),
            total_centimes=total_centimes,
            currency=CURRENCY,
            timestamp=at,
        )

    @event("Opened", topic="grants.envelope:Opened")
    def __init__(
        self,
        *,
        envelope_id: UUID,
        name: str,
        total_centimes: int,
        currency: str,
        timestamp: datetime,
    ) -> None:
        self.name = name
        self.total_centimes = total_centimes
        self.currency = currency
        self.opened_at = timestamp
        self.closed_at: datetime | None = None
        self.disbursed_centimes = 0
        self.reserved_by_application: dict[UUID, int] = {}

    @property
    def reserved_centimes(self) -> int:
        """Money committed to funded applications and not yet paid out."""
        return sum(self.reserved_by_application.values())

    @property
    def remaining_centimes(self) -> int:
        """Money still free for new funding decisions."""
        return self.total_centimes - self.reserved_centimes - self.disbursed_centimes

    @property
    def is_open(self) -> bool:
        """Whether new reservations are accepted."""
        return self.closed_at is None

    def reserved_for(self, application_id: UUID) -> int:
        """Money reserved and not yet paid out for one application."""
        return self.reserved_by_application.get(application_id, 0)

    def reserve(self, application_id: UUID, amount_centimes: int, at: datetime) -> None:
        """Reserve money for a funded application, if the envelope is open and has enough."""
        require_positive("amount_centimes", amount_centimes)
        if not self.is_open:
            raise EnvelopeClosedError(self.id)
        if amount_centimes > self.remaining_centimes:
            raise EnvelopeExhaustedError(self.id, amount_centimes, self.remaining_centimes)
        self._reserved(application_id=application_id, amount_centimes=amount_centimes, timestamp=at)

    @event("FundsReserved", topic="grants.envelope:FundsReserved")
    def _reserved(self, application_id: UUID, amount_centimes: int, timestamp: datetime) -> None:
        self.reserved_by_application[application_id] = (
            self.reserved_for(application_id) + amount_centimes
        )

    def release(self, application_id: UUID, amount_centimes: int, at: datetime) -> None:
        """Give back money reserved for an application (cancelled, completed under budget)."""
        self._check_reserved(application_id, amount_centimes)
        self._released(application_id=application_id, amount_centimes=amount_centimes, timestamp=at)

    @event("FundsReleased", topic="grants.envelope:FundsReleased")
    def _released(self, application_id: UUID, amount_centimes: int, timestamp: datetime) -> None:
        self._take_from_reservation(application_id, amount_centimes)

    def disburse(self, application_id: UUID, amount_centimes: int, at: datetime) -> None:
        """Pay a tranche: money moves from the application's reservation to disbursed."""
        self._check_reserved(application_id, amount_centimes)
        self._disbursed(
            application_id=application_id, amount_centimes=amount_centimes, timestamp=at
        )

    @event("TrancheDisbursed", topic="grants.envelope:TrancheDisbursed")
    def _disbursed(self, application_id: UUID, amount_centimes: int, timestamp: datetime) -> None:
        self._take_from_reservation(application_id, amount_centimes)
        self.disbursed_centimes += amount_centimes

    def close(self, at: datetime) -> None:
        """Stop new reservations; releases and tranches already committed go on."""
        if self.is_open:
            self._closed(timestamp=at)

    @event("Closed", topic="grants.envelope:Closed")
    def _closed(self, timestamp: datetime) -> None:
        self.closed_at = timestamp

    def _check_reserved(self, application_id: UUID, amount_centimes: int) -> None:
        require_positive("amount_centimes", amount_centimes)
        reserved = self.reserved_for(application_id)
        if amount_centimes > reserved:
            raise ReservationExceededError(self.id, application_id, amount_centimes, reserved)

    def _take_from_reservation(self, application_id: UUID, amount_centimes: int) -> None:
        left = self.reserved_for(application_id) - amount_centimes
        if left:
            self.reserved_by_application[application_id] = left
        else:
            self.reserved_by_application.pop(application_id, None)
