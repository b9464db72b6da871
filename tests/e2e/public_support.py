"""A small programme on the ledger for the public-site tests: four grants in three provinces,
one of them a sole trader whose name must never appear, entries over two years."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from projections.registry import ensure_all
from tests.integration.projections.scenario import World
from tests.integration.projections.test_read_models import catch_up
from tests.unit.domain.builders import OFFICER, R1, R2
from tests.unit.domain.support import uid

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from service.store import EventStore

MAD = 100
SOLE_TRADER_NAME = "Fatima Zahra Ouali"


@dataclass
class Programme:
    """The world and the files: ``company`` (Ouarzazate, offshoring, paid twice), ``sole``
    (Zagora, sole trader), ``tourism`` (Errachidia, cancelled), ``late`` (funded a year on)."""

    world: World
    company: UUID
    sole: UUID
    tourism: UUID
    late: UUID


async def reviewed(world: World, n: int, **overrides: object) -> UUID:
    app = await world.submit(n, **overrides)
    for reviewer, points in ((R1, 4), (R2, 5)):
        await world.assign(app, reviewer)
        await world.score(app, reviewer, points)
    return app


async def programme(pool: asyncpg.Pool, store: EventStore) -> Programme:
    """Build the programme and bring every projection up to date."""
    await ensure_all(pool)
    w = World(store)
    await w.open_envelope(20_000_000 * MAD)
    company = await reviewed(w, 1)
    sole = await reviewed(
        w, 2, investor_id=uid(77), applicant_kind="sole_trader", legal_form="sole_trader",
        company_name=SOLE_TRADER_NAME, sector="agri_food", province="zagora", commune="zagora",
        requested_centimes=2_000_000 * MAD,
    )  # fmt: skip
    tourism = await reviewed(
        w, 3, company_name="Erg Chebbi Tourisme SA", legal_form="sa", sector="tourism",
        province="errachidia", commune="errachidia", requested_centimes=3_000_000 * MAD,
    )  # fmt: skip
    late = await reviewed(w, 4, company_name="Draa Solar SARL", sector="renewable_energy")
    await w.fund(company, 2_000_000 * MAD)
    await w.do(company, "sign_agreement", OFFICER, w.now())
    await w.disburse(company, 500_000 * MAD)
    await w.disburse(company, 250_000 * MAD)
    await w.fund(sole, 1_000_000 * MAD)
    await w.fund(tourism, 1_500_000 * MAD)
    await w.cancel(tourism)
    w.day = 400  # into 2025
    await w.fund(late, 800_000 * MAD)
    await catch_up_all(pool, store)
    return Programme(world=w, company=company, sole=sole, tourism=tourism, late=late)


async def catch_up_all(pool: asyncpg.Pool, store: EventStore) -> None:
    """Bring every projection up to the log's head (the tests' app runs none itself)."""
    await catch_up(pool, store)
