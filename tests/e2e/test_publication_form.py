"""The investor approves (or not) a public title and summary at submission, on the portal form
and over the API (issues 14 and 18); a wrong approval comes back with what was typed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from service import investors
from tests.e2e.api_support import (
    INVESTOR,
    Api,
    application_body,
    open_programme,
    people,
    with_documents,
)
from tests.e2e.test_portal import EN, apply, call_id, field_error, file_id, investor

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.accounts import User
    from service.store import EventStore

__all__ = ["call_id", "investor"]  # fixtures used by the tests below
PUBLIC = {
    "public_approved": "yes", "public_title": "  Centre de relation client à Skoura ",
    "public_language": "fr", "public_summary": "Un centre de 120 postes, bilingue.",
    "public_title_ar": "مركز لخدمة الزبناء في سكورة", "public_title_en": "",
}  # fmt: skip


async def test_the_form_says_what_is_published_and_records_the_approval(
    client: AsyncTestClient[Litestar], store: EventStore, investor: User, call_id: UUID
) -> None:
    form = await client.get("/my/applications/new", headers=EN)
    assert "no personal data" in form.text
    assert 'name="public_approved" value="yes"' in form.text
    assert '<option value="en" lang="en" selected>' in form.text  # the page's language first
    app_id = file_id(await apply(client, call_id, PUBLIC))
    app = await investors.own_application(store, investor_id=investor.id, application_id=app_id)
    assert app is not None
    publication = app.publication
    assert (publication.approved, publication.title) == (True, "Centre de relation client à Skoura")
    assert dict(publication.titles) == {"ar": PUBLIC["public_title_ar"], "fr": publication.title}


async def test_texts_without_the_approval_are_not_kept(
    client: AsyncTestClient[Litestar], store: EventStore, investor: User, call_id: UUID
) -> None:
    app_id = file_id(await apply(client, call_id, {**PUBLIC, "public_approved": ""}))
    app = await investors.own_application(store, investor_id=investor.id, application_id=app_id)
    assert app is not None
    assert (app.publication.approved, app.publication.title) == (False, "")


async def test_an_approval_without_a_title_comes_back_with_what_was_typed(
    client: AsyncTestClient[Litestar], investor: User, call_id: UUID
) -> None:
    response = await apply(client, call_id, {**PUBLIC, "public_title": " "}, headers=EN)
    assert response.status_code == 422
    assert field_error(response.text, "public_title") == (
        "Write the text to publish, or untick the approval below."
    )
    assert "Un centre de 120 postes, bilingue." in response.text
    assert 'name="public_approved" value="yes" checked' in response.text
    french = await apply(client, call_id, {**PUBLIC, "public_title": " "}, headers={
        "Accept-Language": "fr"})  # fmt: skip
    assert "Écrivez le texte à publier" in french.text


async def test_the_api_takes_the_public_texts_and_names_a_wrong_field(
    db: asyncpg.Pool, store: EventStore, client: AsyncTestClient[Litestar]
) -> None:
    users = await people(db)
    api = Api(client)
    world = await open_programme(api, db, store)
    await api.sign_in(INVESTOR)
    body: dict[str, Any] = application_body(world["call_id"])
    public = {"approved": True, "title": "Centre solaire", "summary": "Pompage solaire.",
              "language": "fr", "titles": {"en": "Solar centre"}}  # fmt: skip
    # Each submission to the call brings a draft with the call's mandatory documents.
    created = await api.post("/applications", await with_documents(api, body | {"public": public}))
    assert created.status_code == 201, created.text
    app = await investors.own_application(
        store, investor_id=users[INVESTOR].id, application_id=UUID(created.json()["application_id"])
    )
    assert app is not None
    assert dict(app.publication.titles) == {"fr": "Centre solaire", "en": "Solar centre"}
    blank = await api.post(
        "/applications", await with_documents(api, body | {"public": public | {"title": ""}})
    )
    assert (blank.status_code, blank.json()["field"]) == (422, "public_title")
    wrong = await api.post(
        "/applications", await with_documents(api, body | {"public": public | {"language": "es"}})
    )
    assert wrong.status_code == 422
    assert [e["field"] for e in wrong.json()["errors"]] == ["public.language"]
