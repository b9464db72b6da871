"""Programme administration over HTTP: envelopes, calls, rubrics, accounts, projections."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import TYPE_CHECKING

import pytest

from projections.registry import ALL_PROJECTIONS
from projections.runner import ProjectionRunner
from service.store import EventStore
from tests.e2e.conftest import PASSWORD, csrf_of, log_in, make_user, post_form

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.accounts import User

COOKIE = "grants_session"
EN = {"Accept-Language": "en"}
SOME_ID = "00000000-0000-4000-8000-000000000001"
PAGES = ["/admin", "/admin/envelopes", "/admin/calls", "/admin/rubrics", "/admin/users",
         "/admin/projections"]  # fmt: skip
GETS = [*PAGES, f"/admin/envelopes/{SOME_ID}/close", f"/admin/calls/{SOME_ID}/close",
        f"/admin/rubrics/{SOME_ID}", f"/admin/rubrics/{SOME_ID}/publish",
        "/admin/projections/envelopes/rebuild"]  # fmt: skip
POSTS = ["/admin/envelopes", f"/admin/envelopes/{SOME_ID}/close", "/admin/calls",
         f"/admin/calls/{SOME_ID}/close", "/admin/rubrics", f"/admin/rubrics/{SOME_ID}",
         f"/admin/rubrics/{SOME_ID}/publish", "/admin/users", f"/admin/users/{SOME_ID}/active",
         f"/admin/users/{SOME_ID}/role", "/admin/projections/envelopes/rebuild"]  # fmt: skip


@pytest.fixture
async def store(db: asyncpg.Pool) -> AsyncIterator[EventStore]:
    store = EventStore(db)
    yield store
    await store.close()


@pytest.fixture
async def officer(client: AsyncTestClient[Litestar], db: asyncpg.Pool) -> User:
    user = await make_user(db, "officer@region.ma", "officer")
    assert (await log_in(client, user.email)).status_code == 303
    return user


async def settle(store: EventStore) -> None:
    """Wait while committed events sit behind a transaction still open on the (shared) server:
    readers stop at that fence by design, so "caught up" would otherwise mean "up to it"."""
    for _ in range(500):
        if not await store.held_back(None):
            return
        await asyncio.sleep(0.01)


async def catch_up(pool: asyncpg.Pool, store: EventStore) -> None:
    await settle(store)
    for projection in ALL_PROJECTIONS:
        await ProjectionRunner(pool, store, projection).catch_up()


async def post(
    client: AsyncTestClient[Litestar], path: str, data: dict[str, str]
) -> httpx.Response:
    """POST with the session's CSRF token: a signed-in page's header has a form (log out);
    a visitor's public pages carry none (they are cacheable), the log-in page does."""
    page = await client.get("/")
    token = csrf_of(page if 'name="_csrf"' in page.text else await client.get("/login"))
    return await client.post(path, data={**data, "_csrf": token}, headers=EN)


def error_next_to(response: httpx.Response, field: str, message: str) -> None:
    match = re.search(rf'<p class="error" id="f-{field}-error">([^<]+)</p>', response.text)
    assert match, f"no error next to {field}"
    assert match[1] == message


async def test_every_admin_page_opens_for_an_officer(
    client: AsyncTestClient[Litestar], officer: User
) -> None:
    for path in PAGES:
        response = await client.get(path, headers=EN)
        assert response.status_code == 200, path
        assert re.search(
            r'<a href="/admin"( aria-current="page")?>Administration</a>', response.text
        )
    arabic = await client.get("/admin/envelopes")  # Arabic by default
    assert '<html lang="ar" dir="rtl">' in arabic.text
    assert "<h1>الأغلفة المالية</h1>" in arabic.text
    assert (
        '<a href="/admin" aria-current="page">الإدارة</a>' in arabic.text
    )  # the section we are in


async def test_a_visitor_is_sent_to_log_in_everywhere(client: AsyncTestClient[Litestar]) -> None:
    for path in GETS:
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=/admin")
    for path in POSTS:
        response = await post(client, path, {})
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=/admin")


