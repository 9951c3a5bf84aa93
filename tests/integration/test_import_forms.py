"""An export with its guardians file, and withdraw_missing: the API's form and the page's.

The fixtures are those of test_bulk_exports (sources in tests/fixtures/french_exports/SOURCES.md):
SIECLE's file names four readable students (4101 to 4104, 4104's birth date unreadable) and
4105, in no class; ONDE's four readable students.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from student_registry.app import create_app
from student_registry.settings import Settings
from tests.accounts import SESSION_COOKIE, Credentials
from tests.builders import API, student_body
from tests.integration.test_bulk_exports import (
    ONDE,
    ONDE_GUARDIANS,
    SIECLE,
    SIECLE_GUARDIANS,
    zipped,
)

IMPORT = f"{API}/import"
Client = AsyncTestClient[Litestar]
SIECLE_FORM = {
    "file": ("ExportXML_ElevesSansAdresses.zip", zipped(SIECLE), "application/zip"),
    "guardians": ("ResponsablesAvecAdresses.xml", SIECLE_GUARDIANS.read_bytes(), "text/xml"),
}
OWN_CSV = b"id,first_name,last_name,birth_date,course\nS9,Ada,Partie,2012-01-01,4A\n"


async def register_leaver(client: Client) -> None:
    """S9: an enrolled student that the SIECLE fixture does not name."""
    response = await client.post(API, json=student_body(id="S9", first_name="Ada"))
    assert response.status_code == 201, response.text


async def test_the_api_form_imports_a_siecle_zip_with_its_guardians(client: Client) -> None:
    response = await client.post(IMPORT, files=SIECLE_FORM)
    assert response.status_code == 207, response.text
    report = response.json()
    assert (report["created"], report["withdrawn"]) == (3, 0)
    assert [(f["line"], f["id"]) for f in report["failures"]][:2] == [(67, "4104"), (74, "4105")]
    eloise = (await client.get(f"{API}/4101")).json()
    assert eloise["guardians"][0]["name"] == "Hélène FICTIF"
    again = await client.post(IMPORT, files=SIECLE_FORM)
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 3)


async def test_the_api_form_imports_onde_students_with_their_parents(client: Client) -> None:
    response = await client.post(
        IMPORT,
        files={
            "file": ("CSVExtraction.csv", ONDE.read_bytes(), "text/csv"),
            "guardians": ("CSVExtraction Parents.csv", ONDE_GUARDIANS.read_bytes(), "text/csv"),
        },
    )
    assert response.status_code == 207, response.text
    assert response.json()["created"] == 4
    guardians = (await client.get(f"{API}/1234567890A")).json()["guardians"]
    assert {g["name"] for g in guardians} >= {"Céline FICTIF", "Hervé FICTIF"}


async def test_the_api_form_takes_the_registrys_own_files_told_from_their_name(
    client: Client,
) -> None:
    ndjson = msgspec.json.encode(student_body(id="n1")) + b"\n"
    response = await client.post(
        f"{IMPORT}?dry_run=true", files={"file": ("students.ndjson", ndjson, "text/plain")}
    )
    assert (response.status_code, response.json()["created"]) == (200, 1)
    assert response.json()["dry_run"] is True
    response = await client.post(IMPORT, files={"file": ("students.csv", OWN_CSV, "text/csv")})
    assert (response.status_code, response.json()["created"]) == (200, 1)
    assert (await client.get(f"{API}/S9")).json()["first_name"] == "Ada"


async def test_a_guardians_file_with_a_file_that_is_no_export_is_a_400_problem(
    client: Client,
) -> None:
    response = await client.post(
        IMPORT,
        files={
            "file": ("students.csv", OWN_CSV, "text/csv"),
            "guardians": (
                "ResponsablesAvecAdresses.xml",
                SIECLE_GUARDIANS.read_bytes(),
                "text/xml",
            ),
        },
    )
    assert response.status_code == 400, response.text
    assert "not a SIECLE or ONDE students export" in response.json()["detail"]
    assert (await client.get(API)).json()["total"] == 0


async def test_a_form_without_its_file_is_a_422_problem_naming_it(client: Client) -> None:
    response = await client.post(
        IMPORT, files={"guardians": ("g.xml", SIECLE_GUARDIANS.read_bytes(), "text/xml")}
    )
    assert response.status_code == 422, response.text
    assert [e["path"] for e in response.json()["errors"]] == ["file"]


async def test_withdraw_missing_withdraws_who_a_siecle_export_leaves_out_never_deleting(
    client: Client,
) -> None:
    await register_leaver(client)
    headers = {"Content-Type": "application/xml"}
    dry = await client.post(
        f"{IMPORT}?withdraw_missing=true&dry_run=true",
        content=SIECLE.read_bytes(),
        headers=headers,
    )
    assert (dry.json()["withdrawn"], dry.json()["dry_run"]) == (1, True)
    assert (await client.get(f"{API}/S9")).json()["status"] == "enrolled"
    response = await client.post(
        f"{IMPORT}?withdraw_missing=true", content=SIECLE.read_bytes(), headers=headers
    )
    assert response.json()["withdrawn"] == 1, response.text
    gone = (await client.get(f"{API}/S9")).json()
    assert (gone["status"], gone["exit_reason"]) == ("withdrawn", "Absent from the SIECLE export")
    assert (await client.get(f"{API}/4101")).json()["status"] == "enrolled"


async def test_withdraw_missing_reaches_the_form_import_too(client: Client) -> None:
    await register_leaver(client)
    response = await client.post(f"{IMPORT}?withdraw_missing=true", files=SIECLE_FORM)
    assert response.json()["withdrawn"] == 1, response.text
    assert (await client.get(f"{API}/S9")).json()["status"] == "withdrawn"


@pytest.mark.parametrize(
    ("content", "media_type"),
    [(OWN_CSV, "text/csv"), (b"[]", "application/json"), (b"<a/>", "application/xml")],
)
async def test_withdraw_missing_with_a_file_that_is_no_export_is_a_422_writing_nothing(
    client: Client, content: bytes, media_type: str
) -> None:
    await register_leaver(client)
    response = await client.post(
        f"{IMPORT}?withdraw_missing=true", content=content, headers={"Content-Type": media_type}
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["path"] for e in problem["errors"]] == ["withdraw_missing"]
    assert "Only a full SIECLE or ONDE students export" in problem["errors"][0]["message"]
    form = await client.post(
        f"{IMPORT}?withdraw_missing=true", files={"file": ("s.csv", content, media_type)}
    )
    assert form.status_code == 422, form.text
    assert (await client.get(API)).json()["total"] == 1
    assert (await client.get(f"{API}/S9")).json()["status"] == "enrolled"


LIMIT = 20_000


@pytest.fixture
async def limited_client(settings: Settings, admin: Credentials) -> AsyncIterator[Client]:
    """The app with a small import limit, and an administrator's token and session."""
    app = create_app(msgspec.structs.replace(settings, import_max_bytes=LIMIT))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin.token}"
        test_client.cookies.set(SESSION_COOKIE, admin.session_id, domain="testserver.local")
        yield test_client


