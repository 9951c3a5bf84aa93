"""A French school secretary's day, in French: register with guardians, search, a namesake,
a withdrawal and a reinstatement, every date typed and shown day first."""

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
    fill_registration_fr,
    registration_form_fr,
    reinstate,
    seed_student,
    table_ids,
)

NBSP = "\u00a0"
MARIE = {
    "id": "2024-0101",
    "first_name": "Marie",
    "last_name": "Dupont",
    "birth_date": "2009-04-17",
    "course": "3eA",
}


def guardian(n: int, field: str) -> str:
    """The French label of a guardian row's field ("Responsable 1 : Nom")."""
    return f"Responsable {n}{NBSP}: {field}"


async def search_fr(page: Page, q: str) -> list[str]:
    """Search the French list by name and return the ids it shows."""
    await page.get_by_role("searchbox", name="Rechercher par nom").fill(q)
    await page.get_by_role("button", name="Rechercher", exact=True).click()
    await expect(page).to_have_url(re.compile(r"[?&]q="))
    return await table_ids(page, name="Élèves inscrits, par nom")


async def test_a_french_secretary_registers_a_student_with_two_guardians_and_sees_them(
    french_page: Page, api: httpx.AsyncClient, screenshot_path: Callable[[str], Path]
) -> None:
    page = french_page
    await page.goto("/")
    await fill_registration_fr(page, {**ELOISE, "birth_date": "17/04/2009"})
    form = registration_form_fr(page)
    await form.get_by_label(re.compile("^Sexe")).select_option("F")
    await form.get_by_label(re.compile("^INE")).fill("1234567890a")
    await form.get_by_label(re.compile("^Lieu de naissance")).fill("Lyon")
    await form.get_by_label(guardian(1, "Nom")).fill("Anne Durand")
    await form.get_by_label(guardian(1, "Lien avec l’élève")).select_option("mother")
    await form.get_by_label(guardian(1, "Téléphone")).fill("06 12 34 56 78")
    await form.get_by_label(guardian(1, "Exerce l’autorité parentale")).check()
    await form.get_by_role("button", name="Ajouter un responsable").click()
    await expect(form.get_by_label(guardian(2, "Nom"))).to_be_focused()
    await form.get_by_label(guardian(2, "Nom")).fill("Paul Durand")
    await form.get_by_label(guardian(2, "Lien avec l’élève")).select_option("father")
    await form.get_by_label(guardian(2, "Courriel")).fill("paul.durand@example.org")
    await form.get_by_role("button", name="Inscrire", exact=True).click()
    await expect(page.get_by_role("status")).to_have_text(
        "Inscription de Éloïse Durand (2024-0042) enregistrée"
    )

    await page.get_by_role("link", name="2024-0042").click()
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    await expect(page.get_by_label("Date de naissance")).to_have_value("17/04/2009")
    await expect(page.get_by_label(re.compile("^Sexe"))).to_have_value("F")
    await expect(page.get_by_label(re.compile("^INE"))).to_have_value("1234567890A")
    await expect(page.get_by_label(re.compile("^Lieu de naissance"))).to_have_value("Lyon")
    await expect(page.get_by_role("group", name="Responsable 2 (facultatif)")).to_be_visible()
    await expect(page.get_by_label(guardian(1, "Nom"))).to_have_value("Anne Durand")
    await expect(page.get_by_label(guardian(1, "Téléphone"))).to_have_value("06 12 34 56 78")
    await expect(page.get_by_label(guardian(1, "Exerce l’autorité parentale"))).to_be_checked()
    await expect(page.get_by_label(guardian(2, "Nom"))).to_have_value("Paul Durand")
    await expect(page.get_by_label(guardian(2, "Lien avec l’élève"))).to_have_value("father")
    await expect(
        page.get_by_label(guardian(2, "Lien avec l’élève")).locator("option:checked")
    ).to_have_text("Père")
    await expect(page.get_by_label(guardian(2, "Courriel"))).to_have_value(
        "paul.durand@example.org"
    )
    await expect(page.get_by_role("main")).to_contain_text(
        re.compile(r"Inscription le \d{2}/\d{2}/\d{4}")
    )
    assert await axe_violations(page) == []
    path = screenshot_path("student-with-guardians-french")
    await page.screenshot(path=path, full_page=True)
    print(f"screenshot: {path}")

    stored = (await api.get(f"{API}/2024-0042")).json()
    assert (stored["birth_date"], stored["sex"], stored["birthplace"]) == (
        "2009-04-17",
        "F",
        "Lyon",
    )
    assert [(g["name"], g["relationship"]) for g in stored["guardians"]] == [
        ("Anne Durand", "mother"),
        ("Paul Durand", "father"),
    ]


