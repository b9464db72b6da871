"""The review queue applied a page at a time: a few statements per page, whatever its size.

A page's events are folded in Python over the rows they touch (read with one statement per
table), then written back with one ``INSERT ... SELECT FROM json_to_recordset(...) ON CONFLICT``
per table (:mod:`projections.page_sql`): one round trip per table instead of one per event. :func:`settle` then stores what depends on
the whole queue (each file's review count, raw mean, reviewer-normalised score, whether it can be
funded now, its rank and place against the fundable line) with one ``UPDATE`` that rewrites only
the rows whose values changed, so the committee's pages read stored columns instead of computing
them per request. A rebuild skips the per-page settle and settles once before the swap.

The arithmetic is :mod:`projections.scoring`'s, in SQL; ``tests/integration/projections/
test_queue_page.py`` holds the stored columns to the Python functions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Final

from projections import page_sql
from projections.status import AMENDED, ASSIGNED, move

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    import asyncpg

    from service.store import LogNotification

A: Final = "grants.application:"
E: Final = "grants.envelope:"
#: Statuses each application event moves a file to (None: no change of status).
STATUS: Final[dict[str, str | None]] = {
    "Submitted": None, "Amended": AMENDED, "Withdrawn": "withdrawn",
    "InformationRequested": "information_requested", "ScreenedOut": "screened_out",
    "ReviewerAssigned": ASSIGNED, "ConflictDeclared": None, "Reviewed": None,
    "Funded": "funded", "Rejected": "rejected", "AgreementSigned": "agreement_signed",
    "TrancheDisbursed": None, "Cancelled": "cancelled", "Completed": "completed",
}  # fmt: skip
#: Envelope events and the sign of their effect on what remains to reserve.
ENVELOPE: Final = {"Opened": ("total_centimes", 1), "FundsReserved": ("amount_centimes", -1),
                   "FundsReleased": ("amount_centimes", 1)}  # fmt: skip
TOPICS: Final = frozenset({A + k for k in STATUS} | {E + k for k in ENVELOPE})
#: Events that cannot change any score, rank or the line: no settle needed for them.
NEUTRAL: Final = frozenset({A + "Submitted", A + "TrancheDisbursed"})
FACTS: Final = (
    "applicant_kind", "legal_form", "ice", "rc_court", "rc_number", "summary", "commune",
    "total_investment_centimes", "jobs", "jobs_women", "timeline_months",
)  # fmt: skip

FILE_COLUMNS: Final = (
    "application_id", "envelope_id", "call_id", "title", "company_name", "sector", "province",
    "requested_centimes", "status", "before_request", "submitted_at", "facts",
    "funded_centimes", "disbursed_centimes",
)  # fmt: skip
FILE_TYPES: Final = ("uuid", "uuid", "uuid", "text", "text", "text", "text", "bigint", "text",
                     "text", "timestamptz", "jsonb", "bigint", "bigint")  # fmt: skip
REVIEWER_COLUMNS: Final = ("application_id", "reviewer_id", "assigned", "conflicted",
                           "weighted_score", "revision", "scores", "comment")  # fmt: skip
REVIEWER_TYPES: Final = ("uuid", "uuid", "boolean", "boolean", "integer", "integer", "jsonb",
                         "text")  # fmt: skip


FILES: Final = dict(zip(FILE_COLUMNS, FILE_TYPES, strict=True))
REVIEWERS: Final = dict(zip(REVIEWER_COLUMNS, REVIEWER_TYPES, strict=True))
UPSERT_FILES: Final = page_sql.insert("review_files", FILES, "application_id", FILE_COLUMNS[1:])
UPSERT_REVIEWERS: Final = page_sql.insert(
    "review_reviewers", REVIEWERS, "application_id, reviewer_id", REVIEWER_COLUMNS[2:]
)
LOAD_FILES: Final = (
    f"SELECT {', '.join(FILE_COLUMNS)} FROM review_files WHERE application_id = ANY($1::uuid[])"
)
LOAD_REVIEWERS: Final = (
    f"SELECT {', '.join(REVIEWER_COLUMNS)} FROM review_reviewers "
    "WHERE application_id = ANY($1::uuid[])"
)
MOVE_ENVELOPES: Final = """
INSERT INTO review_envelopes (envelope_id, remaining_centimes)
SELECT * FROM unnest($1::uuid[], $2::bigint[])
ON CONFLICT (envelope_id) DO UPDATE
SET remaining_centimes = review_envelopes.remaining_centimes + excluded.remaining_centimes
"""
#: Scores, eligibility and the line for every file, written where they changed (see scoring.py).
SETTLE: Final = """
WITH policy AS (
    SELECT quorum, threshold_hundredths AS threshold FROM review_policy
), s AS (
    SELECT application_id, reviewer_id, weighted_score FROM review_reviewers
    WHERE weighted_score IS NOT NULL AND NOT conflicted
), by_reviewer AS (
    SELECT reviewer_id, avg(weighted_score)::float8 AS m,
           CASE WHEN count(*) > 1 THEN stddev_pop(weighted_score)::float8 ELSE 0 END AS sd
    FROM s GROUP BY reviewer_id
), overall AS (
    SELECT avg(weighted_score)::float8 AS m,
           CASE WHEN count(*) > 1 THEN stddev_pop(weighted_score)::float8 ELSE 0 END AS sd
    FROM s
), by_file AS (
    SELECT s.application_id, count(*) AS n, sum(s.weighted_score) AS total,
           avg(CASE WHEN r.sd > 0 THEN (s.weighted_score - r.m) / r.sd ELSE 0 END) AS z
    FROM s JOIN by_reviewer r USING (reviewer_id) GROUP BY s.application_id
), judged AS (
    SELECT f.application_id, f.envelope_id, f.requested_centimes,
           coalesce(p.n, 0)::int AS review_count,
           ((2 * p.total + p.n) / (2 * p.n))::int AS raw_score,
           round(o.m + p.z * o.sd)::int AS normalised_score,
           CASE WHEN f.status <> 'in_review' THEN NULL
                WHEN coalesce(p.n, 0) < pol.quorum THEN 'below_quorum'
                WHEN (2 * p.total + p.n) / (2 * p.n) < pol.threshold THEN 'below_threshold'
                ELSE 'fundable' END AS eligibility
    FROM review_files f LEFT JOIN by_file p USING (application_id)
    CROSS JOIN overall o CROSS JOIN policy pol
), line AS (
    -- uuid order is the order of their text (Python's tie-break) without a collation sort
    SELECT application_id, row_number() OVER w::int AS rank,
           (sum(requested_centimes) OVER w)::bigint AS cumulative
    FROM judged WHERE eligibility = 'fundable'
    WINDOW w AS (PARTITION BY envelope_id
                 ORDER BY raw_score DESC, requested_centimes, application_id)
), fresh AS (
    SELECT j.application_id, j.review_count, j.raw_score, j.normalised_score, j.eligibility,
           l.rank, l.cumulative,
           CASE WHEN l.rank IS NULL THEN NULL
                ELSE l.cumulative <= coalesce(e.remaining_centimes, 0) END AS above_line
    FROM judged j LEFT JOIN line l USING (application_id)
    LEFT JOIN review_envelopes e ON e.envelope_id = j.envelope_id
)
UPDATE review_files f
SET review_count = x.review_count, raw_score = x.raw_score,
    normalised_score = x.normalised_score, eligibility = x.eligibility, rank = x.rank,
    cumulative_requested_centimes = x.cumulative, above_line = x.above_line
FROM fresh x
WHERE f.application_id = x.application_id
  AND (f.review_count, f.raw_score, f.normalised_score, f.eligibility, f.rank,
       f.cumulative_requested_centimes, f.above_line)
      IS DISTINCT FROM (x.review_count, x.raw_score, x.normalised_score, x.eligibility,
                        x.rank, x.cumulative, x.above_line)
"""

Row = dict[str, Any]
#: Files a rebuild holds in memory (with their reviewers) before it lets them go (Resident).
RESIDENT_FILES: Final = 50_000
#: The event's kind (class name) per topic, computed once rather than per event.
KIND: Final = {topic: topic.rpartition(":")[2] for topic in TOPICS}


def submitted(e: Any) -> Row:
    """A new file's row."""
    return {
        "application_id": e.originator_id, "envelope_id": e.envelope_id, "call_id": e.call_id,
        "title": e.title, "company_name": e.company_name, "sector": e.sector,
        "province": e.province, "requested_centimes": e.requested_centimes,
        "status": "submitted", "before_request": "submitted", "submitted_at": e.timestamp,
        "facts": {k: getattr(e, k) for k in FACTS}, "funded_centimes": 0,
        "disbursed_centimes": 0,
    }  # fmt: skip


def reviewer(key: tuple[UUID, UUID]) -> Row:
    """A reviewer's row on a file before anything happened."""
    return {
        "application_id": key[0], "reviewer_id": key[1], "assigned": False,
        "conflicted": False, "weighted_score": None, "revision": None, "scores": None,
        "comment": None,
    }  # fmt: skip


class Fold:
    """The rows a page touches, read once, changed in memory by each event in order."""

    def __init__(self, files: dict[UUID, Row], reviewers: dict[tuple[UUID, UUID], Row]) -> None:
        self.files = files
        self.reviewers = reviewers
        self.touched_files: set[UUID] = set()
        self.touched_reviewers: set[tuple[UUID, UUID]] = set()
        self.envelopes: dict[UUID, int] = defaultdict(int)

    def apply(self, topic: str, e: Any) -> None:
        """One event's effect on the rows."""
        kind = KIND[topic]
        if kind in ENVELOPE and topic.startswith(E):
            field, sign = ENVELOPE[kind]
            self.envelopes[e.originator_id] += sign * getattr(e, field)
            return
        app = e.originator_id
        if kind == "Submitted":
            self.files[app] = submitted(e)
        row = self.files.get(app)
        if row is not None:  # as an UPDATE of a missing row, a file never submitted is skipped
            self.touched_files.add(app)
            move(row, STATUS[kind])
            _file_change(kind, row, e)
        if kind in ("ReviewerAssigned", "ConflictDeclared", "Reviewed"):
            self._reviewer(kind, (app, e.reviewer_id), e)

    def _reviewer(self, kind: str, key: tuple[UUID, UUID], e: Any) -> None:
        row = self.reviewers.setdefault(key, reviewer(key))
        self.touched_reviewers.add(key)
        if kind == "ConflictDeclared":
            row["conflicted"] = True
            return
        row["assigned"] = True
        if kind == "Reviewed":
            # As the SQL upsert's coalesce(new, old): a field the event leaves empty is kept.
            new = {"weighted_score": e.weighted_score, "revision": e.revision,
                   "scores": dict(e.scores), "comment": e.comment}  # fmt: skip
            row |= {k: v for k, v in new.items() if v is not None}


def _file_change(kind: str, row: Row, e: Any) -> None:
    if kind == "Amended":
        changes = e.changes
        if changes.get("title") is not None:
            row["title"] = changes["title"]
        if changes.get("requested_centimes") is not None:
            row["requested_centimes"] = changes["requested_centimes"]
        row["facts"] = {**row["facts"], **{k: v for k, v in changes.items() if k in FACTS}}
    elif kind == "Funded":
        row["funded_centimes"] += e.amount_centimes
    elif kind == "TrancheDisbursed":
        row["disbursed_centimes"] += e.amount_centimes


def _loaded(
    files: Sequence[asyncpg.Record], reviewers: Sequence[asyncpg.Record]
) -> tuple[dict[UUID, Row], dict[tuple[UUID, UUID], Row]]:
    """The rows read back from the tables, as the fold holds them."""
    return (
        {r["application_id"]: _file_row(r) for r in files},
        {(r["application_id"], r["reviewer_id"]): _reviewer_row(r) for r in reviewers},
    )


def _file_row(record: asyncpg.Record) -> Row:
    return {**record, "facts": json.loads(record["facts"])}


def _reviewer_row(record: asyncpg.Record) -> Row:
    scores = record["scores"]
    return {**record, "scores": json.loads(scores) if scores is not None else None}


async def apply_page(
    conn: asyncpg.Connection, events: Sequence[tuple[Any, LogNotification]], *, settle: bool
) -> None:
    """Apply a page of the queue's events: two reads, at most three writes, maybe a settle."""
    apps = list({e.originator_id for e, n in events if n.topic.startswith(A)})
    files, reviewers = _loaded(
        await conn.fetch(LOAD_FILES, apps), await conn.fetch(LOAD_REVIEWERS, apps)
    )
    fold = Fold(files, reviewers)
    for e, n in events:
        fold.apply(n.topic, e)
    await _write(conn, fold)
    if settle and any(n.topic not in NEUTRAL for _, n in events):
        await settle_queue(conn)


async def _write(conn: asyncpg.Connection, fold: Fold) -> None:
    """The page's changed rows, one statement per table."""
    if fold.touched_files:
        rows = [fold.files[a] for a in sorted(fold.touched_files)]
        await conn.execute(UPSERT_FILES, page_sql.rows_json(rows))
    if fold.touched_reviewers:
        rows = [fold.reviewers[k] for k in sorted(fold.touched_reviewers)]
        await conn.execute(UPSERT_REVIEWERS, page_sql.rows_json(rows))
    if fold.envelopes:
        ids = sorted(fold.envelopes)
        await conn.execute(MOVE_ENVELOPES, ids, [fold.envelopes[i] for i in ids])


#: A rebuild's rows changed again (files, reviewers) and envelopes' moves: one statement.
REWRITE_PAGE: Final = page_sql.together(
    UPSERT_FILES,
    page_sql.insert(
        "review_reviewers",
        REVIEWERS,
        "application_id, reviewer_id",
        REVIEWER_COLUMNS[2:],
        param=2,
    ),
    f"""INSERT INTO review_envelopes (envelope_id, remaining_centimes)
    SELECT envelope_id, remaining_centimes
    FROM {page_sql.recordset({"envelope_id": "uuid", "remaining_centimes": "bigint"}, 3)}
    ON CONFLICT (envelope_id) DO UPDATE
    SET remaining_centimes = review_envelopes.remaining_centimes + excluded.remaining_centimes""",
)
COPY_FILES: Final = page_sql.Copier("review_files", FILE_COLUMNS, json=("facts",))
COPY_REVIEWERS: Final = page_sql.Copier("review_reviewers", REVIEWER_COLUMNS, json=("scores",))


class Resident:
    """The queue's page handler for one rebuild: the rows stay in memory from page to page.

    A rebuild is the only writer of its scratch tables, so what it wrote is what it holds: a
    page reads nothing back, except the rows of files it let go. Rows new to the scratch
    tables go in with binary ``COPY`` (nothing for the server to parse or to look up), the
    few written before (a file whose events straddle two pages) with the upserts, and the
    envelopes' moves with them in one statement. No statement needs a transaction block
    around the page: a failed page fails the rebuild, whose scratch tables count only once
    swapped in.

    Past ``limit`` files it lets every row go (they are in the scratch tables) and remembers
    whose, to read those back when a later event touches them: memory stays bounded however
    long the log.
    """

    def __init__(self, limit: int = RESIDENT_FILES) -> None:
        self.limit = limit
        self.files: dict[UUID, Row] = {}
        self.reviewers: dict[tuple[UUID, UUID], Row] = {}
        #: Rows held that are in the scratch tables already (a row let go is there, too).
        self.stored_files: set[UUID] = set()
        self.stored_reviewers: set[tuple[UUID, UUID]] = set()
        self.let_go: set[UUID] = set()

    async def __call__(
        self,
        conn: asyncpg.Connection,
        events: Sequence[tuple[Any, LogNotification]],
        *,
        settle: bool,
    ) -> None:
        """Apply a page as :func:`apply_page` would, from the rows held."""
        if self.let_go:
            await self._take_back(conn, {e.originator_id for e, n in events
                                         if n.topic.startswith(A)})  # fmt: skip
        fold = Fold(self.files, self.reviewers)
        for e, n in events:
            fold.apply(n.topic, e)
        files = [a for a in fold.touched_files if a not in self.stored_files]
        reviewers = [k for k in fold.touched_reviewers if k not in self.stored_reviewers]
        await COPY_FILES.copy(conn, [self.files[a] for a in files])
        await COPY_REVIEWERS.copy(conn, [self.reviewers[k] for k in reviewers])
        self.stored_files.update(files)
        self.stored_reviewers.update(reviewers)
        fold.touched_files.difference_update(files)
        fold.touched_reviewers.difference_update(reviewers)
        if fold.touched_files or fold.touched_reviewers or fold.envelopes:
            # unsorted: no other writer to meet in lock order in a scratch table
            rows = page_sql.rows_json
            await conn.execute(
                REWRITE_PAGE,
                rows(self.files[a] for a in fold.touched_files),
                rows(self.reviewers[k] for k in fold.touched_reviewers),
                rows({"envelope_id": i, "remaining_centimes": d}
                     for i, d in fold.envelopes.items()),
            )  # fmt: skip
        if settle and any(n.topic not in NEUTRAL for _, n in events):
            await settle_queue(conn)
        if len(self.files) > self.limit:
            self.let_go.update(self.files)
            self.let_go.update(a for a, _ in self.reviewers)
            self.files.clear()
            self.reviewers.clear()
            self.stored_files.clear()  # the let-go ones are stored: taken back, they are again
            self.stored_reviewers.clear()

    async def _take_back(self, conn: asyncpg.Connection, apps: set[UUID]) -> None:
        back = [a for a in apps if a in self.let_go]
        if back:
            files, reviewers = _loaded(
                await conn.fetch(LOAD_FILES, back), await conn.fetch(LOAD_REVIEWERS, back)
            )
            self.files.update(files)
            self.reviewers.update(reviewers)
            self.stored_files.update(files)
            self.stored_reviewers.update(reviewers)
            self.let_go.difference_update(back)


async def settle_queue(conn: asyncpg.Connection) -> None:
    """Store every file's scores, eligibility and place against the line (changed rows only)."""
    await conn.execute(SETTLE)
