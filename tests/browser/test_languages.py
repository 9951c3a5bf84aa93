"""The pages in French and in English: a French browser, the switch, dates typed day first."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.browser.audit import axe_violations
from tests.browser.helpers import (
    API,
    ELOISE,
    fill_registration,
    fill_registration_fr,
    registration_form,
    registration_form_fr,
)

NBSP = "\u00a0"


async def test_a_french_secretary_registers_a_student_with_a_date_typed_day_first(
    french_page: Page, api: httpx.AsyncClient
) -> None:
    page = french_page
    await page.goto("/")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.get_by_role("heading", name="Inscrire un élève")).to_be_visible()

    await fill_registration_fr(page, {**ELOISE, "birth_date": "17/04/2009"})
    await registration_form_fr(page).get_by_role("button", name="Inscrire", exact=True).click()

    await expect(page.get_by_role("status")).to_have_text(
        "Inscription de Éloïse Durand (2024-0042) enregistrée"
    )
    row = page.get_by_role("row").filter(has_text="2024-0042")
    await expect(row).to_have_text(re.compile(r"2024-0042\s*Durand\s*Éloïse\s*17/04/2009\s*3eB"))
    assert (await api.get(f"{API}/2024-0042")).json()["birth_date"] == "2009-04-17"
    await expect(page.locator("#summary")).to_contain_text("1 élève")


async def test_a_french_form_explains_its_errors_in_french(
    french_page: Page, screenshot_path: Callable[[str], Path]
) -> None:
    page = french_page
    await page.goto("/")
    await fill_registration_fr(
        page, {"first_name": "Marc", "last_name": "Petit", "birth_date": "31/02/2010"}
    )
    await registration_form_fr(page).get_by_role("button", name="Inscrire", exact=True).click()

    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text(f"Veuillez corriger les points suivants{NBSP}:")
    await expect(page.locator("#birth_date-error")).to_have_text(
        f"Date de naissance{NBSP}: le 31 février 2010 n’existe pas (février 2010 compte 28 jours)"
    )
    await expect(page.locator("#course-error")).to_have_text(f"Classe{NBSP}: obligatoire")
    await expect(page).to_have_title(re.compile(r"^Erreur\u00a0: 2 problèmes dans l’inscription"))
    assert await axe_violations(page) == []

    path = screenshot_path("main-page-french")
    await page.screenshot(path=path, full_page=True)
    print(f"screenshot: {path}")


async def test_the_switch_changes_the_language_and_keeps_it_from_page_to_page(
    page: Page, api: httpx.AsyncClient
) -> None:
    await page.goto("/?q=dur")
    await expect(page.locator("html")).to_have_attribute("lang", "en")

    await page.get_by_role("link", name="Français").click()

    await expect(page).to_have_url(re.compile(r"/\?q=dur&lang=fr$"))
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.get_by_label("Rechercher par nom")).to_have_value("dur")
    await page.goto("/import")
    await expect(page.get_by_role("heading", name="Importer des élèves")).to_be_visible()

    await page.get_by_role("link", name="English").click()
    await page.goto("/")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", name="Register a student")).to_be_visible()


async def test_an_english_page_registers_a_date_typed_either_way_and_shows_it_year_first(
    page: Page, api: httpx.AsyncClient
) -> None:
    await page.goto("/")
    await fill_registration(page, {**ELOISE, "birth_date": "17/04/2009"})
    await registration_form(page).get_by_role("button", name="Register").click()

    await expect(page.get_by_role("status")).to_have_text("Registered Éloïse Durand (2024-0042)")
    row = page.get_by_role("row").filter(has_text="2024-0042")
    await expect(row).to_contain_text("2009-04-17")
    await fill_registration(page, {"first_name": "Marc", "birth_date": "2010-02-31"})
    await registration_form(page).get_by_role("button", name="Register").click()
    await expect(page.locator("#birth_date-error")).to_have_text(
        "Date of birth is 31 February 2010, a day that does not exist (February 2010 has 28 days)"
    )
