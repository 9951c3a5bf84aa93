"""The school years' page: the current year, and the rollover's preview and run."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.school_years import next_year
from tests.accounts import SESSION_COOKIE, sign_up
from tests.builders import API, student_body

Client = AsyncTestClient[Litestar]


def form_token(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the form carries no anti-forgery token"
    return found.group(1)


def rows_of(html: str) -> dict[str, str]:
    """Each course of the rollover form and the course it is pre-filled with."""
    courses = dict(re.findall(r'name="course_(\d+)" value="([^"]*)"', html))
    targets = dict(re.findall(r'name="next_(\d+)" type="text" value="([^"]*)"', html))
    return {courses[i]: targets[i] for i in courses}


def report_of(html: str) -> dict[str, int]:
    return {
        name: int(value)
        for name, value in re.findall(r'id="report-(promoted|repeating|left)">(\d+)<', html)
    }


async def register(client: Client, student_id: str, course: str) -> None:
    body = student_body(id=student_id, course=course, entry_date="2024-09-02")
    response = await client.post(API, json=body, params={"allow_duplicate": "true"})
    assert response.status_code == 201, response.text


async def rollover_form(
    client: Client, action: str, *, change: dict[str, str] | None = None, repeat: str = ""
) -> tuple[int, str]:
    page = (await client.get("/years")).text
    live = re.search(r'name="from" value="([^"]+)"', page)
    assert live
    data = {"_csrf_token": form_token(page), "from": live[1], "repeat": repeat, "action": action}
    courses = dict(re.findall(r'name="course_(\d+)" value="([^"]*)"', page))
    for index, course in courses.items():
        data[f"course_{index}"] = course
        data[f"next_{index}"] = (change or {}).get(course, rows_of(page)[course])
    response = await client.post("/years/rollover", data=data)
    return response.status_code, response.text


async def live_year(client: Client) -> str:
    year: str = (await client.get("/api/v1/years")).json()["current"]
    return year


async def test_an_administrator_sees_the_years_and_a_mapping_guessed_from_the_classes(
    client: Client,
) -> None:
    await register(client, "s1", "6e B")
    await register(client, "s2", "3eA")
    year = await live_year(client)

    html = (await client.get("/years")).text

    assert 'href="/years"' in html
    assert f'id="current-year">{year}<' in html
    assert f'<option value="{year}" selected>' in html
    assert rows_of(html) == {"3eA": "", "6e B": "5e B"}
    assert 'for="next_0"' in html
    assert 'for="repeat"' in html


async def test_staff_cannot_open_the_years_page_nor_see_its_link(
    client: Client, redis_url: str
) -> None:
    person = await sign_up(redis_url, "staff2@example.org", "staff")
    client.cookies.set(SESSION_COOKIE, person.session_id, domain="testserver.local")
    assert 'href="/years"' not in (await client.get("/")).text
    assert (await client.get("/years")).status_code == 403


async def test_the_preview_counts_the_rollover_and_changes_nothing(client: Client) -> None:
    for student_id, course in [("s1", "6A"), ("s2", "6A"), ("s3", "3eB"), ("s4", "CM2")]:
        await register(client, student_id, course)
    year = await live_year(client)

    status, html = await rollover_form(client, "preview", repeat="s2")

    assert status == 200
    assert report_of(html) == {"promoted": 1, "repeating": 1, "left": 2}
    assert ">s2</textarea>" in html
    assert await live_year(client) == year
    assert (await client.get(f"{API}/s1")).json()["course"] == "6A"


async def test_applying_moves_the_registry_to_the_next_year(client: Client) -> None:
    await register(client, "s1", "6A")
    await register(client, "s2", "6A")
    await register(client, "s3", "3eB")
    year = await live_year(client)

    status, html = await rollover_form(client, "apply", change={"6A": "5 A"}, repeat="s2,")

    assert status == 200
    assert report_of(html) == {"promoted": 1, "repeating": 1, "left": 1}
    assert f"The registry moved to {next_year(year)}." in html
    assert await live_year(client) == next_year(year)
    assert (await client.get(f"{API}/s1")).json()["course"] == "5 A"
    assert (await client.get(f"{API}/s2")).json()["course"] == "6A"
    assert rows_of(html) == {"5 A": "4 A", "6A": "5A"}


async def test_an_unknown_repeater_is_named_and_the_form_kept(client: Client) -> None:
    await register(client, "s1", "6A")
    year = await live_year(client)

    status, html = await rollover_form(client, "apply", change={"6A": "5e A"}, repeat="s1\nnobody")

    assert status == 422
    assert "cannot repeat it: nobody" in html
    assert rows_of(html) == {"6A": "5e A"}
    assert ">s1\nnobody</textarea>" in html
    assert await live_year(client) == year


async def test_the_current_year_control_shows_an_earlier_year(client: Client) -> None:
    await register(client, "s1", "6A")
    year = await live_year(client)
    await rollover_form(client, "apply")
    page = (await client.get("/years")).text

    response = await client.post(
        "/years/current", data={"_csrf_token": form_token(page), "year": year}
    )

    assert response.status_code == 200
    assert f"The current year is now {year}." in response.text
    assert await live_year(client) == year


async def test_a_french_page_speaks_french_also_in_its_errors(client: Client) -> None:
    await register(client, "s1", "6A")
    client.cookies.set("lang", "fr", domain="testserver.local")
    html = (await client.get("/years")).text
    assert "Années scolaires" in html
    assert "Aperçu" in html

    status, html = await rollover_form(client, "preview", repeat="nobody")

    assert status == 422
    assert "ils ne peuvent donc pas redoubler\u00a0: nobody" in html


async def test_the_student_page_shows_the_enrolments_once_there_are_several(
    client: Client,
) -> None:
    await register(client, "s1", "6A")
    year = await live_year(client)
    assert 'id="enrolments"' not in (await client.get("/students/s1")).text

    await rollover_form(client, "apply")
    html = (await client.get("/students/s1")).text

    table = html[html.index('id="enrolments"') :]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td>', table)
    assert rows == [(next_year(year), "5A", "Enrolled"), (year, "6A", "Enrolled")]
