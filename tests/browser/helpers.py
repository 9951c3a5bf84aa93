"""What the browser tests do again and again: fill the form, seed students, read the table."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.async_api import Locator, Page

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


def registration_form(page: Page) -> Locator:
    """The registration form of the main page."""
    return page.locator("form[method=post]").filter(has=page.get_by_role("button", name="Register"))


async def fill_registration(page: Page, values: dict[str, str]) -> None:
    """Type these values into the registration form, finding each field by its label.

    A label starts with the field's name ("Email (optional)"); the guardians' rows have labels
    of their own ("Guardian 1: Email")."""
    form = registration_form(page)
    for name, value in values.items():
        await form.get_by_label(re.compile(f"^{re.escape(LABELS[name])}")).fill(value)


async def seed_student(api: httpx.AsyncClient, **fields: str) -> dict[str, Any]:
    """Register a student through the JSON API and return it (a namesake born the same day
    too: seeding is no test of the duplicate check)."""
    response = await api.post(API, json=fields, params={"allow_duplicate": "true"})
    assert response.status_code == 201, response.text
    student: dict[str, Any] = response.json()
    return student


async def table_ids(page: Page) -> list[str]:
    """The student ids in the table, top to bottom."""
    table = page.get_by_role("table", name="Registered students, by last name")
    return await table.locator("tbody tr td:first-child").all_inner_texts()
