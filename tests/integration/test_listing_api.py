"""Listing: alphabetical order ignoring case and accents, name search, course filter, pages."""

from __future__ import annotations

import random
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.domain.models import StudentCreate
from student_registry.domain.service import Registry
from student_registry.domain.text import fold
from student_registry.domain.validation import parse
from tests.builders import API, DUPLICATES_ALLOWED, student_body
from tests.integration.support import assert_problem, search_position

Client = AsyncTestClient[Litestar]


async def add(registry: Registry, **overrides: Any) -> None:
    await registry.register_student(
        parse(student_body(**overrides), StudentCreate), allow_duplicate=True
    )


async def ids(client: Client, **params: Any) -> list[str]:
    response = await client.get(API, params=params)
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["items"]]


async def walk(client: Client, **params: Any) -> tuple[list[str], set[int]]:
    """Every id a cursor walk visits, in order, and the totals the pages reported."""
    seen: list[str] = []
    totals: set[int] = set()
    cursor = None
    while True:
        page = (
            await client.get(API, params={**params, **({"cursor": cursor} if cursor else {})})
        ).json()
        seen += [s["id"] for s in page["items"]]
        totals.add(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, totals


async def test_order_is_last_then_first_then_id_ignoring_case_and_accents(
    client: Client, registry: Registry
) -> None:
    people = [
        ("z1", "Émile", "Zola"),
        ("e2", "éloïse", "durand"),
        ("e1", "Eloise", "Durand"),
        ("l1", "Léa", "Éluard"),
        ("a1", "Zoé", "Dupont"),
        ("m1", "Marie", "de la Tour"),
        ("b1", "Ana", "DURAND"),
        ("c1", "王", "Ökland"),
    ]
    for student_id, first, last in random.Random(3).sample(people, len(people)):
        await add(registry, id=student_id, first_name=first, last_name=last)
    assert await ids(client) == ["m1", "a1", "b1", "e1", "e2", "l1", "c1", "z1"]


async def test_prefix_search_matches_first_or_last_name_ignoring_case_and_accents(
    client: Client, registry: Registry
) -> None:
    await add(registry, id="eloise", first_name="Éloïse", last_name="Martin")
    await add(registry, id="eluard", first_name="Paul", last_name="Éluard")
    await add(registry, id="helo", first_name="Helo", last_name="Delorme")
    await add(registry, id="leo", first_name="Léo", last_name="Bélo")
    assert await ids(client, q="elo") == ["eloise"]
    assert await ids(client, q="ÉLO") == ["eloise"]
    assert await ids(client, q="el") == ["eloise", "eluard"]
    assert await ids(client, q="bel") == ["leo"]
    assert await ids(client, q="  léo ") == ["leo"]
    assert await ids(client, q="lorme") == []
    assert (await client.get(API, params={"q": "el"})).json()["total"] == 2


async def test_a_student_matching_on_both_names_is_listed_once(
    client: Client, registry: Registry
) -> None:
    await add(registry, id="m1", first_name="Martin", last_name="Martin")
    await add(registry, id="m2", first_name="Marc", last_name="Zola")
    await add(registry, id="m3", first_name="Anne", last_name="Marceau")
    page = (await client.get(API, params={"q": "mar"})).json()
    # By the name that matched (Marc, Marceau, Martin), then alphabetically.
    assert [s["id"] for s in page["items"]] == ["m2", "m3", "m1"]
    assert (page["total"], page["total_exact"]) == (3, True)


async def test_course_filter_is_exact(client: Client, registry: Registry) -> None:
    await add(registry, id="a", course="3eB")
    await add(registry, id="b", course="3eb")
    await add(registry, id="c", course="Terminale S2")
    await add(registry, id="d", course="3eB")
    assert await ids(client, course="3eB") == ["a", "d"]
    assert await ids(client, course="3eb") == ["b"]
    assert await ids(client, course="Terminale S2") == ["c"]
    assert await ids(client, course="Terminale") == []
    assert (await client.get(API, params={"course": "3eB"})).json()["total"] == 2


async def test_course_filter_and_search_combine(client: Client, registry: Registry) -> None:
    await add(registry, id="a", first_name="Éloïse", course="3eB")
    await add(registry, id="b", first_name="Éloïse", course="3eA")
    await add(registry, id="c", first_name="Marie", course="3eB")
    page = (await client.get(API, params={"course": "3eB", "q": "elo"})).json()
    assert [s["id"] for s in page["items"]] == ["a"]
    assert page["total"] == 1


async def test_limit_defaults_to_50_and_goes_up_to_500(client: Client, registry: Registry) -> None:
    for i in range(120):
        await add(registry, id=f"s{i:03d}", last_name=f"Name{i:03d}")
    default = (await client.get(API)).json()
    assert len(default["items"]) == 50
    assert default["total"] == 120
    assert default["next_cursor"] is not None
    assert len((await client.get(API, params={"limit": 500})).json()["items"]) == 120
    assert len((await client.get(API, params={"limit": 7})).json()["items"]) == 7


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("501", "must be at most 500"),
        ("0", "must be at least 1"),
        ("-1", "must be at least 1"),
        ("ten", "must be a whole number"),
        ("1.5", "must be a whole number"),
    ],
)
async def test_limit_outside_1_to_500_is_422_problem_saying_so(
    client: Client, limit: str, message: str
) -> None:
    body = assert_problem(await client.get(API, params={"limit": limit}), 422)
    assert body["errors"] == [{"path": "limit", "message": message}]


