"""A real server (``grants serve`` on its own embedded PostgreSQL) and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:  # the hook sees the whole session: mark only this folder's tests
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"grants serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("grants serve did not become healthy in time")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``grants serve --demo`` on a free port with its own data dir; yields the base URL."""
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("browser-data")
    env = {**os.environ, "GRANTS_DATA_DIR": str(data_dir), "GRANTS_PORT": str(port)}
    env.pop("GRANTS_DATABASE_URL", None)
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "web.cli.main", "serve", "--demo"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="ar-MA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def sign_in(page: Page, server: str, email: str, password: str | None = None) -> None:
    """Log in through the login page (demo password by default); every journey starts here.

    Staff sign-in steps (a second factor, say) belong here, so that journeys do not change."""
    from web.cli.demo import DEMO_PASSWORD

    page.goto(f"{server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password or DEMO_PASSWORD)
    page.click("form[action='/login'] [type=submit]")
    page.wait_for_load_state()
    if "/login/mfa" in page.url:
        _pass_second_factor(page)


def _pass_second_factor(page: Page) -> None:
    """Type the code a demo staff member's authenticator app would show (demo-only secret).

    A code works once: signing the same person in again within its 30 s window takes the next
    step's code, and after that the next window."""
    import pyotp

    from web.cli.demo import DEMO_TOTP_SECRET

    totp = pyotp.TOTP(DEMO_TOTP_SECRET)
    for attempt in range(4):
        at = time.time() + (30 if attempt % 2 else 0)
        page.fill("input[name=code]", totp.at(at))
        page.click("form[action='/login/mfa'] [type=submit]")
        page.wait_for_load_state()
        if "/login/mfa" not in page.url:
            return
        if attempt == 1:
            time.sleep(31 - time.time() % 30)
    raise AssertionError("the demo second factor was refused")
