"""ASVS 13.3 (secrets), 3.5 (CSRF on every unsafe route), 15.3 (mass assignment)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
from typing import TYPE_CHECKING, Annotated, get_args, get_origin

import msgspec
import pytest
from litestar import post
from litestar.params import JSONBody

import web
from service.checkpoints import Signer
from service.settings import LEDGER_ORIGIN, SettingsError, load_settings
from tests.e2e.conftest import PASSWORD, csrf_of, log_in, make_user, post_form
from tests.security.sqlscan import ROOT
from tests.security.support import (
    act_as,
    actors,
    csrf_token,
    endpoints,
    fill,
    load_matrix,
    sent_to_login,
)

if TYPE_CHECKING:
    from pathlib import Path

    import asyncpg
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "short",
        "x" * 64,
        "change-me-change-me-change-me-change-me",
        "my-super-secret-key-for-production-use",
        "0123456789" * 4,
    ],
)
def test_production_refuses_a_missing_default_or_weak_secret(tmp_path: Path, secret: str) -> None:
    env = {
        "GRANTS_ENV": "production",
        "GRANTS_DATABASE_URL": "postgresql://u@h/db",
        "GRANTS_DATA_DIR": str(tmp_path),
        "GRANTS_SECRET_KEY": secret,
    }
    with pytest.raises(SettingsError, match="GRANTS_SECRET_KEY"):
        load_settings(env)
    good = "Vx3kP9qLm2Zt7Rb8Nw4Hc6Jd1Fg5Ys0TaQe"
    ledger_key = Signer.generate(LEDGER_ORIGIN).skey
    settings = load_settings(
        {**env, "GRANTS_SECRET_KEY": good, "GRANTS_LEDGER_SIGNING_KEY": ledger_key}
    )
    assert settings.secret_key == good


def test_no_secret_is_committed() -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    patterns = [
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        re.compile(r"GRANTS_SECRET_KEY\s*[=:]\s*['\"]?(?!\$\{)[A-Za-z0-9_\-]{16,}"),
        re.compile(
            r"postgres(?:ql)?://[^:/\s]+:(?!\.\.\.|password@|pass@|secret@|\$\{)[^@\s/]{6,}@"
        ),
    ]
    found = []
    for name in files:
        path = ROOT / name
        if (
            not path.is_file()
            or path.suffix in (".woff2", ".png", ".mo", ".gz")
            or name.startswith("tests/")
        ):
            continue
        text = path.read_text("utf-8", errors="ignore")
        found += [f"{name}: {m[0][:40]}" for p in patterns for m in p.finditer(text)]
    assert not found, found
    assert (ROOT / "var") not in [ROOT / f for f in files]  # the development secret stays untracked


async def test_every_unsafe_route_refuses_a_missing_or_forged_token(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    people = await actors(client, db)
    samples = load_matrix().get("params", {})
    unsafe = [e for e in endpoints(app) if e.method in UNSAFE]
    assert {"POST /login", "POST /logout"} <= {e.key for e in unsafe}
    for actor in (people["visitor"], people["investor"], people["officer"]):
        for endpoint in unsafe:
            act_as(client, actor)
            path = fill(endpoint, samples)
            missing = await client.request(endpoint.method, path, data={"email": "a@b.ma"})
            forged = await client.request(
                endpoint.method, path, data={"_csrf": "forged"}, headers={"X-CSRF-Token": "forged"}
            )
            for response in (missing, forged):
                # A guarded route may send a visitor to the log-in page (the API: 401) first:
                # refused either way.
                refused = response.status_code in (401, 403) or sent_to_login(response)
                assert refused, (endpoint.key, actor.role, response.status_code)


async def test_the_token_is_renewed_at_login_and_the_old_one_refused(
    client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    user = await make_user(db)
    before = csrf_of(await client.get("/login"))
    await log_in(client, user.email)
    after = csrf_of(await client.get("/"))
    assert before != after
    stale = await client.post("/language", data={"lang": "fr", "_csrf": before})
    assert stale.status_code == 403
    header = await client.post("/language", data={"lang": "fr"}, headers={"X-CSRF-Token": after})
    assert header.status_code == 303


def _structs(annotation: object) -> list[type]:
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return [annotation]
    if get_origin(annotation) is not None or isinstance(annotation, type(Annotated[int, 0])):
        return [s for arg in get_args(annotation) for s in _structs(arg)]
    return []


def test_every_inbound_struct_refuses_unknown_fields(app: Litestar) -> None:
    for info in pkgutil.walk_packages(web.__path__, "web."):
        importlib.import_module(info.name)
    defined = [
        cls
        for cls in _subclasses(msgspec.Struct)
        if cls.__module__.startswith(("web.", "service."))
        and not cls.__name__.endswith("_signature_model")  # Litestar's own, for parameters
    ]
    inbound = [
        s for r in app.routes for h in getattr(r, "route_handlers", [])
        for s in _structs(getattr(h.parsed_fn_signature.parameters.get("data"), "annotation", None))
    ]  # fmt: skip
    for cls in {*defined, *inbound}:
        # Outbound structs (``...Out``, ``Created``) are only encoded: the rule is for input.
        if cls in inbound or (cls.__module__.startswith("web.") and cls.__name__.endswith("In")):
            assert cls.__struct_config__.forbid_unknown_fields, (
                f"{cls.__qualname__}: forbid_unknown_fields=True"
            )


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(_subclasses(c) for c in found)) if found else found


class ProbeIn(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The house pattern for an inbound struct."""

    title: str


async def test_unknown_fields_are_refused_and_forms_keep_only_their_fields(
    app: Litestar, client: AsyncTestClient[Litestar], db: asyncpg.Pool
) -> None:
    @post("/api/v1/probe", sync_to_thread=False)
    def probe(data: JSONBody[ProbeIn]) -> dict[str, str]:
        return {"title": data.title}

    app.register(probe)
    token = await csrf_token(client)
    headers = {"X-CSRF-Token": token}
    assert (
        await client.post("/api/v1/probe", json={"title": "ok"}, headers=headers)
    ).status_code == 201
    extra = await client.post(
        "/api/v1/probe", json={"title": "ok", "role": "officer"}, headers=headers
    )
    assert extra.status_code in (400, 422)
    # Forms: a role (or any other field) slipped into the registration form is ignored.
    data = {
        "display_name": "Eve",
        "email": "eve@region.ma",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "role": "officer",
        "id": "00000000-0000-0000-0000-000000000001",
        "disabled": "false",
    }
    client.cookies.clear()
    assert (await post_form(client, "/register", data)).status_code == 303
    row = await db.fetchrow("SELECT id::text, role FROM users WHERE email = 'eve@region.ma'")
    assert row["role"] == "investor"
    assert not row["id"].startswith("00000000")