async def test_search_text_over_100_characters_is_422(client: Client) -> None:
    body = assert_problem(await client.get(API, params={"q": "a" * 101}), 422)
    assert body["errors"] == [{"path": "q", "message": "must be at most 100 characters"}]


@pytest.mark.parametrize("cursor", ["@@@", "abcd", "not a cursor", "wA"])
async def test_bad_cursor_is_400_problem(client: Client, cursor: str) -> None:
    assert_problem(await client.get(API, params={"cursor": cursor}), 400)
    assert_problem(await client.get(API, params={"cursor": cursor, "q": "a"}), 400)


async def test_last_page_has_no_next_cursor(client: Client, registry: Registry) -> None:
    for i in range(6):
        await add(registry, id=f"s{i}")
    first = (await client.get(API, params={"limit": 3})).json()
    second = (await client.get(API, params={"limit": 3, "cursor": first["next_cursor"]})).json()
    assert [s["id"] for s in first["items"] + second["items"]] == [f"s{i}" for i in range(6)]
    assert second["next_cursor"] is None
    assert (await client.get(API, params={"limit": 6})).json()["next_cursor"] is None


async def test_empty_registry_lists_nothing(client: Client) -> None:
    assert (await client.get(API)).json() == {
        "items": [],
        "next_cursor": None,
        "previous_cursor": None,
        "total": 0,
        "total_exact": True,
    }
    assert (await client.get(API, params={"q": "a"})).json()["total"] == 0
    assert (await client.get(API, params={"course": "3eB"})).json()["total"] == 0


@pytest.mark.parametrize(
    "params", [{}, {"q": "ma"}, {"course": "3eA"}, {"course": "3eA", "q": "ma"}]
)
async def test_cursor_walk_visits_each_student_once_while_others_register(
    client: Client, registry: Registry, params: dict[str, str]
) -> None:
    rng = random.Random(11)
    names = ["Martin", "Marie", "Mathis", "Éloïse", "Zoé", "Maëlle", "Adam", "Mañas", "Léa"]

    def random_student(student_id: str) -> dict[str, Any]:
        return student_body(
            id=student_id,
            first_name=rng.choice(names),
            last_name=rng.choice(names),
            course=rng.choice(["3eA", "3eB"]),
        )

    originals = [random_student(f"o{i:03d}") for i in range(80)]
    for body in originals:
        await add(registry, **body)

    def matches(body: dict[str, Any]) -> bool:
        q = fold(params.get("q", ""))
        return ("course" not in params or body["course"] == params["course"]) and (
            fold(body["first_name"]).startswith(q) or fold(body["last_name"]).startswith(q)
        )

    seen: list[str] = []
    added: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": rng.randint(1, 9), **({"cursor": cursor} if cursor else {})}
        page = (await client.get(API, params=query)).json()
        seen += [s["id"] for s in page["items"]]
        for _ in range(3):
            body = random_student(f"n{len(added):03d}")
            added.append(body)
            response = await client.post(API, json=body, params=DUPLICATES_ALLOWED)
            assert response.status_code == 201
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)), "a student was visited twice"
    assert {b["id"] for b in originals if matches(b)} <= set(seen), "a student was missed"
    assert set(seen) <= {b["id"] for b in originals + added if matches(b)}

    def position(b: dict[str, Any]) -> bytes:
        last, first = fold(b["last_name"]), fold(b["first_name"])
        sort_key = f"{last}\0{first}\0{b['id']}"
        if "q" not in params or "course" in params:
            return sort_key.encode()
        words = [fold(params["q"])]
        return search_position(words, 1, last=last, first=first, sort_key=sort_key)

    order = {b["id"]: position(b) for b in originals + added if b["id"] in seen}
    assert seen == sorted(seen, key=order.__getitem__)


