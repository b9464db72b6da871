"""Documents, questions, mail and the decision letter, each person in their own browser: an
investor attaches a business plan and an RC certificate and submits; the officer asks for a tax
certificate; the investor answers with the file; a reviewer downloads both; the chair funds; the
investor receives the mails (read from a real SMTP server started here) and downloads the
decision letter, whose text (``pdftotext``) holds the amount and the reference."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller

from tests.browser.conftest import ROOT, _free_port, _wait_healthy, screenshot, serious_violations
from tests.browser.journeys import (
    FILE_ID,
    ICE,
    PDF,
    assert_language,
    assign_reviewers,
    caught_up,
    fill_application,
    fund,
    notice,
    score_all,
    submit_score,
    switch_language,
)
from tests.browser.test_journey_across_roles import signed_in, wait_for
from tests.e2e.test_documents_api import extracted

if TYPE_CHECKING:
    from collections.abc import Iterator
    from email.message import EmailMessage
    from pathlib import Path

    from playwright.sync_api import Browser, Page

INVESTOR = "investor4@demo.ma"
TAX = PDF.replace(b"%PDF-1.4\n", b"%PDF-1.4\n%tax certificate\n")
FUNDED_MAD = 100_000


class Inbox:
    """aiosmtpd handler: every message the platform delivered, by recipient."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 OK"

    def subjects_to(self, email: str) -> list[str]:
        return [str(m["Subject"]) for to, m in self.received if to == [email]]


@pytest.fixture(scope="module")
def mailing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Inbox]]:
    """``grants serve --demo`` delivering its mail over SMTP to an aiosmtpd server of the test."""
    inbox, smtp_port, port = Inbox(), _free_port(), _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    # Under the worktree, not /tmp: a shared /tmp's pytest directories are pruned by other runs.
    data_dir = ROOT / "var" / f"browser-documents-{secrets.token_hex(4)}"
    data_dir.mkdir(parents=True)
    env = {
        **os.environ, "GRANTS_DATA_DIR": str(data_dir), "GRANTS_PORT": str(port),
        "GRANTS_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?tls=none",
        "GRANTS_MAIL_FROM": "programme@draa-tafilalet.ma",
    }  # fmt: skip
    env.pop("GRANTS_DATABASE_URL", None)
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    log = (ROOT / "test-artifacts" / "documents-server.log").open("wb")  # kept for a failure
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli.main", "serve", "--demo"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url, inbox
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        smtp.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def both_widths(page: Page, name: str) -> None:
    """Screenshots at 1280 px and at a phone's 390 px."""
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, f"{name}-390")
    page.set_viewport_size({"width": 1280, "height": 900})


def download(page: Page, selector: str, tmp_path: Path) -> bytes:
    with page.expect_download() as info:
        page.locator(selector).first.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path.read_bytes()


