"""The chair's what-if page: the open files ranked under named policies, side by side.

Advisory only: it reads the review queue and records nothing, funds nothing.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import asyncpg
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.response import Template

from projections.selection import POLICIES
from projections.what_if import BELOW_QUORUM, BELOW_THRESHOLD, what_if
from service.accounts import CHAIR
from service.settings import Settings
from web.common.auth import requires_role
from web.common.i18n import N_
from web.common.views import page
from web.pages.committee.views import labels

POLICY_LABELS: Final = {
    "raw_mean": N_("Raw mean (stop at the line)"),
    "normalised": N_("Normalised score (stop at the line)"),
    "greedy": N_("Greedy fill of what remains"),
    "optimal": N_("Optimal fill (score × amount)"),
    "province_balanced": N_("Province-balanced"),
}
REASON_LABELS: Final = {
    BELOW_QUORUM: N_("Not enough reviews yet"),
    BELOW_THRESHOLD: N_("Mean below the funding threshold"),
}
DEFAULT_PAIR: Final = ("greedy", "optimal")


def chosen_policies(values: list[str]) -> tuple[str, ...]:
    """The policies ticked, in the canonical order; unknown names are ignored."""
    picked = tuple(p for p in POLICIES if p in values)
    return picked or DEFAULT_PAIR


def chosen_envelope(value: str | None) -> UUID | None:
    """The envelope asked for, or None (the busiest); a mangled id is treated as none."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


@get("/committee/what-if", guards=[requires_role(CHAIR)])
async def what_if_page(
    request: Request[Any, Any, Any],
    pool: NamedDependency[asyncpg.Pool],
    settings: NamedDependency[Settings],
) -> Template:
    """Compare the ticked policies (default: greedy and optimal) on one envelope."""
    policies = chosen_policies(request.query_params.getall("policy", []))
    result = await what_if(
        pool, quorum=settings.policy.review_quorum,
        threshold_hundredths=settings.policy.funding_threshold_hundredths,
        envelope_id=chosen_envelope(request.query_params.get("envelope")), policies=policies,
    )  # fmt: skip
    if result is None and request.query_params.get("envelope"):
        raise NotFoundException
    funded = (
        {s.policy: {f.application_id: i for i, f in enumerate(s.funded, 1)}
         for s in result.selections} if result else {}
    )  # fmt: skip
    return page(
        "committee_what_if.html", result=result, policies=policies, all_policies=POLICIES,
        policy_labels=POLICY_LABELS, apart_labels=REASON_LABELS, funded=funded,
        **labels(request),
    )  # fmt: skip


ROUTES = [what_if_page]
