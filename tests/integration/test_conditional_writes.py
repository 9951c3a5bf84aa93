"""One If-Match rule for every write: the API's PATCH and DELETE and the page's forms alike."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.builders import API, student_body
from tests.integration.support import assert_problem

Client = AsyncTestClient[Litestar]
# Sends a write of student s1 with this If-Match (the page: this revision field); its response.
Write = Callable[[Client, str], Awaitable[httpx.Response]]


async def api_patch(client: Client, if_match: str) -> httpx.Response:
    return await client.patch(f"{API}/s1", json={"course": "4e"}, headers={"If-Match": if_match})


async def api_delete(client: Client, if_match: str) -> httpx.Response:
    return await client.delete(f"{API}/s1", headers={"If-Match": if_match})


def form_token(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found, "the form carries no anti-forgery token"
    return found.group(1)


async def page_save(client: Client, revision: str) -> httpx.Response:
    token = form_token((await client.get("/students/s1")).text)
    form = {**student_body(course="4e"), "_csrf_token": token, "revision": revision}
    return await client.post("/students/s1", data=form, follow_redirects=False)


async def page_delete(client: Client, revision: str) -> httpx.Response:
    token = form_token((await client.get("/students/s1/delete")).text)
    form = {"_csrf_token": token, "revision": revision}
    return await client.post("/students/s1/delete", data=form, follow_redirects=False)


async def page_withdraw(client: Client, revision: str) -> httpx.Response:
    token = form_token((await client.get("/students/s1")).text)
    today = datetime.now(UTC).date().isoformat()
    form = {"_csrf_token": token, "revision": revision, "exit_date": today, "exit_reason": "Moved"}
    return await client.post("/students/s1/withdraw", data=form, follow_redirects=False)


API_WRITES = [api_patch, api_delete]


async def register(client: Client) -> tuple[str, dict[str, object]]:
    """Student s1; its ETag and how it reads."""
    created = await client.post(API, json=student_body(id="s1"))
    assert created.status_code == 201
    return created.headers["etag"], (await client.get(f"{API}/s1")).json()


def revision_of(etag: str) -> str:
    return etag.strip('"')


@pytest.mark.parametrize("write", API_WRITES)
@pytest.mark.parametrize(
    "if_match",
    [
        '""',  # an empty entity-tag: no revision is empty
        "W/{etag}",  # weak: If-Match compares strongly
        "{revision}",  # not quoted: not an entity-tag at all
        "{etag}, garbage",
        '"0"',
        " ",
    ],
)
async def test_an_api_write_whose_if_match_does_not_strongly_match_is_412_and_changes_nothing(
    client: Client, write: Write, if_match: str
) -> None:
    etag, before = await register(client)
    header = if_match.format(etag=etag, revision=revision_of(etag))
    assert_problem(await write(client, header), 412)
    assert (await client.get(f"{API}/s1")).json() == before


@pytest.mark.parametrize("write", [page_save, page_delete, page_withdraw])
@pytest.mark.parametrize("revision", ["", "0", 'W/"{revision}"', '"{revision}"'])
async def test_a_page_form_whose_revision_is_not_the_current_one_changes_nothing(
    client: Client, write: Write, revision: str
) -> None:
    etag, before = await register(client)
    response = await write(client, revision.format(revision=revision_of(etag)))
    assert response.status_code == 412
    assert (await client.get(f"{API}/s1")).json() == before


@pytest.mark.parametrize("write", API_WRITES)
@pytest.mark.parametrize("if_match", ["{etag}", '"0", {etag}', "*", ' W/"{revision}" ,, {etag} '])
async def test_an_api_write_applies_when_one_strong_etag_matches_or_with_a_star(
    client: Client, write: Write, if_match: str
) -> None:
    etag, _ = await register(client)
    response = await write(client, if_match.format(etag=etag, revision=revision_of(etag)))
    assert response.status_code in {200, 204}, response.text


@pytest.mark.parametrize("write", [page_save, page_delete, page_withdraw])
async def test_a_page_form_at_the_current_revision_applies(client: Client, write: Write) -> None:
    etag, _ = await register(client)
    response = await write(client, revision_of(etag))
    assert response.status_code == 303
    assert response.headers["location"] in {
        "/students/s1?saved=true",
        "/?deleted=s1",
        "/students/s1?withdrawn=true",
    }


@pytest.mark.parametrize("write", API_WRITES)
@pytest.mark.parametrize("if_match", ['"1"', "*", '""'])
async def test_a_conditional_write_to_an_unknown_student_is_404(
    client: Client, write: Write, if_match: str
) -> None:
    assert_problem(await write(client, if_match), 404)
