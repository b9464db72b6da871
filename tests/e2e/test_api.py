"""The JSON API over HTTP: a journey per role, from submission to the public ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from domain.fact_criteria import fact_scores
from domain.rubrics import DEFAULT_CRITERIA, weighted_score
from tests.e2e.api_support import (
    CHAIR,
    INVESTOR,
    MANDATORY,
    OFFICER,
    OTHER_INVESTOR,
    REVIEWER1,
    REVIEWER2,
    Api,
    application_body,
    catch_up,
    open_programme,
    people,
    with_documents,
)
from tests.integration.service.support import GOOD, POOR

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.store import EventStore


@pytest.fixture
async def world(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> dict[str, Any]:
    """Everyone's account and an open programme (envelope, call, published rubric)."""
    users = await people(db)
    api = Api(client)
    return {"api": api, "users": users, **await open_programme(api, db, store)}


async def submit(api: Api, world: dict[str, Any], email: str = INVESTOR, **project: Any) -> str:
    await api.sign_in(email)
    body = await with_documents(api, application_body(world["call_id"], **project))
    response = await api.post("/applications", body)
    assert response.status_code == 201, response.text
    return str(response.json()["application_id"])


async def assign_and_review(
    api: Api, world: dict[str, Any], app_id: str, scores: dict[str, int], db: Any, store: Any
) -> None:
    await api.sign_in(OFFICER)
    for reviewer in (REVIEWER1, REVIEWER2):
        body = {"reviewer_id": str(world["users"][reviewer].id)}
        assert (await api.post(f"/applications/{app_id}/assignments", body)).status_code == 201
    await catch_up(db, store)
    for reviewer in (REVIEWER1, REVIEWER2):
        await api.sign_in(reviewer)
        review = await api.post(f"/applications/{app_id}/reviews", {"scores": scores})
        assert review.status_code == 201, review.text
    await catch_up(db, store)


async def test_a_file_from_submission_to_the_public_ledger(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore
) -> None:
    api: Api = world["api"]
    app_id = await submit(api, world)
    await catch_up(db, store)

    # The investor reads their file and its timeline.
    mine = (await api.get("/applications")).json()
    assert [f["application_id"] for f in mine["items"]] == [app_id]
    file = (await api.get(f"/applications/{app_id}")).json()
    assert file["status"] == "submitted"
    assert file["requested_centimes"] == 2_500_000_00

    # The officer asks a question; the investor answers by amending.
    await api.sign_in(OFFICER)
    asked = await api.post(f"/applications/{app_id}/information-request", {"question": "Sites?"})
    assert asked.status_code == 200, asked.text
    await api.sign_in(INVESTOR)
    amended = await api.post(f"/applications/{app_id}/amendment", {"title": "Centre à Tarmigte"})
    assert amended.json() == {"application_id": app_id, "action": "amended"}
    await catch_up(db, store)
    steps = [s["kind"] for s in (await api.get(f"/applications/{app_id}/timeline")).json()]
    attached = ["document_attached"] * len(MANDATORY)  # the draft's files, with the submission
    assert steps == ["submitted", *attached, "information_requested", "amended"]

    # Two reviewers are assigned and score; neither sees the investor's contact.
    await assign_and_review(api, world, app_id, GOOD, db, store)
    await api.sign_in(REVIEWER1)
    seen = await api.get(f"/applications/{app_id}")
    assert seen.status_code == 200
    # the fact criteria are scored from the file whatever the reviewers sent (4 each)
    facts = fact_scores(frozenset(GOOD), province_key=seen.json()["province"],
                        sector_key=seen.json()["sector"])  # fmt: skip
    assert seen.json()["raw_score"] == weighted_score(DEFAULT_CRITERIA, {**GOOD, **facts})
    for personal in ("salma@example.ma", "Salma", "+212600000001", "contact"):
        assert personal not in seen.text
    queue = (await api.get("/queue")).json()["items"]
    assert [e["application_id"] for e in queue] == [app_id]
    assert "salma@example.ma" not in str(queue)

    # The chair funds; the officer signs and pays a tranche.
    await api.sign_in(CHAIR)
    funded = await api.post(
        f"/applications/{app_id}/funding", {"amount_centimes": 2_000_000_00, "note": "Solide"}
    )
    assert funded.status_code == 200, funded.text
    assert funded.json()["remaining_centimes"] == 5 * 10**9 - 2_000_000_00
    await api.sign_in(OFFICER)
    assert (await api.post(f"/applications/{app_id}/agreement")).status_code == 200
    paid = await api.post(f"/applications/{app_id}/tranches", {"amount_centimes": 500_000_00})
    assert paid.status_code == 201, paid.text
    await catch_up(db, store)

    # The investor sees the decision and downloads their data, contact included.
    await api.sign_in(INVESTOR)
    file = (await api.get(f"/applications/{app_id}")).json()
    assert (file["status"], file["funded_centimes"], file["disbursed_centimes"]) == (
        "agreement_signed", 2_000_000_00, 500_000_00,
    )  # fmt: skip
    data = (await api.get("/me/data")).json()
    assert data["account"]["email"] == INVESTOR
    assert [a["application_id"] for a in data["applications"]] == [app_id]
    assert data["contacts"][app_id]["email"] == "salma@example.ma"
    assert "tranche_disbursed" in [s["kind"] for s in data["timelines"][app_id]]

    # Anyone reads the ledger, its head, the statistics and the envelope.
    api.client.cookies.clear()
    ledger = (await api.get("/ledger")).json()
    kinds = [(e["kind"], e["amount_centimes"]) for e in ledger["items"]]
    assert kinds == [
        ("funding_decision", 2_000_000_00), ("agreement", 2_000_000_00), ("tranche", 500_000_00),
    ]  # fmt: skip
    assert "salma" not in str(ledger).lower()
    head = (await api.get("/ledger/head")).json()
    assert head == {"seq": 3, "entry_hash": ledger["items"][-1]["entry_hash"]}
    stats = (await api.get("/statistics")).json()
    assert (stats["received"], stats["funded"], stats["funded_centimes"]) == (1, 1, 2_000_000_00)
    assert stats["by_province"] == [
        {"key": "ouarzazate", "funded_count": 1, "funded_centimes": 2_000_000_00}
    ]
    envelope = (await api.get(f"/envelopes/{world['envelope_id']}")).json()
    assert (envelope["reserved_centimes"], envelope["disbursed_centimes"]) == (
        1_500_000_00, 500_000_00,
    )  # fmt: skip
    assert len((await api.get("/calls")).json()) == 1
    assert [r["rubric_id"] for r in (await api.get("/rubrics")).json()] == [world["rubric_id"]]