def wait_for_mail(inbox: Inbox, email: str, subjects: set[str], seconds: float = 60) -> None:
    """Until every one of ``subjects`` reached ``email`` (the demo's history is mailed too)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if subjects <= set(inbox.subjects_to(email)):
            return
        time.sleep(0.3)
    got = inbox.subjects_to(email)
    raise AssertionError(f"{email} lacks {subjects - set(got)}; got {got}")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_documents_questions_mail_and_letter(
    browser: Browser, mailing_server: tuple[str, Inbox], tmp_path: Path
) -> None:
    server, inbox = mailing_server
    caught_up(server)
    title = f"مركز خدمات رقمية {secrets.token_hex(3)}"

    investor = signed_in(browser, server, INVESTOR)
    investor.goto(f"{server}/my/applications/new")
    fill_application(investor, title, "ar", ICE)
    assert serious_violations(investor) == []
    investor.locator("#documents").scroll_into_view_if_needed()
    both_widths(investor, "documents-1-application-form-ar")
    investor.click("button[name=action][value=submit]")
    investor.wait_for_load_state()
    found = FILE_ID.search(investor.url)
    assert found, investor.url
    app_id = found[1]
    reference = f"DT-{datetime.now(UTC).year}-{app_id.replace('-', '')[:8].upper()}"

    officer = signed_in(browser, server, "officer@demo.ma")
    wait_for(officer, f"{server}/committee/files/{app_id}", "#documents a[download]")
    assert officer.locator("#documents a[download]").count() >= 2  # the call's mandatory ones
    officer.fill("#ask-question", "يرجى إرفاق شهادة الوضعية الجبائية.")
    officer.locator("form[action$='/request-information'] button[type=submit]").click()
    officer.wait_for_load_state()
    notice(officer)

    wait_for(investor, f"{server}/my/files/{app_id}", "form[action$='/reply']")
    assert "يرجى إرفاق شهادة الوضعية الجبائية." in investor.locator("#thread").inner_text()
    investor.fill("#f-message", "تجدون رفقته شهادة الوضعية الجبائية.")
    investor.set_input_files(
        "#f-reply-file",
        files=[{"name": "impots.pdf", "mimeType": "application/pdf", "buffer": TAX}],
    )
    investor.locator("form[action$='/reply'] button[type=submit]").click()
    investor.wait_for_load_state()
    assert "أُرسل جوابكم إلى اللجنة." in notice(investor)
    assert serious_violations(investor) == []
    both_widths(investor, "documents-2-investor-replied-ar")
    # A mail is written in the language its reader has when it goes out: the question's must have
    # gone (in Arabic) before the investor switches to French, which under load it had not always.
    wait_for_mail(inbox, INVESTOR, {f"للجنة سؤال بخصوص {reference}"})
    switch_language(investor, "fr")
    wait_for(investor, f"{server}/my/files/{app_id}", "#thread .thread-reply")
    assert "Le demandeur a répondu" in investor.locator("#thread").inner_text()
    both_widths(investor, "documents-3-investor-file-fr")
    switch_language(investor, "ar")

    assign_reviewers(officer, server, app_id, ("Reviewer Two", "Reviewer Three"))
    officer.context.close()
    for number, email in enumerate(("reviewer2@demo.ma", "reviewer3@demo.ma"), start=1):
        reviewer = signed_in(browser, server, email)
        wait_for(
            reviewer, f"{server}/committee/files/{app_id}", "#thread .thread-reply a[download]"
        )
        if number == 1:  # the reviewer downloads the business plan and the reply's certificate
            assert download(reviewer, "#documents a[download]", tmp_path) == PDF
            assert download(reviewer, "#thread .thread-reply a[download]", tmp_path) == TAX
            assert_language(reviewer, "ar")
            both_widths(reviewer, "documents-4-reviewer-file-ar")
        reviewer.goto(f"{server}/committee/files/{app_id}/score")
        # Judged criteria at 4; the fact criteria (province category, priority sector) are scored
        # from the file itself. Moroccan Arabic: a decimal comma.
        assert score_all(reviewer, "4") == "85,00"
        submit_score(reviewer, "ar", "ملف متكامل.")
        reviewer.context.close()

    chair = signed_in(browser, server, "chair@demo.ma")
    wait_for(chair, f"{server}/committee/files/{app_id}", "#fund-amount")
    fund(chair, server, app_id, str(FUNDED_MAD), "مشروع ذو أولوية.")
    switch_language(chair, "fr")
    wait_for(chair, f"{server}/committee/files/{app_id}", "#decisions #decision-letter")
    both_widths(chair, "documents-5-committee-file-fr")
    chair.context.close()

    wait_for(investor, f"{server}/my/files/{app_id}", "#decision-letter")
    letter = download(investor, "#decision-letter", tmp_path)
    (tmp_path / "letter.pdf").write_bytes(letter)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "letter.pdf"), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert reference in text, text
    assert "100.000,00" in text, text  # the amount in figures, Moroccan Arabic conventions
    assert extracted("مجلس جهة درعة تافيلالت", text), text
    investor.context.close()

    wait_for_mail(inbox, INVESTOR, {
        f"تم استلام الطلب: {reference}", f"للجنة سؤال بخصوص {reference}",
        f"قرار بشأن {reference}: تمت الموافقة على الدعم",
    })  # fmt: skip
    bodies = [m.get_content() for to, m in inbox.received if to == [INVESTOR]]
    decision = next(
        m.get_content() for to, m in inbox.received
        if to == [INVESTOR] and str(m["Subject"]).endswith("تمت الموافقة على الدعم")
        and reference in str(m["Subject"])
    )  # fmt: skip
    assert "100.000,00" in decision
    assert title in decision
    assert not any("سلمى" in body or "salma@example.ma" in body for body in bodies)
    wait_for_mail(inbox, "reviewer2@demo.ma", {f"أُسند إليك ملف: {reference}"})
