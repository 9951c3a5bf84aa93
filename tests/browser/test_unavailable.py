"""Redis going away: people get a friendly 503 page, and the page works again once it is back."""

from __future__ import annotations

import asyncio

import httpx
from playwright.async_api import Page, expect

from tests.accounts import ADMIN_EMAIL, SESSION_COOKIE, sign_up
from tests.browser.audit import axe_violations
from tests.browser.helpers import API, ELOISE, fill_registration, registration_form
from tests.redis_server import RedisServer


async def test_redis_down_shows_a_friendly_503_page_and_the_page_recovers(
    page: Page, api: httpx.AsyncClient, redis_server: RedisServer, base_url: str
) -> None:
    await page.goto("/")
    await fill_registration(page, ELOISE)
    await asyncio.to_thread(redis_server.stop)
    try:
        async with page.expect_response(lambda r: r.request.method == "POST") as answer:
            await registration_form(page).get_by_role("button", name="Register").click()
        response = await answer.value
        assert response.status == 503
        assert await response.header_value("retry-after")
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            "Service temporarily unavailable"
        )
        await expect(page.get_by_role("main")).to_contain_text("please try again")
        await expect(page.get_by_role("heading", level=1)).to_be_focused()
        assert await axe_violations(page) == []
        body = await page.locator("body").inner_text()
        for leak in ("Traceback", "redis", "Redis", "Connection", "Error"):
            assert leak not in body

        listing = await page.goto("/?q=elo")
        assert listing is not None
        assert listing.status == 503
    finally:
        await asyncio.to_thread(redis_server.start)
    # The test Redis keeps nothing across a restart, the session and the token included.
    admin = await sign_up(redis_server.url, ADMIN_EMAIL, "admin")
    await page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": admin.session_id, "url": base_url}]
    )
    api.headers["Authorization"] = f"Bearer {admin.token}"

    await page.get_by_role("link", name="Try again").click()
    await expect(page).to_have_url(f"{base_url}/?q=elo")
    await expect(page.get_by_role("heading", name="Registered students")).to_be_visible()
    assert (await api.get(API)).json()["total"] == 0