async def test_a_form_larger_than_the_limit_is_a_413_problem(limited_client: Client) -> None:
    padding = b"<!--" + b" " * LIMIT + b"-->\n"
    response = await limited_client.post(
        IMPORT,
        files={
            "file": ("ElevesSansAdresses.xml", SIECLE.read_bytes(), "text/xml"),
            "guardians": ("ResponsablesAvecAdresses.xml", padding, "text/xml"),
        },
    )
    assert response.status_code == 413, response.text
    assert "IMPORT_MAX_BYTES" in response.json()["detail"]
    assert (await limited_client.get(API)).json()["total"] == 0


# --- The page ---


async def post_page(client: Client, files: dict[str, tuple[str, bytes, str]], **data: str) -> str:
    await client.get("/import")
    response = await client.post(
        "/import",
        files=files,
        data={"on_conflict": "fail", **data},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    return f"{response.status_code} {response.text}"


async def test_the_page_offers_withdraw_missing_and_says_it_never_deletes(client: Client) -> None:
    page = (await client.get("/import")).text
    assert 'name="withdraw_missing"' in page
    assert "they are withdrawn, never deleted" in page
    french = (await client.get("/import", headers={"Accept-Language": "fr"})).text
    assert "ils sont radiés, jamais supprimés" in french


async def test_the_page_withdraws_who_a_full_export_leaves_out(client: Client) -> None:
    await register_leaver(client)
    dry = await post_page(
        client, {"file": SIECLE_FORM["file"]}, withdraw_missing="true", dry_run="true"
    )
    assert dry.startswith("207 ")
    assert "1 enrolled student absent from the export would be withdrawn." in dry
    assert (await client.get(f"{API}/S9")).json()["status"] == "enrolled"
    done = await post_page(client, SIECLE_FORM, withdraw_missing="true")
    assert "1 enrolled student absent from the export was withdrawn." in done
    assert (await client.get(f"{API}/S9")).json()["status"] == "withdrawn"


async def test_the_page_refuses_withdraw_missing_with_its_own_csv(client: Client) -> None:
    answer = await post_page(
        client, {"file": ("students.csv", OWN_CSV, "text/csv")}, withdraw_missing="true"
    )
    assert answer.startswith("422 ")
    assert "The file was not imported:" in answer
    assert "Only a full SIECLE or ONDE students export" in answer
    assert (await client.get(API)).json()["total"] == 0


async def test_a_french_page_shows_the_readers_problems_in_french(client: Client) -> None:
    client.headers["Accept-Language"] = "fr"
    report = await post_page(
        client,
        {"file": ("CSVExtraction.csv", ONDE.read_bytes(), "text/csv")},
        dry_run="true",
    )
    assert report.startswith("207 ")
    assert "Date naissance\u00a0: obligatoire" in report
    siecle = await post_page(client, {"file": SIECLE_FORM["file"]}, dry_run="true")
    assert "doit être une date écrite JJ/MM/AAAA ou AAAA-MM-JJ (reçu" in siecle
    assert "doit valoir 1 (M) ou 2 (F)" in siecle
    unreadable = await post_page(
        client, {"file": ("ElevesSansAdresses.xml", b"<BEE_ELEVES>\n<DONNEES>", "text/xml")}
    )
    assert unreadable.startswith("400 ")
    assert "Ligne 2\u00a0: le XML ne peut pas être lu (" in unreadable
    refused = await post_page(
        client, {"file": ("students.csv", OWN_CSV, "text/csv")}, withdraw_missing="true"
    )
    assert "Le fichier n’a pas été importé\u00a0:" in refused
    assert "ce fichier est un fichier CSV aux colonnes du registre." in refused
