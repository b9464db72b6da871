"""ASVS 1.2, 3.2: escaping on output, injection payloads inert on every page, parameterised SQL."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING
from urllib.parse import quote

from tests.e2e.conftest import PASSWORD, csrf_of, post_form
from tests.security.sqlscan import ROOT, dynamic_sql
from tests.security.support import endpoints, fill, load_matrix

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{7*191}}",
    "javascript:alert(1)",
)
# What would be live if a payload went out unescaped.
LIVE = (
    re.compile(r"<script>alert\(1\)"),
    re.compile(r"<img src=x onerror", re.IGNORECASE),
    re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.IGNORECASE),
)

# Reviewed SQL built from constant fragments only: column lists, a fixed ORDER/WHERE clause
# chosen in code, or identifiers (schema, database names) the code itself generates and quotes.
# Never a value from a request. A new entry needs the same review: prefer $n parameters.
REVIEWED_SQL = {
    # ledger.COLUMNS, a constant column list
    ("projections/audit.py", 'f"SELECT {ledger.COLUMNS} FROM ledger_entries ORDER BY seq"'),
    # audit_<random hex> scratch schema made by the code
    ("projections/audit.py", "f'CREATE SCHEMA \"{schema}\"'"),
    ("projections/audit.py", "f'DROP SCHEMA \"{schema}\" CASCADE'"),
    ("projections/audit.py", "f'SET LOCAL search_path TO \"{schema}\", public'"),
    # FILE_COLUMNS / SET_STATUS: constant fragments
    ("projections/dashboard.py", 'f""" SELECT {FILE_COLUMNS} FROM dashboard_files WHERE investor_id = $1 ORDER BY submitted_'),
    ("projections/dashboard.py", 'f"SELECT {FILE_COLUMNS} FROM dashboard_files WHERE investor_id = $1 AND application_id = $'),
    # check_<random hex> scratch schema made by the code; table names from the projections
    ("projections/invariants.py", 'DIFF.format(a="public", b=schema, t=table)'),
    ("projections/invariants.py", 'DIFF.format(a=schema, b="public", t=table)'),
    ("projections/invariants.py", "f'CREATE SCHEMA \"{schema}\"'"),
    ("projections/invariants.py", "f'SET LOCAL search_path TO \"{schema}\", public'"),
    # {where}: "" or a fixed clause with $n parameters
    ("projections/envelopes.py", 'SELECT.format(where="")'),
    ("projections/envelopes.py", 'SELECT.format(where="WHERE envelope_id = $1")'),
    ("projections/ledger.py", 'f""" SELECT {COLUMNS} FROM ledger_entries WHERE ($1::uuid IS NULL OR envelope_id = $1) AND'),
    ("projections/ledger.py", 'f"SELECT {COLUMNS} FROM ledger_entries ORDER BY seq"'),
    ("projections/programme.py", 'CALLS.format(where="")'),
    ("projections/programme.py", 'CALLS.format(where="WHERE call_id = $1")'),
    ("projections/programme.py", 'RUBRICS.format(where="")'),
    ("projections/programme.py", 'RUBRICS.format(where="WHERE published_at IS NOT NULL")'),
    ("projections/programme.py", 'RUBRICS.format(where="WHERE published_at IS NOT NULL") + " LIMIT 1"'),
    ("projections/programme.py", 'RUBRICS.format(where="WHERE rubric_id = $1")'),
    # rebuild: scratch schemas rebuild_<name> and the projections' own table names, quoted;
    # _settings: constant SETs and that schema; the projection's constant DDL; SWAP_LOCK_TIMEOUT
    # a constant of the module
    ("projections/rebuild.py", 'f"SET LOCAL lock_timeout = \'{SWAP_LOCK_TIMEOUT}\'; " "SET LOCAL statement_timeout = 0; " # '),
    ("projections/rebuild.py", 'f"SET LOCAL statement_timeout = 0; {_settings(projection, \'SET LOCAL\')};\\n" f"{projection.'),
    ("projections/rebuild.py", 'f\'ALTER TABLE "{schema}"."{t}" SET SCHEMA public\''),
    ("projections/rebuild.py", 'f\'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"; \' f"{_settings(proje'),
    ("projections/rebuild.py", 'f\'DROP TABLE IF EXISTS "public"."{t}" CASCADE\''),
    ("projections/rebuild.py", 'f\'DROP SCHEMA "{schema}" CASCADE\''),
    ("projections/rebuild.py", 'f\'DROP TABLE IF EXISTS "{schema}"."{table}" CASCADE\''),
    # page writes: table and column names from each projection's constant dicts, rows as $n
    ("projections/page_sql.py", 'f"INSERT INTO {table} ({names}) SELECT {names} FROM {recordset(columns, param)}"'),
    ("projections/review_page.py", 'f"""INSERT INTO review_envelopes (envelope_id, remaining_centimes) SELECT envelope_id, rem'),
    # key: one of the fixed keyset expressions of KEYS, looked up by the checked sort name
    ("projections/queue_page.py", "PAGE.format(key=KEYS[sort])"),
    # page reads: constant column lists of the page modules, ids as $1
    ("projections/dashboard_page.py", 'f"SELECT {\', \'.join(FILES)} FROM dashboard_files WHERE application_id = ANY($1::uuid[])"'),
    ("projections/envelopes.py", 'f"SELECT {\', \'.join(COLUMNS)} FROM envelope_status WHERE envelope_id = ANY($1::uuid[])"'),
    ("projections/ledger_page.py", 'f"SELECT {\', \'.join(PARTY_COLUMNS)} FROM ledger_parties WHERE application_id = ANY($1::uui'),
    ("projections/statistics.py", 'f"SELECT {\', \'.join(COLUMNS)} FROM statistics_applications " "WHERE application_id = ANY($'),
    ("projections/review_page.py", 'f"SELECT {\', \'.join(FILE_COLUMNS)} FROM review_files WHERE application_id = ANY($1::uuid[]'),
    ("projections/review_page.py", 'f"SELECT {\', \'.join(REVIEWER_COLUMNS)} FROM review_reviewers " "WHERE application_id = ANY'),
    # key: looked up in a fixed dict of column expressions; FUNDED a constant predicate
    ("projections/statistics.py", "BY.format(key=key, funded=FUNDED)"),
    ("projections/statistics.py", 'f""" SELECT count(*) AS received, count(decided_at) AS decided, count(*) FILTER (WHERE {FU'),
    ("service/accounts.py", 'f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"'),
    ("service/accounts.py", 'f"SELECT {USER_COLUMNS}, password_hash FROM users WHERE id = $1"'),
    # database names: validated identifiers from settings / generated by the test harness
    ("service/embedded.py", "f'CREATE DATABASE \"{database}\"'"),
    ("service/testing.py", "f'CREATE DATABASE \"{name}\"'"),
    ("service/testing.py", "f'DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)'"),
    # public_ledger.WHERE: a constant filter with $1-$7 parameters (its f-string puts in only the
    # constant ACCENTED/PLAIN letters of the accent fold); op: "<" or ">" chosen in code
    ("projections/public_ledger.py", 'EXISTS.format(op="<")'),
    ("projections/public_ledger.py", 'EXISTS.format(op=">")'),
    ("projections/public_ledger.py", 'f""" ($1::text IS NULL OR sector = $1) AND ($2::text IS NULL OR province = $2) AND ($3::in'),
    ("projections/public_ledger.py", 'f""" SELECT * FROM (SELECT {COLUMNS} FROM ledger_entries WHERE {WHERE} AND seq > $8 ORDER '),
    ("projections/public_ledger.py", 'f""" SELECT {COLUMNS} FROM ledger_entries WHERE {WHERE} AND seq < coalesce($8::bigint, 922'),
    ("projections/public_ledger.py", 'f""" SELECT coalesce(sum(amount_centimes) FILTER (WHERE kind = \'funding_decision\'), 0)::bi'),
    ("projections/public_ledger.py", 'f"SELECT EXISTS (SELECT 1 FROM ledger_entries WHERE {WHERE} AND seq {{op}} $8)"'),
    ("projections/public_ledger.py", 'f"SELECT count(*) FROM ledger_entries WHERE {WHERE} AND seq <= $8"'),
    ("projections/public_ledger.py", 'f"SELECT {COLUMNS} FROM ledger_entries WHERE application_id = $1 ORDER BY seq"'),
    # ORDER[sort]: a fixed dict of ORDER BY clauses; sort is a Literal query parameter (else 400)
    # USER_COLUMNS: a constant column list
    ("service/accounts.py", 'f""" SELECT {USER_COLUMNS} FROM users WHERE $1::text IS NULL OR role = $1 ORDER BY role <>'),
    ("service/accounts.py", 'f"SELECT {USER_COLUMNS} FROM users WHERE id = ANY($1::uuid[])"'),
    ("service/accounts.py", 'f"SELECT {USER_COLUMNS} FROM users WHERE role = $1 AND NOT disabled ORDER BY display_name,'),
    # ASC or DESC from a boolean
    ("service/store.py", 'SELECT_EVENTS.format(order="DESC" if desc else "ASC")'),
    # the read fence, a constant subquery (FENCE), spliced into the log queries at import
    ("service/store.py", 'f""" SELECT EXISTS ( SELECT 1 FROM events WHERE (tx_id, notification_id) > ($1::xid8, $2::'),
    ("service/store.py", 'f""" SELECT originator_id, originator_version, topic, state, notification_id, tx_id FROM e'),
    ("service/store.py", 'f""" SELECT tx_id, notification_id FROM events WHERE tx_id < {FENCE} ORDER BY tx_id DESC, '),
    ("service/store.py", 'f"SELECT {FENCE}"'),
}  # fmt: skip


