"""Registering through the page: the form, its errors, the original app's form, forgery."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
from playwright.async_api import Page, expect

from tests.browser.audit import axe_violations
from tests.browser.helpers import API, ELOISE, fill_registration, registration_form, seed_student


async def test_registration_confirms_and_lists_the_student_and_reload_does_not_repeat_it(
    page: Page, api: httpx.AsyncClient
) -> None:
    await page.goto("/")
    await fill_registration(page, ELOISE)
    await registration_form(page).get_by_role("button", name="Register").click()

    await expect(page).to_have_url(re.compile(r"/\?registered=2024-0042$"))
    await expect(page.get_by_role("status")).to_have_text("Registered Éloïse Durand (2024-0042)")
    row = page.get_by_role("row").filter(has_text="2024-0042")
    await expect(row).to_have_text(re.compile(r"2024-0042\s*Durand\s*Éloïse\s*2009-04-17\s*3eB"))
    await expect(registration_form(page).get_by_label("First name")).to_have_value("")

    await page.reload()
    await expect(page.get_by_role("status")).to_have_text("Registered Éloïse Durand (2024-0042)")
    assert (await api.get(API)).json()["total"] == 1
    await expect(page.locator("#summary")).to_contain_text("1 student")


async def test_duplicate_id_is_shown_at_the_field_with_the_typed_values_and_original_kept(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE)
    typed = {
        "id": "2024-0042",
        "first_name": "Marc",
        "last_name": "Petit",
        "birth_date": "2008-01-02",
        "course": "4eA",
        "email": "marc.petit@example.org",
    }
    await page.goto("/")
    await fill_registration(page, typed)
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await registration_form(page).get_by_role("button", name="Register").click()

    assert (await answer.value).status == 409
    await expect(page.locator("#id-error")).to_have_text(
        "Student ID is already taken by a registered student"
    )
    form = registration_form(page)
    for name, value in typed.items():
        await expect(form.locator(f"[name={name}]")).to_have_value(value)
    stored = (await api.get(f"{API}/2024-0042")).json()
    assert {k: stored[k] for k in ELOISE} == ELOISE

    await form.get_by_label("Student ID", exact=False).fill("2024-0043")
    await form.get_by_role("button", name="Register").click()
    await expect(page.get_by_role("status")).to_have_text("Registered Marc Petit (2024-0043)")


async def test_future_birth_date_is_shown_at_the_field_and_nothing_is_registered(
    page: Page, api: httpx.AsyncClient
) -> None:
    future = (date.today() + timedelta(days=30)).isoformat()
    await page.goto("/")
    await fill_registration(page, {**ELOISE, "birth_date": future})
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await registration_form(page).get_by_role("button", name="Register").click()

    assert (await answer.value).status == 422
    await expect(page.locator("#birth_date-error")).to_have_text(
        "Date of birth must not be in the future"
    )
    await expect(page.locator("#birth_date")).to_have_value(future)
    await expect(page.locator("#first_name")).to_have_value("Éloïse")
    assert (await api.get(API)).json()["total"] == 0


async def press_tab_until_focus_leaves(page: Page, field: str) -> str:
    """Press Tab until focus leaves this field (a date input has stops of its own)."""
    for _ in range(4):
        await page.keyboard.press("Tab")
        focused: str = await page.evaluate("document.activeElement.id")
        if focused != field:
            return focused
    raise AssertionError(f"Tab does not leave {field}")


async def test_keyboard_alone_registers_a_student(page: Page) -> None:
    await page.goto("/")
    focused = ""
    # The skip link, the header's links and the sign-out button come first.
    for _ in range(12):
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.id")
        if focused == "id":
            break
    assert focused == "id", "Tab never reaches the Student ID field"

    fields = ["id", "first_name", "last_name", "birth_date", "course", "email"]
    for name, following in zip(fields, [*fields[1:], None], strict=True):
        # The date is typed day first, as a French secretary writes it.
        await page.keyboard.type("17/04/2009" if name == "birth_date" else ELOISE[name])
        if following:
            assert await press_tab_until_focus_leaves(page, name) == following
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("status")).to_have_text("Registered Éloïse Durand (2024-0042)")
    await expect(page.get_by_role("row").filter(has_text="2024-0042")).to_contain_text("2009-04-17")


LEGACY_FORM = """<!doctype html>
<title>Register a student</title>
<form method="post" action="{url}/handle_data">
  <label>Id <input name="Id"></label>
  <label>First name <input name="First name"></label>
  <label>Last name <input name="Last name"></label>
  <label>Date of Birth <input name="Date of Birth"></label>
  <label>Course <input name="Course"></label>
  <input type="submit" value="Submit">
