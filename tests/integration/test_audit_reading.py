"""Reading the trail: the API, the page, the command line, and a student's record."""

from __future__ import annotations

import json

from litestar import Litestar
from litestar.testing import AsyncTestClient
from typer.testing import CliRunner

from student_registry.domain.accounts import token_digest
from tests.accounts import Credentials
from tests.audit import trail
from tests.builders import API, DUPLICATES_ALLOWED, student_body

Client = AsyncTestClient[Litestar]
AUDIT = "/api/v1/audit"


async def _register(client: Client, *ids: str) -> None:
    for student_id in ids:
        response = await client.post(
            API, json=student_body(id=student_id), params=DUPLICATES_ALLOWED
        )
        assert response.status_code == 201


async def test_the_api_lists_entries_newest_first_and_filters_them(
    client: Client, admin: Credentials
) -> None:
    await _register(client, "a1", "a2")
    assert (await client.patch(f"{API}/a1", json={"course": "4e"})).is_success

    everything = (await client.get(AUDIT)).json()
    about_a1 = (await client.get(AUDIT, params={"student": "a1"})).json()
    updates = (await client.get(AUDIT, params={"action": "student.update"})).json()
    by_token = (
        await client.get(AUDIT, params={"actor": f"token:{token_digest(admin.token)[:16]}"})
    ).json()
    from_tomorrow = (await client.get(AUDIT, params={"since": "2999-01-01"})).json()

    items = everything["items"]
    assert [i["action"] for i in items[:3]] == [
        "student.update",
        "student.create",
        "student.create",
    ]
    assert [i["id"] for i in items] == sorted(
        (i["id"] for i in items), key=lambda i: tuple(map(int, i.split("-"))), reverse=True
    )
    assert [(i["action"], i["target"]) for i in about_a1["items"]] == [
        ("student.update", "a1"),
        ("student.create", "a1"),
    ]
    assert about_a1["items"][0]["fields"] == ["course"]
    assert [i["target"] for i in updates["items"]] == ["a1"]
    assert len(by_token["items"]) == 3
    assert from_tomorrow == {"items": [], "next_cursor": None}


async def test_the_api_pages_with_a_cursor_through_every_entry(client: Client) -> None:
    await _register(client, "c1", "c2", "c3", "c4", "c5")
    everything = [i["id"] for i in (await client.get(AUDIT, params={"limit": 500})).json()["items"]]

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(AUDIT, params=params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == everything
    assert (await client.get(AUDIT, params={"cursor": "nonsense"})).status_code == 400


async def test_a_students_history_pages_with_a_cursor(client: Client) -> None:
    await _register(client, "p1")
    for course in ("4e", "5e", "6e"):
        assert (await client.patch(f"{API}/p1", json={"course": course})).is_success

    first = (await client.get(AUDIT, params={"student": "p1", "limit": 3})).json()
    rest = (
        await client.get(AUDIT, params={"student": "p1", "cursor": first["next_cursor"]})
    ).json()

    assert [i["action"] for i in first["items"]] == ["student.update"] * 3
    assert [i["action"] for i in rest["items"]] == ["student.create"]
    assert rest["next_cursor"] is None


async def test_the_record_holds_the_student_and_their_history_and_is_trailed(
    client: Client, redis_url: str
) -> None:
    await _register(client, "r1", "other")

    response = await client.get(f"{API}/r1/record")

    assert response.status_code == 200
    record = response.json()
    assert record["student"]["id"] == "r1"
    assert record["student"]["first_name"] == "Éloïse"
    assert [e["action"] for e in record["history"]] == ["record.access", "student.create"]
    assert {e["target"] for e in record["history"]} == {"r1"}
    assert trail(redis_url)[-1]["action"] == "ra"
    assert (await client.get(f"{API}/nobody/record")).status_code == 404


async def test_erasure_removes_the_data_and_the_trail_keeps_only_ids_and_actions(
    client: Client, redis_url: str
) -> None:
    await _register(client, "e1")
    assert (await client.delete(f"{API}/e1")).status_code == 204

    assert (await client.get(f"{API}/e1")).status_code == 404
    history = (await client.get(AUDIT, params={"student": "e1"})).json()["items"]
    assert [(e["action"], e["target"]) for e in history] == [
        ("student.delete", "e1"),
        ("student.create", "e1"),
    ]
    assert "Éloïse" not in json.dumps(trail(redis_url), ensure_ascii=False)


async def test_the_audit_page_shows_filtered_entries(client: Client) -> None:
    await _register(client, "g1", "g2")

    page = await client.get("/audit", params={"student": "g1"})

    assert page.status_code == 200
    assert "student.create" in page.text
    assert ">g1<" in page.text
    assert ">g2<" not in page.text


async def test_a_students_page_shows_their_history_and_the_download_button(
    client: Client,
) -> None:
    await _register(client, "h1")

    page = await client.get("/students/h1")
    download = await client.get("/students/h1/record")

    assert "History" in page.text
    assert "student.create" in page.text
    assert "Download the record" in page.text
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert json.loads(download.content)["student"]["id"] == "h1"


def test_the_cli_prints_a_students_entries_as_table_or_ndjson(redis_url: str) -> None:
    from student_registry.cli import app

    def run(*args: str, stdin: str | None = None) -> str:
        result = CliRunner().invoke(app, [*args, "--redis-url", redis_url], input=stdin)
        assert result.exit_code == 0, result.output
        return result.stdout

    csv = "id,first_name,last_name,birth_date,course\nk1,Ada,Lovelace,2009-04-17,3eB\n"
    run("import", "--format", "csv", "-", stdin=csv)
    run("import", "--format", "csv", "-", stdin=csv.replace("k1,Ada", "k2,Grace"))

    table = run("audit", "--student", "k1")
    lines = run("audit", "--student", "k1", "--format", "ndjson", "--since", "2000-01-01")

    assert table.count("\n") == 1
    assert "\tstudent.import\tk1\tcreated=1\t" in table
    assert [json.loads(line)["target"] for line in lines.splitlines()] == ["k1"]
    assert len(run("audit").splitlines()) == 2
    assert run("audit", "--since", "2999-01-01") == ""
