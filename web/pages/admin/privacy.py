"""``/admin/privacy``: an officer erases a person (law 09-08), with a confirmation step."""

from __future__ import annotations

import uuid

import asyncpg
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Template

from service.accounts import OFFICER
from service.erasure import describe_person, erase_person
from web.common.auth import requires_role
from web.common.forms import Form
from web.common.i18n import N_
from web.common.views import page

NOT_A_UUID = N_("Enter the person's identifier, as shown in the user list (a UUID).")
UNKNOWN = N_("No person has this identifier.")


class PrivacyAdminController(Controller):
    """Erase a natural person: look them up, confirm, erase."""

    path = "/admin/privacy"
    guards = [requires_role(OFFICER)]  # noqa: RUF012 - Litestar reads the class attribute

    @get(sync_to_thread=False)
    def erase_form(self) -> Template:
        """Step 1: which person."""
        return page("admin_privacy.html", form=Form(), person=None)

    @post()
    async def erase(
        self, pool: NamedDependency[asyncpg.Pool], data: URLEncodedBody[dict[str, str]]
    ) -> Template:
        """Step 2 shows who it is and asks to confirm; step 3 (``confirm=yes``) erases."""
        form = Form.from_data(data, ("person_id",))
        try:
            person_id = uuid.UUID(form.values["person_id"])
        except ValueError:
            return page("admin_privacy.html", 422, form=form.error("person_id", NOT_A_UUID))
        person = await describe_person(pool, person_id)
        if person is None:
            return page("admin_privacy.html", 422, form=form.error("person_id", UNKNOWN))
        if data.get("confirm") != "yes":
            return page("admin_privacy.html", form=form, person=person)
        await erase_person(pool, person_id)
        return page(
            "message.html",
            title=N_("The person has been erased."),
            text=N_("Their key is destroyed and their account data, sessions, reset links and "
                    "mail are gone. Amounts, decisions and the public ledger are unchanged."),
            link=("/admin/privacy", N_("Erase another person")),
        )  # fmt: skip