async def test_the_committee_screens_rejects_overrides_and_cancels(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore
) -> None:
    api: Api = world["api"]
    ineligible, weak, justified = [await submit(api, world) for _ in range(3)]
    await api.sign_in(OFFICER)
    out = await api.post(f"/applications/{ineligible}/screen-out", {"reason": "Hors région"})
    assert out.json()["action"] == "screened_out"
    for app_id in (weak, justified):
        await assign_and_review(api, world, app_id, POOR, db, store)

    await api.sign_in(CHAIR)
    below = await api.post(f"/applications/{justified}/funding", {"amount_centimes": 100_000_00})
    assert below.status_code == 409
    assert below.json()["code"] == "score_below_threshold"
    override = await api.post(
        f"/applications/{justified}/override",
        {"amount_centimes": 100_000_00, "justification": "Seul projet à Zagora"},
    )
    assert override.status_code == 200, override.text
    rejected = await api.post(f"/applications/{weak}/rejection", {"reason": "Score trop bas"})
    assert rejected.json()["action"] == "rejected"

    await api.sign_in(OFFICER)
    cancelled = await api.post(f"/applications/{justified}/cancellation", {"reason": "Abandon"})
    assert cancelled.status_code == 200, cancelled.text
    await catch_up(db, store)
    envelope = (await api.get(f"/envelopes/{world['envelope_id']}")).json()
    assert envelope["reserved_centimes"] == 0
    statuses = {
        e["application_id"]: e["status"] for e in (await api.get("/applications")).json()["items"]
    }
    assert statuses == {ineligible: "screened_out", weak: "rejected", justified: "cancelled"}


async def test_an_investor_withdraws_and_a_reviewer_declares_a_conflict(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore
) -> None:
    api: Api = world["api"]
    withdrawn = await submit(api, world)
    first = await api.post(f"/applications/{withdrawn}/withdrawal")
    assert first.json() == {"application_id": withdrawn, "action": "withdrawn"}
    again = await api.post(f"/applications/{withdrawn}/withdrawal")
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"

    conflicted = await submit(api, world, OTHER_INVESTOR)
    await api.sign_in(OFFICER)
    body = {"reviewer_id": str(world["users"][REVIEWER2].id)}
    await api.post(f"/applications/{conflicted}/assignments", body)
    await catch_up(db, store)
    await api.sign_in(REVIEWER2)
    assert (await api.get(f"/applications/{conflicted}")).status_code == 200
    missing = await api.post(f"/applications/{conflicted}/conflict", {})
    assert missing.status_code == 422, missing.text
    assert [e["field"] for e in missing.json()["errors"]] == ["reason"]
    blank = await api.post(f"/applications/{conflicted}/conflict", {"reason": "  "})
    assert (blank.status_code, blank.json()["errors"][0]["field"]) == (422, "reason")
    assert (await api.get(f"/applications/{conflicted}")).status_code == 200  # nothing recorded
    declared = await api.post(f"/applications/{conflicted}/conflict", {"reason": "Cousin"})
    assert declared.status_code == 200, declared.text
    await catch_up(db, store)
    assert (await api.get(f"/applications/{conflicted}")).status_code == 404
    assert (await api.get("/queue")).json()["items"] == []
    scored = await api.post(f"/applications/{conflicted}/reviews", {"scores": GOOD})
    assert scored.status_code == 404


