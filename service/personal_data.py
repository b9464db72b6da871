"""What a person may read of their own personal data (the contact sealed in their files)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.applications import GrantApplication
from service.privacy import PersonErasedError, decrypt_for
from service.repository import Repository

if TYPE_CHECKING:
    from uuid import UUID

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
