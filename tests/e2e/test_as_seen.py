"""Time travel over HTTP: the chair and officers see a decided file as it was just before its
decision, or at any of its moments; reviewers and the public do not."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tests.e2e.test_committee import MAD, Programme, act, as_user, english, reviewed, world
from tests.integration.projections.settle import catch_up

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

__all__ = ["english", "world"]  # fixtures used by the tests below


async def test_a_funded_file_is_shown_as_the_committee_saw_it_before_deciding(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit(requested_centimes=500_000 * MAD)
    await reviewed(world, app_id, 5, 4)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    assert (await act(english, app_id, "fund", amount="400000")).status_code == 303
    await catch_up(world.pool, world.store)
    file_page = await english.get(f"/committee/files/{app_id}")
    assert f"/committee/files/{app_id}/as-seen" in file_page.text
    page = await english.get(f"/committee/files/{app_id}/as-seen")
    assert page.status_code == 200
    assert "Just before the decision, rebuilt from the event log." in page.text
    seen = page.text.split("data-as-seen")[1]
    assert "In review" in seen.split("</dd>")[0]
    assert "3,000,000.00" in seen.split("data-remaining>")[1]  # nothing reserved yet
    assert "1 of 1" in seen.split("data-rank>")[1]
    assert "90.00" in seen  # mean of 100.00 and 80.00 (typed by the service: no fact rule)
    funded_at = re.findall(r'<option value="(\d+)"[^>]*>[^<]*Funded</option>', page.text)
    assert len(funded_at) == 1
    after = await english.get(f"/committee/files/{app_id}/as-seen?at={funded_at[0]}")
    assert "2,600,000.00" in after.text.split("data-remaining>")[1]
    assert "Funded" in after.text.split("data-as-seen")[1].split("</dd>")[0]
    assert (await english.get(f"/committee/files/{app_id}/as-seen?at=999999")).status_code == 404


async def test_only_the_chair_and_officers_travel_in_time(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await reviewed(world, app_id, 4)
    await catch_up(world.pool, world.store)
    await as_user(english, "r1@region.ma")
    assert (await english.get(f"/committee/files/{app_id}/as-seen")).status_code == 403
    await as_user(english, "officer@region.ma")
    assert (await english.get(f"/committee/files/{app_id}/as-seen")).status_code == 200
    english.cookies.clear()
    visitor = await english.get(f"/committee/files/{app_id}/as-seen")
    assert visitor.status_code == 303
