"""Registering a student with sex, INE, birthplace and guardians, and seeing them afterwards."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.browser.helpers import API, ELOISE, fill_registration, registration_form


async def test_registering_with_two_guardians_shows_them_on_the_student_page(
    page: Page, api: httpx.AsyncClient, screenshot_path: Callable[[str], Path]
) -> None:
    await page.goto("/")
    await fill_registration(page, ELOISE)
    form = registration_form(page)
    await form.get_by_label(re.compile("^Sex")).select_option("F")
    await form.get_by_label(re.compile("^INE")).fill("1234567890a")
    await form.get_by_label(re.compile("^Place of birth")).fill("Lyon")

    # One empty guardian row shows; "Add a guardian" reveals the next.
    await expect(form.get_by_label("Guardian 1: Name")).to_be_visible()
    await expect(form.get_by_label("Guardian 2: Name")).to_be_hidden()
    await form.get_by_label("Guardian 1: Name").fill("Anne Durand")
    await form.get_by_label("Guardian 1: Relationship").select_option("mother")
    await form.get_by_label("Guardian 1: Phone").fill("06 12 34 56 78")
    await form.get_by_label("Guardian 1: Holds parental authority").check()
    await form.get_by_role("button", name="Add a guardian").click()
    await expect(form.get_by_label("Guardian 2: Name")).to_be_focused()
    await expect(form.get_by_role("button", name="Add a guardian")).to_be_hidden()
    await form.get_by_label("Guardian 2: Name").fill("Paul Durand")
    await form.get_by_label("Guardian 2: Relationship").select_option("father")
    await form.get_by_label("Guardian 2: Email").fill("paul.durand@example.org")
    await form.get_by_role("button", name="Register", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text("Registered Éloïse Durand (2024-0042)")

    await page.goto("/students/2024-0042")
    await expect(page.get_by_label(re.compile("^INE"))).to_have_value("1234567890A")
    await expect(page.get_by_label("Guardian 1: Name")).to_have_value("Anne Durand")
    await expect(page.get_by_label("Guardian 1: Phone")).to_have_value("06 12 34 56 78")
    await expect(page.get_by_label("Guardian 1: Holds parental authority")).to_be_checked()
    await expect(page.get_by_label("Guardian 2: Name")).to_have_value("Paul Durand")
    await expect(page.get_by_label("Guardian 2: Relationship")).to_have_value("father")
    await expect(page.get_by_label("Guardian 2: Holds parental authority")).not_to_be_checked()
    await page.screenshot(path=screenshot_path("student-with-guardians"), full_page=True)
    stored = (await api.get(f"{API}/2024-0042")).json()
    assert [g["phone"] for g in stored["guardians"]] == ["+33612345678", None]


async def test_a_bad_guardian_phone_is_shown_at_its_field(
    page: Page, api: httpx.AsyncClient
) -> None:
    await page.goto("/")
    await fill_registration(page, ELOISE)
    form = registration_form(page)
    await form.get_by_label("Guardian 1: Name").fill("Anne Durand")
    await form.get_by_label("Guardian 1: Relationship").select_option("mother")
    await form.get_by_label("Guardian 1: Phone").fill("12 34")
    await form.get_by_role("button", name="Register", exact=True).click()

    phone = registration_form(page).get_by_label("Guardian 1: Phone")
    await expect(phone).to_have_attribute("aria-invalid", "true")
    await expect(phone).to_have_accessible_description(re.compile("must be a phone number"))
    await expect(page.locator("#error-summary")).to_contain_text("Guardian 1: Phone")
    assert (await api.get(API)).json()["total"] == 0
