"""SIECLE and ONDE exports through the bulk import: the command line, the API and the page.

The fixtures (tests/fixtures/french_exports, sources in its SOURCES.md) hold, for SIECLE, four
readable students of which one (ELENOET 4105) is in no class, and one element with an invalid
birth date (line 67); for ONDE, four readable students and a line without a birth date.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
import redis
from litestar import Litestar
from litestar.testing import AsyncTestClient
from typer.testing import CliRunner, Result

from student_registry.app import create_app
from student_registry.cli import app
from student_registry.settings import Settings
from tests.accounts import SESSION_COOKIE, Credentials
from tests.builders import API

FIXTURES = Path(__file__).parent.parent / "fixtures" / "french_exports"
SIECLE = FIXTURES / "ElevesSansAdresses.xml"
SIECLE_GUARDIANS = FIXTURES / "ResponsablesAvecAdresses.xml"
ONDE = FIXTURES / "CSVExtraction.csv"
ONDE_GUARDIANS = FIXTURES / "CSVExtraction Parents.csv"
IMPORT = f"{API}/import"
Client = AsyncTestClient[Litestar]


def cli(*args: str, redis_url: str) -> Result:
    return CliRunner().invoke(app, [*args, "--redis-url", redis_url])


def zipped(path: Path, name: str = "ElevesSansAdresses.xml") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, path.read_bytes())
    return out.getvalue()


def siecle_zip(tmp_path: Path) -> Path:
    path = tmp_path / "ExportXML_ElevesSansAdresses.zip"
    path.write_bytes(zipped(SIECLE))
    return path


def student(redis_url: str, student_id: str) -> dict[str, str]:
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        return client.hgetall(f"sr:student:{student_id}")


def ids(redis_url: str) -> list[str]:
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        return sorted(key.split(":")[-1] for key in client.scan_iter("sr:student:*"))


def test_cli_imports_a_siecle_zip_under_elenoet_with_its_class(
    tmp_path: Path, redis_url: str
) -> None:
    result = cli("import", str(siecle_zip(tmp_path)), redis_url=redis_url)
    assert result.exit_code == 1, result.output
    assert "Created 3, updated 0, skipped 0, failed 2, of 5 rows" in result.stdout
    assert ids(redis_url) == ["4101", "4102", "4103"]
    eloise = student(redis_url, "4101")
    assert (eloise["f"], eloise["l"], eloise["c"], eloise["x"]) == ("Éloïse", "FICTIF", "4A", "F")
    assert (eloise["i"], eloise["p"]) == ("123456789AB", "69123")


def test_a_bad_element_and_a_student_without_class_are_reported_by_line(
    tmp_path: Path, redis_url: str
) -> None:
    result = cli("import", str(SIECLE), redis_url=redis_url)
    assert "  line 67, id 4104: ELEVE/DATE_NAISS must be a date" in result.stdout
    assert "ELEVE/CODE_SEXE must be 1 (M) or 2 (F)" in result.stdout
    assert "  line 74, id 4105: course is required" in result.stdout


def test_cli_imports_a_bare_iso_8859_15_siecle_file_with_its_guardians(redis_url: str) -> None:
    result = cli("import", str(SIECLE), "--guardians", str(SIECLE_GUARDIANS), redis_url=redis_url)
    assert "Created 3" in result.stdout, result.output
    assert student(redis_url, "4102")["l"] == "EXEMPLE"
    assert student(redis_url, "4101")["g"].startswith('[["Hélène FICTIF","m",1,')


def test_reimporting_the_same_export_changes_no_student(redis_url: str) -> None:
    """A dry run counts alike: without the guardians file, two students would lose theirs."""
    cli("import", str(SIECLE), "--guardians", str(SIECLE_GUARDIANS), redis_url=redis_url)
    before = {i: student(redis_url, i) for i in ids(redis_url)}
    result = cli("import", str(SIECLE), "--guardians", str(SIECLE_GUARDIANS), redis_url=redis_url)
    assert "Created 0, updated 0, unchanged 3, skipped 0, failed 4, of 7 rows" in result.stdout
    assert {i: student(redis_url, i) for i in ids(redis_url)} == before
    dry = cli("import", "--dry-run", str(SIECLE), redis_url=redis_url)
    assert "Created 0, updated 2, unchanged 1, skipped 0, failed 2, of 5 rows" in dry.stdout


def test_a_student_registered_with_the_ine_is_updated_not_duplicated(
    tmp_path: Path, redis_url: str
) -> None:
    own = tmp_path / "own.csv"
    own.write_text(
        "id,first_name,last_name,birth_date,course,ine\nS1,Eloise,Fictif,2013-04-17,6A,123456789AB\n"
    )
    assert cli("import", str(own), redis_url=redis_url).exit_code == 0
    result = cli("import", str(siecle_zip(tmp_path)), redis_url=redis_url)
    assert "Created 2, updated 1" in result.stdout, result.output
    assert ids(redis_url) == ["4102", "4103", "S1"]
    assert (student(redis_url, "S1")["f"], student(redis_url, "S1")["c"]) == ("Éloïse", "4A")


def test_cli_imports_onde_students_with_their_parents(redis_url: str) -> None:
    result = cli("import", str(ONDE), "--guardians", str(ONDE_GUARDIANS), redis_url=redis_url)
    assert "Created 4, updated 0, skipped 0" in result.stdout, result.output
    assert "  line 6: Date naissance is required" in result.stdout
    assert "guardians: child 1 ABSENT Nina" not in result.stdout
    registered = ids(redis_url)
    assert "1234567890A" in registered
    assert len([i for i in registered if i.startswith("onde-")]) == 1
    maelys = student(redis_url, "1234567890A")
    assert (maelys["c"], maelys["x"]) == ("CE2 Mme Modèle", "F")
    assert "Céline FICTIF" in maelys["g"]
    assert "Hervé FICTIF" in maelys["g"]
    again = cli("import", str(ONDE), "--guardians", str(ONDE_GUARDIANS), redis_url=redis_url)
    assert "Created 0, updated 0, unchanged 4" in again.stdout
    assert ids(redis_url) == registered


async def test_api_imports_a_siecle_zip_and_its_xml(client: Client, redis_url: str) -> None:
    response = await client.post(
        IMPORT, content=zipped(SIECLE), headers={"Content-Type": "application/zip"}
    )
    assert response.status_code == 207, response.text
    report = response.json()
    assert (report["created"], report["failed"]) == (3, 2)
    assert [(f["line"], f["id"]) for f in report["failures"]] == [(67, "4104"), (74, "4105")]
    assert (await client.get(f"{API}/4101")).json()["course"] == "4A"
    again = await client.post(
        IMPORT, content=SIECLE.read_bytes(), headers={"Content-Type": "application/xml"}
    )
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 3)


async def test_api_tells_an_onde_export_sent_as_csv_from_its_content(client: Client) -> None:
    response = await client.post(
        IMPORT, content=ONDE.read_bytes(), headers={"Content-Type": "text/csv"}
    )
    assert (response.status_code, response.json()["created"]) == (207, 4)
    assert (await client.get(f"{API}/1234567890A")).json()["first_name"] == "Maëlys"


LIMIT = 20_000


@pytest.fixture
async def limited_client(settings: Settings, admin: Credentials) -> AsyncIterator[Client]:
    """The app with a small import limit, and an administrator's token and session."""
    app = create_app(msgspec.structs.replace(settings, import_max_bytes=LIMIT))
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as test_client:
        test_client.headers["Authorization"] = f"Bearer {admin.token}"
        test_client.cookies.set(SESSION_COOKIE, admin.session_id, domain="testserver.local")
        yield test_client


