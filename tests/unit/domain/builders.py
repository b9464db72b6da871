"""Builders of aggregates in a given state, for application specifications."""

from __future__ import annotations

from typing import Any

from domain.applications import GrantApplication
from domain.identifiers import ice_with_check
from domain.rubrics import DEFAULT_CRITERIA, Rubric
from tests.unit.domain.support import at, uid

APP = uid(41)
INVESTOR = uid(42)
OFFICER = uid(43)
CHAIR = uid(44)
R1, R2, R3 = uid(51), uid(52), uid(53)
THRESHOLD = 6_000  # 60.00 points
GOOD = {c.key: 4 for c in DEFAULT_CRITERIA}  # 80.00
POOR = {c.key: 2 for c in DEFAULT_CRITERIA}  # 40.00


def facts(**overrides: Any) -> dict[str, Any]:
    """The facts of a valid submission by a company (a sole trader: RNAE, no RC)."""
    if overrides.get("applicant_kind") == "sole_trader":
        overrides = {"rc_court": "", "rc_number": "", "rnae_number": "20231234", **overrides}
    return {
        "investor_id": INVESTOR,
        "envelope_id": uid(1),
        "call_id": None,
        "applicant_kind": "company",
        "company_name": "Atlas Offshoring SARL",
        "legal_form": "sarl",
        "ice": ice_with_check("0012345670000"),
        "rc_court": "Ouarzazate",
        "rc_number": "4521",
        "person_id": uid(99),
        "contact": b"\x00ciphertext",
        "title": "Centre de relation client",
        "summary": "120 seats, bilingual customer service.",
        "sector": "offshoring",
        "province": "ouarzazate",
        "commune": "ouarzazate",
        "total_investment_centimes": 10_000_000_00,
        "requested_centimes": 2_500_000_00,
        "jobs": 120,
        "jobs_women": 70,
        "timeline_months": 18,
        **overrides,
    }


def submitted(**overrides: Any) -> GrantApplication:
    return GrantApplication.submit(application_id=APP, at=at(), **facts(**overrides))


def rubric() -> Rubric:
    r = Rubric.draft(
        rubric_id=uid(21), name="Charte 2022", rubric_version=1, criteria=DEFAULT_CRITERIA, at=at()
    )
    r.publish(at())
    return r


def in_review(*reviewers: Any) -> GrantApplication:
    app = submitted()
    for reviewer in reviewers or (R1, R2):
        app.assign_reviewer(reviewer, OFFICER, at(1))
    return app


def reviewed(*scores: dict[str, int]) -> GrantApplication:
    reviewers = (R1, R2, R3)[: len(scores)]
    app = in_review(*reviewers)
    for reviewer, given_scores in zip(reviewers, scores, strict=True):
        app.score(reviewer, rubric(), given_scores, "ok", at(2))
    return app


def funded(amount: int = 2_000_000_00) -> GrantApplication:
    app = reviewed(GOOD, GOOD)
    app.fund(CHAIR, amount, "Strong", at(3), threshold_hundredths=THRESHOLD)
    return app


def signed(amount: int = 2_000_000_00) -> GrantApplication:
    app = funded(amount)
    app.sign_agreement(OFFICER, at(4))
    return app
