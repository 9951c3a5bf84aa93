"""Fixtures of the browser tier: the real server as a process, headless Chromium, a page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Dialog,
    Page,
    async_playwright,
    expect,
)

from tests.accounts import ADMIN_EMAIL, SESSION_COOKIE, Credentials, sign_up
from tests.live_server import LiveServer
from tests.redis_server import RedisServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
SECRET_KEY = "browser-tier-secret-key-0123456789"
SAVED_SCREENSHOTS = pytest.StashKey[list[Path]]()


# How long an action or an expectation waits for the page: a loaded machine can take seconds to
# answer what a quiet one answers at once. Nothing is timed; a wait only ends sooner.
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
def live_server(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The service as production runs it, on a free port, using the test Redis."""
    server = LiveServer(
        redis_url=redis_server.url,
        log_path=tmp_path_factory.mktemp("server") / "server.log",
        env={"SECRET_KEY": SECRET_KEY},
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def base_url(live_server: LiveServer, redis_url: str) -> str:
    """The server's URL, with an empty database behind it."""
    if live_server.process is None or live_server.process.poll() is not None:
        pytest.fail(f"the server has stopped:\n{live_server.log_tail()}")
    return live_server.url


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; without it the browser tier is skipped."""
    if not CHROMIUM.exists():
        pytest.skip(f"browser tier needs Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """Headless Chromium, driven by Playwright."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def browser_admin(base_url: str, redis_url: str) -> Credentials:
    """An administrator of the server's empty database, with a token and a session."""
    return await sign_up(redis_url, ADMIN_EMAIL, "admin")


async def new_profile(
    browser: Browser, base_url: str, *, locale: str, timezone_id: str
) -> BrowserContext:
    """A fresh browser profile (no cookies) in this language, relative URLs against the server."""
    context = await browser.new_context(
        base_url=base_url,
        locale=locale,
        timezone_id=timezone_id,
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(WAIT_MS)
    return context


async def sign_in(context: BrowserContext, base_url: str, credentials: Credentials) -> None:
    """Give the profile these credentials' session cookie."""
    await context.add_cookies(
        [{"name": SESSION_COOKIE, "value": credentials.session_id, "url": base_url}]
    )


@pytest.fixture
async def anonymous_context(browser: Browser, base_url: str) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (no cookies) in English, relative URLs against the server."""
    context = await new_profile(browser, base_url, locale="en-US", timezone_id="UTC")
    yield context
    await context.close()


@pytest.fixture
async def context(
    anonymous_context: BrowserContext, base_url: str, browser_admin: Credentials
) -> BrowserContext:
    """The fresh profile, signed in as an administrator (its session cookie set)."""
    await sign_in(anonymous_context, base_url, browser_admin)
    return anonymous_context


@pytest.fixture
async def french_page(
    browser: Browser, base_url: str, browser_admin: Credentials
) -> AsyncIterator[Page]:
    """A tab of a browser set to French (it sends Accept-Language: fr-FR), signed in."""
    context = await new_profile(browser, base_url, locale="fr-FR", timezone_id="Europe/Paris")
    await sign_in(context, base_url, browser_admin)
    yield await context.new_page()
    await context.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert, confirm or prompt the page opened (each dismissed)."""
    return []


@pytest.fixture
async def page(context: BrowserContext, dialogs: list[str]) -> Page:
    """A tab in the fresh profile that records and dismisses any dialog."""

    async def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page = await context.new_page()
    page.on("dialog", record)
    return page


@pytest.fixture
async def api(base_url: str, browser_admin: Credentials) -> AsyncIterator[httpx.AsyncClient]:
    """A JSON client of the same server, as the administrator, to seed and check data."""
    headers = {"Authorization": f"Bearer {browser_admin.token}"}
    async with httpx.AsyncClient(
        base_url=base_url, timeout=WAIT_MS / 1000, trust_env=False, headers=headers
    ) as client:
        yield client


@pytest.fixture
def screenshot_path(request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Where to save a named screenshot; saved paths are listed at the end of the run."""
    saved = request.config.stash.setdefault(SAVED_SCREENSHOTS, [])

    def path_for(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        saved.append(path)
        return path

    return path_for


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Name the screenshots the browser tier saved."""
    saved = [p for p in config.stash.get(SAVED_SCREENSHOTS, []) if p.exists()]
    if saved:
        terminalreporter.section("browser screenshots")
        for path in saved:
            terminalreporter.write_line(str(path))
