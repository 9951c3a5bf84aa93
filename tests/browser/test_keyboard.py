"""The registry with a keyboard alone: Tab, Enter and Space, and a focus ring at every stop."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from tests.browser.audit import focused_without_ring
from tests.browser.helpers import API, ELOISE

MAX_STOPS = 40


async def tab_to(page: Page, description: str, is_target: str) -> None:
    """Press Tab until `is_target` (a JS function of the focused element) holds; every stop on
    the way must show a focus ring."""
    for _ in range(MAX_STOPS):
        await page.keyboard.press("Tab")
        missing = await focused_without_ring(page)
        assert missing is None, f"no visible focus on {missing} (going to {description})"
        if await page.evaluate(f"({is_target})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reaches {description}")


def by_id(element_id: str) -> str:
    return f"el => el.id === {element_id!r}"


def button(name: str) -> str:
    return f"el => el.tagName === 'BUTTON' && el.textContent.trim() === {name!r}"


def link(name: str) -> str:
    return f"el => el.tagName === 'A' && el.textContent.trim() === {name!r}"


async def test_a_keyboard_alone_registers_searches_edits_and_deletes_a_student(
    page: Page, api: httpx.AsyncClient
) -> None:
    await page.goto("/")
    for name in ("id", "first_name", "last_name", "birth_date", "course", "email"):
        await tab_to(page, f"the {name} field", by_id(name))
        await page.keyboard.type("17/04/2009" if name == "birth_date" else ELOISE[name])
    await tab_to(page, "Register", button("Register"))
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_have_text("Registered Éloïse Durand (2024-0042)")
    await expect(page.get_by_role("status")).to_be_focused()

    await tab_to(page, "the name search", by_id("q"))
    await page.keyboard.type("dur")
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/\?q=dur"))
    await expect(page.get_by_role("heading", name="Registered students")).to_be_focused()

    await tab_to(page, "the student's link", link("2024-0042"))
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/students/2024-0042$"))
    await tab_to(page, "the course field", by_id("course"))
    for _ in ELOISE["course"]:
        await page.keyboard.press("Backspace")
    await page.keyboard.type("4eA")
    await tab_to(page, "Save changes", button("Save changes"))
    await page.keyboard.press("Space")
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await expect(page.get_by_role("status")).to_be_focused()
    assert (await api.get(f"{API}/2024-0042")).json()["course"] == "4eA"

    await tab_to(page, "Delete…", button("Delete…"))
    await page.keyboard.press("Space")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Delete this student?")
    await tab_to(page, "Yes, delete", button("Yes, delete"))
    await page.keyboard.press("Space")
    await expect(page.get_by_role("status")).to_have_text("Deleted the student 2024-0042.")
    await expect(page.get_by_role("status")).to_be_focused()
    assert (await api.get(f"{API}/2024-0042")).status_code == 404


async def test_every_focus_stop_of_every_page_shows_a_ring(
    page: Page, api: httpx.AsyncClient
) -> None:
    await api.post(API, json=ELOISE)
    for url in [
        "/",
        "/students/2024-0042",
        "/students/2024-0042/delete",
        "/import",
        "/tokens",
        "/users",
    ]:
        await page.goto(url)
        stops = await page.evaluate(
            """() => [...document.querySelectorAll(
                'a[href], button, input:not([type=hidden]), select, textarea, [tabindex="0"]'
            )].filter(el => el.offsetParent !== null).length"""
        )
        for _ in range(stops):
            await page.keyboard.press("Tab")
            missing = await focused_without_ring(page)
            assert missing is None, f"{url}: no visible focus on {missing}"
