"""What the platform holds about one investor, read for the investor themself.

Pages read projections; these reads go to the aggregates on purpose: a file the projection has
not caught up with yet must still be recognised as the investor's own, the amendment form needs
every project field, and the data download must decrypt the contact person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.applications import GrantApplication
from service.personal_data import identity
from service.privacy import PersonErasedError, decrypt_for
from service.repository import AggregateNotFoundError, Repository

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import EventStore

SELECT_ACCOUNT = "SELECT email, display_name, role, created_at FROM users WHERE id = $1"


async def own_application(
    store: EventStore, *, investor_id: UUID, application_id: UUID
) -> GrantApplication | None:
    """The investor's own application; None when missing or someone else's (never tell which)."""
    try:
        app = await Repository(store).get(application_id, cls=GrantApplication)
    except AggregateNotFoundError:
        return None
    if not isinstance(app, GrantApplication) or app.investor_id != investor_id:
        return None
    return app


async def account(pool: asyncpg.Pool, investor_id: UUID) -> dict[str, Any]:
    """The account row as the person may see it (never the password hash)."""
    row = await pool.fetchrow(SELECT_ACCOUNT, investor_id)
    return dict(row) if row else {}


async def application_record(store: EventStore, app: GrantApplication) -> dict[str, Any]:
    """Every fact of the application, with the contact person decrypted (None once erased)."""
    try:
        contact: dict[str, Any] | None = await decrypt_for(store.pool, app.person_id, app.contact)
    except PersonErasedError:
        contact = None
    who = await identity(store.pool, app) or dict.fromkeys(("company_name", "ice", "rnae_number"))
    return {
        "application_id": app.id,
        "status": app.status.value,
        "submitted_at": app.submitted_at,
        "call_id": app.call_id,
        "applicant": {
            "applicant_kind": app.applicant_kind,
            "company_name": who["company_name"],
            "legal_form": app.legal_form,
            "ice": who["ice"],
            "rc_court": app.rc_court,
            "rc_number": app.rc_number,
            "rnae_number": who["rnae_number"],
        },
        "contact": contact,
        "project": dict(app.project),
        "funded_centimes": app.funded_centimes,
        "disbursed_centimes": app.disbursed_centimes,
    }