def assert_inert(response: httpx.Response, where: str) -> None:
    if "html" not in response.headers.get("content-type", ""):
        return  # JSON and files are not interpreted as markup by the browser
    for live in LIVE:
        assert not live.search(response.text), (where, live.pattern)


def test_autoescaping_is_on_for_every_template(app: Litestar) -> None:
    env = app.template_engine.engine  # type: ignore[union-attr]
    names = [name for name in env.list_templates() if name.endswith(".html")]
    assert names
    for name in names:
        assert env.autoescape(name) is True, name


def test_no_safe_filter_and_no_markup_outside_the_csrf_field() -> None:
    templates = ROOT / "web" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text("utf-8")
        assert not re.search(r"\|\s*safe\b", text), path
        assert not re.search(r"autoescape\s+(false|off)", text, re.IGNORECASE), path
    uses = []
    for package in ("web", "service", "projections", "domain"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                if isinstance(node, ast.FunctionDef):
                    for inner in ast.walk(node):
                        func = getattr(inner, "func", None)
                        name = getattr(func, "id", None) or getattr(func, "attr", None)
                        if isinstance(inner, ast.Call) and name == "Markup":
                            uses.append((path.relative_to(ROOT).as_posix(), node.name))
    assert set(uses) == {("web/common/sessions.py", "csrf_field")}, uses


def test_sql_is_parameterised() -> None:
    unreviewed = sorted(set(dynamic_sql()) - REVIEWED_SQL)
    assert not unreviewed, (
        f"SQL built from strings: {unreviewed}. Pass values as $n parameters; a constant "
        "fragment (column list, fixed clause) can be listed in REVIEWED_SQL after review."
    )


async def test_injection_payloads_render_inert_on_every_page(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    # Every text field that is stored: the registration name (shown in mails on /dev/mail).
    for i, payload in enumerate(PAYLOADS):
        client.cookies.clear()
        email = f"payload{i}@region.ma"
        data = {
            "display_name": payload,
            "email": email,
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        }
        assert (await post_form(client, "/register", data)).status_code == 303
        await post_form(client, "/logout", {}, page="/")
        await post_form(client, "/password/forgot", {"email": email})
    stored = await db.fetch("SELECT display_name FROM users ORDER BY email")
    assert {r["display_name"] for r in stored} == set(PAYLOADS)  # kept as typed, escaped on output
    mail = await client.get("/dev/mail")
    assert "{{7*191}}" in mail.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mail.text
    # Reflected: every form field and every query parameter of every GET page.
    for payload in PAYLOADS:
        for field in ("email", "display_name"):
            echoed = await post_form(
                client, "/register", {field: payload, "password": "x"}, page="/register"
            )
            assert echoed.status_code == 422
            assert_inert(echoed, f"register {field}")
            if payload == "{{7*191}}":
                assert 'value="{{7*191}}"' in echoed.text  # shown as typed, never evaluated
        login = await post_form(
            client, "/login", {"email": payload, "password": "x", "next": payload}
        )
        assert_inert(login, "login")
    samples = load_matrix().get("params", {})
    await post_form(client, "/login", {"email": "payload0@region.ma", "password": PASSWORD})
    for endpoint in endpoints(app):
        if endpoint.method != "GET":
            continue
        for payload in PAYLOADS:
            path = fill(endpoint, samples)
            query = "&".join(f"{k}={quote(payload)}" for k in ("next", "token", "q", "lang"))
            response = await client.get(f"{path}?{query}")
            assert response.status_code < 500, path
            assert_inert(response, path)
            # 7*191: a product no random token or number on a page is likely to contain.
            assert "1337" not in response.text or "7*191" in response.text, path
    assert csrf_of(await client.get("/"))