async def test_a_search_of_several_words_finds_a_student_whichever_name_comes_first(
    client: Client, registry: Registry
) -> None:
    await add(registry, id="md", first_name="Marie", last_name="Dupont")
    await add(registry, id="dm", first_name="Dupont", last_name="Marchal")
    await add(registry, id="mm", first_name="Marie", last_name="Martin")
    await add(registry, id="ds", first_name="Ana", last_name="Da Silva")
    await add(registry, id="lm", first_name="Léa Marie", last_name="Roux")
    for q in ["Dupont Marie", "marie dup", "MARIE  Dupont", "mari dupon"]:
        assert await ids(client, q=q) == ["md"], q
    assert await ids(client, q="dup mar") == ["md", "dm"]
    assert await ids(client, q="Dupont") == ["md", "dm"]
    assert await ids(client, q="da silva") == ["ds"]
    assert await ids(client, q="ana da si") == ["ds"]
    assert await ids(client, q="lea marie") == ["lm"]
    assert await ids(client, q="silva") == []


async def test_a_search_of_more_than_six_words_is_422_saying_so(client: Client) -> None:
    body = assert_problem(await client.get(API, params={"q": "a b c d e f g"}), 422)
    assert body["errors"] == [{"path": "q", "message": "must have at most 6 words"}]


async def test_a_search_total_is_exact_when_one_page_holds_it_else_an_upper_bound(
    client: Client, registry: Registry
) -> None:
    for i in range(6):
        # Both names match "ma": each is met twice, under each name, and listed once.
        await add(registry, id=f"s{i}", first_name=f"Ma{i}", last_name=f"Mar{i}")
    whole = (await client.get(API, params={"q": "ma"})).json()
    assert (len(whole["items"]), whole["total"], whole["total_exact"]) == (6, 6, True)
    first = (await client.get(API, params={"q": "ma", "limit": 4})).json()
    assert (first["total"], first["total_exact"]) == (12, False)
    assert [s["id"] for s in first["items"]] == ["s0", "s1", "s2", "s3"]
    listed = (await client.get(API, params={"limit": 4})).json()
    assert (listed["total"], listed["total_exact"]) == (6, True)


async def test_previous_cursor_gives_the_page_before_and_none_on_the_first(
    client: Client, registry: Registry
) -> None:
    for i in range(7):
        await add(registry, id=f"s{i}", last_name=f"Name{i}")
    first = (await client.get(API, params={"limit": 3})).json()
    assert first["previous_cursor"] is None
    second = (await client.get(API, params={"limit": 3, "cursor": first["next_cursor"]})).json()
    third = (await client.get(API, params={"limit": 3, "cursor": second["next_cursor"]})).json()
    assert [s["id"] for s in third["items"]] == ["s6"]
    back = (await client.get(API, params={"limit": 3, "cursor": third["previous_cursor"]})).json()
    assert back["items"] == second["items"]
    again = (await client.get(API, params={"limit": 3, "cursor": back["previous_cursor"]})).json()
    assert again["items"] == first["items"]
    assert again["previous_cursor"] is None


async def test_a_cursor_whose_student_was_deleted_is_400_saying_to_start_again(
    client: Client, registry: Registry
) -> None:
    for i in range(4):
        await add(registry, id=f"s{i}", last_name=f"Name{i}")
    first = (await client.get(API, params={"limit": 2})).json()
    assert (await client.delete(f"{API}/s1")).status_code == 204
    body = assert_problem(await client.get(API, params={"cursor": first["next_cursor"]}), 400)
    assert body["type"].endswith("/stale-cursor")
    assert "Start again from the first page" in body["detail"]


async def test_a_cursor_used_with_another_search_or_course_is_refused(
    client: Client, registry: Registry
) -> None:
    for i in range(4):
        await add(registry, id=f"s{i}", last_name=f"Name{i}")
    cursor = (await client.get(API, params={"limit": 2, "q": "name"})).json()["next_cursor"]
    assert (await client.get(API, params={"cursor": cursor, "q": "name"})).status_code == 200
    for other in [{}, {"q": "nam"}, {"q": "name", "course": "3eB"}]:
        assert_problem(await client.get(API, params={"cursor": cursor, **other}), 400)
