"""SIECLE and ONDE exports through the bulk import: the command line, the API and the page.

The fixtures (tests/fixtures/french_exports, sources in its SOURCES.md) hold, for SIECLE, four
readable students of which one (ELENOET 4105) is in no class, and one element with an invalid
birth date (line 67); for ONDE, four readable students and a line without a birth date.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import redis
from typer.testing import CliRunner, Result

from student_registry.cli import app

FIXTURES = Path(__file__).parent.parent / "fixtures" / "french_exports"
SIECLE = FIXTURES / "ElevesSansAdresses.xml"
SIECLE_GUARDIANS = FIXTURES / "ResponsablesAvecAdresses.xml"
ONDE = FIXTURES / "CSVExtraction.csv"
ONDE_GUARDIANS = FIXTURES / "CSVExtraction Parents.csv"


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
    result = cli(
        "import", str(SIECLE), "--guardians", str(SIECLE_GUARDIANS), redis_url=redis_url
    )
    assert "Created 3" in result.stdout, result.output
    assert student(redis_url, "4102")["l"] == "EXEMPLE"
    assert student(redis_url, "4101")["g"].startswith('[["Hélène FICTIF","m",1,')


def test_reimporting_the_same_export_changes_no_student(redis_url: str) -> None:
    cli("import", str(SIECLE), "--guardians", str(SIECLE_GUARDIANS), redis_url=redis_url)
    before = {i: student(redis_url, i) for i in ids(redis_url)}
    result = cli("import", str(SIECLE), "--guardians", str(SIECLE_GUARDIANS), redis_url=redis_url)
    assert "Created 0, updated 0, unchanged 3, skipped 0, failed 4, of 7 rows" in result.stdout
    assert {i: student(redis_url, i) for i in ids(redis_url)} == before


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
    assert "Céline FICTIF" in maelys["g"] and "Hervé FICTIF" in maelys["g"]
    again = cli("import", str(ONDE), "--guardians", str(ONDE_GUARDIANS), redis_url=redis_url)
    assert "Created 0, updated 0, unchanged 4" in again.stdout
    assert ids(redis_url) == registered
