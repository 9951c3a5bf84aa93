"""What the browser tests do again and again: fill the form, seed students, read the table."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.async_api import Locator, Page, expect

API = "/api/v1/students"
ELOISE = {
    "id": "2024-0042",
    "first_name": "Éloïse",
    "last_name": "Durand",
    "birth_date": "2009-04-17",
    "course": "3eB",
    "email": "eloise.durand@example.org",
}
LABELS = {
    "id": "Student ID",
    "first_name": "First name",
    "last_name": "Last name",
    "birth_date": "Date of birth",
    "course": "Course",
    "email": "Email",
}
# The French form's labels; optional fields add "(facultatif)" to theirs.
FRENCH_LABELS = {
    "id": re.compile(r"^Identifiant"),
    "first_name": re.compile(r"^Prénom$"),
    "last_name": re.compile(r"^Nom$"),
    "birth_date": re.compile(r"^Date de naissance$"),
    "course": re.compile(r"^Classe$"),
    "email": re.compile(r"^Courriel"),
}


def registration_form(page: Page) -> Locator:
    """The registration form of the main page."""
    return page.locator("form[method=post]").filter(has=page.get_by_role("button", name="Register"))


def registration_form_fr(page: Page) -> Locator:
    """The registration form of the French page."""
    return page.locator("form[method=post]").filter(
        has=page.get_by_role("button", name="Inscrire", exact=True)
    )


async def fill_registration(page: Page, values: dict[str, str]) -> None:
    """Type these values into the registration form, finding each field by its label.

    A label starts with the field's name ("Email (optional)"); the guardians' rows have labels
    of their own ("Guardian 1: Email")."""
    form = registration_form(page)
    for name, value in values.items():
        await form.get_by_label(re.compile(f"^{re.escape(LABELS[name])}")).fill(value)


async def fill_registration_fr(page: Page, values: dict[str, str]) -> None:
    """Type these values into the French registration form, finding each field by its label."""
    form = registration_form_fr(page)
    for name, value in values.items():
        await form.get_by_label(FRENCH_LABELS[name]).fill(value)


async def seed_student(api: httpx.AsyncClient, **fields: str) -> dict[str, Any]:
    """Register a student through the JSON API and return it (a namesake born the same day
    too: seeding is no test of the duplicate check)."""
    response = await api.post(API, json=fields, params={"allow_duplicate": "true"})
    assert response.status_code == 201, response.text
    student: dict[str, Any] = response.json()
    return student


async def table_ids(page: Page, name: str = "Registered students, by last name") -> list[str]:
    """The student ids in the table (named in the page's language), top to bottom."""
    table = page.get_by_role("table", name=name)
    return await table.locator("tbody tr td:first-child").all_inner_texts()


async def reinstate(
    page: Page, api: httpx.AsyncClient, student_id: str, *, button: str, notice: str
) -> None:
    """Reinstate the withdrawn student whose page is open, then check the record and the list."""
    await page.get_by_role("button", name=button).click()
    await expect(page.get_by_role("status")).to_have_text(notice)
    await expect(page.locator("#withdrawn-mark")).to_have_count(0)
    stored = (await api.get(f"{API}/{student_id}")).json()
    assert (stored["status"], stored["exit_date"], stored["exit_reason"]) == (
        "enrolled",
        None,
        None,
    )
    await page.goto("/")
    await expect(page.locator("table tbody")).to_contain_text(student_id)
