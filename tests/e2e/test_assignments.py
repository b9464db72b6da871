"""A reviewer's workspace over HTTP: landing on "My assignments" after sign-in, scoring beside the
list, fact criteria scored from the file, applicants shown by their kind, eligible reviewers only."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from domain.identifiers import ice_with_check
from domain.rubrics import DEFAULT_CRITERIA
from projections import review_queue
from service import applications as apps
from service import demo_data
from tests.e2e.conftest import csrf_of, log_in
from tests.e2e.test_committee import Programme, as_user, english, world
from tests.integration.projections.settle import catch_up

if TYPE_CHECKING:
    from uuid import UUID

    from litestar import Litestar
    from litestar.testing import AsyncTestClient

__all__ = ["english", "world"]  # fixtures used by the tests below
JUDGED = [c.key for c in DEFAULT_CRITERIA if c.key not in ("province_category", "priority_sector")]


async def _assign(world: Programme, app_id: UUID, reviewer: str = "r1") -> None:
    await apps.assign_reviewer(
        world.store, application_id=app_id, reviewer_id=world.staff[reviewer].id,
        by=world.staff["officer"].id,
    )  # fmt: skip


async def _company(world: Programme) -> UUID:
    return await apps.submit(
        world.store, investor_id=world.staff["investor"].id, envelope_id=world.envelope_id,
        call_id=world.call_id, project=demo_data.project(world.rng, "offshoring"),
        applicant=apps.Applicant(applicant_kind="company", company_name="Atlas Data SARL",
                                 legal_form="sarl", ice=ice_with_check("0022345678901"),
                                 rc_court="Ouarzazate", rc_number="5512"),
        contact=apps.Contact(name="Samira Idrissi", email="s@exemple.ma", phone="+212612"),
    )  # fmt: skip


async def _sole_trader(world: Programme) -> UUID:
    return await apps.submit(
        world.store, investor_id=world.staff["investor"].id, envelope_id=world.envelope_id,
        call_id=world.call_id, project=demo_data.project(world.rng, "crafts"),
        applicant=apps.Applicant(applicant_kind="sole_trader", company_name="Hassan Aït Baha",
                                 legal_form="sole_trader", ice=ice_with_check("0012345678901"),
                                 rc_court="", rc_number="", rnae_number="4411"),
        contact=apps.Contact(name="Hassan Aït Baha", email="h@exemple.ma", phone="+212611"),
    )  # fmt: skip


async def test_staff_land_on_their_work_after_signing_in(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    expected = {"r1@region.ma": "/committee/assignments", "chair@region.ma": "/committee/queue",
                "officer@region.ma": "/committee/queue", "investor@region.ma": "/my/files"}  # fmt: skip
    for email, landing in expected.items():
        english.cookies.clear()
        response = await log_in(english, email)
        assert response.status_code == 303
        assert response.headers["location"] == landing, email


async def test_a_reviewer_scores_beside_the_list_and_facts_are_scored_from_the_file(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    first = await world.submit(province="ouarzazate", commune="ouarzazate", sector="offshoring")
    second = await world.submit(sector="other")
    for app_id in (first, second):
        await _assign(world, app_id)
    await catch_up(world.pool, world.store)
    await as_user(english, "r1@region.ma")
    page = await english.get("/committee/assignments")
    assert page.status_code == 200
    assert page.text.count('data-assignment="') == 2
    assert f'action="/committee/files/{first}/score"' in page.text  # the first to score, opened
    assert re.search(r'name="province_category"[^>]*value="3"[^>]*readonly', page.text)
    assert re.search(r'name="priority_sector"[^>]*value="5"[^>]*readonly', page.text)
    assert "Scored automatically from the file" in page.text
    assert "De 10 à 49 emplois stables" not in page.text  # descriptors in the page's language
    assert "10 to 49 stable jobs" in page.text
    typed = dict.fromkeys(JUDGED, "4") | {"province_category": "0", "priority_sector": "0"}
    response = await english.post(
        f"/committee/files/{first}/score",
        data={**typed, "comment": "", "return": "assignments", "_csrf": csrf_of(page)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/committee/assignments"
    await catch_up(world.pool, world.store)
    mine = [r for r in await review_queue.reviewers(world.pool, first) if r["scores"]]
    assert mine[0]["scores"]["province_category"] == 3  # the typed 0 never counts
    assert mine[0]["scores"]["priority_sector"] == 5
    assert mine[0]["weighted_score"] == (75 * 4 + 10 * 3 + 15 * 5) * 20
    after = await english.get(response.headers["location"])
    assert "Your review is recorded: 81.00 / 100." in after.text
    assert f'action="/committee/files/{second}/score"' in after.text  # the next one to score
    assert re.search(r'name="priority_sector"[^>]*value="1"', after.text)
    scored = after.text.split('id="scored"')[1].split('id="conflicted"')[0]
    assert str(first) in scored


async def test_an_invalid_score_comes_back_beside_the_list_with_what_was_typed(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await _assign(world, app_id)
    await catch_up(world.pool, world.store)
    await as_user(english, "r1@region.ma")
    page = await english.get(f"/committee/assignments?file={app_id}")
    typed = dict.fromkeys(JUDGED, "4") | {"stable_jobs": "9", "comment": "Dossier clair"}
    response = await english.post(
        f"/committee/files/{app_id}/score",
        data={**typed, "return": "assignments", "_csrf": csrf_of(page)},
    )
    assert response.status_code == 422
    assert 'aria-label="My assignments"' in response.text
    assert re.search(r'value="9"[^>]*aria-invalid="true"', response.text)
    assert "Dossier clair" in response.text


async def test_conflicted_files_are_listed_apart_and_applicants_shown_by_kind(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    company, sole = await _company(world), await _sole_trader(world)
    conflicted = await world.submit()
    for app_id in (company, sole, conflicted):
        await _assign(world, app_id)
    await apps.declare_conflict(world.store, application_id=conflicted,
                                reviewer_id=world.staff["r1"].id)  # fmt: skip
    await catch_up(world.pool, world.store)
    await as_user(english, "r1@region.ma")
    page = await english.get("/committee/assignments")
    lists = page.text.split('id="conflicted"')
    assert str(conflicted) not in lists[0]
    assert "Hassan" not in page.text
    assert "Atlas Data SARL" in page.text
    assert "Name withheld (sole trader)" in page.text
    queue = await english.get("/committee/queue")
    assert "Atlas Data SARL" in queue.text  # a company is never labelled a sole trader
    assert "Hassan" not in queue.text
    other = await english.get(f"/committee/assignments?file={conflicted}")
    assert f'action="/committee/files/{conflicted}/score"' not in other.text


async def test_the_assign_list_offers_only_eligible_reviewers(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await _assign(world, app_id, "r1")
    await _assign(world, app_id, "r2")
    await apps.declare_conflict(world.store, application_id=app_id,
                                reviewer_id=world.staff["r2"].id)  # fmt: skip
    await catch_up(world.pool, world.store)
    await as_user(english, "officer@region.ma")
    page = await english.get(f"/committee/files/{app_id}")
    select = page.text.split('id="assign-reviewer_id"')[1].split("</select>")[0]
    assert str(world.staff["r3"].id) in select
    assert str(world.staff["r1"].id) not in select
    assert str(world.staff["r2"].id) not in select
