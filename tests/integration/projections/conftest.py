"""The worked scenario every read-model test starts from."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from projections.registry import ensure_all
from tests.integration.projections.scenario import World
from tests.unit.domain.builders import R1, R2, R3
from tests.unit.domain.support import uid

if TYPE_CHECKING:
    import asyncpg

    from service.store import EventStore

MAD = 100  # centimes
OTHER_INVESTOR = uid(77)


@pytest.fixture
async def world(pool: asyncpg.Pool, store: EventStore) -> World:
    """Three files scored by three reviewers (R3 conflicted on the third), nothing decided."""
    await ensure_all(pool)
    w = World(store)
    await w.open_envelope(6_000_000 * MAD)
    a1 = await w.submit(1)
    a2 = await w.submit(
        2, investor_id=OTHER_INVESTOR, applicant_kind="sole_trader", legal_form="sole_trader",
        company_name="Fatima Zahra Ouali", sector="agri_food", province="zagora", commune="zagora",
        requested_centimes=2_000_000 * MAD,
    )  # fmt: skip
    a3 = await w.submit(3, sector="tourism", province="errachidia", commune="errachidia",
                        requested_centimes=3_000_000 * MAD)  # fmt: skip
    for app in (a1, a2, a3):
        await w.assign(app, R1)
        await w.assign(app, R2)
    await w.assign(a3, R3)
    await w.do(a3, "declare_conflict", R3, w.now())
    for app, (p1, p2) in zip((a1, a2, a3), ((4, 5), (3, 3), (2, 5)), strict=True):
        await w.score(app, R1, p1)
        await w.score(app, R2, p2)
    return w
