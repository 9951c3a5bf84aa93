"""The page's pager: links of a bounded size, with no name in them, as far as the list goes."""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry, to_row
from student_registry.domain.validation import parse
from student_registry.store.redis_store import RedisStore
from student_registry.web import pages
from tests.builders import student_body

Client = AsyncTestClient[Litestar]
PAGE_SIZE = 2
PAGES = 1000


def link(page_html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', page_html)
    return html.unescape(found.group(1)) if found else None


def table_ids(page_html: str) -> list[str]:
    return re.findall(r'<td[^>]*><a href="/students/[^"]+">([^<]+)</a></td>', page_html)


def summary(page_html: str) -> str:
    found = re.search(r'<p id="summary"[^>]*>(.*?)</p>', page_html, re.DOTALL)
    assert found
    return " ".join(found.group(1).split())


async def register_many(store: RedisStore, count: int) -> list[str]:
    """Students named Name00000, Name00001, ... with ids s00000, ... (their order)."""
    rows = [
        to_row(parse(student_body(last_name=f"Name{i:05d}"), StudentCreate), f"s{i:05d}")
        for i in range(count)
    ]
    for start in range(0, count, 1000):
        ok, _ = await store.import_rows(
            rows[start : start + 1000], now=datetime.now(UTC), on_conflict="fail", atomic=True
        )
        assert ok
    return [row.id for row in rows]


async def test_page_1000_is_reached_by_the_links_which_stay_small_and_hold_no_name(
    client: Client, store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", PAGE_SIZE)
    ids = await register_many(store, PAGE_SIZE * PAGES + 1)
    url: str | None = "/"
    longest = 0
    for _ in range(PAGES - 1):
        assert url is not None
        url = link((await client.get(url)).text, "next")
        assert url is not None
        longest = max(longest, len(url))
        (cursor,) = parse_qs(urlsplit(url).query)["cursor"]
        raw = base64.urlsafe_b64decode(cursor + "==")
        assert b"name" not in raw.lower()
        assert b"eloise" not in raw.lower()
    assert url is not None
    assert longest <= 120
    page_html = (await client.get(url)).text
    assert f"page {PAGES} of {PAGES + 1}" in summary(page_html)
    assert table_ids(page_html) == ids[(PAGES - 1) * PAGE_SIZE : PAGES * PAGE_SIZE]

    previous = link(page_html, "prev")
    assert previous is not None
    back = (await client.get(previous)).text
    assert f"page {PAGES - 1} of {PAGES + 1}" in summary(back)
    assert table_ids(back) == ids[(PAGES - 2) * PAGE_SIZE : (PAGES - 1) * PAGE_SIZE]


async def test_a_page_whose_first_student_was_removed_goes_back_to_the_first_page_saying_so(
    client: Client, store: RedisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", PAGE_SIZE)
    ids = await register_many(store, 7)
    second = link((await client.get("/?q=name")).text, "next")
    assert second is not None
    await Registry(store).delete_student(ids[1])  # the student the link starts after
    response = await client.get(second, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/?q=name&restarted=1"
    first = (await client.get(response.headers["location"])).text
    assert "starting point no longer exists" in first
    assert table_ids(first) == [ids[0], ids[2]]
