"""The facts of a decision letter: what was decided on a file, when, for how much, and why.

Read from the application's own events for someone entitled to the file (see
:func:`service.documents.entitled_application`); the web layer turns them into a PDF in the
reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from service.documents import entitled_application
from service.repository import new_mapper

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID

    from service.accounts import User
    from service.store import EventStore

FUNDED, REJECTED, SCREENED_OUT = "funded", "rejected", "screened_out"
DECISIONS: Final = {"Funded": FUNDED, "Rejected": REJECTED, "ScreenedOut": SCREENED_OUT}


@dataclass(frozen=True, kw_only=True)
class Decision:
    """One decision on a file, as its letter states it."""

    application_id: UUID
    reference: str
    kind: str
    decided_at: datetime
    company_name: str
    title: str
    amount_centimes: int = 0
    requested_centimes: int = 0
    reason: str = ""


def reference_of(application_id: UUID, submitted_at: datetime) -> str:
    """The file's reference as letters and mails quote it: ``DT-2026-1A2B3C4D``."""
    return f"DT-{submitted_at.year}-{application_id.hex[:8].upper()}"


async def latest_decision(store: EventStore, user: User, application_id: UUID) -> Decision | None:
    """The file's latest decision for someone entitled to the file; None otherwise or if none."""
    app = await entitled_application(store, user, application_id)
    if app is None:
        return None
    mapper, found = new_mapper(), None
    for stored in await store.select_events(application_id):
        event: Any = mapper.to_domain_event(stored)
        kind = DECISIONS.get(type(event).__name__)
        if kind is not None:
            found = (kind, event)
    if found is None:
        return None
    kind, event = found
    return Decision(
        application_id=application_id, reference=reference_of(application_id, app.submitted_at),
        kind=kind, decided_at=event.timestamp, company_name=app.company_name,
        title=str(app.project["title"]), amount_centimes=getattr(event, "amount_centimes", 0),
        requested_centimes=app.requested_centimes,
        reason=getattr(event, "reason", "") or getattr(event, "note", ""),
    )  # fmt: skip


#: Events of the decision history and tranches, as the committee's file page lists them.
HISTORY: Final = {
    "Funded": "funded", "Rejected": "rejected", "ScreenedOut": "screened_out",
    "AgreementSigned": "agreement_signed", "TrancheDisbursed": "tranche_disbursed",
    "Cancelled": "cancelled", "Completed": "completed",
}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    """A decision, an agreement or a tranche on a file."""

    kind: str
    at: datetime
    amount_centimes: int = 0
    text: str = ""


async def history(store: EventStore, user: User, application_id: UUID) -> list[HistoryEntry]:
    """Decisions, the agreement and tranches in order (empty for anyone not entitled)."""
    if await entitled_application(store, user, application_id) is None:
        return []
    mapper, entries = new_mapper(), []
    for stored in await store.select_events(application_id):
        event: Any = mapper.to_domain_event(stored)
        kind = HISTORY.get(type(event).__name__)
        if kind is None:
            continue
        amount = getattr(event, "amount_centimes", 0) or getattr(event, "released_centimes", 0)
        text = getattr(event, "reason", "") or getattr(event, "note", "")
        entries.append(
            HistoryEntry(kind=kind, at=event.timestamp, amount_centimes=amount, text=text)
        )
    return entries
