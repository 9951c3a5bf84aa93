"""The bulk routes: import a body, export a stream."""

from __future__ import annotations

import codecs

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.builders import API, IMPORT_DUPLICATES_ALLOWED, student_body

IMPORT = f"{API}/import"
CSV = {"Content-Type": "text/csv"}
HEADER = "id,first_name,last_name,birth_date,course,email\n"


async def test_csv_import_answers_200_with_the_report(client: AsyncTestClient[Litestar]) -> None:
    body = HEADER + "1,Éloïse,Durand,17/04/2009,3eB,\n2,Zoé,Martin,2010-01-02,3eA,z@example.org\n"
    response = await client.post(IMPORT, content=body.encode(), headers=CSV)
    assert response.status_code == 200
    report = response.json()
    assert (report["created"], report["failed"], report["failures"]) == (2, 0, [])
    student = (await client.get(f"{API}/1")).json()
    assert (student["first_name"], student["birth_date"]) == ("Éloïse", "2009-04-17")


async def test_failed_rows_answer_207_with_their_lines(client: AsyncTestClient[Litestar]) -> None:
    await client.post(API, json=student_body(id="1"))
    body = HEADER + "1,A,B,2009-04-17,3eB,\n2,,B,2009-04-17,3eB,\n3,A,B,2009-04-17,3eB,\n"
    response = await client.post(IMPORT, content=body.encode(), headers=CSV)
    assert response.status_code == 207
    report = response.json()
    assert (report["created"], report["failed"]) == (1, 2)
    assert report["failures"] == [
        {"line": 2, "id": "1", "errors": [{"path": "id", "message": "is already registered"}]},
        {"line": 3, "id": "2", "errors": [{"path": "first_name", "message": "is required"}]},
    ]


async def test_query_options_reach_the_import(client: AsyncTestClient[Litestar]) -> None:
    await client.post(API, json=student_body(id="1", first_name="Old"))
    body = (HEADER + "1,New,B,2009-04-17,3eB,\n").encode()
    dry = await client.post(f"{IMPORT}?on_conflict=update&dry_run=true", content=body, headers=CSV)
    assert (dry.status_code, dry.json()["updated"], dry.json()["dry_run"]) == (200, 1, True)
    assert (await client.get(f"{API}/1")).json()["first_name"] == "Old"
    real = await client.post(f"{IMPORT}?on_conflict=update&atomic=true", content=body, headers=CSV)
    assert (real.status_code, real.json()["updated"]) == (200, 1)
    assert (await client.get(f"{API}/1")).json()["first_name"] == "New"


async def test_ndjson_and_json_bodies_are_imported(client: AsyncTestClient[Litestar]) -> None:
    ndjson = b'{"id": "1", "first_name": "A", "last_name": "B", "birth_date": "2009-04-17", '
    ndjson += b'"course": "3eB"}\n'
    response = await client.post(
        IMPORT, content=ndjson, headers={"Content-Type": "application/x-ndjson"}
    )
    assert response.json()["created"] == 1
    response = await client.post(IMPORT, json=[student_body(id="2"), {"id": "3"}])
    assert response.status_code == 207
    assert (response.json()["created"], response.json()["failed"]) == (1, 1)