def zip_bomb() -> bytes:
    """A SIECLE zip smaller than LIMIT whose file, unzipped, is larger."""
    padding = b"<!--" + b" " * (LIMIT * 2) + b"-->"
    xml = SIECLE.read_bytes().replace(b"<BEE_ELEVES", padding + b"\n<BEE_ELEVES", 1)
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ElevesSansAdresses.xml", xml)
    assert len(body.getvalue()) < LIMIT
    return body.getvalue()


async def test_a_zip_larger_than_the_limit_once_unzipped_is_a_413(limited_client: Client) -> None:
    response = await limited_client.post(
        IMPORT, content=zip_bomb(), headers={"Content-Type": "application/zip"}
    )
    assert response.status_code == 413, response.text
    assert "IMPORT_MAX_BYTES" in response.json()["detail"]
    assert (await limited_client.get(API)).json()["total"] == 0


async def test_the_page_refuses_a_zip_larger_than_the_limit_once_unzipped(
    limited_client: Client,
) -> None:
    await limited_client.get("/import")
    response = await limited_client.post(
        "/import",
        files={"file": ("ExportXML_ElevesSansAdresses.zip", zip_bomb(), "application/zip")},
        data={"on_conflict": "fail"},
        headers={"x-csrftoken": limited_client.cookies["csrftoken"]},
    )
    assert response.status_code == 413
    assert "larger than 20,000 bytes, the most this page takes" in response.text
    assert (await limited_client.get(API)).json()["total"] == 0


