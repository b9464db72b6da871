"""What a reviewer has beside the score form (issue 14): the call's rubric descriptors per
criterion in the page's language, and the file's documents under the download rules; and what the
chair and officers see of a declared conflict: the reviewer's reason."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from domain.rubric_levels import LEVEL_DESCRIPTORS
from service import applications as apps
from service import documents
from service.documents import Limits
from tests.e2e.conftest import csrf_of
from tests.e2e.test_assignments import _assign
from tests.e2e.test_committee import Programme, as_user, english, world
from tests.integration.projections.settle import catch_up

if TYPE_CHECKING:
    from uuid import UUID

    from litestar import Litestar
    from litestar.testing import AsyncTestClient

__all__ = ["english", "world"]  # fixtures used by the tests below
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LIMITS = Limits(each=1_048_576, total=10 * 1_048_576)


async def _with_plan(world: Programme) -> tuple[UUID, str]:
    app_id = await world.submit()
    info = await documents.attach_to_application(
        world.store, user=world.staff["investor"], application_id=app_id,
        kind="business_plan", content=PDF, limits=LIMITS,
    )  # fmt: skip
    return app_id, str(info.id)


async def test_the_score_form_shows_each_criteria_level_descriptors_in_the_page_language(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    await _assign(world, app_id)
    await catch_up(world.pool, world.store)
    await as_user(english, "r1@region.ma")
    for lang in ("en", "fr", "ar"):
        for url in (f"/committee/files/{app_id}/score", f"/committee/assignments?file={app_id}"):
            page = await english.get(url, headers={"Accept-Language": lang})
            assert page.status_code == 200, url
            hint = page.text.split('id="s-stable_jobs-hint"')[1].split("</ul>")[0]
            for level in ("0", "3", "5"):
                assert LEVEL_DESCRIPTORS["stable_jobs"][level][lang] in hint, (url, lang, level)
            assert "3: adequate" not in hint  # the generic scale gives way to the rubric's words
            other = "fr" if lang != "fr" else "en"
            assert LEVEL_DESCRIPTORS["business_plan"]["5"][other] not in page.text


async def test_the_score_page_lists_the_files_documents_for_the_assigned_reviewer_only(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id, doc = await _with_plan(world)
    await _assign(world, app_id, "r1")
    await _assign(world, app_id, "r2")
    await catch_up(world.pool, world.store)
    link = f'href="/applications/{app_id}/documents/{doc}"'
    await as_user(english, "r1@region.ma")
    for url in (f"/committee/files/{app_id}/score", f"/committee/assignments?file={app_id}"):
        page = await english.get(url)
        documents_part = page.text.split("data-documents")[1].split("</section>")[0]
        assert link in documents_part, url
    download = await english.get(f"/applications/{app_id}/documents/{doc}")
    assert (download.status_code, download.content) == (200, PDF)
    await as_user(english, "r2@region.ma")
    page = await english.get(f"/committee/files/{app_id}")
    await english.post(
        f"/committee/files/{app_id}/conflict",
        data={"reason": "Mon frère est associé", "confirm": "yes", "_csrf": csrf_of(page),
              "key": re.search(r'name="key" value="([0-9a-f]{32})"', page.text)[1]},  # type: ignore[index]
    )  # fmt: skip
    await catch_up(world.pool, world.store)
    assert (await english.get(f"/committee/files/{app_id}/score")).status_code == 404
    assert (await english.get(f"/applications/{app_id}/documents/{doc}")).status_code == 404
    assert link not in (await english.get(f"/committee/assignments?file={app_id}")).text
    await as_user(english, "r3@region.ma")  # never assigned
    assert (await english.get(f"/committee/files/{app_id}/score")).status_code == 404


async def test_chair_and_officer_read_the_reason_of_each_conflict(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id = await world.submit()
    for reviewer in ("r1", "r2"):
        await _assign(world, app_id, reviewer)
    await apps.declare_conflict(world.store, application_id=app_id,
                                reviewer_id=world.staff["r2"].id,
                                reason="Ancien associé du porteur de projet")  # fmt: skip
    await catch_up(world.pool, world.store)
    for who in ("chair@region.ma", "officer@region.ma"):
        await as_user(english, who)
        page = await english.get(f"/committee/files/{app_id}")
        reviews = page.text.split('id="reviews-caption"')[1].split("</table>")[0]
        assert "Ancien associé du porteur de projet" in reviews, who
        assert reviews.count("data-conflict-reason") == 1
    apart = page.text.split("data-conflicts")[1].split("</div>")[0]  # the officer's assign form
    assert "Ancien associé du porteur de projet" in apart
    await as_user(english, "r1@region.ma")
    assert "Ancien associé" not in (await english.get(f"/committee/files/{app_id}")).text


async def test_the_openapi_document_requires_a_conflicts_reason_and_a_public_approval(
    english: AsyncTestClient[Litestar],
) -> None:
    document = (await english.get("/schema/openapi.json")).json()
    operation = document["paths"]["/api/v1/applications/{application_id}/conflict"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ConflictIn"}
    schemas = document["components"]["schemas"]
    conflict = schemas["ConflictIn"]
    assert conflict["required"] == ["reason"]
    assert conflict["properties"]["reason"]["minLength"] == 1
    assert conflict["additionalProperties"] is False
    public = schemas["PublicIn"]
    assert public["required"] == ["approved"]
    assert set(public["properties"]) == {"approved", "title", "summary", "language", "titles"}
    assert "public" in schemas["ApplicationIn"]["properties"]


async def test_time_travel_lists_only_the_documents_attached_by_that_moment(
    english: AsyncTestClient[Litestar], world: Programme
) -> None:
    app_id, doc = await _with_plan(world)
    await catch_up(world.pool, world.store)
    await as_user(english, "chair@region.ma")
    page = await english.get(f"/committee/files/{app_id}/as-seen")
    options = dict(re.findall(r'<option value="(\d+)"[^>]*>[^<]*— ([^<]+)</option>', page.text))
    by_label = {label: at for at, label in options.items()}
    link = f'href="/applications/{app_id}/documents/{doc}"'
    for label, shown in (("Submitted", False), ("Document attached", True)):
        seen = await english.get(f"/committee/files/{app_id}/as-seen?at={by_label[label]}")
        part = seen.text.split("data-documents")[1].split("</div>")[0]
        assert (link in part) is shown, label