</form>"""


async def test_the_original_apps_form_still_registers(
    page: Page, api: httpx.AsyncClient, base_url: str
) -> None:
    # The form is served from the registry's own origin, as the original app served it.
    await page.goto("/")
    await page.set_content(LEGACY_FORM.format(url=base_url))
    await page.get_by_label("Id").fill("2024-0042")
    await page.get_by_label("First name").fill("Éloïse")
    await page.get_by_label("Last name").fill("Durand")
    await page.get_by_label("Date of Birth").fill("2009-04-17")
    await page.get_by_label("Course").fill("3eB")
    await page.get_by_role("button", name="Submit").click()

    await expect(page.get_by_role("status")).to_have_text("Registered Éloïse Durand (2024-0042)")
    stored = (await api.get(f"{API}/2024-0042")).json()
    assert (stored["first_name"], stored["birth_date"], stored["course"]) == (
        "Éloïse",
        "2009-04-17",
        "3eB",
    )


async def test_a_name_with_markup_shows_as_text_and_runs_nothing(
    page: Page, dialogs: list[str]
) -> None:
    script = "<script>alert(1)</script>"
    await page.goto("/")
    await fill_registration(page, {**ELOISE, "first_name": script, "last_name": '"><b>x</b>'})
    await registration_form(page).get_by_role("button", name="Register").click()

    await expect(page.get_by_role("status")).to_have_text(
        f'Registered {script} "><b>x</b> (2024-0042)'
    )
    row = page.get_by_role("row").filter(has_text="2024-0042")
    await expect(row.get_by_role("cell", name=script, exact=True)).to_be_visible()
    await page.goto("/students/2024-0042")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(script)
    await expect(page.locator("#first_name")).to_have_value(script)
    assert await page.locator("b").count() == 0
    assert dialogs == []


async def test_a_form_posted_from_another_site_is_refused_with_a_friendly_page(
    page: Page, api: httpx.AsyncClient, base_url: str
) -> None:
    await page.set_content(
        f'<form method="post" action="{base_url}/">'
        '<input name="first_name" value="Mallory"><input name="last_name" value="Forge">'
        '<input name="birth_date" value="2009-04-17"><input name="course" value="3eB">'
        "<button>Send</button></form>"
    )
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await page.get_by_role("button", name="Send").click()

    assert (await answer.value).status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Form expired")
    await expect(page.get_by_role("main")).to_contain_text("did not come from this site")
    assert await axe_violations(page) == []
    assert (await api.get(API)).json()["total"] == 0


async def test_a_form_whose_token_was_lost_is_refused_then_works_after_reload(
    page: Page, api: httpx.AsyncClient
) -> None:
    await page.goto("/")
    await fill_registration(page, ELOISE)
    await page.context.clear_cookies(name="csrftoken")
    await registration_form(page).get_by_role("button", name="Register").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Form expired")

    await page.goto("/")
    await fill_registration(page, ELOISE)
    await registration_form(page).get_by_role("button", name="Register").click()
    await expect(page.get_by_role("status")).to_have_text("Registered Éloïse Durand (2024-0042)")
    assert (await api.get(API)).json()["total"] == 1


async def test_a_possible_duplicate_shows_the_match_and_registers_anyway_on_request(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_student(api, **ELOISE)
    namesake = {**ELOISE, "id": "2024-0099", "first_name": "eloise", "email": ""}
    await page.goto("/")
    await fill_registration(page, namesake)
    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await registration_form(page).get_by_role("button", name="Register", exact=True).click()

    assert (await answer.value).status == 409
    await expect(page.locator("#error-summary")).to_contain_text("same names and date of birth")
    await expect(
        page.locator("#duplicates").get_by_role("link", name="2024-0042")
    ).to_have_attribute("href", "/students/2024-0042")
    await page.get_by_role("button", name="Register anyway").click()
    await expect(page).to_have_url(re.compile(r"/\?registered=2024-0099$"))
    assert (await api.get(API)).json()["total"] == 2
