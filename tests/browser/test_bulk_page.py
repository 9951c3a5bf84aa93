"""Import a spreadsheet from the page and download the students back."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
import httpx
from playwright.async_api import Page, expect

from tests.browser.helpers import API, ELOISE, seed_student

EXPORTS = Path(__file__).parent.parent / "fixtures" / "french_exports"
SPREADSHEET = (
    "Student ID;First name;Last name;Date of birth;Course;Email;Notes\n"
    "2024-0001;Éloïse;Durand;17/04/2009;3eB;;front row\n"
    "2024-0002;Zoé;Martin;2031-01-01;3eB;;\n"
)


async def test_a_spreadsheet_imports_from_the_page_with_a_report_of_failed_rows(
    page: Page, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    upload = tmp_path / "rentree.csv"
    upload.write_text(SPREADSHEET, encoding="utf-8-sig")
    await page.goto("/")
    await page.get_by_role("link", name="Import from a file…").click()
    await page.get_by_label("File (CSV with a header row, NDJSON or JSON)").set_input_files(upload)
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.get_by_role("button", name="Import").click()

    assert (await answer.value).status == 207
    report = page.get_by_role("alert")
    await expect(report).to_contain_text("2 rows: 1 created, 0 updated, 0 skipped, 1 failed.")
    await expect(report).to_contain_text("Columns not imported: Notes")
    failed = page.get_by_role("table", name="Rows that failed")
    await expect(failed.get_by_role("row").nth(1)).to_contain_text("must not be in the future")
    stored = (await api.get(f"{API}/2024-0001")).json()
    assert (stored["first_name"], stored["birth_date"]) == ("Éloïse", "2009-04-17")
    assert (await api.get(f"{API}/2024-0002")).status_code == 404


async def test_a_dry_run_from_the_page_writes_nothing(
    page: Page, api: httpx.AsyncClient, tmp_path: Path
) -> None:
    upload = tmp_path / "students.csv"
    upload.write_text(SPREADSHEET.splitlines()[0] + "\n" + SPREADSHEET.splitlines()[1] + "\n")
    await page.goto("/import")
    await page.get_by_label("File (CSV with a header row, NDJSON or JSON)").set_input_files(upload)
    await page.get_by_label("Dry run: check every row, write nothing").check()
    await page.get_by_role("button", name="Import").click()

    await expect(page.get_by_role("status")).to_contain_text("Nothing was written.")
    assert (await api.get(f"{API}/2024-0001")).status_code == 404


async def test_a_full_siecle_export_withdraws_the_students_it_leaves_out_from_the_page(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE)
    await page.goto("/import")
    await page.get_by_label("File (CSV with a header row, NDJSON or JSON)").set_input_files(
        EXPORTS / "ElevesSansAdresses.xml"
    )
    await page.get_by_label("Guardians file of that export").set_input_files(
        EXPORTS / "ResponsablesAvecAdresses.xml"
    )
    withdraw = page.get_by_label("Withdraw the enrolled students this export leaves out")
    await expect(withdraw).to_have_accessible_description(re.compile("never deleted"))
    await withdraw.check()
    await page.get_by_role("button", name="Import").click()

    report = page.get_by_role("alert")
    await expect(report).to_contain_text("1 enrolled student absent from the export was withdrawn.")
    stored = (await api.get(f"{API}/{ELOISE['id']}")).json()
    assert (stored["status"], stored["exit_reason"]) == (
        "withdrawn",
        "Absent from the SIECLE export",
    )
    assert (await api.get(f"{API}/4101")).json()["guardians"][0]["name"] == "Hélène FICTIF"


async def test_the_export_link_downloads_the_filtered_students_as_csv(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE, entry_date="2024-09-02")
    other = {key: value for key, value in ELOISE.items() if key != "email"}
    await seed_student(api, **{**other, "id": "2024-0043", "course": "4eA"})
    await page.goto("/?course=3eB")
    async with page.expect_download() as download:
        await page.get_by_role("link", name="Export as CSV").click()

    path = await (await download.value).path()
    lines = (await anyio.Path(path).read_text(encoding="utf-8-sig")).splitlines()
    # The enrolment columns, then the registration fields (sex, INE, birthplace, two
    # guardians) follow the first six.
    assert lines[0].startswith(
        "id,first_name,last_name,birth_date,course,email,status,entry_date,exit_date,exit_reason,"
        "sex,ine,"
    )
    assert lines[1:] == [
        "2024-0042,Éloïse,Durand,2009-04-17,3eB,eloise.durand@example.org,enrolled,2024-09-02,,"
        + "," * 13
    ]
