"""Helpers for the security suite: every route of the app, one signed-in cookie jar per role."""

from __future__ import annotations

import tomllib
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service import applications, decisions, drafts, programme, upload_drafts
from service.applications import Contact
from tests.e2e.api_support import catch_up
from tests.e2e.conftest import log_in, make_user
from tests.integration.service import support as service_support

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import asyncpg
    import httpx
    from litestar import Litestar
    from litestar.testing import AsyncTestClient

    from service.accounts import User
    from service.store import EventStore

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


# A contact whose every identifier is easy to find in a page (the reviewer must never see one).
CONTACT = Contact(
    name="Nadia Oukhattou", email="nadia.oukhattou@atlas-contact.ma", phone="+212661234987",
    national_id="ZT482913",
)  # fmt: skip


@dataclass
class World:
    """Real objects for the crawls: the investor actor's files, in every reviewer situation."""

    people: dict[str, Actor]
    assigned: uuid.UUID  # the investor's file, assigned to the reviewer actor
    unassigned: uuid.UUID  # the investor's file nobody reviews yet
    conflicted: uuid.UUID  # assigned to the reviewer, who then declared a conflict
    foreign: uuid.UUID  # another investor's file
    draft: uuid.UUID  # the investor's draft
    envelope: uuid.UUID
    call: uuid.UUID
    rubric: uuid.UUID
    spare_user: uuid.UUID  # an account the admin routes may switch off or change
    #: Objects in the state a route needs, named by the matrix's [samples] table: each route
    #: that changes one gets its own, so that no route finds the state another one left.
    extra: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def files(self) -> list[uuid.UUID]:
        return [self.assigned, self.unassigned, self.conflicted, self.foreign]

    def samples(self, route: str | None = None) -> dict[str, str]:
        """Path parameter -> a real id (the matrix's [params] table fills the rest); for
        ``route``, the objects its [samples] entry names instead."""
        chosen = {
            "application_id": str(self.assigned), "draft_id": str(self.draft),
            "envelope_id": str(self.envelope), "call_id": str(self.call),
            "rubric_id": str(self.rubric), "user_id": str(self.spare_user),
        }  # fmt: skip
        named = load_matrix().get("samples", {}).get(route, {}) if route else {}
        chosen |= {param: str(self.extra.get(name, name)) for param, name in named.items()}
        return chosen


async def populate(
    client: AsyncTestClient[Litestar],
    db: asyncpg.Pool,
    store: EventStore,
    people: dict[str, Actor] | None = None,
) -> World:
    """Actors, a programme, files in every state a reviewer can be in, a draft; projections
    caught up, so pages show real content."""
    people = people or await actors(client, db)
    investor, reviewer = people["investor"].user, people["reviewer"].user
    officer = people["officer"].user
    assert investor
    assert reviewer
    assert officer
    prog = await service_support.open_programme(store)
    other = await make_user(db, email="someone.else@security.test")
    spare = await make_user(db, email="spare@security.test")

    async def submit(owner: uuid.UUID) -> uuid.UUID:
        return await applications.submit(
            store, investor_id=owner, envelope_id=prog.envelope_id, call_id=prog.call_id,
            applicant=service_support.applicant(), contact=CONTACT,
            project=service_support.project(),
        )  # fmt: skip

    assigned, unassigned, conflicted = [await submit(investor.id) for _ in range(3)]
    foreign = await submit(other.id)
    for file in (assigned, conflicted, foreign):
        await applications.assign_reviewer(
            store, application_id=file, reviewer_id=reviewer.id, by=officer.id
        )
    await applications.declare_conflict(store, application_id=conflicted, reviewer_id=reviewer.id)
    draft = await drafts.save_draft(
        db, investor_id=investor.id, values={"title": "Draft", "contact_name": CONTACT.name}
    )
    assert draft
    extra = await _states(store, prog, investor.id, officer.id, submit)
    extra["api_draft"] = (await upload_drafts.open_draft(db, investor_id=investor.id)).id
    await catch_up(db, store)
    return World(
        people, assigned, unassigned, conflicted, foreign, draft, prog.envelope_id,
        prog.call_id, prog.rubric_id, spare.id, extra,
    )  # fmt: skip


async def _states(
    store: EventStore,
    prog: service_support.Programme,
    investor: uuid.UUID,
    officer: uuid.UUID,
    submit: Callable[[uuid.UUID], Awaitable[uuid.UUID]],
) -> dict[str, uuid.UUID]:
    """The objects the [samples] table names: files and rubrics in the state a route needs."""
    extra: dict[str, uuid.UUID] = {}
    for name in ("asked_page", "asked_form", "asked_api"):  # amendable: a question was asked
        extra[name] = await submit(investor)
        await applications.request_information(
            store, application_id=extra[name], by=officer, question="Bilan 2025 ?"
        )
    for name in ("open_page", "open_form", "open_api"):  # withdrawable
        extra[name] = await submit(investor)
    for name in ("funded_ledger", "funded_page", "funded_api"):  # funded, in the public ledger
        extra[name] = await service_support.reviewed(store, prog)
        await decisions.fund(
            store, application_id=extra[name], decided_by=service_support.CHAIR,
            amount_centimes=1_000_000_00,
        )  # fmt: skip
    for name in ("draft_rubric_page", "draft_rubric_api"):  # not yet published
        extra[name] = await programme.draft_rubric(store, rubric_version=len(extra))
    return extra
