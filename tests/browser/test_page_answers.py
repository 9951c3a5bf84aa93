"""What the pages answer: dates as typed, every error at once, focus and title on the outcome."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.browser.helpers import API, ELOISE, fill_registration, registration_form, seed_student


async def test_an_impossible_date_is_explained_and_kept_as_typed(page: Page) -> None:
    await page.goto("/")
    await fill_registration(page, {**ELOISE, "birth_date": "31/02/2020"})
    await registration_form(page).get_by_role("button", name="Register").click()

    await expect(page.locator("#birth_date-error")).to_have_text(
        "Date of birth is 31 February 2020, a day that does not exist (February 2020 has 29 days)"
    )
    await expect(page.locator("#birth_date")).to_have_value("31/02/2020")

    await page.locator("#birth_date").fill("02/31/2020")
    await registration_form(page).get_by_role("button", name="Register").click()
    await expect(page.locator("#birth_date-error")).to_contain_text(
        "names a month 31, which does not exist: write the day first, like 17/04/2009"
    )
    await expect(page.locator("#birth_date")).to_have_value("02/31/2020")


async def test_dates_typed_day_first_or_year_first_are_registered_and_shown_one_way(
    page: Page, api: httpx.AsyncClient
) -> None:
    await page.goto("/")
    await expect(page.locator("#birth_date-hint")).to_have_text(
        "Year first, like 2009-04-17, or day first, like 17/04/2009."
    )
    await fill_registration(page, {**ELOISE, "birth_date": "17/04/2009"})
    await registration_form(page).get_by_role("button", name="Register").click()
    await expect(page.get_by_role("status")).to_have_text("Registered Éloïse Durand (2024-0042)")
    assert (await api.get(f"{API}/2024-0042")).json()["birth_date"] == "2009-04-17"
    await expect(page.get_by_role("row").filter(has_text="2024-0042")).to_contain_text("2009-04-17")

    await page.goto("/students/2024-0042")
    await expect(page.locator("#birth_date")).to_have_value("2009-04-17")
    await page.locator("#birth_date").fill("18.04.2009")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_role("status")).to_have_text("Saved.")
    assert (await api.get(f"{API}/2024-0042")).json()["birth_date"] == "2009-04-18"


async def test_a_taken_id_is_reported_with_every_other_error_in_one_round(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE)
    await page.goto("/")
    await fill_registration(
        page, {"id": ELOISE["id"], "first_name": "Marc", "email": ELOISE["email"]}
    )
    await registration_form(page).get_by_role("button", name="Register").click()

    summary = page.get_by_role("alert")
    await expect(summary.get_by_role("link")).to_have_text(
        [
            "Student ID is already taken by a registered student",
            "Last name is required",
            "Date of birth is required",
            "Course is required",
            "Email is already used by another student",
        ]
    )
    await expect(page).to_have_title("Error: 5 problems in the registration · Student Registry")


async def test_an_edit_reports_a_taken_email_with_the_other_errors(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE)
    other = {**ELOISE, "id": "2024-0043", "email": "marc@example.org"}
    await seed_student(api, **other)
    await page.goto("/students/2024-0043")
    await page.get_by_label("Course").fill("")
    await page.get_by_label("Email (optional)").fill(ELOISE["email"])
    await page.get_by_role("button", name="Save changes").click()

    await expect(page.get_by_role("alert").get_by_role("link")).to_have_text(
        ["Course is required", "Email is already used by another student"]
    )
    await expect(page).to_have_title(re.compile(r"^Error: "))


async def test_the_outcome_takes_focus_and_starts_the_title(
    page: Page, api: httpx.AsyncClient
) -> None:
    await page.goto("/")
    await fill_registration(page, ELOISE)
    await registration_form(page).get_by_role("button", name="Register").click()
    await expect(page.get_by_role("status")).to_be_focused()
    await expect(page).to_have_title("Registered Éloïse Durand (2024-0042) · Student Registry")

    await page.goto("/students/2024-0042")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page.get_by_role("status")).to_be_focused()
    await expect(page).to_have_title("Saved: Éloïse Durand · Student Registry")

    await page.goto("/?q=elo")
    await expect(page.get_by_role("heading", name="Registered students")).to_be_focused()
    await expect(page).to_have_title("Search: elo — page 1 of 1 · Student Registry")

    await page.goto("/students/2024-0042/delete")
    await page.get_by_role("button", name="Yes, delete").click()
    await expect(page.get_by_role("status")).to_be_focused()
    await expect(page).to_have_title("Deleted the student 2024-0042. · Student Registry")


async def test_paging_moves_focus_to_the_results_and_names_the_page(
    page: Page, api: httpx.AsyncClient
) -> None:
    rows = [
        {**ELOISE, "id": f"p-{n:03}", "last_name": f"Nom{n:03}", "email": f"p{n}@example.org"}
        for n in range(51)
    ]
    imported = await api.post(f"{API}/import", json=rows)
    assert imported.status_code in (200, 201), imported.text
    await page.goto("/")
    await page.get_by_role("link", name="Next →").click()
    await expect(page.get_by_role("heading", name="Registered students")).to_be_focused()
    await expect(page).to_have_title("page 2 of 2 · Student Registry")


async def test_the_import_report_uses_the_forms_labels_and_a_dry_run_says_would(
    page: Page, tmp_path: Path
) -> None:
    upload = tmp_path / "students.csv"
    upload.write_text(
        "id,first_name,last_name,birth_date,course\n"
        "1,Léa,,2009-02-31,3eB\n2,Zoé,Martin,17/04/2009,3eB\n",
        encoding="utf-8",
    )
    await page.goto("/import")
    await page.get_by_label("File (CSV with a header row, NDJSON or JSON)").set_input_files(upload)
    await page.get_by_label("Dry run: check every row, write nothing").check()
    await page.get_by_role("button", name="Import").click()

    report = page.get_by_role("alert")
    await expect(report).to_contain_text(
        "2 rows: 1 would be created, 0 would be updated, 0 would be skipped, 1 failed."
    )
    await expect(page.get_by_role("heading", name=re.compile("Dry run"))).to_be_focused()
    problems = page.get_by_role("table", name="Rows that failed").get_by_role("row").nth(1)
    await expect(problems).to_contain_text("Last name is required")
    await expect(problems).to_contain_text(
        "Date of birth must be a date written YYYY-MM-DD or DD/MM/YYYY (got '2009-02-31')"
    )
    await expect(page.locator("#file-hint")).to_contain_text("YYYY-MM-DD or DD/MM/YYYY")


async def test_the_list_shows_every_column_on_a_phone_and_cuts_nothing_on_a_desktop(
    page: Page, api: httpx.AsyncClient
) -> None:
    long = {
        "id": "2024-0043-with-a-rather-long-identifier",
        "first_name": "Marie-Christine",
        "last_name": "de La Rochefoucauld-Montmorency",
        "birth_date": "2010-11-30",
        "course": "3eB",
        "email": "marie-christine.de-la-rochefoucauld@example.org",
    }
    await seed_student(api, **long)
    unclipped = """() => [...document.querySelectorAll('.table-wrap, .students td')]
        .every(el => el.scrollWidth <= el.clientWidth + 1)"""
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.goto("/")
    assert await page.evaluate(unclipped)

    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto("/")
    assert await page.evaluate(unclipped)
    assert await page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    card = page.get_by_role("row").filter(has_text=long["id"])
    for label, value in [
        ("Date of birth", "2010-11-30"),
        ("Course", "3eB"),
        ("Email", long["email"]),
    ]:
        cell = card.locator("td", has_text=value)
        await expect(cell).to_be_visible()
        box = await cell.bounding_box()
        assert box is not None
        assert 0 <= box["x"] <= box["x"] + box["width"] <= 390, box
        assert await cell.evaluate("el => getComputedStyle(el, '::before').content") == f'"{label}"'
