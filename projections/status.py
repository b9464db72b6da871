"""An application's status as the read models follow it, mirroring ``GrantApplication``.

Handlers pass a status, or one of two markers for the transitions that depend on the current
status: an amendment returns the file to where it stood before information was requested, and a
reviewer assignment moves only a just-submitted file into review.
"""

from __future__ import annotations

from typing import Any, Final

AMENDED: Final = "__amended__"
ASSIGNED: Final = "__assigned__"

#: ``SET`` clauses for a table with ``status`` and ``before_request`` columns; ``$2`` is the
#: new status, a marker, or NULL for no change. Both read the old values (SQL semantics).
SET_STATUS: Final = """
    before_request = CASE WHEN $2::text = 'information_requested' THEN status
                          ELSE before_request END,
    status = CASE
        WHEN $2::text = '__amended__' THEN before_request
        WHEN $2::text = '__assigned__' THEN
            CASE WHEN status = 'submitted' THEN 'in_review' ELSE status END
        ELSE coalesce($2::text, status) END
"""


def move(row: dict[str, Any], new: str | None) -> None:
    """Change a row's ``status`` and ``before_request`` in place as :data:`SET_STATUS` does."""
    old, before = row["status"], row["before_request"]
    if new == "information_requested":
        row["before_request"] = old
    if new == AMENDED:
        row["status"] = before
    elif new == ASSIGNED:
        row["status"] = "in_review" if old == "submitted" else old
    elif new is not None:
        row["status"] = new


#: The review queue's stages: the committee's view of a file's status.
STAGES: Final = {
    "submitted": "submitted",
    "information_requested": "screening",
    "in_review": "in_review",
    "funded": "decided",
    "rejected": "decided",
    "screened_out": "decided",
    "agreement_signed": "decided",
    "cancelled": "decided",
    "completed": "decided",
    "withdrawn": "withdrawn",
}
