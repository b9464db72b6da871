"""The investor's own-data download (law 09-08 right of access): everything held, as JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from projections import dashboard
from service import drafts, investors
from service.clock import utc_now

if TYPE_CHECKING:
    import asyncpg

    from service.accounts import User
    from service.store import EventStore


async def export(pool: asyncpg.Pool, store: EventStore, user: User) -> bytes:
    """The account, every application (contact decrypted, timeline) and every draft, as JSON.

    Applications are those the dashboard has recorded; one submitted a moment ago follows once
    the projection has caught up.
    """
    body = {
        "generated_at": utc_now(),
        "account": {"id": user.id, **await investors.account(pool, user.id)},
        "applications": [
            await _application(pool, store, user, row["application_id"])
            for row in await dashboard.files(pool, user.id)
        ],
        "drafts": [
            {"id": d.id, "values": d.values, "updated_at": d.updated_at}
            for d in await drafts.drafts(pool, investor_id=user.id)
        ],
    }
    return msgspec.json.encode(body)


async def _application(
    pool: asyncpg.Pool, store: EventStore, user: User, application_id: Any
) -> dict[str, Any]:
    app = await investors.own_application(store, investor_id=user.id, application_id=application_id)
    if app is None:  # the dashboard lists only the investor's files; never someone else's
        return {"application_id": application_id}
    record = await investors.application_record(store, app)
    steps = await dashboard.timeline(pool, user.id, app.id)
    record["timeline"] = [
        {"kind": s.kind, "params": s.params, "occurred_at": s.occurred_at} for s in steps
    ]
    return record
