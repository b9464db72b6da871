"""Helpers for the security suite: every route of the app, one signed-in cookie jar per role."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.e2e.conftest import csrf_of, log_in, make_user

if TYPE_CHECKING:
    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.accounts import User

HERE = Path(__file__).parent
ROLES = ("visitor", "investor", "reviewer", "chair", "officer")
STAFF = ("reviewer", "chair", "officer")
# Tables that say who may log in and how; no GET may change them.
ACCOUNT_TABLES = (
    "users",
    "password_resets",
    "totp_credentials",
    "recovery_codes",
    "login_failures",
    "mail_outbox",
)
LOGIN_PATHS = ("/login", "/login/mfa", "/account/mfa/setup")


@dataclass
class Actor:
    """One role's browser: its user (``None`` for a visitor) and its cookies."""

    role: str
    user: User | None
    cookies: dict[str, str]


@dataclass(frozen=True)
class Endpoint:
    """One method of one route, as Litestar knows it."""

    method: str
    path: str
    params: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(app: Litestar) -> list[Endpoint]:
    """Every (method, route) the app answers, Litestar's automatic OPTIONS aside."""
    found = []
    for route in app.routes:
        methods = getattr(route, "methods", set()) - {"OPTIONS"}
        for method in sorted(methods):
            found.append(Endpoint(method, route.path, dict(route.path_parameters)))
    return sorted(found, key=lambda e: (e.path, e.method))


def load_matrix() -> dict[str, Any]:
    """tests/security/route_matrix.toml."""
    with (HERE / "route_matrix.toml").open("rb") as file:
        return tomllib.load(file)


def allowed_roles(entry: list[str]) -> set[str]:
    """The roles of a matrix entry (``"*"`` is everyone, visitors included)."""
    return set(ROLES) if "*" in entry else set(entry)


async def real_ids(db: asyncpg.Pool) -> list[uuid.UUID]:
    """One real aggregate id of each kind in the store (application, envelope, call, ...)."""
    rows = await db.fetch(
        "SELECT DISTINCT ON (topic) originator_id FROM events "
        "WHERE originator_version = 1 ORDER BY topic, notification_id"
    )
    return [row["originator_id"] for row in rows]


def fill(endpoint: Endpoint, samples: dict[str, str], ident: uuid.UUID | None = None) -> str:
    """The route's path with each parameter replaced by a sample (a real or random id)."""
    path = endpoint.path
    for name, definition in endpoint.params.items():
        kind = getattr(definition.type, "__name__", str(definition.type)).lower()
        if name in samples:
            value = samples[name]
        elif kind == "uuid":
            value = str(ident or uuid.uuid4())
        elif kind == "int":
            value = "1"
        else:
            value = "x"
        path = path.replace("{" + definition.full + "}", value)
    return path


async def actors(client: AsyncTestClient[Litestar], db: asyncpg.Pool) -> dict[str, Actor]:
    """A signed-in cookie jar per role (staff past the second factor), and a visitor's."""
    found: dict[str, Actor] = {}
    for role in ROLES:
        client.cookies.clear()
        user = None
        if role != "visitor":
            user = await make_user(db, email=f"{role}@security.test", role=role)
            response = await log_in(client, user.email)
            assert response.status_code == 303, (role, response.status_code)
        else:
            await client.get("/")
        found[role] = Actor(role, user, dict(client.cookies))
    client.cookies.clear()
    return found


def act_as(client: AsyncTestClient[Litestar], actor: Actor) -> None:
    """Make the next requests with ``actor``'s cookies."""
    client.cookies.clear()
    for name, value in actor.cookies.items():
        client.cookies.set(name, value, domain="testserver.local")


async def refresh(client: AsyncTestClient[Litestar], db: asyncpg.Pool, actor: Actor) -> None:
    """Log ``actor`` in again if a request ended its session (log-out, password change)."""
    if actor.user is None:
        return
    live = await db.fetchval("SELECT count(*) FROM web_sessions WHERE user_id = $1", actor.user.id)
    if not live:
        client.cookies.clear()
        await log_in(client, actor.user.email)
        actor.cookies = dict(client.cookies)


async def csrf_token(client: AsyncTestClient[Litestar]) -> str:
    """This client's CSRF token, as the API hands it out (the same token the forms carry)."""
    return (await client.get("/api/v1/session")).json()["csrf_token"]


def sent_to_login(response: httpx.Response) -> bool:
    """A redirect to the log-in page or to the second-factor step."""
    location = response.headers.get("location", "")
    return response.is_redirect and location.split("?")[0] in LOGIN_PATHS[:2]


async def account_snapshot(db: asyncpg.Pool) -> dict[str, str]:
    """A digest of every account table's rows, and the event log's length."""
    snapshot = {}
    for table in ACCOUNT_TABLES:
        snapshot[table] = await db.fetchval(
            f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
            f"FROM {table} t"
        )
    snapshot["events"] = str(await db.fetchval("SELECT count(*) FROM events"))
    return snapshot