async def test_an_unreadable_file_is_a_400_problem(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post(IMPORT, content=b"name;age\nx;1\n", headers=CSV)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "no column for" in response.json()["detail"]


async def test_an_unsupported_body_type_is_a_415(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post(IMPORT, content=b"x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


async def test_a_large_body_is_streamed_in(client: AsyncTestClient[Litestar]) -> None:
    rows = "".join(f"{i},Léa,Durand,2009-04-17,3eB,\n" for i in range(20000))
    response = await client.post(
        IMPORT,
        content=(HEADER + rows).encode(),
        headers=CSV,
        params=IMPORT_DUPLICATES_ALLOWED,
    )
    assert (response.status_code, response.json()["created"]) == (200, 20000)


async def test_a_windows_1252_body_with_a_late_accent_is_imported_whole(
    client: AsyncTestClient[Litestar],
) -> None:
    rows = "".join(f"{i},Lea,Durand,2009-04-17,3eB,\n" for i in range(1600))
    body = (HEADER + rows + "A1,Zoé,Lefèvre,2009-04-17,3eB,\n").encode("cp1252")
    response = await client.post(
        IMPORT, content=body, headers=CSV, params=IMPORT_DUPLICATES_ALLOWED
    )
    assert (response.status_code, response.json()["created"]) == (200, 1601)
    assert (await client.get(f"{API}/A1")).json()["first_name"] == "Zoé"


async def test_a_row_longer_than_64_kib_stops_the_import_at_its_line(
    client: AsyncTestClient[Litestar],
) -> None:
    body = HEADER + "1,Léa,Durand,2009-04-17,3eB,\n" + '2,"' + "x" * 1024 * 1024
    response = await client.post(IMPORT, content=body.encode(), headers=CSV)
    assert response.status_code == 207
    report = response.json()
    assert report["created"] == 1
    assert report["error"].startswith("Line 3 is longer than 64 KiB")


async def test_csv_export_is_a_spreadsheet_friendly_download(
    client: AsyncTestClient[Litestar],
) -> None:
    first = student_body(id="1", course="3e B", email="a@example.org", entry_date="2024-09-02")
    await client.post(API, json=first)
    await client.post(API, json=student_body(id="2", course="3eA", first_name="Zoé"))
    response = await client.get(f"{API}.csv", params={"course": "3e B"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="students-3e-B.csv"'
    assert (
        response.content
        == codecs.BOM_UTF8
        + (
            "id,first_name,last_name,birth_date,course,email,"
            "status,entry_date,exit_date,exit_reason,sex,ine,birthplace,"
            "guardian1_name,guardian1_relationship,guardian1_phone,guardian1_email,"
            "guardian1_parental_authority,guardian2_name,guardian2_relationship,"
            "guardian2_phone,guardian2_email,guardian2_parental_authority\r\n"
            "1,Éloïse,Durand,2009-04-17,3e B,a@example.org,enrolled,2024-09-02,,,,,,,,,,,,,,,\r\n"
        ).encode()
    )


async def test_ndjson_export_filters_by_name(client: AsyncTestClient[Litestar]) -> None:
    await client.post(API, json=student_body(id="1"))
    await client.post(API, json=student_body(id="2", first_name="Zoé"))
    response = await client.get(f"{API}.ndjson", params={"q": "zo"})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["content-disposition"] == 'attachment; filename="students.ndjson"'
    lines = response.content.splitlines()
    assert [msgspec.json.decode(line)["id"] for line in lines] == ["2"]


async def test_export_then_import_through_the_api_round_trips(
    client: AsyncTestClient[Litestar],
) -> None:
    for i in range(30):
        await client.post(API, json=student_body(id=f"s{i}", first_name=f"=Léa {i}"))
    before = (await client.get(API, params={"limit": 100})).json()["items"]
    exported = (await client.get(f"{API}.csv")).content
    for i in range(30):
        await client.delete(f"{API}/s{i}")
    response = await client.post(IMPORT, content=exported, headers=CSV)
    assert response.json()["created"] == 30
    after = (await client.get(API, params={"limit": 100})).json()["items"]
    fields = ("id", "first_name", "last_name", "birth_date", "course", "email")
    assert [{k: s.get(k) for k in fields} for s in after] == [
        {k: s.get(k) for k in fields} for s in before
    ]


async def test_openapi_documents_the_import_choices(client: AsyncTestClient[Litestar]) -> None:
    spec = (await client.get("/docs/openapi.json")).json()
    operation = spec["paths"]["/api/v1/students/import"]["post"]
    assert set(operation["responses"]) >= {"200", "207"}
    assert set(operation["requestBody"]["content"]) == {
        "text/csv",
        "application/x-ndjson",
        "application/json",
        "application/zip",
        "application/xml",
        "text/xml",
        "multipart/form-data",
    }
    assert "DD/MM/YYYY" in operation["description"]
    assert "/api/v1/students.csv" in spec["paths"]
