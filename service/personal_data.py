"""What a person may read of their own personal data (the contact sealed in their files)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.applications import GrantApplication
from service.privacy import PersonErasedError, decrypt_for
from service.repository import Repository

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import EventStore


async def contact_of(
    store: EventStore, application_id: UUID, investor_id: UUID
) -> dict[str, str] | None:
    """The contact given in the investor's own file; None once erased or not theirs."""
    app = await Repository(store).get(application_id, cls=GrantApplication)
    if app.investor_id != investor_id:
        return None
    try:
        data = await decrypt_for(store.pool, app.person_id, app.contact)
    except PersonErasedError:
        return None
    return {str(k): str(v) for k, v in data.items()}


async def identity_of(store: EventStore, application_id: UUID) -> dict[str, str] | None:
    """Who applied: name, ICE, RNAE number (a sole trader's opened with their key); None once
    the person is erased."""
    app = await Repository(store).get(application_id, cls=GrantApplication)
    return await identity(store.pool, app)


async def identity(pool: asyncpg.Pool, app: GrantApplication) -> dict[str, str] | None:
    """:func:`identity_of` for a loaded application."""
    sealed: bytes = getattr(app, "identity", b"")
    if not sealed:  # a company, or a sole trader's file from before identities were sealed
        return {"company_name": app.company_name, "ice": app.ice,
                "rnae_number": getattr(app, "rnae_number", "")}  # fmt: skip
    try:
        data = await decrypt_for(pool, app.person_id, sealed)
    except PersonErasedError:
        return None
    return {str(k): str(v) for k, v in data.items()}
