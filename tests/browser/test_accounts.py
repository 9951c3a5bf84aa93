"""Signing in and out in a real browser, what a viewer sees, and the pages under the CSP."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import BrowserContext, ConsoleMessage, Page, expect

from tests.accounts import PASSWORD, SESSION_COOKIE, Credentials, sign_up
from tests.browser.helpers import API, ELOISE, seed_student

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


async def sign_in_with_the_form(page: Page, email: str, password: str) -> None:
    """Fill and send the sign-in form the page shows."""
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()


async def test_signing_in_leads_back_to_the_page_asked_for_and_signing_out_ends_it(
    anonymous_context: BrowserContext, api: httpx.AsyncClient, browser_admin: Credentials
) -> None:
    await seed_student(api, **ELOISE)
    page = await anonymous_context.new_page()
    await page.goto(f"/students/{ELOISE['id']}")
    await expect(page).to_have_url(re.compile(r"/login\?next=%2Fstudents%2F2024-0042$"))

    await sign_in_with_the_form(page, browser_admin.email, "not the right password")
    await expect(page.get_by_role("alert")).to_have_text("Invalid email or password")

    await sign_in_with_the_form(page, browser_admin.email, PASSWORD)
    await expect(page).to_have_url(re.compile(r"/students/2024-0042$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Éloïse Durand")
    cookies = {c["name"]: c for c in await anonymous_context.cookies()}
    assert cookies[SESSION_COOKIE]["httpOnly"]
    assert cookies[SESSION_COOKIE]["sameSite"] == "Lax"

    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))


async def test_a_viewer_sees_the_students_but_no_control_to_change_them(
    anonymous_context: BrowserContext, api: httpx.AsyncClient, redis_url: str, base_url: str
) -> None:
    await seed_student(api, **ELOISE)
    viewer = await sign_up(redis_url, "viewer@example.org", "viewer")
    await anonymous_context.add_cookies(
        [{"name": SESSION_COOKIE, "value": viewer.session_id, "url": base_url}]
    )
    page = await anonymous_context.new_page()
    await page.goto("/")
    await expect(page.get_by_role("row").filter(has_text="2024-0042")).to_be_visible()
    assert await page.get_by_role("button", name="Register").count() == 0
    assert await page.get_by_role("link", name="Export as CSV").count() == 0
    assert await page.get_by_role("link", name=re.compile("Import")).count() == 0
    assert await page.get_by_role("link", name="Users").count() == 0

    await page.get_by_role("link", name="2024-0042").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Éloïse Durand")
    assert await page.get_by_role("button", name="Save changes").count() == 0
    assert await page.get_by_role("link", name="Delete…").count() == 0
    assert await page.locator("input:not([type=hidden])").count() == 0

    forbidden = await page.goto(f"/students/{ELOISE['id']}/delete")
    assert forbidden is not None
    assert forbidden.status == 403


async def test_the_tokens_page_creates_shows_once_and_revokes_a_token(
    page: Page, base_url: str
) -> None:
    await page.goto("/tokens")
    await page.get_by_label("Name").fill("laptop script")
    await page.get_by_role("button", name="Create the token").click()
    token = (await page.locator("#new-token").inner_text()).strip()
    assert token.startswith("srg_")
    async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await client.get(API, headers=bearer)).status_code == 200
        await page.goto("/tokens")
        assert await page.locator("#new-token").count() == 0
        row = page.get_by_role("row").filter(has_text="laptop script")
        await row.get_by_role("button", name="Revoke").click()
        await expect(page.get_by_role("row").filter(has_text="laptop script")).to_have_count(0)
        assert (await client.get(API, headers=bearer)).status_code == 401


async def test_an_administrator_creates_a_user_on_the_users_page(page: Page) -> None:
    await page.goto("/users")
    await page.get_by_label("Email").fill("new.teacher@example.org")
    await page.get_by_label("Password").fill("a long enough pass phrase")
    await page.get_by_label("Role", exact=True).select_option("staff")
    await page.get_by_role("button", name="Create the user").click()
    await expect(page.get_by_role("status")).to_have_text("Created new.teacher@example.org.")
    row = page.get_by_role("row").filter(has_text="new.teacher@example.org")
    await row.get_by_role("button", name="Disable").click()
    await expect(
        page.get_by_role("row").filter(has_text="new.teacher@example.org")
    ).to_contain_text("disabled")


async def test_the_pages_and_the_docs_run_under_the_csp_without_a_single_violation(
    page: Page,
) -> None:
    console: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            console.append(message.text)

    page.on("console", record)
    await page.add_init_script(RECORD_CSP_VIOLATIONS)
    for path in ("/", "/tokens", "/users", "/import", "/docs"):
        await page.goto(path)
        if path == "/docs":
            await expect(page.get_by_role("button", name="Authorize")).to_be_visible()
        assert await page.evaluate("window.__cspViolations") == [], path
    assert console == []


async def test_swagger_ui_authorizes_with_a_token_and_calls_the_api(
    anonymous_context: BrowserContext, browser_admin: Credentials
) -> None:
    page = await anonymous_context.new_page()
    await page.goto("/docs")
    await page.get_by_role("button", name="Authorize").first.click()
    await page.locator(".modal-ux input[type=text], .modal-ux input:not([type])").fill(
        browser_admin.token
    )
    await page.locator(".modal-ux").get_by_role("button", name="Apply credentials").click()
    await expect(
        page.locator(".modal-ux").get_by_role("button", name="Remove authorization")
    ).to_be_visible()
    await page.locator(".modal-ux").get_by_role("button", name="Close").click()

    operation = page.locator("#operations-tokens-ApiV1MeMe")
    await operation.locator(".opblock-summary").click()
    await operation.get_by_role("button", name="Try it out").click()
    await operation.get_by_role("button", name="Execute").click()
    live = operation.locator(".live-responses-table tbody .response-col_status")
    await expect(live).to_have_text("200")
    await expect(operation.locator(".live-responses-table")).to_contain_text(browser_admin.email)