@pytest.mark.parametrize("role", ["investor", "reviewer", "chair"])
async def test_other_roles_are_refused_everywhere(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, role: str
) -> None:
    user = await make_user(db, f"{role}@region.ma", role)
    await log_in(client, user.email)
    home = await client.get("/", headers=EN)
    assert 'href="/admin"' not in home.text
    for path in GETS:
        assert (await client.get(path)).status_code == 403, path
    for path in POSTS:
        response = await post(client, path, {"active": "0", "role": "officer", "name": "x"})
        assert response.status_code == 403, path
    assert await db.fetchval("SELECT count(*) FROM events") == 0
    assert await db.fetchval("SELECT count(*) FROM users WHERE role = 'officer'") == 0


# Envelopes


async def test_an_envelope_opened_appears_with_its_amounts(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool, store: EventStore
) -> None:
    response = await post(
        client, "/admin/envelopes", {"name": "Tranche 2027", "total": "٢٥٠٠٠٠٠٠٫٥"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/envelopes?done=envelope_opened"
    await catch_up(db, store)
    english = await client.get("/admin/envelopes?done=envelope_opened", headers=EN)
    assert "It appears in the list within a few seconds." in english.text
    assert "Tranche 2027" in english.text
    assert english.text.count("25,000,000.50\xa0MAD") == 2  # total and remaining
    assert "0.00\xa0MAD" in english.text
    french = await client.get("/admin/envelopes", headers={"Accept-Language": "fr"})
    assert "25\u202f000\u202f000,50\xa0MAD" in french.text


async def test_an_envelope_form_submitted_twice_opens_one(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool
) -> None:
    form = {"name": "Once", "total": "1000", "key": "same-key"}
    for _ in range(2):
        assert (await post(client, "/admin/envelopes", form)).status_code == 303
    assert await db.fetchval("SELECT count(DISTINCT originator_id) FROM events") == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "total": "1000"}, "name", "This field is required."),
        ({"name": "X", "total": ""}, "total", "This field is required."),
        ({"name": "X", "total": "12,34,5"}, "total",
         "Enter an amount in MAD, for example 1 500 000 or 1 500 000,50."),
        ({"name": "X", "total": "0"}, "total", "Enter an amount greater than zero."),
    ],
)  # fmt: skip
async def test_envelope_form_errors_are_shown_next_to_the_field(
    client: AsyncTestClient[Litestar],
    officer: User,
    db: asyncpg.Pool,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = await post(client, "/admin/envelopes", data)
    assert response.status_code == 422
    error_next_to(response, field, message)
    assert f'value="{data["total"]}"' in response.text
    assert await db.fetchval("SELECT count(*) FROM events") == 0


async def test_closing_an_envelope_asks_first_then_closes(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool, store: EventStore
) -> None:
    envelope_id = await open_envelope(client, db, store)
    confirm = await client.get(f"/admin/envelopes/{envelope_id}/close", headers=EN)
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.text
    response = await post(client, f"/admin/envelopes/{envelope_id}/close", {})
    assert response.status_code == 303
    await catch_up(db, store)
    listing = await client.get("/admin/envelopes", headers=EN)
    assert "Closed on" in listing.text
    assert f"/admin/envelopes/{envelope_id}/close" not in listing.text


async def test_closing_an_unknown_envelope_is_not_found(
    client: AsyncTestClient[Litestar], officer: User
) -> None:
    assert (await client.get(f"/admin/envelopes/{SOME_ID}/close")).status_code == 404
    assert (await post(client, f"/admin/envelopes/{SOME_ID}/close", {})).status_code == 404


async def open_envelope(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, name: str = "E"
) -> uuid.UUID:
    await post(client, "/admin/envelopes", {"name": name, "total": "50 000 000"})
    await catch_up(db, store)
    return await db.fetchval("SELECT envelope_id FROM envelope_status WHERE name = $1", name)


# Calls

CALL = {"title": "Appel 2027", "min_request": "100 000", "max_request": "5.000.000",
        "opens_on": "2026-01-01", "closes_on": ""}  # fmt: skip


async def test_a_call_opened_appears_with_its_status(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool, store: EventStore
) -> None:
    envelope_id = await open_envelope(client, db, store)
    form = await client.get("/admin/calls", headers=EN)
    assert 'name="sectors" value="offshoring"' in form.text
    token = csrf_of(form)
    data = [*CALL.items(), ("envelope_id", str(envelope_id)), ("sectors", "offshoring"),
            ("sectors", "tourism"), ("provinces", "zagora"), ("_csrf", token)]  # fmt: skip
    response = await client.post("/admin/calls", content=_urlencode(data), headers=FORM)
    assert response.status_code == 303
    await catch_up(db, store)
    row = await db.fetchrow("SELECT * FROM programme_calls")
    assert (row["eligible_sectors"], row["eligible_provinces"]) == (
        ["offshoring", "tourism"],
        ["zagora"],
    )
    assert (row["min_request_centimes"], row["max_request_centimes"]) == (10_000_000, 500_000_000)
    listing = await client.get("/admin/calls", headers=EN)
    assert "Appel 2027" in listing.text
    assert '<span class="status status-open">Open</span>' in listing.text
    assert "100,000.00\xa0MAD – 5,000,000.00\xa0MAD" in listing.text
    upcoming = {**CALL, "title": "Later", "opens_on": "2099-01-01", "envelope_id": str(envelope_id)}
    assert (await post(client, "/admin/calls", upcoming)).status_code == 303
    await catch_up(db, store)
    assert "Upcoming" in (await client.get("/admin/calls", headers=EN)).text


FORM = {"Content-Type": "application/x-www-form-urlencoded", **EN}


def _urlencode(pairs: list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(pairs).encode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"min_request": "abc"}, "min_request",
         "Enter an amount in MAD, for example 1 500 000 or 1 500 000,50."),
        ({"max_request": "50"}, "max_request", "The maximum must not be below the minimum."),
        ({"closes_on": "2025-12-01"}, "closes_on",
         "The closing date must be after the opening date."),
        ({"opens_on": "01/02/2026"}, "opens_on", "Enter a date as YYYY-MM-DD."),
        ({"envelope_id": ""}, "envelope_id", "This field is required."),
        ({"envelope_id": SOME_ID}, "envelope_id", "Choose from the list."),
    ],
)  # fmt: skip
async def test_call_form_errors_are_shown_next_to_the_field(
    client: AsyncTestClient[Litestar],
    officer: User,
    db: asyncpg.Pool,
    store: EventStore,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    envelope_id = await open_envelope(client, db, store)
    data = {**CALL, "envelope_id": str(envelope_id), **changes}
    response = await post(client, "/admin/calls", data)
    assert response.status_code == 422
    error_next_to(response, field, message)
    assert 'value="Appel 2027"' in response.text or changes.get("title") == ""
    assert await db.fetchval("SELECT count(*) FROM events WHERE topic LIKE 'grants.call%'") == 0


async def test_a_call_on_a_closed_envelope_is_refused_in_words(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool, store: EventStore
) -> None:
    envelope_id = await open_envelope(client, db, store)
    await post(client, f"/admin/envelopes/{envelope_id}/close", {})
    data = {**CALL, "envelope_id": str(envelope_id), "sectors": "tourism"}
    response = await post(client, "/admin/calls", data)
    assert response.status_code == 422
    error_next_to(response, "envelope_id", "This envelope is closed; choose an open one.")
    assert 'value="tourism" checked' in response.text


async def test_closing_a_call(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool, store: EventStore
) -> None:
    envelope_id = await open_envelope(client, db, store)
    await post(client, "/admin/calls", {**CALL, "envelope_id": str(envelope_id)})
    await catch_up(db, store)
    call_id = await db.fetchval("SELECT call_id FROM programme_calls")
    assert (await client.get(f"/admin/calls/{call_id}/close")).status_code == 200
    assert (await post(client, f"/admin/calls/{call_id}/close", {})).status_code == 303
    await catch_up(db, store)
    listing = await client.get("/admin/calls", headers=EN)
    assert '<span class="status status-closed">Closed</span>' in listing.text


# Rubrics


async def draft(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore
) -> uuid.UUID:
    assert (await post(client, "/admin/rubrics", {})).status_code == 303
    await catch_up(db, store)
    return await db.fetchval(
        "SELECT rubric_id FROM programme_rubrics ORDER BY rubric_version DESC LIMIT 1"
    )


def weights(values: list[int]) -> dict[str, str]:
    keys = ["stable_jobs", "women_share", "province_category", "priority_sector",
            "sustainability", "local_integration", "export_share", "business_plan"]  # fmt: skip
    return {f"weight-{k}": str(v) for k, v in zip(keys, values, strict=True)}


async def test_publishing_is_refused_until_the_weights_sum_to_100(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool, store: EventStore
) -> None:
    rubric_id = await draft(client, db, store)
    page = await client.get(f"/admin/rubrics/{rubric_id}", headers=EN)
    assert "Draft: the weights can still be changed." in page.text
    assert "data-weights-total" in page.text
    assert (
        await post(client, f"/admin/rubrics/{rubric_id}", weights([20, 10, 10, 15, 10, 10, 10, 5]))
    ).status_code == 303
    await catch_up(db, store)
    shown = await client.get(f"/admin/rubrics/{rubric_id}", headers=EN)
    assert re.search(r"data-weights-total[^>]*>90<", shown.text)
    refused = await post(client, f"/admin/rubrics/{rubric_id}/publish", {})
    assert refused.status_code == 422
    assert "The weights add up to 90; they must add up to 100 to publish." in refused.text
    confirm = await client.get(f"/admin/rubrics/{rubric_id}/publish", headers=EN)
    assert "The weights add up to 90" in confirm.text
    await post(client, f"/admin/rubrics/{rubric_id}", weights([30, 10, 10, 15, 10, 10, 10, 5]))
    published = await post(client, f"/admin/rubrics/{rubric_id}/publish", {})
    assert published.status_code == 303
    await catch_up(db, store)
    frozen = await client.get(f"/admin/rubrics/{rubric_id}", headers=EN)
    assert "This version can no longer be changed." in frozen.text
    assert "data-weights" not in frozen.text
    again = await post(client, f"/admin/rubrics/{rubric_id}", weights([100, 1, 1, 1, 1, 1, 1, 1]))
    assert again.status_code == 409
    assert "This version is published and can no longer be changed." in again.text
    listing = await client.get("/admin/rubrics", headers=EN)
    assert "Published on" in listing.text


async def test_a_new_version_starts_from_the_latest(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool, store: EventStore
) -> None:
    first = await draft(client, db, store)
    await post(client, f"/admin/rubrics/{first}", weights([30, 10, 10, 15, 10, 10, 10, 5]))
    await catch_up(db, store)
    second = await draft(client, db, store)
    rows = await db.fetch("SELECT rubric_version, criteria FROM programme_rubrics ORDER BY 1")
    assert [r["rubric_version"] for r in rows] == [1, 2]
    assert rows[0]["criteria"] == rows[1]["criteria"]
    assert '"weight": 30' in rows[1]["criteria"]
    assert second != first
    listing = await client.get("/admin/rubrics", headers=EN)
    assert listing.text.count("Draft</td>") == 2


async def test_bad_weights_are_shown_next_to_the_field(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool, store: EventStore
) -> None:
    rubric_id = await draft(client, db, store)
    data = {**weights([25, 10, 10, 15, 10, 10, 10, 10]), "weight-women_share": "x",
            "weight-export_share": "0", "weight-business_plan": "١٠"}  # fmt: skip
    response = await post(client, f"/admin/rubrics/{rubric_id}", data)
    assert response.status_code == 422
    message = "Each weight must be a whole number greater than zero."
    error_next_to(response, "weight-women_share", message)
    error_next_to(response, "weight-export_share", message)
    assert 'value="١٠"' in response.text
    assert await db.fetchval("SELECT count(*) FROM events WHERE topic LIKE '%Revised'") == 0


# Accounts


async def switch_to(client: AsyncTestClient[Litestar], email: str) -> httpx.Response:
    """Log out whoever is signed in and log ``email`` in on the same client."""
    if COOKIE in client.cookies:
        await post_form(client, "/logout", {}, page="/")
    client.cookies.clear()
    return await log_in(client, email)


async def test_an_officer_creates_a_staff_account_who_sets_a_password(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool
) -> None:
    data = {"display_name": "Karim Reviewer", "email": "Karim@Region.ma", "role": "chair"}
    response = await post(client, "/admin/users", data)
    assert response.status_code == 303
    listing = await client.get("/admin/users?done=user_created", headers=EN)
    assert "karim@region.ma" in listing.text
    assert "Committee chair" in listing.text
    body = await db.fetchval("SELECT body FROM mail_outbox WHERE recipient = 'karim@region.ma'")
    token = re.search(r"/password/reset\?token=([\w-]+)", body)
    assert token
    assert "Karim Reviewer" in body
    assert (await switch_to(client, "karim@region.ma")).status_code == 422  # no password yet
    reset = await post_form(
        client, "/password/reset",
        {"token": token[1], "password": PASSWORD, "password_confirm": PASSWORD},
        page=f"/password/reset?token={token[1]}",
    )  # fmt: skip
    assert reset.status_code == 200
    assert (await log_in(client, "karim@region.ma")).status_code == 303
    assert (await client.get("/admin")).status_code == 403  # a chair, not an officer


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": "A", "email": "nope", "role": "reviewer"}, "email",
         "Enter a valid e-mail address."),
        ({"display_name": "", "email": "a@b.ma", "role": "reviewer"}, "display_name",
         "This field is required."),
        ({"display_name": "A", "email": "officer@region.ma", "role": "reviewer"}, "email",
         "An account already uses this e-mail address."),
        ({"display_name": "A", "email": "a@b.ma", "role": "investor"}, "role",
         "Choose a staff role: reviewer, committee chair or programme officer."),
    ],
)  # fmt: skip
async def test_staff_account_errors_are_shown_next_to_the_field(
    client: AsyncTestClient[Litestar],
    officer: User,
    db: asyncpg.Pool,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = await post(client, "/admin/users", data)
    assert response.status_code == 422
    error_next_to(response, field, message)
    assert await db.fetchval("SELECT count(*) FROM users") == 1
    assert await db.fetchval("SELECT count(*) FROM mail_outbox") == 0


async def test_disabling_ends_the_live_session_and_blocks_login(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    reviewer = await make_user(db, "reviewer@region.ma", "reviewer")
    officer = await make_user(db, "officer@region.ma", "officer")
    await log_in(client, reviewer.email)
    reviewer_cookie = client.cookies[COOKIE]
    client.cookies.clear()
    await log_in(client, officer.email)
    officer_cookie = client.cookies[COOKIE]
    unconfirmed = await post(client, f"/admin/users/{reviewer.id}/active", {"active": "0"})
    assert unconfirmed.status_code == 422  # disabling asks for the ticked confirmation
    assert not await db.fetchval("SELECT disabled FROM users WHERE id = $1", reviewer.id)
    response = await post(
        client, f"/admin/users/{reviewer.id}/active", {"active": "0", "confirm": "yes"}
    )
    assert response.status_code == 303
    assert (
        await db.fetchval("SELECT count(*) FROM web_sessions WHERE user_id = $1", reviewer.id) == 0
    )
    client.cookies.clear()
    client.cookies.set(COOKIE, reviewer_cookie, domain="testserver.local")
    assert (await client.get("/account/password")).status_code == 303  # anonymous now
    assert (await switch_to(client, reviewer.email)).status_code == 422
    client.cookies.clear()
    client.cookies.set(COOKIE, officer_cookie, domain="testserver.local")
    assert "Disabled" in (await client.get("/admin/users", headers=EN)).text
    assert (
        await post(client, f"/admin/users/{reviewer.id}/active", {"active": "1"})
    ).status_code == 303
    assert (await switch_to(client, reviewer.email)).status_code == 303


async def test_a_role_change_ends_the_sessions(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    reviewer = await make_user(db, "reviewer@region.ma", "reviewer")
    officer = await make_user(db, "officer@region.ma", "officer")
    await log_in(client, reviewer.email)
    reviewer_cookie = client.cookies[COOKIE]
    client.cookies.clear()
    await log_in(client, officer.email)
    response = await post(client, f"/admin/users/{reviewer.id}/role", {"role": "officer"})
    assert response.status_code == 303
    assert await db.fetchval("SELECT role FROM users WHERE id = $1", reviewer.id) == "officer"
    client.cookies.clear()
    client.cookies.set(COOKIE, reviewer_cookie, domain="testserver.local")
    assert (await client.get("/admin")).status_code == 303  # the old session is gone
    assert (await log_in(client, reviewer.email)).status_code == 303
    assert (await client.get("/admin")).status_code == 200  # promoted


async def test_an_officer_cannot_lock_themself_out(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool
) -> None:
    message = "You cannot disable your own account or change your own role."
    for path, data in ((f"/admin/users/{officer.id}/active", {"active": "0", "confirm": "yes"}),
                       (f"/admin/users/{officer.id}/role", {"role": "reviewer"})):  # fmt: skip
        response = await post(client, path, data)
        assert response.status_code == 409
        assert message in response.text
    row = await db.fetchrow("SELECT role, disabled FROM users WHERE id = $1", officer.id)
    assert (row["role"], row["disabled"]) == ("officer", False)
    assert (await client.get("/admin")).status_code == 200


async def test_investors_keep_their_role_and_unknown_accounts_are_not_found(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool
) -> None:
    investor = await make_user(db, "investor@region.ma", "investor")
    response = await post(client, f"/admin/users/{investor.id}/role", {"role": "chair"})
    assert response.status_code == 422
    assert await db.fetchval("SELECT role FROM users WHERE id = $1", investor.id) == "investor"
    assert (
        await post(client, f"/admin/users/{SOME_ID}/active", {"active": "0", "confirm": "yes"})
    ).status_code == 404
    assert (
        await post(client, f"/admin/users/{SOME_ID}/role", {"role": "chair"})
    ).status_code == 404


# Projections


async def test_the_projection_page_shows_each_projection_and_rebuilds_one(
    client: AsyncTestClient[Litestar], officer: User, db: asyncpg.Pool, store: EventStore
) -> None:
    await post(client, "/admin/envelopes", {"name": "E", "total": "1000"})
    before = await client.get("/admin/projections", headers=EN)
    for projection in ALL_PROJECTIONS:
        assert f'<th scope="row">{projection.name}</th>' in before.text
    rows = re.findall(r'<th scope="row">(\w+)</th>(.*?)</tr>', before.text, re.DOTALL)
    cells = {name: re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL) for name, row in rows}
    assert {name: c[2] for name, c in cells.items()} == {p.name: "1" for p in ALL_PROJECTIONS}
    assert (await client.get("/admin/projections/envelopes/rebuild")).status_code == 200
    await settle(store)
    response = await post(client, "/admin/projections/envelopes/rebuild", {})
    assert response.status_code == 303
    assert await db.fetchval("SELECT name FROM envelope_status") == "E"
    row = await db.fetchrow(
        "SELECT applied, error FROM projection_tracking WHERE name = 'envelopes'"
    )
    assert (row["applied"], row["error"]) == (1, None)
    after = await client.get("/admin/projections?done=rebuilt", headers=EN)
    assert "The projection was rebuilt from the event log." in after.text
    assert (await client.get("/admin/projections/nope/rebuild")).status_code == 404
    assert (await post(client, "/admin/projections/nope/rebuild", {})).status_code == 404
