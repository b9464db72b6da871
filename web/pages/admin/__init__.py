"""Programme administration, for officers: envelopes, calls, rubrics, accounts, projections."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from web.common.views import page
from web.pages.admin.call_texts import CallTextsController
from web.pages.admin.common import OFFICERS_ONLY
from web.pages.admin.mail import MailController
from web.pages.admin.programme import CallController, EnvelopeController
from web.pages.admin.projections import ProjectionController
from web.pages.admin.rubrics import RubricController
from web.pages.admin.users import UserController


@get("/admin", guards=OFFICERS_ONLY, sync_to_thread=False)
def admin_index() -> Template:
    """The sections of the administration."""
    return page("admin/index.html")


ROUTES = (
    admin_index,
    EnvelopeController,
    CallController,
    CallTextsController,
    RubricController,
    UserController,
    ProjectionController,
    MailController,
)
