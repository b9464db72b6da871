"""The JSON API under ``/api/v1``: one router, a module per resource, wire types in ``schemas``.

Guards and CSRF are the site's own (``web.common.auth``, ``web.common.sessions``); errors become RFC 9457
problem documents in ``web.common.errors``. The OpenAPI document and its docs page: ``web.api.docs``.
"""

from __future__ import annotations

from litestar import Router

from web.api import (
    applications,
    decisions,
    newcomers,
    programme,
    reads,
    session,
    transparency,
    what_if,
)

PREFIX = "/api/v1"


def api_router() -> Router:
    """Every API endpoint, documented in the OpenAPI schema (pages are not)."""
    return Router(
        path=PREFIX,
        include_in_schema=True,
        route_handlers=[
            session.SessionController,
            session.MeController,
            applications.ApplicationController,
            decisions.OfficerCommands,
            decisions.ReviewerCommands,
            decisions.ChairCommands,
            programme.EnvelopeController,
            programme.CallController,
            programme.RubricController,
            reads.queue,
            reads.LedgerController,
            transparency.TransparencyController,
            reads.programme_statistics,
            reads.UserController,
            reads.projections,
            what_if.what_if,
            *newcomers.ROUTES,
        ],
    )
