"""The list of students: search, course filter, pages of 50, and how the main page looks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page, expect

from tests.accounts import SESSION_COOKIE, Credentials
from tests.browser.helpers import API, ELOISE, seed_student, table_ids

PEOPLE = [
    ELOISE,
    {"id": "s-elodie", "first_name": "ELODIE", "last_name": "Martin", "course": "3eA"},
    {"id": "s-lorient", "first_name": "Paul", "last_name": "Élodin", "course": "4eA"},
    {"id": "s-emile", "first_name": "Émile", "last_name": "Zola", "course": "3eB"},
    {"id": "s-marie", "first_name": "Marie", "last_name": "Éluard", "course": "3eB"},
]


async def seed_people(api: httpx.AsyncClient) -> None:
    """Register the people above."""
    for person in PEOPLE:
        await seed_student(api, **{"birth_date": "2010-05-06", **person})


async def test_a_search_of_several_words_finds_the_full_name_in_either_order(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_people(api)
    await seed_student(
        api,
        id="s-dupont",
        first_name="Marie",
        last_name="Dupont",
        birth_date="2009-04-17",
        course="3eA",
    )
    await page.goto("/")
    for q, found in [
        ("Dupont Marie", ["s-dupont"]),
        ("marie dup", ["s-dupont"]),
        ("Dupont", ["s-dupont"]),
        ("marie", ["s-dupont", "s-marie"]),
    ]:
        await page.get_by_role("searchbox", name="Search by name").fill(q)
        await page.get_by_role("button", name="Search").click()
        await expect(page.locator("#summary")).to_contain_text(f"{len(found)} student")
        assert sorted(await table_ids(page)) == found, q


async def test_name_search_ignores_case_and_accents_and_gives_a_shareable_url(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_people(api)
    await page.goto("/")
    await page.get_by_role("searchbox", name="Search by name").fill("elo")
    await page.get_by_role("button", name="Search").click()

    await expect(page).to_have_url(re.compile(r"/\?q=elo(&course=)?(&status=enrolled)?$"))
    assert sorted(await table_ids(page)) == ["2024-0042", "s-elodie", "s-lorient"]
    await expect(page.locator("#summary")).to_contain_text("3 students")

    await page.get_by_label("Filter by course").fill("3eB")
    await page.get_by_role("button", name="Search").click()
    await expect(page).to_have_url(re.compile(r"/\?q=elo&course=3eB(&status=enrolled)?$"))
    assert await table_ids(page) == ["2024-0042"]

    shared = await page.context.new_page()
    await shared.goto("/?q=elo&course=3eB")
    assert await table_ids(shared) == ["2024-0042"]
    await expect(shared.get_by_role("searchbox", name="Search by name")).to_have_value("elo")
    await expect(shared.get_by_label("Filter by course")).to_have_value("3eB")


async def test_course_filter_alone_lists_that_course_alphabetically(
    page: Page, api: httpx.AsyncClient
) -> None:
    await seed_people(api)
    await page.goto("/?course=3eB")
    assert await table_ids(page) == ["2024-0042", "s-marie", "s-emile"]
    await page.get_by_role("link", name="Clear").click()
    await expect(page).to_have_url(re.compile(r"/$"))
    assert len(await table_ids(page)) == len(PEOPLE)


async def test_the_course_filter_suggests_courses_and_takes_a_typed_one_without_javascript(
    browser: Browser, base_url: str, api: httpx.AsyncClient, browser_admin: Credentials
) -> None:
    await seed_people(api)
    context = await browser.new_context(base_url=base_url, java_script_enabled=False)
    await context.add_cookies(
        [{"name": SESSION_COOKIE, "value": browser_admin.session_id, "url": base_url}]
    )
    page = await context.new_page()
    await page.goto("/")
    suggested = page.locator("#course-suggestions option")
    assert await suggested.evaluate_all("options => options.map(o => o.value)") == [
        "3eA",
        "3eB",
        "4eA",
    ]

    await page.get_by_label("Filter by course").fill("4eA")
    await page.get_by_label("Filter by course").press("Enter")

    await expect(page).to_have_url(re.compile(r"/\?q=&course=4eA(&status=enrolled)?$"))
    assert await table_ids(page) == ["s-lorient"]
    await context.close()


async def test_a_search_without_match_says_so(page: Page, api: httpx.AsyncClient) -> None:
    await seed_people(api)
    await page.goto("/?q=zzz")
    await expect(page.get_by_text("No student matches.")).to_be_visible()
    await expect(page.locator("#summary")).to_contain_text("0 students")


async def seed_many(api: httpx.AsyncClient, count: int) -> list[str]:
    """Register this many students, a few at a time, and return their ids."""
    ids = [f"p{i:03d}" for i in range(count)]
    limit = asyncio.Semaphore(8)

    async def one(i: int, student_id: str) -> None:
        async with limit:
            await seed_student(
                api,
                id=student_id,
                first_name=f"Pupil{i % 7}",
                last_name=["Dubois", "Bernard", "Petit", "Lefèvre", "Roux"][i % 5],
                birth_date="2011-02-03",
                course=["5eA", "5eB"][i % 2],
            )

    await asyncio.gather(*(one(i, s) for i, s in enumerate(ids)))
    return ids


async def test_pages_of_fifty_show_every_student_once_in_order(
    page: Page, api: httpx.AsyncClient
) -> None:
    ids = await seed_many(api, 120)
    in_api_order = [s["id"] for s in (await api.get(API, params={"limit": 500})).json()["items"]]

    await page.goto("/")
    seen: list[str] = []
    for number, size in [(1, 50), (2, 50), (3, 20)]:
        await expect(page.locator("#summary")).to_contain_text(f"120 students · page {number} of 3")
        on_page = await table_ids(page)
        assert len(on_page) == size
        seen += on_page
        has_next = number < 3
        await expect(page.get_by_role("link", name="Next")).to_have_count(int(has_next))
        await expect(page.get_by_role("link", name="Previous")).to_have_count(int(number > 1))
        if has_next:
            await page.get_by_role("link", name="Next").click()
    assert seen == in_api_order
    assert sorted(seen) == sorted(ids)

    await page.get_by_role("link", name="Previous").click()
    await expect(page.locator("#summary")).to_contain_text("page 2 of 3")
    assert await table_ids(page) == seen[50:100]
    await page.get_by_role("link", name="Previous").click()
    await expect(page.locator("#summary")).to_contain_text("page 1 of 3")
    assert await table_ids(page) == seen[:50]


async def test_main_page_screenshot(
    page: Page, api: httpx.AsyncClient, screenshot_path: Callable[[str], Path]
) -> None:
    await seed_people(api)
    await page.goto("/?registered=2024-0042")
    await expect(page.get_by_role("status")).to_be_visible()
    path = screenshot_path("main-page")
    await page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 10_000
    print(f"screenshot: {path}")