async def test_the_page_imports_a_siecle_zip_with_its_guardians(client: Client) -> None:
    await client.get("/import")
    response = await client.post(
        "/import",
        files={
            "file": ("ExportXML_ElevesSansAdresses.zip", zipped(SIECLE), "application/zip"),
            "guardians": (
                "ResponsablesAvecAdresses.xml",
                SIECLE_GUARDIANS.read_bytes(),
                "text/xml",
            ),
        },
        data={"on_conflict": "fail"},
        headers={"x-csrftoken": client.cookies["csrftoken"]},
    )
    assert response.status_code == 207, response.text
    assert "3 created" in response.text
    assert "ELEVE/DATE_NAISS" in response.text
    student = (await client.get(f"{API}/4101")).json()
    assert student["guardians"][0]["name"] == "Hélène FICTIF"


def test_an_update_import_writes_only_the_students_it_changes(
    tmp_path: Path, redis_url: str
) -> None:
    header = "id,first_name,last_name,birth_date,course,email,"
    header += "guardian1_name,guardian1_relationship,guardian1_parental_authority\n"
    first = tmp_path / "first.csv"
    first.write_text(
        header
        + "1,Ada,Durand,2009-04-17,3eB,a@example.org,Marie Durand,mère,oui\n"
        + "2,Zoé,Martin,2010-01-02,3eA,,,,\n"
    )
    cli("import", str(first), redis_url=redis_url)
    kept = student(redis_url, "1")
    second = tmp_path / "second.csv"
    second.write_text(
        header
        + "1,Ada,Durand,17/04/2009,3eB,a@example.org,Marie Durand,mère,oui\n"
        + "2,Zoé,Martin,2010-01-02,4eA,,,,\n"
    )
    result = cli("import", "--on-conflict", "update", str(second), redis_url=redis_url)
    assert "Created 0, updated 1, unchanged 1, skipped 0, failed 0, of 2 rows" in result.stdout
    assert student(redis_url, "1") == kept
    assert student(redis_url, "2")["c"] == "4eA"


def test_a_date_sortie_withdraws_the_student_on_that_date(redis_url: str) -> None:
    cli("import", str(SIECLE), redis_url=redis_url)
    zoe = student(redis_url, "4103")
    assert (zoe["w"], zoe["r"]) == ("20261020", "SIECLE: sortie (motif 13)")
    assert "w" not in student(redis_url, "4101")


def test_withdraw_missing_withdraws_enrolled_students_absent_from_the_export(
    tmp_path: Path, redis_url: str
) -> None:
    own = tmp_path / "own.csv"
    own.write_text(
        "id,first_name,last_name,birth_date,course\n"
        "S9,Ada,Partie,2012-01-01,4A\n"
        "4104,Léon,Essai,2012-02-01,4A\n"
    )
    assert cli("import", str(own), redis_url=redis_url).exit_code == 0
    dry = cli("import", "--dry-run", "--withdraw-missing", str(SIECLE), redis_url=redis_url)
    assert "Withdrew 1 enrolled students absent from the export." in dry.stdout
    assert "w" not in student(redis_url, "S9")
    result = cli("import", "--withdraw-missing", str(SIECLE), redis_url=redis_url)
    assert "Withdrew 1 enrolled students absent from the export." in result.stdout
    gone = student(redis_url, "S9")
    assert (gone["f"], gone["r"]) == ("Ada", "Absent from the SIECLE export")
    assert "w" in gone
    # 4104 is in the file, though its element cannot be read: it stays enrolled.
    assert "w" not in student(redis_url, "4104")
