"""The chair's what-if page and API: policies side by side, advisory, recording nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.accounts import REVIEWER
from tests.e2e.conftest import make_user
from tests.e2e.test_committee import MAD, Programme, as_user, english, reviewed, world
from tests.integration.projections.settle import catch_up

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

__all__ = ["english", "world"]  # fixtures used by the tests below


async def _three_files(world: Programme) -> dict[str, str]:
    """Remaining 3,000,000 MAD: a 2.0 M file at 90, two 1.4 M files at 80, one below quorum and
    one below the threshold."""
    await make_user(world.pool, "r4@region.ma", REVIEWER)
    big = await world.submit(requested_centimes=2_000_000 * MAD,
                             total_investment_centimes=8_000_000 * MAD)  # fmt: skip
    a = await world.submit(requested_centimes=1_400_000 * MAD,
                           total_investment_centimes=5_000_000 * MAD)  # fmt: skip
    b = await world.submit(requested_centimes=1_400_000 * MAD,
                           total_investment_centimes=5_000_000 * MAD)  # fmt: skip
    lonely, weak = await world.submit(), await world.submit()
    await reviewed(world, big, 5, 4)  # means: 100 and 80 -> 90
    await reviewed(world, a, 4, 4)
    await reviewed(world, b, 4, 4)
    await reviewed(world, lonely, 5)
    await reviewed(world, weak, 1, 1)
    await catch_up(world.pool, world.store)
    return {"big": str(big), "a": str(a), "b": str(b), "lonely": str(lonely), "weak": str(weak)}


async def test_the_api_compares_policies_within_the_envelope(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    ids = await _three_files(world)
    await as_user(english, "chair@region.ma")
    response = await english.get("/api/v1/what-if")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["remaining_centimes"] == 3_000_000 * MAD
    assert {c["application_id"] for c in body["candidates"]} == {ids["big"], ids["a"], ids["b"]}
    apart = {f["application_id"]: f["reason"] for f in body["set_apart"]}
    assert apart == {ids["lonely"]: "below_quorum", ids["weak"]: "below_threshold"}
    chosen = {s["policy"]: s for s in body["selections"]}
    assert set(chosen) == {"raw_mean", "normalised", "greedy", "optimal", "province_balanced"}
    for s in chosen.values():
        assert s["total_centimes"] <= body["remaining_centimes"]
        assert s["remaining_centimes"] == body["remaining_centimes"] - s["total_centimes"]
    assert chosen["greedy"]["funded"] == [ids["big"]]
    assert sorted(chosen["optimal"]["funded"]) == sorted([ids["a"], ids["b"]])
    assert chosen["optimal"]["weighted_total"] >= chosen["greedy"]["weighted_total"]


async def test_the_api_answers_only_the_policies_asked_and_refuses_unknown_ones(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    await _three_files(world)
    await as_user(english, "chair@region.ma")
    response = await english.get("/api/v1/what-if?policy=optimal&policy=raw_mean")
    assert [s["policy"] for s in response.json()["selections"]] == ["optimal", "raw_mean"]
    refused = await english.get("/api/v1/what-if?policy=lottery")
    assert refused.status_code == 422
    assert refused.json()["code"]
    assert refused.headers["content-type"].startswith("application/problem+json")
    missing = await english.get(f"/api/v1/what-if?envelope_id={world.call_id}")
    assert missing.status_code == 404


async def test_the_page_shows_two_policies_side_by_side_and_records_nothing(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    ids = await _three_files(world)
    await as_user(english, "chair@region.ma")
    before = await world.pool.fetchval("SELECT max(notification_id) FROM events")
    page = await english.get("/committee/what-if?policy=greedy&policy=optimal")
    assert page.status_code == 200
    assert "Greedy fill of what remains" in page.text
    assert "Optimal fill" in page.text
    assert "Province-balanced</th>" not in page.text
    assert page.text.count("✔") == 3  # greedy funds one file, optimal two
    assert f'href="/committee/files/{ids["weak"]}"' in page.text
    assert "Mean below the funding threshold" in page.text
    after = await world.pool.fetchval("SELECT max(notification_id) FROM events")
    assert after == before
    for lang, word in (("fr", "Comparer"), ("ar", "قارن")):
        english.headers["Accept-Language"] = lang
        assert word in (await english.get("/committee/what-if")).text


async def test_only_the_chair_sees_the_what_if_page(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    await as_user(english, "officer@region.ma")
    assert (await english.get("/committee/what-if")).status_code == 403
    assert (await english.get("/api/v1/what-if")).status_code == 403
