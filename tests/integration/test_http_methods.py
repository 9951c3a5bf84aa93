"""HEAD and Allow as RFC 9110 defines them, on the API and the pages alike."""

from __future__ import annotations

import json
import logging

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.logs import ACCESS, JsonFormatter
from tests.builders import API, student_body

Client = AsyncTestClient[Litestar]

GET_ROUTES = [
    "/healthz",
    "/readyz",
    "/openapi.json",
    "/docs",
    API,
    f"{API}?q=dur&limit=1",
    f"{API}/s1",
    f"{API}.csv",
    f"{API}.ndjson",
    "/",
    "/students/s1",
    "/import",
    "/static/app.css",
]
SAME_HEADERS = ("content-type", "content-length", "etag", "content-disposition", "allow")


@pytest.mark.parametrize("path", GET_ROUTES)
async def test_head_answers_like_get_without_a_body(client: Client, path: str) -> None:
    await client.post(API, json=student_body(id="s1"))
    got = await client.get(path)
    head = await client.head(path)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    for name in SAME_HEADERS:
        assert head.headers.get(name) == got.headers.get(name), name


async def test_head_of_a_missing_student_is_a_404_without_a_body(client: Client) -> None:
    head = await client.head(f"{API}/nobody")
    assert head.status_code == 404
    assert head.headers["content-type"] == "application/problem+json"
    assert head.content == b""


async def test_head_where_only_post_is_allowed_is_a_405_listing_post(client: Client) -> None:
    head = await client.head(f"{API}/import")
    assert head.status_code == 405
    assert head.headers["allow"] == "OPTIONS, POST"
    assert head.content == b""


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        (API, "GET, HEAD, OPTIONS, POST"),
        (f"{API}/s1", "DELETE, GET, HEAD, OPTIONS, PATCH"),
        (f"{API}/import", "OPTIONS, POST"),
        (f"{API}.csv", "GET, HEAD, OPTIONS"),
        ("/healthz", "GET, HEAD, OPTIONS"),
        ("/students/s1", "GET, HEAD, OPTIONS, POST"),
    ],
)
async def test_options_and_405_list_every_method_of_the_path(
    client: Client, path: str, allow: str
) -> None:
    options = await client.options(path)
    assert options.status_code == 204
    assert options.headers["allow"] == allow
    refused = await client.request("PUT", path, headers={"accept": "application/json"})
    assert refused.status_code == 405
    assert refused.headers["allow"] == allow


async def test_a_page_405_carries_allow(client: Client) -> None:
    refused = await client.request("PUT", "/students/s1", headers={"accept": "text/html"})
    assert refused.status_code == 405
    assert refused.headers["content-type"].startswith("text/html")
    assert refused.headers["allow"] == "GET, HEAD, OPTIONS, POST"


async def test_head_is_logged_as_head(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS.name):
        await client.head("/healthz")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == ACCESS.name]
    assert [(e["method"], e["path"], e["status"]) for e in lines] == [("HEAD", "/healthz", 200)]
