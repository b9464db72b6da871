"""The public transparency site over HTTP: pages in three languages, filters and stable pages,
caching by the ledger head, the verify page, the live stream, open data and the erase page."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn

from tests.e2e.conftest import csrf_of, log_in, make_user
from tests.e2e.public_support import MAD, SOLE_TRADER_NAME, catch_up_all, programme
from web.app import create_app

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings
    from service.store import EventStore
    from tests.e2e.public_support import Programme

HTML_TAG = re.compile(r'<html lang="(\w+)" dir="(\w+)">')
ROWS = re.compile(r'<a href="/ledger/grants/')
WORDS = {
    "ar": ("السجل العمومي", "مقاول ذاتي، زاكورة"),
    "fr": ("Registre public", "Entrepreneur individuel, Zagora"),
    "en": ("Public ledger", "Individual entrepreneur, Zagora"),
}


@pytest.fixture
async def funded(db: asyncpg.Pool, store: EventStore) -> Programme:
    return await programme(db, store)


def pages_of(p: Programme) -> list[str]:
    return ["/", "/ledger", f"/ledger/grants/{p.sole}", "/statistics", "/verify", "/privacy"]


@pytest.mark.parametrize("lang", ["ar", "fr", "en"])
async def test_public_pages_render_in_each_language_without_a_session(
    client: AsyncTestClient[Litestar], funded: Programme, lang: str
) -> None:
    for path in pages_of(funded):
        response = await client.get(path, params={"lang": lang})
        assert response.status_code == 200, path
        assert HTML_TAG.search(response.text).groups() == (lang, "rtl" if lang == "ar" else "ltr")
        assert "set-cookie" not in response.headers, f"{path} opened a session for a visitor"
        assert 'name="_csrf"' not in response.text, path
        assert SOLE_TRADER_NAME not in response.text
        assert f'href="/ledger?lang={lang}"' in response.text, "links keep the chosen language"
    ledger = await client.get("/ledger", params={"lang": lang})
    title, sole = WORDS[lang]
    assert title in ledger.text
    assert sole in ledger.text


async def test_home_shows_the_envelope_from_the_read_model(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    page = (await client.get("/", params={"lang": "en"})).text
    # 20 M total; committed = company 2 M + sole 1 M + late 0.8 M (tourism cancelled, released)
    assert "20,000,000.00\xa0MAD" in page
    assert "3,800,000.00\xa0MAD" in page  # committed
    assert "750,000.00\xa0MAD" in page  # disbursed
    assert "16,200,000.00\xa0MAD" in page  # remaining
    assert '<progress id="envelope-progress" max="2000000000" value="380000000"' in page
    assert "19% of the envelope is committed" in page


async def test_ledger_is_newest_first_and_filters(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    everything = (await client.get("/ledger", params={"lang": "en"})).text
    seqs = [int(s) for s in re.findall(r"<tr>\s*<td[^>]*>(\d+)</td>", everything)]
    assert seqs == sorted(seqs, reverse=True)
    assert len(seqs) == 8
    zagora = (await client.get("/ledger", params={"lang": "en", "province": "zagora"})).text
    assert len(ROWS.findall(zagora)) == 1
    assert "Individual entrepreneur, Zagora" in zagora
    tourism = (await client.get("/ledger", params={"lang": "en", "sector": "tourism"})).text
    assert len(ROWS.findall(tourism)) == 2
    assert "Grant cancelled" in tourism
    later = (await client.get("/ledger", params={"lang": "en", "year": "2025"})).text
    assert len(ROWS.findall(later)) == 1
    assert "Draa Solar SARL" in later
    found = (await client.get("/ledger", params={"lang": "en", "q": "erg chebbi"})).text
    assert len(ROWS.findall(found)) == 2
    nothing = (await client.get("/ledger", params={"lang": "en", "q": "%"})).text
    assert "No entry matches these filters." in nothing, "LIKE wildcards are searched literally"


async def test_the_count_and_years_follow_each_new_entry(
    client: AsyncTestClient[Litestar], funded: Programme, db: asyncpg.Pool, store: EventStore
) -> None:
    """Counts and years are kept per ledger head: a new entry shows at once, in every filter."""
    years = re.compile(r'<option value="(\d{4})"')
    before = (await client.get("/ledger", params={"lang": "en"})).text
    assert "8 entries match." in before
    assert years.findall(before) == ["2025", "2024"]
    offshoring = {"lang": "en", "sector": "offshoring"}
    assert "4 entries match." in (await client.get("/ledger", params=offshoring)).text
    funded.world.day = 800  # into 2026
    await funded.world.disburse(funded.company, 100_000 * MAD)
    await catch_up_all(db, store)
    after = (await client.get("/ledger", params={"lang": "en"})).text
    assert "9 entries match." in after
    assert years.findall(after) == ["2026", "2025", "2024"]
    assert "5 entries match." in (await client.get("/ledger", params=offshoring)).text


async def test_a_wrong_filter_is_refused_next_to_the_field(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    response = await client.get("/ledger", params={"lang": "en", "province": "casablanca"})
    assert response.status_code == 422
    assert 'id="f-province-error">Choose a province from the list.' in response.text
    assert 'aria-describedby="f-province-error"' in response.text


async def test_ledger_pages_have_stable_links(
    client: AsyncTestClient[Litestar], app: Litestar, funded: Programme, db: asyncpg.Pool,
    store: EventStore,
) -> None:  # fmt: skip
    app.state.ledger_page_size = 3
    first = (await client.get("/ledger", params={"lang": "fr", "sector": "offshoring"})).text
    assert re.findall(r"<tr>\s*<td[^>]*>(\d+)</td>", first) == ["4", "3", "2"]
    older = re.search(r'rel="next" href="([^"]+)"', first)[1].replace("&amp;", "&")
    assert older == "/ledger?sector=offshoring&lang=fr&before=2"
    second = (await client.get(older)).text
    assert re.findall(r"<tr>\s*<td[^>]*>(\d+)</td>", second) == ["1"]
    assert 'rel="next"' not in second
    newer = re.search(r'rel="prev" href="([^"]+)"', second)[1].replace("&amp;", "&")
    await funded.world.disburse(funded.company, 100_000 * MAD)  # a new entry arrives
    await catch_up_all(db, store)
    again = (await client.get(older)).text
    assert re.findall(r"<tr>\s*<td[^>]*>(\d+)</td>", again) == ["1"], "the link still shows page 2"
    back = (await client.get(newer)).text
    assert re.findall(r"<tr>\s*<td[^>]*>(\d+)</td>", back) == ["4", "3", "2"]


async def test_a_grant_page_shows_its_history_and_unknown_ones_are_404(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    page = (await client.get(f"/ledger/grants/{funded.company}", params={"lang": "en"})).text
    assert "Atlas Offshoring SARL" in page
    for kind in ("Funding decision", "Agreement signed", "Tranche paid"):
        assert kind in page
    assert len(re.findall(r"<code dir=\"ltr\">[0-9a-f]{64}</code>", page)) == 4
    missing = await client.get("/ledger/grants/00000000-0000-0000-0000-00000000abcd")
    assert missing.status_code == 404


async def test_statistics_have_svg_charts_and_tables(
    client: AsyncTestClient[Litestar], funded: Programme
) -> None:
    page = (await client.get("/statistics", params={"lang": "fr"})).text
    assert page.count('role="img" aria-labelledby="by-') == 3
    assert page.count("<polygon") == 5
    assert (
        page.count('<table class="data">') == 4
    )  # sector, province, month, committed vs disbursed
    assert '<th scope="row">Zagora</th><td class="num">1</td>' in page
    assert '<th scope="row" class="nowrap">avr. 2025</th>' in page  # the month in words
    assert '<script src="http' not in page
    assert "cdn" not in page.lower()


async def test_public_pages_are_cacheable_by_the_ledger_head(
    client: AsyncTestClient[Litestar], funded: Programme, db: asyncpg.Pool, store: EventStore
) -> None:
    paths = [*pages_of(funded), "/open-data/360giving.json", "/open-data/ledger.json"]
    tags = {}
    for path in paths:
        response = await client.get(path, params={"lang": "fr"})
        assert response.headers["cache-control"].startswith("public, max-age="), path
        assert "Cookie" in response.headers["vary"]
        tags[path] = response.headers["etag"]
        again = await client.get(path, params={"lang": "fr"}, headers={"If-None-Match": tags[path]})
        assert again.status_code == 304, path
        assert again.content == b"", path
        assert again.headers["etag"] == tags[path]
    other = await client.get("/ledger", params={"lang": "ar"})
    assert other.headers["etag"] != tags["/ledger"], "the language is part of the ETag"
    await funded.world.disburse(funded.company, 100_000 * MAD)
    await catch_up_all(db, store)
    changed = await client.get("/ledger", params={"lang": "fr"}, headers={"If-None-Match": tags["/ledger"]})  # fmt: skip
    assert changed.status_code == 200
    assert changed.headers["etag"] != tags["/ledger"]


async def test_a_signed_in_user_never_gets_a_shared_cacheable_page(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, funded: Programme
) -> None:
    user = await make_user(db)
    await log_in(client, user.email)
    response = await client.get("/ledger")
    assert response.headers["cache-control"] == "no-store"
    assert 'action="/logout"' in response.text


async def test_verify_page_reverifies_and_names_a_tampered_entry(
    client: AsyncTestClient[Litestar], app: Litestar, funded: Programme, db: asyncpg.Pool
) -> None:
    head = await db.fetchval("SELECT entry_hash FROM ledger_entries ORDER BY seq DESC LIMIT 1")
    page = (await client.get("/verify", params={"lang": "en"})).text
    assert head in page
    assert 'name="check" value="1"' in page
    ok = await client.get("/verify", params={"lang": "en", "check": "1"})
    assert "The ledger verifies" in ok.text
    assert ok.headers["cache-control"] == "no-store"
    await db.execute(
        "UPDATE ledger_entries SET amount_centimes = amount_centimes + 1 WHERE seq = 3"
    )
    reused = (await client.get("/verify", params={"lang": "en", "check": "1"})).text
    assert "The ledger verifies" in reused, "a result a few seconds old is shown again"
    app.state.verify_reuse_seconds = 0
    bad = (await client.get("/verify", params={"lang": "en", "check": "1"})).text
    assert "The ledger does NOT verify: entry 3 does not match." in bad


async def test_the_live_stream_speaks_over_http_and_ends_on_disconnect(
    web_settings: Settings, database_url: str, pool: asyncpg.Pool, store: EventStore
) -> None:
    funded = await programme(pool, store)
    app = create_app(web_settings, database_url=database_url)
    app.state.public_stream_poll = 0.2
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    events = []
    try:
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http,
            http.stream(
                "GET", "/events/public?lang=en", headers={"Host": "testserver.local"}
            ) as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line.removeprefix("data: ")))
                    if len(events) == 1:
                        await funded.world.disburse(funded.company, 100_000 * MAD)
                        await catch_up_all(pool, store)
                    else:
                        break  # the client goes away mid-stream
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)  # an open stream would keep the server waiting
    assert [e["seq"] for e in events] == [8, 9]
    assert events[1]["envelope"]["disbursed"] == 850_000 * MAD
    assert events[1]["shown"]["disbursed"] == "850,000.00\xa0MAD"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_officer_erases_a_person_after_confirming(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    officer = await make_user(db, "officer@region.ma", role="officer")
    investor = await make_user(db, "someone@exemple.ma")
    await log_in(client, officer.email)
    form = await client.get("/admin/privacy")
    token = csrf_of(form)
    bad = await client.post("/admin/privacy", data={"person_id": "nope", "_csrf": token})
    assert bad.status_code == 422
    assert 'aria-invalid="true"' in bad.text
    review = await client.post("/admin/privacy", data={"person_id": str(investor.id), "_csrf": token})  # fmt: skip
    assert review.status_code == 200
    assert "someone@exemple.ma" in review.text
    assert (
        await db.fetchval("SELECT email FROM users WHERE id = $1", investor.id)
        == "someone@exemple.ma"
    )
    done = await client.post(
        "/admin/privacy", data={"person_id": str(investor.id), "confirm": "yes", "_csrf": token}
    )
    assert done.status_code == 200
    row = await db.fetchrow(
        "SELECT email, display_name, disabled FROM users WHERE id = $1", investor.id
    )
    assert row["email"].startswith("erased-")
    assert row["display_name"] == "[erased]"
    assert row["disabled"]


async def test_only_officers_reach_the_erase_page(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    assert (await client.get("/admin/privacy")).status_code in (302, 303, 401)
    investor = await make_user(db, "investor@exemple.ma")
    await log_in(client, investor.email)
    assert (await client.get("/admin/privacy")).status_code == 403
