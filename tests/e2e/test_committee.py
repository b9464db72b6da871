"""The committee workspace over HTTP: every role's journey, every guard refusal, the live queue.

Projections do not run inside the test app: each test catches the read models up itself, as the
projector process would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import re
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn

from domain.identifiers import ice_with_check
from domain.rubrics import DEFAULT_CRITERIA
from projections import review_queue, tracking
from service import applications as apps
from service import demo_data, programme
from service.accounts import CHAIR, INVESTOR, OFFICER, REVIEWER
from tests.e2e.conftest import csrf_of, log_in, make_user
from tests.integration.projections.settle import catch_up
from web.app import create_app
from web.pages.committee import workspace as committee

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.accounts import User
    from service.settings import Settings
    from service.store import EventStore

MAD = 100
ROW = re.compile(r'<tr data-file="([0-9a-f-]{36})"')


@dataclass
class Programme:
    store: EventStore
    pool: asyncpg.Pool
    envelope_id: UUID
    call_id: UUID
    staff: dict[str, User]
    rng: random.Random = dataclasses.field(default_factory=lambda: random.Random(7))

    async def submit(self, **project: object) -> UUID:
        """An application by the investor; ``project`` overrides demo project facts."""
        sector = str(project.get("sector", "offshoring"))
        amounts = {
            "requested_centimes": 500_000 * MAD,
            "total_investment_centimes": 2_000_000 * MAD,
        }
        facts = dataclasses.replace(demo_data.project(self.rng, sector), **(amounts | project))
        applicant = demo_data.applicant(self.rng, sector, "Ouarzazate")
        return await apps.submit(
            self.store, investor_id=self.staff["investor"].id, envelope_id=self.envelope_id,
            call_id=self.call_id, applicant=applicant, project=facts,
            contact=apps.Contact(name="Fatima Zahra Ouali", email="fz.ouali@exemple.ma",
                                 phone="+212600112233"),
        )  # fmt: skip


@pytest.fixture
async def world(db: asyncpg.Pool, store: EventStore) -> Programme:
    envelope_id = await programme.open_envelope(store, total_centimes=3_000_000 * MAD)
    call_id = await programme.open_call(
        store, envelope_id=envelope_id, title="Appel 2026",
        min_request_centimes=10_000 * MAD, max_request_centimes=3_000_000 * MAD,
    )  # fmt: skip
    rubric_id = await programme.draft_rubric(store)
    await programme.publish_rubric(store, rubric_id=rubric_id)
    staff = {
        "officer": await make_user(db, "officer@region.ma", OFFICER),
        "chair": await make_user(db, "chair@region.ma", CHAIR),
        "r1": await make_user(db, "r1@region.ma", REVIEWER),
        "r2": await make_user(db, "r2@region.ma", REVIEWER),
        "r3": await make_user(db, "r3@region.ma", REVIEWER),
        "investor": await make_user(db, "investor@region.ma", INVESTOR),
    }
    return Programme(store, db, envelope_id, call_id, staff)


@pytest.fixture
def english(client: AsyncTestClient[Litestar]) -> AsyncTestClient[Litestar]:
    client.headers["Accept-Language"] = "en"
    return client


async def as_user(client: AsyncTestClient[Litestar], email: str) -> None:
    client.cookies.clear()
    response = await log_in(client, email)
    assert response.status_code == 303


async def act(
    client: AsyncTestClient[Litestar], app_id: UUID, action: str, **data: str
) -> httpx.Response:
    """POST an action form with the token of the file page (or the queue's when hidden),
    confirmed and with the page's idempotency key, as a person ticking the box would."""
    page = await client.get(f"/committee/files/{app_id}")
    token = csrf_of(page if page.status_code == 200 else await client.get("/"))
    key = re.search(r'name="key" value="([0-9a-f]{32})"', page.text)
    guard = {"confirm": "yes", "key": key[1] if key else "0" * 32}
    return await client.post(
        f"/committee/files/{app_id}/{action}", data={**guard, **data, "_csrf": token}
    )


def queue_ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200
    return ROW.findall(response.text)


def all_scores(points: int) -> dict[str, str]:
    return {c.key: str(points) for c in DEFAULT_CRITERIA}


async def reviewed(world: Programme, app_id: UUID, *points: int) -> None:
    """Assigned to r1, r2 ... and scored by each (through the service, not under test here)."""
    rubric = await programme_rubric_id(world)
    for n, score in enumerate(points, 1):
        reviewer = world.staff[f"r{n}"].id
        await apps.assign_reviewer(
            world.store, application_id=app_id, reviewer_id=reviewer,
            by=world.staff["officer"].id,
        )  # fmt: skip
        await apps.review(
            world.store, application_id=app_id, reviewer_id=reviewer, rubric_id=rubric,
            scores={c.key: score for c in DEFAULT_CRITERIA},
        )  # fmt: skip


async def programme_rubric_id(world: Programme) -> UUID:
    from projections.programme import published_rubric

    await catch_up(world.pool, world.store)
    rubric = await published_rubric(world.pool)
    assert rubric is not None
    return rubric.rubric_id


# -- guards ------------------------------------------------------------------------------------


async def test_visitors_are_sent_to_log_in_and_investors_refused(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await catch_up(world.pool, world.store)
    for path in ("/committee/queue", f"/committee/files/{app_id}", "/committee/events",
                 f"/committee/files/{app_id}/score"):  # fmt: skip
        response = await english.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    await as_user(english, "investor@region.ma")
    for path in ("/committee/queue", f"/committee/files/{app_id}", "/committee/events"):
        assert (await english.get(path)).status_code == 403
    token = csrf_of(await english.get("/"))
    for action in ("fund", "assign", "conflict", "score", "agreement", "tranches"):
        response = await english.post(
            f"/committee/files/{app_id}/{action}", data={"amount": "1", "_csrf": token}
        )
        assert response.status_code == 403, action


@pytest.mark.parametrize(
    ("email", "refused"),
    [
        ("r1@region.ma", ("fund", "override", "reject", "assign", "agreement", "tranches",
                          "request-information", "screen-out")),
        ("chair@region.ma", ("assign", "conflict", "score", "agreement", "tranches",
                             "request-information", "screen-out")),
        ("officer@region.ma", ("fund", "override", "reject", "conflict", "score")),
    ],
)  # fmt: skip
async def test_each_staff_role_is_refused_the_others_actions(
    english: AsyncTestClient[Litestar], world: Programme, email: str, refused: tuple[str, ...]
) -> None:
    app_id = await world.submit()
    await reviewed(world, app_id, 4)
    await catch_up(world.pool, world.store)
    await as_user(english, email)
    token = csrf_of(await english.get("/committee/queue"))
    for action in refused:
        response = await english.post(
            f"/committee/files/{app_id}/{action}",
            data={"amount": "100", "reason": "x", "question": "x", "_csrf": token},
        )
        assert response.status_code == 403, action
    if email != "r1@region.ma":
        assert (await english.get(f"/committee/files/{app_id}/score")).status_code == 403


async def test_a_form_without_its_csrf_token_is_refused(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await catch_up(world.pool, world.store)
    await as_user(english, "officer@region.ma")
    response = await english.post(
        f"/committee/files/{app_id}/screen-out", data={"reason": "hors périmètre"}
    )
    assert response.status_code == 403


# -- the reviewer ------------------------------------------------------------------------------


async def test_a_reviewer_sees_only_assigned_files_and_loses_a_conflicted_one(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    a1, a2, a3 = [await world.submit() for _ in range(3)]
    officer = world.staff["officer"].id
    for app_id in (a1, a2):
        await apps.assign_reviewer(
            world.store, application_id=app_id, reviewer_id=world.staff["r1"].id, by=officer
        )
    await catch_up(world.pool, world.store)
    await as_user(english, "r1@region.ma")

    assert sorted(queue_ids(await english.get("/committee/queue?sort=date"))) == sorted(
        [str(a1), str(a2)]
    )
    for path in (f"/committee/files/{a3}", f"/committee/files/{a3}/score"):
        assert (await english.get(path)).status_code == 404
    assert (await act(english, a3, "conflict")).status_code == 404

    page = await english.get(f"/committee/files/{a1}")
    assert page.status_code == 200
    for personal in ("Fatima Zahra Ouali", "fz.ouali@exemple.ma", "+212600112233", "Test Person"):
        assert personal not in page.text

    declared = await act(english, a2, "conflict", reason="Mon cousin dirige la société.")
    assert declared.status_code == 303
    assert declared.headers["location"] == "/committee/queue"
    await catch_up(world.pool, world.store)
    after = await english.get("/committee/queue")
    assert queue_ids(after) == [str(a1)]
    assert "conflict of interest is recorded" in after.text
    assert (await english.get(f"/committee/files/{a2}")).status_code == 404
    assert (await english.get(f"/committee/files/{a2}/score")).status_code == 404


async def test_a_reviewer_never_sees_a_sole_traders_name(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    sole = await apps.submit(
        world.store, investor_id=world.staff["investor"].id, envelope_id=world.envelope_id,
        call_id=world.call_id, project=demo_data.project(world.rng, "crafts"),
        applicant=apps.Applicant(applicant_kind="sole_trader", company_name="Hassan Aït Baha",
                                 legal_form="sole_trader", ice=ice_with_check("0012345678901"),
                                 rc_court="", rc_number="", rnae_number="4411"),
        contact=apps.Contact(name="Hassan Aït Baha", email="h@exemple.ma", phone="+212611"),
    )  # fmt: skip
    for a in (app_id, sole):
        await apps.assign_reviewer(
            world.store, application_id=a, reviewer_id=world.staff["r1"].id,
            by=world.staff["officer"].id,
        )  # fmt: skip
    await catch_up(world.pool, world.store)
    await as_user(english, "r1@region.ma")
    for path in ("/committee/queue", f"/committee/files/{sole}", f"/committee/files/{sole}/score"):
        response = await english.get(path)
        assert response.status_code == 200
        assert "Hassan" not in response.text
    await as_user(english, "chair@region.ma")
    assert "Hassan Aït Baha" in (await english.get(f"/committee/files/{sole}")).text


async def test_scoring_errors_are_shown_next_to_the_field_with_what_was_typed(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await apps.assign_reviewer(
        world.store, application_id=app_id, reviewer_id=world.staff["r1"].id,
        by=world.staff["officer"].id,
    )  # fmt: skip
    await catch_up(world.pool, world.store)
    await as_user(english, "r1@region.ma")
    form = await english.get(f"/committee/files/{app_id}/score")
    assert form.status_code == 200
    assert 'data-weight="25"' in form.text
    assert 'aria-live="polite"' in form.text
    assert "<script>" not in form.text  # no inline script: the live total is committee.js
    data = {**all_scores(3), "stable_jobs": "7", "women_share": "", "comment": "Solide dossier"}
    response = await english.post(
        f"/committee/files/{app_id}/score", data={**data, "_csrf": csrf_of(form)}
    )
    assert response.status_code == 422
    assert 'id="s-stable_jobs" name="stable_jobs" type="number"' in response.text
    assert re.search(r'value="7"[^>]*aria-invalid="true"', response.text)
    assert "s-women_share-error" in response.text
    assert "Choose a whole number from 0 to 5." in response.text
    assert "Solide dossier" in response.text
    good = {**all_scores(4), "stable_jobs": "\u0665", "comment": "Bien"}  # Arabic-Indic 5
    response = await english.post(
        f"/committee/files/{app_id}/score", data={**good, "_csrf": csrf_of(form)}
    )
    assert response.status_code == 303
    await catch_up(world.pool, world.store)
    page = await english.get(response.headers["location"])
    # 25*5 + 50*4 on the typed criteria; the fact criteria (province 10, sector 15) are scored
    # from the file: offshoring -> 5, the province's category -> 3 (A) or 5 (B).
    facts = await review_queue.file(world.pool, app_id)
    assert facts is not None
    province = 10 * (3 if facts["province"] == "ouarzazate" else 5)
    total = (25 * 5 + 50 * 4 + 15 * 5 + province) * 20
    assert f"Your review is recorded: {total // 100}.{total % 100:02d} / 100." in page.text


# -- the queue ---------------------------------------------------------------------------------


async def test_the_queue_filters_and_sorts_with_stable_links(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    cheap = await world.submit(sector="tourism", province="zagora", commune="zagora",
                               requested_centimes=100_000 * MAD,
                               total_investment_centimes=1_000_000 * MAD)  # fmt: skip
    dear = await world.submit(sector="offshoring", province="midelt", commune="midelt",
                              requested_centimes=900_000 * MAD,
                              total_investment_centimes=4_000_000 * MAD)  # fmt: skip
    await reviewed(world, cheap, 2, 2)
    await catch_up(world.pool, world.store)
    await as_user(english, "officer@region.ma")

    by_amount = await english.get("/committee/queue?sort=amount")
    assert queue_ids(by_amount) == [str(dear), str(cheap)]
    assert queue_ids(await english.get("/committee/queue?sort=date")) == [str(cheap), str(dear)]
    assert queue_ids(await english.get("/committee/queue?sort=score")) == [str(cheap), str(dear)]
    assert queue_ids(await english.get("/committee/queue?sector=tourism")) == [str(cheap)]
    assert queue_ids(await english.get("/committee/queue?province=midelt")) == [str(dear)]
    assert queue_ids(await english.get("/committee/queue?status=in_review")) == [str(cheap)]
    assert queue_ids(await english.get(f"/committee/queue?call={world.call_id}")) == [
        str(cheap), str(dear),
    ]  # fmt: skip
    unknown = await english.get("/committee/queue?sort=nonsense&sector=%27;drop&call=x")
    assert sorted(queue_ids(unknown)) == sorted([str(cheap), str(dear)])
    filtered = await english.get("/committee/queue?sector=tourism&sort=date")
    assert 'href="?sector=tourism&amp;sort=amount"' in filtered.text  # filters kept in sort links
    assert "40.00" in filtered.text  # raw score of 2s everywhere
    assert '<span dir="ltr">2 / 2</span>' in filtered.text  # review count against the quorum


async def test_the_queue_is_read_a_page_at_a_time_with_its_filters_kept(
    english: AsyncTestClient[Litestar], world: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(committee, "QUEUE_PAGE_SIZE", 2)
    ids = [str(await world.submit()) for _ in range(3)]
    await catch_up(world.pool, world.store)
    await as_user(english, "officer@region.ma")

    first = await english.get("/committee/queue?sort=date")
    assert queue_ids(first) == ids[:2]
    link = re.search(r'<a rel="next" href="\?([^"]+)">Next files</a>', first.text)
    assert link, first.text
    assert link.group(1) == f"sort=date&amp;after={ids[1]}"
    second = await english.get("/committee/queue?" + link.group(1).replace("&amp;", "&"))
    assert queue_ids(second) == ids[2:]
    assert 'rel="next"' not in second.text
    assert '<a href="?sort=date">First files</a>' in second.text
    # a cursor that is not in this list (any more) starts again from the top
    stale = await english.get(f"/committee/queue?sort=date&after={world.envelope_id}")
    assert queue_ids(stale) == ids[:2]
    assert queue_ids(await english.get("/committee/queue?sort=date&after=nonsense")) == ids[:2]


async def test_the_fundable_line_shows_what_fits_in_the_envelope(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    best = await world.submit(requested_centimes=2_000_000 * MAD,
                              total_investment_centimes=8_000_000 * MAD)  # fmt: skip
    second = await world.submit(requested_centimes=1_500_000 * MAD,
                                total_investment_centimes=6_000_000 * MAD)  # fmt: skip
    await reviewed(world, best, 5, 5)
    await reviewed(world, second, 4, 4)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    page = await english.get("/committee/queue")
    assert queue_ids(page) == [str(best), str(second)]
    assert "3,000,000.00\xa0MAD" in page.text  # left in the envelope
    assert "3,500,000.00\xa0MAD" in page.text  # cumulative request down to the second file
    line = page.text.index("Fundable line: the files below")
    assert page.text.index(str(best)) < line < page.text.index(f'data-file="{second}"')


async def test_the_fundable_line_leaves_out_files_below_threshold_or_quorum(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    good, poor, lone = [await world.submit(requested_centimes=1_000_000 * MAD,
                                           total_investment_centimes=8_000_000 * MAD)
                        for _ in range(3)]  # fmt: skip
    await reviewed(world, good, 4, 4)
    await reviewed(world, poor, 2, 2)  # 40.00: below the 50.00 threshold
    await reviewed(world, lone, 5)  # 100.00, but one review of the two the quorum asks for
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    page = await english.get("/committee/queue")
    rows = dict(re.findall(r'data-file="([^"]+)"[^>]*data-eligibility="([^"]*)"', page.text))
    assert rows == {str(good): "fundable", str(poor): "below_threshold",
                    str(lone): "below_quorum"}  # fmt: skip
    lines = dict(re.findall(r'data-file="([^"]+)"[^>]*data-line="([^"]*)"', page.text))
    assert lines == {str(good): "above", str(poor): "none", str(lone): "none"}
    apart = page.text[page.text.index("In review, not on the fundable line") :]
    assert re.findall(r'data-apart="([^"]+)"', apart) == [str(lone), str(poor)]  # by score
    assert "Not ranked: quorum not reached" in apart
    assert "Not ranked: mean below the threshold" in apart
    assert "Rank" not in apart

    lone_page = await english.get(f"/committee/files/{lone}")
    assert 'data-quorum="not_met"' in lone_page.text
    assert 'data-threshold="met"' in lone_page.text
    assert 'data-line="below_quorum"' in lone_page.text
    good_page = await english.get(f"/committee/files/{good}")
    assert 'data-quorum="met"' in good_page.text
    assert "Rank 1: Above: fits" in good_page.text
    poor_page = await english.get(f"/committee/files/{poor}")
    assert 'data-threshold="not_met"' in poor_page.text
    assert "40.00" in poor_page.text


# -- decisions ---------------------------------------------------------------------------------


async def test_funding_beyond_the_envelope_is_refused_next_to_the_amount(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    first = await world.submit(requested_centimes=2_000_000 * MAD,
                               total_investment_centimes=8_000_000 * MAD)  # fmt: skip
    second = await world.submit(requested_centimes=2_000_000 * MAD,
                                total_investment_centimes=8_000_000 * MAD)  # fmt: skip
    await reviewed(world, first, 5, 5)
    await reviewed(world, second, 5, 4)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    assert (await act(english, first, "fund", amount="2 000 000", note="")).status_code == 303
    await catch_up(world.pool, world.store)
    refused = await act(english, second, "fund", amount="1500000.00", note="Second")
    assert refused.status_code == 422
    assert "The envelope has only 1,000,000.00\xa0MAD left" in refused.text
    assert 'id="fund-amount-error"' in refused.text
    assert 'value="1500000.00"' in refused.text
    too_much = await act(english, second, "fund", amount="2500000", note="")
    assert too_much.status_code == 422
    assert "At most 2,000,000.00\xa0MAD" in too_much.text
    bad = await act(english, second, "fund", amount="beaucoup", note="")
    assert bad.status_code == 422
    assert "Enter an amount in MAD" in bad.text


async def test_a_low_score_needs_an_override_with_a_justification(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await reviewed(world, app_id, 1, 2)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    amount = str((await world.pool.fetchval(
        "SELECT requested_centimes FROM review_files WHERE application_id = $1", app_id
    )) // 100)  # fmt: skip
    below = await act(english, app_id, "fund", amount=amount)
    assert below.status_code == 422
    assert "record an override with a justification" in below.text
    blank = await act(english, app_id, "override", amount=amount, justification=" ")
    assert blank.status_code == 422
    assert 'id="override-justification-error"' in blank.text
    done = await act(english, app_id, "override", amount=amount,
                     justification="Premier projet de la commune.")  # fmt: skip
    assert done.status_code == 303
    await catch_up(world.pool, world.store)
    page = await english.get(done.headers["location"])
    assert "The funding decision is recorded, with its justification." in page.text
    assert "Funded" in page.text


async def test_the_chair_rejects_and_the_officer_asks_and_screens_out(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    reviewed_file, asked, screened = [await world.submit() for _ in range(3)]
    await reviewed(world, reviewed_file, 2, 2)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    blank = await act(english, reviewed_file, "reject", reason="")
    assert blank.status_code == 422
    assert 'id="reject-reason-error"' in blank.text
    assert (await act(english, reviewed_file, "reject", reason="Trop faible")).status_code == 303
    await as_user(english, "officer@region.ma")
    assert (await act(english, asked, "request-information", question="Plan ?")).status_code == 303
    assert (await act(english, screened, "screen-out", reason="Hors périmètre")).status_code == 303
    again = await act(english, screened, "screen-out", reason="Encore")
    assert again.status_code == 422  # the page still shows it until the projection catches up
    assert "This is not possible at the file's current stage." in again.text
    await catch_up(world.pool, world.store)
    statuses = dict(await world.pool.fetch("SELECT application_id, status FROM review_files"))
    assert (statuses[reviewed_file], statuses[asked], statuses[screened]) == (
        "rejected", "information_requested", "screened_out",
    )  # fmt: skip


async def test_full_journey_assign_score_fund_sign_disburse(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit(requested_centimes=1_000_000 * MAD, province="zagora",
                                commune="zagora", total_investment_centimes=5_000_000 * MAD)  # fmt: skip
    await catch_up(world.pool, world.store)
    await as_user(english, "officer@region.ma")
    page = await english.get(f"/committee/files/{app_id}")
    assert "Assign a reviewer" in page.text
    unknown = await act(english, app_id, "assign", reviewer_id=str(world.staff["chair"].id))
    assert unknown.status_code == 422
    assert "Choose a reviewer from the list." in unknown.text
    for r in ("r1", "r2"):
        response = await act(english, app_id, "assign", reviewer_id=str(world.staff[r].id))
        assert response.status_code == 303
    await catch_up(world.pool, world.store)

    for email, points in (("r1@region.ma", "5"), ("r2@region.ma", "4")):
        await as_user(english, email)
        assert queue_ids(await english.get("/committee/queue")) == [str(app_id)]
        form = await english.get(f"/committee/files/{app_id}/score")
        scores = {c.key: points for c in DEFAULT_CRITERIA}
        response = await english.post(
            f"/committee/files/{app_id}/score",
            data={**scores, "comment": "Projet solide", "_csrf": csrf_of(form)},
        )
        assert response.status_code == 303
    await catch_up(world.pool, world.store)

    await as_user(english, "chair@region.ma")
    queue = await english.get("/committee/queue")
    # Facts (offshoring, Zagora: category B) are scored 5 from the file: 100.00 and 85.00.
    assert "92.50" in queue.text
    assert "Above: fits" in queue.text
    file_page = await english.get(f"/committee/files/{app_id}")
    assert "Projet solide" in file_page.text  # reviews are shown to the chair
    funded = await act(english, app_id, "fund", amount="900000", note="Retenu")
    assert funded.status_code == 303
    assert (
        "The funding decision is recorded."
        in (await english.get(f"/committee/files/{app_id}")).text
    )
    await catch_up(world.pool, world.store)

    await as_user(english, "officer@region.ma")
    assert (await act(english, app_id, "agreement")).status_code == 303
    await catch_up(world.pool, world.store)
    over = await act(english, app_id, "tranches", amount="950000")
    assert over.status_code == 422
    assert "At most 900,000.00\xa0MAD is left to pay" in over.text
    assert (await act(english, app_id, "tranches", amount="400000,50")).status_code == 303
    await catch_up(world.pool, world.store)
    row = await world.pool.fetchrow(
        "SELECT status, funded_centimes, disbursed_centimes FROM review_files"
        " WHERE application_id = $1", app_id,
    )  # fmt: skip
    assert tuple(row) == ("agreement_signed", 900_000 * MAD, 400_000 * MAD + 50)
    page = await english.get(f"/committee/files/{app_id}")
    assert "499,999.50\xa0MAD" in page.text  # left to pay
    dashboard = await world.pool.fetchval(
        "SELECT disbursed_centimes FROM dashboard_files WHERE application_id = $1", app_id
    )
    assert dashboard == 400_000 * MAD + 50


async def test_pages_render_in_arabic_and_french(
    client: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await catch_up(world.pool, world.store)
    await as_user(client, "officer@region.ma")
    arabic = await client.get("/committee/queue")
    assert 'dir="rtl"' in arabic.text
    assert "قائمة الملفات قيد الدراسة" in arabic.text
    french = await client.get(f"/committee/files/{app_id}", headers={"Accept-Language": "fr"})
    assert "Affecter un évaluateur" in french.text


# -- the live queue ----------------------------------------------------------------------------


async def test_the_live_queue_streams_an_event_when_the_queue_moves(
    web_settings: Settings, database_url: str, world: Programme
) -> None:
    """Over real HTTP (uvicorn): the test client would wait for an endless stream to end."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(dataclasses.replace(web_settings, port=port), database_url=database_url)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            # log_in computes the officer's code: it reads the app and database from the client.
            app.state.test_database_url = database_url
            http.app = app  # type: ignore[attr-defined]
            assert (await log_in(http, "officer@region.ma")).status_code == 303  # type: ignore[arg-type]
            async with http.stream("GET", "/committee/events") as stream:
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                lines = stream.aiter_lines()
                assert await asyncio.wait_for(anext(lines), 5) == ": connected"
                await world.submit()
                await catch_up(world.pool, world.store)
                received = []
                while "event: queue" not in received:
                    received.append(await asyncio.wait_for(anext(lines), 10))
                done = await tracking.position(world.pool, "review_queue")
                assert await asyncio.wait_for(anext(lines), 5) == f"data: {done.notification_id}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 15)  # the stream ended with its client: a clean stop
