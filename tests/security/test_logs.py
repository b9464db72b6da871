"""ASVS 16.2-16.4: structured security events in UTC, no injection, no secrets in any log."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from litestar.middleware.logging import LoggingMiddleware

from service import accounts, programme
from service.passwords import Passwords
from tests.e2e.api_support import catch_up
from tests.e2e.conftest import PASSWORD, log_in, make_user, post_form, totp_secret_for
from tests.e2e.test_portal import MANDATORY_FILES, VALID
from tests.security.support import csrf_token, endpoints, fill, load_matrix
from web.app import create_app
from web.common.audit import OneLineFormatter, audit

if TYPE_CHECKING:
    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.settings import Settings
    from service.store import EventStore

CANARY_PASSWORD = "canary-Pa55phrase-7f3e"
CANARY_NEW = "canary-NewPhrase-91ab"
CANARY_CIN = "AB123456"  # a Moroccan national id (CIN)
CANARY_EMAIL = "canary.person@atlas.ma"
CANARY_PHONE = "+212661987123"
CANARY_TOTP = "482917"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# The test client's own library logs the URLs it requests; those are not the platform's logs.
CLIENT_LOGGERS = ("httpx", "httpcore")


def test_no_middleware_logs_bodies_or_cookies(app: Litestar) -> None:
    stacks = [app.middleware]
    stacks += [h.resolve_middleware() for r in app.routes for h in getattr(r, "route_handlers", [])]
    for stack in stacks:
        for entry in stack:
            middleware = getattr(entry, "middleware", entry)
            if isinstance(middleware, type) and issubclass(middleware, LoggingMiddleware):
                config = entry.kwargs["config"]  # type: ignore[union-attr]
                leaks = {"body", "cookies", "headers"} & {
                    *config.request_log_fields,
                    *config.response_log_fields,
                }
                assert not leaks, f"request logging records {leaks}"


def test_the_app_keeps_the_platforms_log_format(web_settings: Settings) -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter("%(message)s"))
    before = list(root.handlers)
    root.addHandler(handler)
    try:
        create_app(web_settings)
        assert handler in root.handlers
        assert all(
            isinstance(h, type(b)) for h, b in zip(root.handlers, [*before, handler], strict=True)
        )
    finally:
        root.removeHandler(handler)


def audit_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, str]]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "grants.audit"]


async def test_security_events_are_structured_utc_records_without_personal_data(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    investor = await make_user(db, email="investor@atlas.ma")
    officer = await make_user(db, email="officer@region.ma", role="officer")
    await log_in(client, investor.email, "wrong password!")
    await log_in(client, investor.email)
    await client.get("/account/mfa/setup")  # not a refusal: investors may enrol
    await post_form(client, "/logout", {}, page="/")
    await post_form(client, "/login", {"email": officer.email, "password": PASSWORD})
    await totp_secret_for(client, officer.email)
    await post_form(client, "/login/mfa", {"code": "000000"}, page="/login/mfa")
    await post_form(client, "/logout", {}, page="/")
    await log_in(client, officer.email)
    await client.get("/my/files")  # an officer on the investor's page
    await client.post("/language", data={"lang": "fr", "_csrf": "forged"})
    events = [r["event"] for r in audit_records(caplog)]
    for expected in (
        "login.failed",
        "login.succeeded",
        "logout",
        "mfa.failed",
        "mfa.succeeded",
        "access.refused",
        "csrf.refused",
    ):
        assert expected in events, expected
    for record in audit_records(caplog):
        stamp = datetime.fromisoformat(record["ts"])
        assert stamp.utcoffset() == timedelta(0)
        assert "@" not in json.dumps(record)  # ids and digests, never addresses
    refused = next(r for r in audit_records(caplog) if r["event"] == "access.refused")
    assert refused["user_id"] == str(officer.id)
    assert refused["path"] == "/my/files"


async def _canaries_through_the_application_form(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool, store: EventStore, extra: dict[str, str]
) -> None:
    """An investor submits, saves a draft and mistypes the form with a canary contact."""
    envelope = await programme.open_envelope(store)
    call = await programme.open_call(
        store, envelope_id=envelope, title="Appel", min_request_centimes=100_000_00,
        max_request_centimes=12_000_000_00,
    )  # fmt: skip
    await catch_up(db, store)
    investor = await make_user(db, email="applicant@atlas.ma")
    await log_in(client, investor.email)
    form = {
        **VALID, "call_id": str(call), "contact_name": f"Salma {CANARY_CIN}", "contact_email": CANARY_EMAIL,
        "contact_phone": CANARY_PHONE, **extra,
    }  # fmt: skip
    page = "/my/applications/new"
    key = re.search(r'name="submission_key" value="([^"]+)"', (await client.get(page)).text)
    assert key
    submitted = await post_form(
        client, page, {**form, "submission_key": key[1]}, files=MANDATORY_FILES
    )
    assert submitted.status_code == 303, submitted.text
    await post_form(client, page, {**form, "action": "draft"})
    wrong = await post_form(client, page, {**form, "requested": "-1", "submission_key": key[1]})
    assert wrong.status_code == 422
    await post_form(client, "/logout", {}, page="/my/files")


async def _canaries_through_the_api_log_in(
    client: AsyncTestClient[Litestar], email: str, token: str
) -> None:
    """Staff log in over the API with a wrong password, a wrong and a missing second factor."""
    client.cookies.clear()
    for body in (
        {"email": email, "password": CANARY_NEW},
        {"email": email, "password": CANARY_PASSWORD},
        {"email": email, "password": CANARY_PASSWORD, "totp": CANARY_TOTP},
        {"email": CANARY_EMAIL, "password": CANARY_PASSWORD, "totp": token},
    ):
        csrf = await csrf_token(client)
        await client.post("/api/v1/session", json=body, headers={"X-CSRF-Token": csrf})


def test_log_injection_is_neutralised() -> None:
    formatter = OneLineFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "user %s", ("eve\r\nINFO forged",), None
    )
    line = formatter.format(record)
    assert "\n" not in line
    assert "\r" not in line
    assert line == "INFO user eve\\r\\nINFO forged"
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("grants.audit").addHandler(handler)
    try:
        audit("login.failed", client="1.2.3.4\nFAKE")
    finally:
        logging.getLogger("grants.audit").removeHandler(handler)
    message = records[0].getMessage()
    assert "\n" not in message
    assert json.loads(message)["client"] == "1.2.3.4\nFAKE"


async def test_secrets_sent_through_every_form_never_reach_a_log(
    app: Litestar,
    client: AsyncTestClient[Litestar],
    db: asyncpg.Pool,
    store: EventStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level
    extra = {"national_id": CANARY_CIN, "cin": CANARY_CIN}
    registration = {
        "display_name": f"Salma {CANARY_CIN}",
        "email": CANARY_EMAIL,
        "password": CANARY_PASSWORD,
        "password_confirm": CANARY_PASSWORD,
    }
    await post_form(client, "/register", {**registration, "email": "bad address", **extra})
    await post_form(client, "/register", {**registration, **extra})
    await post_form(
        client,
        "/account/password",
        {
            "current_password": "wrong " + CANARY_PASSWORD,
            "new_password": CANARY_NEW,
            "password_confirm": CANARY_NEW,
            **extra,
        },
    )
    await post_form(
        client,
        "/account/password",
        {
            "current_password": CANARY_PASSWORD,
            "new_password": CANARY_NEW,
            "password_confirm": CANARY_NEW,
            **extra,
        },
    )
    await post_form(
        client, "/account/mfa/setup", {"code": "123456", **extra}, page="/account/mfa/setup"
    )
    await post_form(client, "/language", {"lang": "fr", **extra}, page="/account/password")
    await post_form(client, "/logout", {**extra}, page="/account/password")
    await post_form(
        client, "/login", {"email": CANARY_EMAIL, "password": "wrong " + CANARY_NEW, **extra}
    )
    await post_form(client, "/login", {"email": CANARY_EMAIL, "password": CANARY_NEW, **extra})
    csrf = await csrf_token(client)
    await client.post("/login/mfa", data={"code": "654321", **extra, "_csrf": csrf})
    client.cookies.clear()
    await post_form(client, "/password/forgot", {"email": CANARY_EMAIL, **extra})
    token = await db.fetchval(
        "SELECT substring(body from 'token=([A-Za-z0-9_-]+)') FROM mail_outbox"
    )
    assert token
    await client.get(f"/password/reset?token={token}")
    await post_form(
        client,
        "/password/reset",
        {
            "token": token,
            "password": CANARY_PASSWORD + "!",
            "password_confirm": CANARY_PASSWORD + "!",
            **extra,
        },
        page=f"/password/reset?token={token}",
    )
    await _canaries_through_the_application_form(client, db, store, extra)
    staff = await accounts.create_user(
        pool=db,
        passwords=Passwords(),
        email="chair@region.ma",
        display_name=f"Chair {CANARY_CIN}",
        role="chair",
        password=CANARY_PASSWORD,
    )
    await log_in(client, staff.email, CANARY_PASSWORD)
    # Every unsafe route, present or merged later, gets the canaries in the usual field names.
    canaries = {
        "password": CANARY_PASSWORD,
        "national_id": CANARY_CIN,
        "token": token,
        "code": token,
        "email": CANARY_EMAIL,
    }
    samples = load_matrix().get("params", {})
    for endpoint in endpoints(app):
        if endpoint.method in UNSAFE and endpoint.path not in ("/logout", "/api/v1/session"):
            csrf = await csrf_token(client)
            path, headers = fill(endpoint, samples), {"X-CSRF-Token": csrf}
            if path.startswith("/api/"):  # JSON bodies, the canaries in every usual field
                await client.request(endpoint.method, path, json=canaries, headers=headers)
            else:
                await client.request(
                    endpoint.method, path, data={**canaries, "_csrf": csrf}, headers=headers
                )
    await _canaries_through_the_api_log_in(client, staff.email, token)
    secrets = {
        CANARY_TOTP,
        CANARY_PHONE,
        CANARY_PASSWORD,
        CANARY_NEW,
        CANARY_CIN,
        CANARY_EMAIL,
        token,
        *client.cookies.values(),
    }
    records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    assert len(records) > 5
    for record in records:
        text = (
            record.getMessage()
            + repr(record.args)
            + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        )
        for secret in secrets:
            assert secret not in text, (record.name, secret)
