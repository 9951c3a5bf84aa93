"""Possible duplicates: the same folded names and birth date are refused unless asked for."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from typer.testing import CliRunner

from student_registry.cli import app as cli_app
from student_registry.domain.bulk import import_students, read_rows
from student_registry.domain.service import Registry
from student_registry.store import keys
from student_registry.store.redis_store import RedisStore
from tests.builders import API, student_body
from tests.integration.support import assert_indexes_consistent, assert_problem

Client = AsyncTestClient[Litestar]
MARIE = {"first_name": "Marie", "last_name": "Dupont", "birth_date": "2009-04-17"}
HEADER = "id,first_name,last_name,birth_date,course,email\n"
CSV_TYPE = {"content-type": "text/csv"}


async def test_same_names_and_birth_date_is_a_409_naming_the_registered_student(
    client: Client,
) -> None:
    assert (await client.post(API, json=student_body(id="m1", **MARIE))).status_code == 201
    twin = student_body(id="m2", first_name="MARIE", last_name="Dupônt", birth_date="2009-04-17")
    body = assert_problem(await client.post(API, json=twin), 409)
    assert body["type"].endswith("/possible-duplicate")
    assert body["duplicates"] == ["m1"]
    assert "m1" in body["detail"]
    assert (await client.get(f"{API}/m2")).status_code == 404


async def test_allow_duplicate_registers_the_second_one(client: Client) -> None:
    await client.post(API, json=student_body(id="m1", **MARIE))
    response = await client.post(
        API, json=student_body(id="m2", **MARIE), params={"allow_duplicate": "true"}
    )
    assert response.status_code == 201, response.text
    third = assert_problem(await client.post(API, json=student_body(id="m3", **MARIE)), 409)
    assert sorted(third["duplicates"]) == ["m1", "m2"]


async def test_another_birth_date_or_name_is_no_duplicate(client: Client) -> None:
    await client.post(API, json=student_body(id="m1", **MARIE))
    other_day = {**MARIE, "birth_date": "2009-04-18"}
    other_name = {**MARIE, "first_name": "Marielle"}
    for i, fields in enumerate((other_day, other_name)):
        response = await client.post(API, json=student_body(id=f"o{i}", **fields))
        assert response.status_code == 201, response.text


async def test_two_concurrent_registrations_of_one_person_give_one_201_and_one_409(
    concurrent_client: httpx.AsyncClient, store: RedisStore
) -> None:
    for round_ in range(5):
        person = {**MARIE, "first_name": f"Marie{round_}"}
        responses = await asyncio.gather(
            *(concurrent_client.post(API, json=student_body(**person)) for _ in range(2))
        )
        assert Counter(r.status_code for r in responses) == {201: 1, 409: 1}
        [refused] = [r.json() for r in responses if r.status_code == 409]
        [winner] = [r.json() for r in responses if r.status_code == 201]
        assert refused["duplicates"] == [winner["id"]]
    assert len(await assert_indexes_consistent(store)) == 5


async def test_import_fails_a_duplicate_row_naming_the_student_unless_allowed(
    client: Client,
) -> None:
    await client.post(API, json=student_body(id="m1", **MARIE))
    data = HEADER + "m2,marie,DUPONT,17/04/2009,3eB,\nz1,Zoé,Martin,2010-01-02,3eA,\n"
    data += "z2,Zoe,Martin,2010-01-02,3eA,\n"
    response = await client.post(f"{API}/import", content=data.encode(), headers=CSV_TYPE)
    assert response.status_code == 207, response.text
    report = response.json()
    assert (report["created"], report["failed"]) == (1, 2)
    messages = {f["id"]: f["errors"][0]["message"] for f in report["failures"]}
    assert "m1" in messages["m2"]
    assert "z1" in messages["z2"]
    again = await client.post(
        f"{API}/import",
        content=data.encode(),
        headers=CSV_TYPE,
        params={"allow_duplicates": "true", "on_conflict": "skip"},
    )
    assert again.json()["created"] == 2, again.text


async def test_atomic_and_dry_run_imports_refuse_duplicates_alike(registry: Registry) -> None:
    rows = HEADER + "a,Léa,Durand,2009-04-17,3eB,\nb,Lea,Durand,2009-04-17,3eB,\n"
    reports = [
        await import_students(registry, read_rows([rows.encode()], "csv"), **options)
        for options in ({"dry_run": True}, {"dry_run": True, "atomic": True}, {"atomic": True})
    ]
    for report in reports:
        assert (report.failed, [f.id for f in report.failures]) == (1, ["b"])
    assert reports[2].aborted
    assert await registry.store.count() == 0
    allowed = await import_students(
        registry, read_rows([rows.encode()], "csv"), atomic=True, allow_duplicates=True
    )
    assert allowed.created == 2


def test_cli_import_allows_duplicates_with_its_option(tmp_path: Path, redis_url: str) -> None:
    path = tmp_path / "twins.csv"
    path.write_text(HEADER + "a,Léa,Durand,2009-04-17,3eB,\nb,Lea,Durand,2009-04-17,3eB,\n")
    refused = CliRunner().invoke(cli_app, ["import", str(path), "--redis-url", redis_url])
    assert refused.exit_code == 1
    assert "registered student a" in refused.stdout
    options = ["--allow-duplicates", "--on-conflict", "skip", "--redis-url", redis_url]
    allowed = CliRunner().invoke(cli_app, ["import", str(path), *options])
    assert allowed.exit_code == 0, allowed.stdout
    assert "Created 1, updated 0, skipped 1" in allowed.stdout


async def test_the_page_shows_the_match_with_a_link_and_registers_anyway(client: Client) -> None:
    await client.post(API, json=student_body(id="m1", **MARIE))
    page = await client.get("/")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"_csrf_token": token.group(1), "course": "3eB", **MARIE}
    refused = await client.post("/", data=form)
    assert refused.status_code == 409
    assert '<a href="/students/m1">m1</a>' in refused.text
    assert 'name="allow_duplicate" value="true"' in refused.text
    anyway = await client.post(
        "/", data={**form, "allow_duplicate": "true"}, follow_redirects=False
    )
    assert anyway.status_code == 303, anyway.text
    assert (await client.get(API)).json()["total"] == 2


async def test_a_birth_date_stored_the_earlier_way_is_compared_too(
    client: Client, store: RedisStore
) -> None:
    await client.post(API, json=student_body(id="m1", **MARIE))
    await store.client.hset(keys.student_key("m1"), "b", "2009-04-17")
    body = assert_problem(await client.post(API, json=student_body(id="m2", **MARIE)), 409)
    assert body["duplicates"] == ["m1"]
    data = (HEADER + "m3,Marie,Dupont,2009-04-17,3eB,\n").encode()
    report = (await client.post(f"{API}/import", content=data, headers=CSV_TYPE)).json()
    assert [f["id"] for f in report["failures"]] == ["m3"]
    assert "m1" in report["failures"][0]["errors"][0]["message"]