async def test_officers_manage_accounts_and_see_the_projections(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore
) -> None:
    api: Api = world["api"]
    await api.sign_in(OFFICER)
    made = await api.post(
        "/users",
        {"email": "new.reviewer@region.ma", "display_name": "Nouvelle", "role": "reviewer",
         "password": "a long enough secret"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["role"] == "reviewer"
    assert "password" not in made.text
    taken = await api.post(
        "/users",
        {"email": "new.reviewer@region.ma", "display_name": "X", "role": "chair",
         "password": "a long enough secret"},
    )  # fmt: skip
    assert (taken.status_code, taken.json()["code"]) == (409, "email_taken")
    weak = await api.post(
        "/users", {"email": "w@region.ma", "display_name": "W", "role": "chair", "password": "x"}
    )
    assert (weak.status_code, weak.json()["code"]) == (422, "weak_password")
    first = (await api.get("/users", params={"limit": 3})).json()
    rest = (await api.get("/users", params={"limit": 100, "after": first["next_after"]})).json()
    emails = [u["email"] for u in first["items"] + rest["items"]]
    assert emails == sorted([*world["users"], "new.reviewer@region.ma"])
    assert rest["next_after"] is None
    names = {p["name"] for p in (await api.get("/projections")).json()}
    assert {"review_queue", "dashboard", "ledger"} <= names


async def test_lists_are_paginated_with_a_cursor(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore
) -> None:
    api: Api = world["api"]
    ids = {await submit(api, world) for _ in range(5)}
    await catch_up(db, store)
    await api.sign_in(CHAIR)
    seen: list[str] = []
    after = None
    while True:
        params = {"limit": 2, "sort": "date", **({"after": after} if after else {})}
        page = (await api.get("/queue", params=params)).json()
        seen += [e["application_id"] for e in page["items"]]
        if (after := page["next_after"]) is None:
            break
    assert len(seen) == 5
    assert set(seen) == ids
    stale = await api.get("/queue", params={"after": "00000000-0000-0000-0000-000000000000"})
    assert (stale.status_code, stale.json()["code"]) == (400, "invalid_cursor")
    too_big = await api.get("/queue", params={"limit": 100_000})
    assert too_big.status_code in (400, 422)


async def test_the_queue_ranks_only_files_that_can_be_funded_now(
    world: dict[str, Any], db: asyncpg.Pool, store: EventStore
) -> None:
    api: Api = world["api"]
    good, poor, lone = [await submit(api, world) for _ in range(3)]
    await catch_up(db, store)
    await assign_and_review(api, world, good, GOOD, db, store)
    await assign_and_review(api, world, poor, POOR, db, store)  # 20.00 < the 50.00 threshold
    await api.sign_in(OFFICER)
    for reviewer in (REVIEWER1, REVIEWER2):
        body = {"reviewer_id": str(world["users"][reviewer].id)}
        assert (await api.post(f"/applications/{lone}/assignments", body)).status_code == 201
    await catch_up(db, store)
    await api.sign_in(REVIEWER1)  # one review of the two the quorum asks for
    assert (await api.post(f"/applications/{lone}/reviews", {"scores": GOOD})).status_code == 201
    await catch_up(db, store)
    await api.sign_in(CHAIR)
    items = {e["application_id"]: e for e in (await api.get("/queue")).json()["items"]}
    line = {a: (items[a]["eligibility"], items[a]["rank"], items[a]["above_line"])
            for a in (good, poor, lone)}  # fmt: skip
    assert line == {
        good: ("fundable", 1, True),
        poor: ("below_threshold", None, None),
        lone: ("below_quorum", None, None),
    }
    # a high score alone does not make the line (facts of the file scored from it, the rest 4s)
    lone_facts = fact_scores(frozenset(GOOD), province_key=items[lone]["province"],
                             sector_key=items[lone]["sector"])  # fmt: skip
    assert items[lone]["raw_score"] == weighted_score(DEFAULT_CRITERIA, {**GOOD, **lone_facts})
    assert items[lone]["raw_score"] >= 5000
    assert items[good]["cumulative_requested_centimes"] == items[good]["requested_centimes"]
    assert {items[a]["threshold"] for a in items} == {5000}
