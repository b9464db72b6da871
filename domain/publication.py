"""What of a project the public may read: a public title and summary the investor writes and
approves at submission (issue 14), the title perhaps in the three languages (issue 18).

The application's own title and summary are written for the committee and may hold anything; the
public ones are separate texts the investor writes for publication, on a form that says they must
hold no personal data. Without the investor's approval (and for every file submitted before it was
asked), public pages name a grant only by its sector and province.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from domain.call_texts import text_in
from domain.errors import InvalidValueError
from domain.reference import LANGUAGES, province, sector

MAX_PUBLIC_TITLE: Final = 200
MAX_PUBLIC_SUMMARY: Final = 1000


@dataclass(frozen=True, kw_only=True)
class Publication:
    """The investor's approval and the texts approved: ``title`` in ``language``, the same title
    in other languages in ``titles`` (optional), and ``summary``."""

    approved: bool = False
    title: str = ""
    summary: str = ""
    language: str = ""
    titles: Mapping[str, str] = field(default_factory=dict)

    def as_facts(self) -> dict[str, Any]:
        """The ``Submitted`` event's fields (all of them: eventsourcing's constructor ignores
        keyword defaults); check first, so that nothing is kept of texts not approved."""
        facts = asdict(self)
        return {f"public_{k}": dict(v) if k == "titles" else v for k, v in facts.items()}


def check_publication(publication: Publication) -> Publication:
    """Refuse an approval without texts, too-long texts and unknown languages; return the
    publication with its texts trimmed (and empty when not approved)."""
    if not publication.approved:
        return Publication()
    title, summary = publication.title.strip(), publication.summary.strip()
    if not title or len(title) > MAX_PUBLIC_TITLE:
        raise InvalidValueError("public_title", title, f"1 to {MAX_PUBLIC_TITLE} characters")
    if not summary or len(summary) > MAX_PUBLIC_SUMMARY:
        raise InvalidValueError("public_summary", "", f"1 to {MAX_PUBLIC_SUMMARY} characters")
    if publication.language not in LANGUAGES:
        raise InvalidValueError("public_language", publication.language, f"one of {LANGUAGES}")
    titles = {k: v.strip() for k, v in publication.titles.items() if v.strip()}
    unknown = sorted(set(titles) - set(LANGUAGES))
    if unknown:
        raise InvalidValueError("public_titles", unknown, f"languages are {LANGUAGES}")
    if any(len(v) > MAX_PUBLIC_TITLE for v in titles.values()):
        raise InvalidValueError("public_titles", "", f"at most {MAX_PUBLIC_TITLE} characters")
    titles[publication.language] = title  # the original is its own language's title
    return Publication(approved=True, title=title, summary=summary,
                       language=publication.language, titles=titles)  # fmt: skip


def generic_title(sector_key: str, province_key: str, language: str) -> str:
    """The neutral title of a grant whose investor approved no public title."""
    return (
        f"{sector(sector_key).labels.get(language)} — {province(province_key).labels.get(language)}"
    )


def title_in(titles: Mapping[str, str], original_language: str, language: str) -> tuple[str, str]:
    """The public title in ``language`` if there is one, else the original: with the language
    of the text actually given, so that a page marks it with ``lang``."""
    if titles.get(language, "").strip():
        return titles[language], language
    return text_in(titles, original_language)