async def test_a_french_search_of_two_words_finds_marie_dupont_in_either_order(
    french_page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **MARIE)
    await seed_student(api, **ELOISE)
    await seed_student(
        api,
        id="s-marie",
        first_name="Marie",
        last_name="Éluard",
        birth_date="2010-01-02",
        course="3eB",
    )
    page = french_page
    await page.goto("/")

    assert await search_fr(page, "Dupont Marie") == ["2024-0101"]
    assert await search_fr(page, "marie dup") == ["2024-0101"]
    assert await search_fr(page, "marie") == ["2024-0101", "s-marie"]


async def test_a_french_namesake_is_flagged_then_registered_with_inscrire_quand_meme(
    french_page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **MARIE)
    page = french_page
    await page.goto("/")
    await fill_registration_fr(
        page, {**MARIE, "id": "2024-0102", "birth_date": "17/04/2009", "course": "4eC"}
    )
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await registration_form_fr(page).get_by_role("button", name="Inscrire", exact=True).click()

    assert (await answer.value).status == 409
    await expect(page.locator("#error-summary")).to_contain_text(
        "Un élève de mêmes prénom, nom et date de naissance est déjà inscrit."
    )
    duplicates = page.locator("#duplicates")
    await expect(duplicates).to_contain_text(
        f"S’agit-il de la même personne{NBSP}? Déjà inscrit{NBSP}:"
    )
    await expect(duplicates.get_by_role("link", name="2024-0101")).to_have_attribute(
        "href", "/students/2024-0101"
    )
    await expect(registration_form_fr(page).get_by_label("Date de naissance")).to_have_value(
        "17/04/2009"
    )
    await duplicates.get_by_role("button", name="Inscrire quand même").click()

    await expect(page).to_have_url(re.compile(r"/\?registered=2024-0102$"))
    await expect(page.get_by_role("status")).to_have_text(
        "Inscription de Marie Dupont (2024-0102) enregistrée"
    )
    students = (await api.get(API)).json()
    assert students["total"] == 2
    assert (await api.get(f"{API}/2024-0102")).json()["birth_date"] == "2009-04-17"


async def test_a_french_secretary_radie_a_student_finds_her_under_radie_and_reinscrit_her(
    french_page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE, entry_date="2024-09-02")
    await seed_student(api, **MARIE)
    page = french_page
    await page.goto("/students/2024-0042")
    await expect(page.get_by_role("main")).to_contain_text("Entré le 02/09/2024.")

    await page.get_by_label("Date de sortie").fill("14/02/2025")
    await page.get_by_label("Motif de sortie").fill("Déménagement à Lyon")
    await page.get_by_role("button", name="Radier").click()

    await expect(page).to_have_url(re.compile(r"/students/2024-0042\?withdrawn=true$"))
    await expect(page.get_by_role("status")).to_have_text("Radié.")
    await expect(page.locator("#withdrawn-mark")).to_have_text(
        f"Radié · sorti le 14/02/2025{NBSP}: Déménagement à Lyon"
    )
    stored = (await api.get(f"{API}/2024-0042")).json()
    assert (stored["status"], stored["exit_date"]) == ("withdrawn", "2025-02-14")

    await page.goto("/")
    students = page.locator("table tbody")
    await expect(students).not_to_contain_text("2024-0042")
    await page.get_by_label("Statut").select_option(label="Radié")
    await page.get_by_role("button", name="Rechercher", exact=True).click()
    await expect(page).to_have_url(re.compile(r"status=withdrawn"))
    row = page.locator("tbody tr", has_text="2024-0042")
    await expect(row.locator(".badge")).to_have_text("Radié")
    await expect(page.locator("tbody tr")).to_have_count(1)

    await row.get_by_role("link", name="2024-0042").click()
    await reinstate(page, api, "2024-0042", button="Réinscrire", notice="Réinscrit.")
