"""The school years' page: a guessed mapping, edited, previewed and applied by an administrator."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from student_registry.school_years import next_year
from tests.browser.helpers import ELOISE, seed_student
from tests.browser.test_accessibility import assert_every_control_is_labelled


async def test_an_administrator_previews_then_applies_the_rollover(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE)
    await seed_student(
        api,
        id="2024-0043",
        first_name="Marc",
        last_name="Martin",
        birth_date="2009-01-02",
        course="6e A",
    )
    year = (await api.get("/api/v1/years")).json()["live"]
    to = next_year(year)
    await page.goto("/")
    await page.get_by_role("link", name="School years").click()
    await assert_every_control_is_labelled(page)
    leavers = page.get_by_label(f"Class in {to} of 3eB")
    await expect(leavers).to_have_value("")
    await expect(page.get_by_label(f"Class in {to} of 6e A")).to_have_value("5e A")

    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator("#report-promoted")).to_have_text("1")
    await expect(page.locator("#report-left")).to_have_text("1")
    await expect(page.locator("#live-year")).to_have_text(year)

    await page.get_by_role("button", name="Apply").click()
    await expect(page.get_by_role("status")).to_have_text(f"The registry moved to {to}.")
    await expect(page.locator("#live-year")).to_have_text(to)

    await page.goto("/students/2024-0043")
    history = page.get_by_role("table", name="Enrolments of")
    await expect(history.locator("tbody tr")).to_have_count(2)
    await expect(history.locator("tbody tr").first).to_contain_text(to)
