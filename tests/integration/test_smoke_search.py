"""Name search and pagination walk the whole result exactly once, in its order."""

from __future__ import annotations

import random

from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.domain.text import fold
from tests.builders import DUPLICATES_ALLOWED
from tests.integration.support import search_position

FIRST = ["Éloïse", "Eliott", "Marie", "Mathis", "Léa", "Lucas", "Zoé", "Émile", "elodie"]
LAST = ["Durand", "Martin", "Éluard", "Moreau", "Lefèvre", "Meunier", "Zola", "Elbaz"]


async def test_prefix_search_walks_every_match_once_in_order(
    client: AsyncTestClient[Litestar],
) -> None:
    rng = random.Random(7)
    people = []
    for i in range(150):
        body = {
            "id": f"s{i:04d}",
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(LAST),
            "birth_date": "2010-05-06",
            "course": rng.choice(["3eA", "3eB"]),
        }
        response = await client.post("/api/v1/students", json=body, params=DUPLICATES_ALLOWED)
        assert response.status_code == 201
        people.append(body)
    for q, course in [("el", None), ("m", None), ("E", "3eA"), ("", "3eB"), ("", None)]:
        matching = [
            p
            for p in people
            if (
                not q
                or fold(p["first_name"]).startswith(fold(q))
                or fold(p["last_name"]).startswith(fold(q))
            )
            and (course is None or p["course"] == course)
        ]

        def position(p: dict[str, str], q: str = q, course: str | None = course) -> bytes:
            last, first = fold(p["last_name"]), fold(p["first_name"])
            sort_key = f"{last}\0{first}\0{p['id']}"
            if not q or course is not None:
                return sort_key.encode()  # a list, or a course: alphabetical
            return search_position([fold(q)], 1, last=last, first=first, sort_key=sort_key)

        expected = sorted(matching, key=position)
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 7, "q": q}
            if course:
                params["course"] = course
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/api/v1/students", params=params)).json()
            assert page["total"] >= len(expected)
            assert page["total"] == len(expected) or not page["total_exact"]
            seen += [s["id"] for s in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [p["id"] for p in expected], (q, course)
