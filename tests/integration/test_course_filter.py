"""The main page's course filter: a few suggestions, whatever the number of courses."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.web.pages import COURSE_SUGGESTIONS
from tests.builders import API, DUPLICATES_ALLOWED, IMPORT_DUPLICATES_ALLOWED, student_body

Client = AsyncTestClient[Litestar]

IMPORT = f"{API}/import"
CSV = {"Content-Type": "text/csv"}
HEADER = "id,first_name,last_name,birth_date,course,email\n"
# The page with 5,000 courses stays within this: it no longer grows with the number of courses.
PAGE_LIMIT = 64 * 1024


async def import_courses(client: Client, *, popular: int, rare: int) -> None:
    """Two students in each of `popular` courses and one in each of `rare` courses."""
    rows = [f"p{i}a,Ana,Popular,2009-04-17,popular-{i:04d},\n" for i in range(popular)]
    rows += [f"p{i}b,Bea,Popular,2009-04-17,popular-{i:04d},\n" for i in range(popular)]
    rows += [f"r{i},Rui,Rare,2009-04-17,rare-{i:04d},\n" for i in range(rare)]
    body = (HEADER + "".join(rows)).encode()
    response = await client.post(
        IMPORT, content=body, headers=CSV, params=IMPORT_DUPLICATES_ALLOWED
    )
    assert response.status_code == 200, response.text


def suggestions(html: str) -> list[str]:
    datalist = re.search(r'<datalist id="course-suggestions">(.*?)</datalist>', html, re.S)
    assert datalist
    return re.findall(r'<option value="([^"]*)"', datalist.group(1))


async def test_with_thousands_of_courses_the_page_stays_small_and_suggests_the_largest(
    client: Client,
) -> None:
    await import_courses(client, popular=300, rare=4700)

    response = await client.get("/")

    assert response.status_code == 200
    assert len(response.content) < PAGE_LIMIT
    suggested = suggestions(response.text)
    assert len(suggested) == COURSE_SUGGESTIONS
    assert suggested == sorted(suggested)
    assert all(course.startswith("popular-") for course in suggested)


async def test_a_course_not_suggested_can_be_typed_to_filter(client: Client) -> None:
    await import_courses(client, popular=COURSE_SUGGESTIONS, rare=50)
    assert "rare-0042" not in suggestions((await client.get("/")).text)

    response = await client.get("/", params={"course": " rare-0042 "})

    assert response.status_code == 200
    assert re.findall(r'<a href="/students/([^"]+)">', response.text) == ["r42"]
    assert 'value="rare-0042"' in response.text


async def test_suggestions_show_each_course_with_its_number_of_students(client: Client) -> None:
    await client.post(API, json=student_body(id="a", course="3eB"))
    await client.post(API, json=student_body(id="b", course="3eB"), params=DUPLICATES_ALLOWED)
    await client.post(API, json=student_body(id="c", course="4eA"), params=DUPLICATES_ALLOWED)

    html = (await client.get("/")).text

    assert '<option value="3eB">2 students</option>' in html
    assert '<option value="4eA">1 student</option>' in html
    assert '<label for="course-filter">Filter by course</label>' in html
    assert re.search(
        r'<input id="course-filter" name="course"[^>]* list="course-suggestions"', html
    )
