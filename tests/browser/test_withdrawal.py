"""Withdrawing a student from their page, finding them under the list's filter, reinstating."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from tests.browser.helpers import API, ELOISE, reinstate, seed_student


async def test_a_student_is_withdrawn_found_under_the_filter_and_reinstated(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE, entry_date="2024-09-02")
    await seed_student(
        api,
        id="2024-0043",
        first_name="Marc",
        last_name="Martin",
        birth_date="2009-01-02",
        course="3eB",
    )
    await page.goto("/students/2024-0042")

    await page.get_by_label("Date of leaving").fill("14/02/2025")
    await page.get_by_label("Reason for leaving").fill("Moved to Lyon")
    await page.get_by_role("button", name="Withdraw").click()

    await expect(page).to_have_url(re.compile(r"/students/2024-0042\?withdrawn=true$"))
    await expect(page.get_by_role("status")).to_have_text("Withdrawn.")
    await expect(page.locator("#withdrawn-mark")).to_contain_text("Moved to Lyon")
    stored = (await api.get(f"{API}/2024-0042")).json()
    assert (stored["status"], stored["exit_date"]) == ("withdrawn", "2025-02-14")

    await page.goto("/")
    students = page.locator("table tbody")
    await expect(students).not_to_contain_text("2024-0042")
    await expect(students).to_contain_text("2024-0043")
    await page.get_by_label("Status").select_option("withdrawn")
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(re.compile(r"status=withdrawn"))
    row = page.locator("tbody tr", has_text="2024-0042")
    await expect(row).to_contain_text("Withdrawn")
    await expect(page.locator("tbody tr")).to_have_count(1)

    await row.get_by_role("link", name="2024-0042").click()
    await reinstate(page, api, "2024-0042", button="Reinstate", notice="Reinstated.")


async def test_a_withdrawal_without_a_reason_is_shown_at_the_field(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE, entry_date="2024-09-02")
    await page.goto("/students/2024-0042")
    await page.get_by_label("Date of leaving").fill("14/02/2025")
    await page.get_by_role("button", name="Withdraw").click()
    await expect(page.locator("#exit_reason-error")).to_contain_text("Reason for leaving")
    await expect(page.get_by_label("Date of leaving")).to_have_value("14/02/2025")
    assert (await api.get(f"{API}/2024-0042")).json()["status"] == "enrolled"
