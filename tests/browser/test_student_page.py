"""A student's own page: edit the record, delete it after a confirmation."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from tests.browser.helpers import API, ELOISE, seed_student


async def test_editing_a_student_saves_the_change(page: Page, api: httpx.AsyncClient) -> None:
    await seed_student(api, **ELOISE)
    await page.goto("/")
    await page.get_by_role("link", name="2024-0042").click()
    await expect(page).to_have_url(re.compile(r"/students/2024-0042$"))
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Éloïse Durand")
    # The id cannot change: it is shown as text, not as a field that takes a Tab stop.
    await expect(page.locator(".read-only-field")).to_have_text(
        re.compile(r"Student ID\s+2024-0042")
    )
    assert await page.locator("input[name=id]").count() == 0

    await page.get_by_label("Course").fill("4eA")
    await page.get_by_label("Email (optional)").fill("")
    await page.get_by_role("button", name="Save changes").click()

    await expect(page).to_have_url(re.compile(r"/students/2024-0042\?saved=true$"))
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    await expect(page.get_by_label("Course")).to_have_value("4eA")
    stored = (await api.get(f"{API}/2024-0042")).json()
    assert (stored["course"], stored.get("email"), stored["first_name"]) == ("4eA", None, "Éloïse")


async def test_an_invalid_edit_is_shown_at_the_field_and_changes_nothing(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE)
    await page.goto("/students/2024-0042")
    await page.get_by_label("Last name").fill("   ")
    await page.get_by_label("Course").fill("5eC")
    await page.get_by_role("button", name="Save changes").click()

    await expect(page.locator("#last_name-error")).to_have_text("Last name is required")
    await expect(page.get_by_label("Course")).to_have_value("5eC")
    stored = (await api.get(f"{API}/2024-0042")).json()
    assert (stored["last_name"], stored["course"]) == ("Durand", "3eB")


async def test_an_edit_does_not_overwrite_a_change_made_meanwhile(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE)
    await page.goto("/students/2024-0042")
    await page.get_by_label("Course").fill("4eA")
    changed = await api.patch(f"{API}/2024-0042", json={"course": "3eC"})
    assert changed.status_code == 200, changed.text
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.get_by_role("button", name="Save changes").click()

    assert (await answer.value).status == 412
    await expect(page.get_by_role("alert")).to_contain_text("Someone changed this student")
    await expect(page.get_by_label("Course")).to_have_value("3eC")
    await page.get_by_label("Course").fill("4eA")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    assert (await api.get(f"{API}/2024-0042")).json()["course"] == "4eA"


async def test_deleting_asks_first_and_cancel_keeps_the_student(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE)
    await page.goto("/students/2024-0042")
    await page.get_by_role("button", name="Delete").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Delete this student?")
    await expect(page.get_by_text("Éloïse Durand (2024-0042), course 3eB")).to_be_visible()
    await page.get_by_role("link", name="Cancel").click()
    await expect(page).to_have_url(re.compile(r"/students/2024-0042$"))
    assert (await api.get(f"{API}/2024-0042")).status_code == 200

    await page.get_by_role("button", name="Delete").click()
    await page.get_by_role("button", name="Yes, delete").click()
    await expect(page).to_have_url(re.compile(r"/\?deleted="))
    await expect(page.get_by_role("status")).to_have_text("Deleted the student 2024-0042.")
    await expect(page.get_by_text("No student is registered yet.")).to_be_visible()
    assert (await api.get(f"{API}/2024-0042")).status_code == 404


async def test_an_unknown_student_gets_a_friendly_not_found_page(page: Page) -> None:
    response = await page.goto("/students/nobody")
    assert response is not None
    assert response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Student not found")
    await expect(page.get_by_role("main")).to_contain_text("nobody")
    back = page.get_by_role("link", name="Back to the list of students")
    await expect(back).to_have_attribute("href", "/")
    await expect(page.get_by_role("heading", level=1)).to_be_focused()
    await expect(page).to_have_title("Error: Student not found · Student Registry")
    await back.click()
    await expect(page).to_have_url(re.compile(r"/$"))
