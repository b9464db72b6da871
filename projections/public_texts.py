"""The public title and summary of each file whose investor approved their publication.

A separate read model from ``public_grants`` on purpose: a row exists only for an approved file,
so a public page, ``ledger.json`` or the 360Giving export that finds none shows the neutral title
(sector and province, ``domain.publication.generic_title``). The texts are public only once the
file is funded: callers join them to funded grants, never list them on their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from domain.publication import generic_title, title_in
from projections.projection import Projection

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from uuid import UUID

    import asyncpg

    from service.store import LogNotification

DDL: Final = """
CREATE TABLE public_texts (
    application_id uuid PRIMARY KEY,
    title          text  NOT NULL,
    summary        text  NOT NULL,
    language       text  NOT NULL,
    titles         jsonb NOT NULL
);
"""
APPROVED: Final = """
INSERT INTO public_texts VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (application_id) DO NOTHING
"""
OF: Final = """
SELECT application_id, title, summary, language, titles FROM public_texts
WHERE application_id = any($1::uuid[])
"""


@dataclass(frozen=True, kw_only=True)
class PublicTexts:
    """The approved public title (``title`` in ``language``; ``titles`` by language, the original
    included) and summary of one file."""

    application_id: UUID
    title: str
    summary: str
    language: str
    titles: Mapping[str, str]

    def title_in(self, language: str) -> tuple[str, str]:
        """The title in ``language``, else the original; with the language of the text."""
        return title_in(self.titles, self.language, language)


@dataclass(frozen=True, kw_only=True)
class ShownTitle:
    """A grant's title as a page shows it: the text, its language, whether the investor approved
    it (False: the neutral sector-and-province title), and the approved summary ("" if none)."""

    text: str
    language: str
    approved: bool
    summary: str = ""
    summary_language: str = ""


async def of(pool: asyncpg.Pool, ids: Iterable[UUID]) -> dict[UUID, PublicTexts]:
    """The approved texts of these files, by file (a file without approval is absent)."""
    rows = await pool.fetch(OF, list(ids))
    return {r["application_id"]: PublicTexts(**{**dict(r), "titles": json.loads(r["titles"])})
            for r in rows}  # fmt: skip


def shown(found: PublicTexts | None, sector: str, province: str, language: str) -> ShownTitle:
    """What a public page in ``language`` calls the grant."""
    if found is None:
        return ShownTitle(text=generic_title(sector, province, language), language=language,
                          approved=False)  # fmt: skip
    text, used = found.title_in(language)
    return ShownTitle(text=text, language=used, approved=True, summary=found.summary,
                      summary_language=found.language)  # fmt: skip


async def _submitted(conn: asyncpg.Connection, e: Any, n: LogNotification) -> None:
    if getattr(e, "public_approved", False):
        await conn.execute(
            APPROVED, e.originator_id, e.public_title, e.public_summary, e.public_language,
            json.dumps(dict(e.public_titles or {}), ensure_ascii=False, sort_keys=True),
        )  # fmt: skip


PROJECTION: Final = Projection(
    name="public_texts",
    version=1,
    batched=True,  # its handlers only execute: a page sends each run of writes at once
    tables=("public_texts",),
    ddl=DDL,
    handlers={"grants.application:Submitted": _submitted},
)
