"""What each e-mail says, in its recipient's language and Moroccan time.

The investor's mails go to the account that owns the file (never to anyone named in it); the
reviewer's assignment notice and the staff digest name a file by title and reference only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from domain.applications import GrantApplication
from projections.queue_page import queue_page
from service.letters import reference_of
from service.mail import Message
from service.repository import AggregateNotFoundError, Repository
from web.common.document_words import moroccan_moment

__all__ = ["DIGEST_HOUR", "MOROCCO", "MailComposer"]
from domain.local_time import MOROCCO
from web.common.i18n import N_, format_mad

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from uuid import UUID

    import asyncpg
    from babel.support import Translations

    from service.notifier import Recipient
    from service.store import EventStore

SIGNATURE = N_("Drâa-Tafilalet Regional Council, investment-support programme")
GREETING = N_("Hello,")
FOLLOW = N_("Follow your file at: %(link)s")
SUBJECTS: Final = {
    "Submitted": N_("Application received: %(reference)s"),
    "InformationRequested": N_("The committee has a question on %(reference)s"),
    "Funded": N_("Decision on %(reference)s: funded"),
    "Rejected": N_("Decision on %(reference)s: not funded"),
    "ScreenedOut": N_("Decision on %(reference)s: not eligible"),
    "AgreementSigned": N_("Your funding agreement for %(reference)s is ready"),
    "TrancheDisbursed": N_("A tranche was paid on %(reference)s"),
    "ReviewerAssigned": N_("A file was assigned to you: %(reference)s"),
}
BODIES: Final = {
    "Submitted": N_(
        "Your application “%(title)s” was received on %(date)s (Moroccan time), asking for "
        "%(amount)s. Its reference is %(reference)s."
    ),
    "InformationRequested": N_(
        "About your application “%(title)s”, the committee asks on %(date)s:\n\n%(text)s\n\n"
        "Please answer from your file's page."
    ),
    "Funded": N_(
        "On %(date)s the committee decided to fund your project “%(title)s” with %(amount)s. "
        "Your decision letter can be downloaded from your file's page."
    ),
    "Rejected": N_(
        "On %(date)s the committee decided not to fund your project “%(title)s”. Reason:\n\n"
        "%(text)s"
    ),
    "ScreenedOut": N_(
        "On %(date)s your application “%(title)s” was found not eligible. Reason:\n\n%(text)s"
    ),
    "AgreementSigned": N_(
        "The funding agreement of your project “%(title)s” was recorded on %(date)s; tranches "
        "can now be paid."
    ),
    "TrancheDisbursed": N_("On %(date)s a tranche of %(amount)s was paid for “%(title)s”."),
    "ReviewerAssigned": N_(
        "The file “%(title)s” (%(reference)s) was assigned to you on %(date)s. Open it at: %(link)s"
    ),
}
DIGEST_SUBJECT = N_("Files waiting for you")
DIGEST_BODY = N_("%(count)s file(s) wait for you on the committee's workspace: %(link)s")
#: The digest leaves after this hour, Moroccan time, once a day.
DIGEST_HOUR: Final = 7
#: The queue stage each staff role is waiting on.
DIGEST_STAGE: Final = {"reviewer": "in_review", "chair": "in_review", "officer": "submitted"}


class MailComposer:
    """The ``compose`` callback of :mod:`service.notifier`: an event -> its mails."""

    def __init__(self, store: EventStore, catalogs: dict[str, Translations], base_url: str) -> None:
        self.store, self.catalogs, self.base_url = store, catalogs, base_url.rstrip("/")

    async def __call__(
        self, event: Any, recipient_of: Callable[[UUID], Awaitable[Recipient | None]]
    ) -> list[Message]:
        """The mails ``event`` calls for."""
        name = type(event).__name__
        if name not in SUBJECTS:
            return []
        try:
            app = await Repository(self.store).get(event.originator_id, cls=GrantApplication)
        except AggregateNotFoundError:
            return []
        staff = name == "ReviewerAssigned"
        person = await recipient_of(event.reviewer_id if staff else app.investor_id)
        if person is None:
            return []
        t, lang = self.catalogs[person.language], person.language
        path = f"/committee/files/{app.id}" if staff else f"/my/files/{app.id}"
        values = {
            "reference": reference_of(app.id, app.submitted_at), "title": app.project["title"],
            "date": moroccan_moment(event.timestamp, lang), "link": self.base_url + path,
            "amount": format_mad(_amount(event, app), lang),
            "text": getattr(event, "question", "") or getattr(event, "reason", ""),
        }  # fmt: skip
        body = t.gettext(BODIES[name]) % values
        if not staff:
            body += "\n\n" + t.gettext(FOLLOW) % values
        return [self._message(person, t, t.gettext(SUBJECTS[name]) % values, body)]

    def _message(self, person: Recipient, t: Translations, subject: str, body: str) -> Message:
        text = f"{t.gettext(GREETING)}\n\n{body}\n\n-- \n{t.gettext(SIGNATURE)}\n"
        return Message(recipient=person.email, subject=subject, body=text)

    def digest(self, pool: asyncpg.Pool) -> Callable[[Recipient], Awaitable[Message | None]]:
        """The daily digest's composer: None when nothing waits for the person."""

        async def compose(person: Recipient) -> Message | None:
            stage = DIGEST_STAGE.get(person.role)
            if stage is None:
                return None
            reviewer = person.user_id if person.role == "reviewer" else None
            entries, more = await queue_page(pool, stage=stage, reviewer_id=reviewer, limit=99)
            if not entries:
                return None
            t = self.catalogs[person.language]
            count = f"{len(entries)}+" if more else str(len(entries))
            body = t.gettext(DIGEST_BODY) % {
                "count": count,
                "link": self.base_url + "/committee/queue",
            }
            return self._message(person, t, t.gettext(DIGEST_SUBJECT), body)

        return compose


def _amount(event: Any, app: GrantApplication) -> int:
    return int(getattr(event, "amount_centimes", 0) or app.requested_centimes)
