"""The investor's dashboard applied a page at a time: one read and two writes per page.

The files a page touches are read with one statement and changed in memory event by event, as
the per-event ``UPDATE`` did (status moves as :data:`projections.status.SET_STATUS`, amounts
added, an amendment's new title and amount kept); every event but an empty amendment adds a
step to the file's timeline. The files are written back with one upsert and the steps with one
insert, each table's rows as one JSON parameter (:mod:`projections.page_sql`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from projections import page_sql
from projections.status import AMENDED, ASSIGNED, move

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from uuid import UUID

    import asyncpg

    from service.store import LogNotification

A: Final = "grants.application:"


def _none(e: Any) -> dict[str, Any]:
    return {}


def _zero(e: Any) -> int:
    return 0


@dataclass(frozen=True)
class Step:
    """What one kind of event does to a file: its timeline step, status, amounts."""

    kind: str
    status: str | None = None
    params: Callable[[Any], dict[str, Any]] = _none
    funded: Callable[[Any], int] = _zero
    disbursed: Callable[[Any], int] = _zero


STEPS: Final = {
    A + "Amended": Step("amended", AMENDED, lambda e: {"fields": sorted(e.changes)}),
    A + "DocumentAttached": Step("document_attached", None, lambda e: {"kind": e.kind}),
    A + "InformationReplied": Step(
        "information_replied", None, lambda e: {"documents": len(e.document_ids)}
    ),
    A + "Withdrawn": Step("withdrawn", "withdrawn"),
    A + "InformationRequested": Step(
        "information_requested", "information_requested", lambda e: {"question": e.question}
    ),
    A + "ScreenedOut": Step("screened_out", "screened_out", lambda e: {"reason": e.reason}),
    A + "ReviewerAssigned": Step("reviewer_assigned", ASSIGNED),
    A + "Reviewed": Step("reviewed"),
    A + "Funded": Step(
        "funded", "funded", lambda e: {"amount_centimes": e.amount_centimes},
        funded=lambda e: e.amount_centimes,
    ),
    A + "Rejected": Step("rejected", "rejected", lambda e: {"reason": e.reason}),
    A + "AgreementSigned": Step("agreement_signed", "agreement_signed"),
    A + "TrancheDisbursed": Step(
        "tranche_disbursed", None, lambda e: {"amount_centimes": e.amount_centimes},
        disbursed=lambda e: e.amount_centimes,
    ),
    A + "Cancelled": Step(
        "cancelled", "cancelled",
        lambda e: {"reason": e.reason, "released_centimes": e.released_centimes},
    ),
    A + "Completed": Step(
        "completed", "completed", lambda e: {"released_centimes": e.released_centimes}
    ),
}  # fmt: skip
TOPICS: Final = frozenset({A + "Submitted", *STEPS})

FILES: Final = {
    "application_id": "uuid", "investor_id": "uuid", "title": "text", "sector": "text",
    "province": "text", "requested_centimes": "bigint", "funded_centimes": "bigint",
    "disbursed_centimes": "bigint", "status": "text", "before_request": "text",
    "submitted_at": "timestamptz", "updated_at": "timestamptz",
}  # fmt: skip
TIMELINE: Final = {
    "application_id": "uuid", "version": "bigint", "kind": "text", "params": "jsonb",
    "occurred_at": "timestamptz",
}  # fmt: skip
LOAD_FILES: Final = (
    f"SELECT {', '.join(FILES)} FROM dashboard_files WHERE application_id = ANY($1::uuid[])"
)
UPSERT_FILES: Final = page_sql.insert("dashboard_files", FILES, "application_id", tuple(FILES)[1:])
#: Steps are only ever added; one that exists already is an error, as it was per event.
INSERT_STEPS: Final = page_sql.insert("dashboard_timeline", TIMELINE)

Row = dict[str, Any]


class Fold:
    """The files a page touches and the steps it adds, in event order."""

    def __init__(self, files: Sequence[asyncpg.Record]) -> None:
        self.files: dict[UUID, Row] = {r["application_id"]: dict(r) for r in files}
        self.touched: set[UUID] = set()
        self.steps: list[Row] = []

    def apply(self, topic: str, e: Any) -> None:
        """One event's effect on its file and timeline."""
        app = e.originator_id
        if topic == A + "Submitted":
            self.files[app] = {
                "application_id": app, "investor_id": e.investor_id, "title": e.title,
                "sector": e.sector, "province": e.province,
                "requested_centimes": e.requested_centimes, "funded_centimes": 0,
                "disbursed_centimes": 0, "status": "submitted", "before_request": "submitted",
                "submitted_at": e.timestamp, "updated_at": e.timestamp,
            }  # fmt: skip
            self.touched.add(app)
            self._step(e, "submitted", {"requested_centimes": e.requested_centimes})
            return
        step = STEPS[topic]
        row = self.files.get(app)
        if row is not None:  # as an UPDATE of a missing row: nothing (the step is still added)
            self._change(row, step, e)
            self.touched.add(app)
        if step.kind != "amended" or e.changes:  # an empty amendment moves the status only
            self._step(e, step.kind, step.params(e))

    @staticmethod
    def _change(row: Row, step: Step, e: Any) -> None:
        move(row, step.status)
        row["updated_at"] = e.timestamp
        row["funded_centimes"] += step.funded(e)
        row["disbursed_centimes"] += step.disbursed(e)
        changes = getattr(e, "changes", None) or {}
        if changes.get("title") is not None:
            row["title"] = changes["title"]
        if changes.get("requested_centimes") is not None:
            row["requested_centimes"] = changes["requested_centimes"]

    def _step(self, e: Any, kind: str, params: dict[str, Any]) -> None:
        self.steps.append({
            "application_id": e.originator_id, "version": e.originator_version, "kind": kind,
            "params": params, "occurred_at": e.timestamp,
        })  # fmt: skip


async def apply_page(
    conn: asyncpg.Connection, events: Sequence[tuple[Any, LogNotification]], *, settle: bool
) -> None:
    """Apply a page of the dashboard's events: one read, at most two writes."""
    apps = list({e.originator_id for e, _ in events})
    fold = Fold(await conn.fetch(LOAD_FILES, apps))
    for e, n in events:
        fold.apply(n.topic, e)
    if fold.touched:
        rows = [fold.files[a] for a in sorted(fold.touched)]
        await conn.execute(UPSERT_FILES, page_sql.rows_json(rows))
    if fold.steps:
        await conn.execute(INSERT_STEPS, page_sql.rows_json(fold.steps))
