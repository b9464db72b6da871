"""Decisions that cannot be taken back: confirmed explicitly, recorded once per form however often
the form is sent (a double click, a retry after a 503)."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from tests.e2e.conftest import csrf_of
from tests.e2e.test_committee import MAD, Programme, as_user, english, reviewed, world
from tests.integration.projections.settle import catch_up

if TYPE_CHECKING:
    from uuid import UUID

    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

__all__ = ["english", "world"]  # fixtures used by the tests below
KEY = re.compile(r'name="key" value="([0-9a-f]{32})"')


async def _events(world: Programme, app_id: UUID, kind: str) -> int:
    return int(await world.pool.fetchval(
        "SELECT count(*) FROM events WHERE originator_id = $1 AND topic = $2",
        app_id, f"grants.application:{kind}",
    ))  # fmt: skip


async def _form(client: AsyncTestClient[Litestar], app_id: UUID) -> tuple[str, str]:
    page = await client.get(f"/committee/files/{app_id}")
    key = KEY.search(page.text)
    assert key is not None
    return csrf_of(page), key[1]


async def _twice(
    client: AsyncTestClient[Litestar], path: str, data: dict[str, str]
) -> list[httpx.Response]:
    return list(await asyncio.gather(client.post(path, data=data), client.post(path, data=data)))


async def test_a_decision_without_its_confirmation_records_nothing_and_keeps_what_was_typed(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await reviewed(world, app_id, 5, 5)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    token, key = await _form(english, app_id)
    response = await english.post(
        f"/committee/files/{app_id}/fund",
        data={"amount": "123456", "note": "Retenu", "key": key, "_csrf": token},
    )
    assert response.status_code == 422
    assert "Tick the box to confirm this decision." in response.text
    assert 'value="123456"' in response.text
    assert f'value="{key}"' in response.text  # the corrected retry keeps the same key
    assert await _events(world, app_id, "Funded") == 0


async def test_fund_sent_twice_at_once_records_one_decision(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit(requested_centimes=500_000 * MAD)
    await reviewed(world, app_id, 5, 5)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    token, key = await _form(english, app_id)
    data = {"amount": "400000", "note": "", "confirm": "yes", "key": key, "_csrf": token}
    responses = await _twice(english, f"/committee/files/{app_id}/fund", data)
    assert [r.status_code for r in responses] == [303, 303]
    assert await _events(world, app_id, "Funded") == 1
    reserved = await world.pool.fetchval(
        "SELECT count(*) FROM events WHERE originator_id = $1 AND topic = $2",
        world.envelope_id, "grants.envelope:FundsReserved",
    )  # fmt: skip
    assert reserved == 1


async def test_a_tranche_sent_twice_pays_once_and_a_new_form_pays_again(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit(requested_centimes=500_000 * MAD)
    await reviewed(world, app_id, 5, 5)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    token, key = await _form(english, app_id)
    fund = {"amount": "400000", "confirm": "yes", "key": key, "_csrf": token}
    assert (await english.post(f"/committee/files/{app_id}/fund", data=fund)).status_code == 303
    await catch_up(world.pool, world.store)
    await as_user(english, "officer@region.ma")
    token = csrf_of(await english.get(f"/committee/files/{app_id}"))
    sign = await english.post(f"/committee/files/{app_id}/agreement", data={"_csrf": token})
    assert sign.status_code == 303
    await catch_up(world.pool, world.store)
    token, key = await _form(english, app_id)
    pay = {"amount": "100000", "confirm": "yes", "key": key, "_csrf": token}
    responses = await _twice(english, f"/committee/files/{app_id}/tranches", pay)
    assert [r.status_code for r in responses] == [303, 303]
    retried = await english.post(f"/committee/files/{app_id}/tranches", data=pay)  # after a 503
    assert retried.status_code == 303
    assert await _events(world, app_id, "TrancheDisbursed") == 1
    await catch_up(world.pool, world.store)
    token, fresh = await _form(english, app_id)
    assert fresh != key
    again = {**pay, "key": fresh, "_csrf": token}
    assert (
        await english.post(f"/committee/files/{app_id}/tranches", data=again)
    ).status_code == 303
    assert await _events(world, app_id, "TrancheDisbursed") == 2


async def test_a_conflict_needs_a_reason_and_a_confirmation(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await reviewed(world, app_id, 4)
    await catch_up(world.pool, world.store)
    await as_user(english, "r1@region.ma")
    token, key = await _form(english, app_id)
    path = f"/committee/files/{app_id}/conflict"
    bare = await english.post(path, data={"key": key, "_csrf": token})
    assert bare.status_code == 422
    assert "This field is required." in bare.text
    assert "Tick the box to confirm this decision." in bare.text
    assert await _events(world, app_id, "ConflictDeclared") == 0
    reason = "Mon beau-frère est associé."
    done = await english.post(
        path, data={"reason": reason, "confirm": "yes", "key": key, "_csrf": token}
    )
    assert done.status_code == 303
    assert await _events(world, app_id, "ConflictDeclared") == 1


async def test_decisive_buttons_look_apart_and_carry_a_key(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await reviewed(world, app_id, 5, 5)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    page = await english.get(f"/committee/files/{app_id}")
    assert page.text.count("data-decisive") == 3  # fund, override, reject
    assert page.text.count('class="danger"') == 3
    assert len(set(KEY.findall(page.text))) == 1
    assert "write no personal data" in page.text  # the override's justification is published
