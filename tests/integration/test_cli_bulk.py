"""The bulk commands: import, export, migrate-legacy and stats, their output and exit codes."""

from __future__ import annotations

import codecs
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
import redis
from typer.testing import CliRunner, Result

from student_registry.cli import app
from tests.integration.test_bulk_legacy import LEGACY, fill_like_the_original_app
from tests.redis_server import free_port

HEADER = "id,first_name,last_name,birth_date,course,email\n"
GOOD = HEADER + "1,Éloïse,Durand,17/04/2009,3eB,\n2,Zoé,Martin,2010-01-02,3eA,z@example.org\n"
UNREACHABLE = f"redis://127.0.0.1:{free_port()}/0"


def cli(*args: str, redis_url: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(app, [*args, "--redis-url", redis_url], input=stdin)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def count(redis_url: str) -> int:
    with redis.Redis.from_url(redis_url) as client:
        return int(client.zcard("sr:idx:order"))


def test_import_prints_a_summary_and_exits_0(tmp_path: Path, redis_url: str) -> None:
    result = cli("import", str(write(tmp_path, "s.csv", GOOD)), redis_url=redis_url)
    assert result.exit_code == 0, result.output
    assert "Created 2, updated 0, skipped 0, failed 0, of 2 rows" in result.stdout
    assert count(redis_url) == 2


def test_failed_rows_are_listed_with_lines_and_exit_1(tmp_path: Path, redis_url: str) -> None:
    cli("import", str(write(tmp_path, "a.csv", GOOD)), redis_url=redis_url)
    data = HEADER + "1,A,B,2009-04-17,3eB,\n3,,B,31/02/2009,3eB,\n4,A,B,2009-04-17,3eB,\n"
    result = cli("import", str(write(tmp_path, "b.csv", data)), redis_url=redis_url)
    assert result.exit_code == 1
    assert "Created 1, updated 0, skipped 0, failed 2, of 3 rows" in result.stdout
    assert "  line 2, id 1: id is already registered" in result.stdout
    assert (
        "  line 3, id 3: first_name is required; birth_date must be a date written "
        "YYYY-MM-DD or DD/MM/YYYY (got '31/02/2009')"
    ) in result.stdout
    assert "--on-conflict skip or update" in result.stdout


def test_on_conflict_skip_succeeds(tmp_path: Path, redis_url: str) -> None:
    path = write(tmp_path, "s.csv", GOOD)
    cli("import", str(path), redis_url=redis_url)
    result = cli("import", str(path), "--on-conflict", "skip", redis_url=redis_url)
    assert result.exit_code == 0
    assert "skipped 2" in result.stdout


def test_dry_run_writes_nothing(tmp_path: Path, redis_url: str) -> None:
    path = write(tmp_path, "s.csv", GOOD)
    result = cli("import", "--dry-run", str(path), redis_url=redis_url)
    assert result.exit_code == 0
    assert "Dry run: nothing was written" in result.stdout
    assert "Created 2" in result.stdout
    assert count(redis_url) == 0


def test_atomic_import_with_a_bad_row_writes_nothing(tmp_path: Path, redis_url: str) -> None:
    path = write(tmp_path, "s.csv", GOOD + "3,,B,2009-04-17,3eB,\n")
    result = cli("import", "--atomic", str(path), redis_url=redis_url)
    assert result.exit_code == 1
    assert "Nothing was written: with --atomic" in result.stdout
    assert count(redis_url) == 0


def test_unknown_columns_are_reported(tmp_path: Path, redis_url: str) -> None:
    data = "Prénom;Nom;Date de naissance;Classe;Remarques\nLéa;Durand;17/04/2009;3eB;x\n"
    result = cli("import", str(write(tmp_path, "s.csv", data)), redis_url=redis_url)
    assert result.exit_code == 0
    assert "Unknown columns, not imported: Remarques" in result.stdout


def test_column_names_are_reported_as_written(tmp_path: Path, redis_url: str) -> None:
    data = HEADER.strip() + ",Notes [/b] :smile:\n1,Léa,Durand,2009-04-17,3eB,,x\n"
    result = cli("import", str(write(tmp_path, "s.csv", data)), redis_url=redis_url)
    assert result.exit_code == 0, result.output
    assert "Unknown columns, not imported: Notes [/b] :smile:\n" in result.stdout


def test_standard_input_is_read_with_dash(redis_url: str) -> None:
    line = b'{"first_name": "A", "last_name": "B", "birth_date": "2009-04-17", "course": "c"}\n'
    result = cli("import", "-", "--allow-duplicates", redis_url=redis_url, stdin=line * 3)
    assert result.exit_code == 0, result.output
    assert count(redis_url) == 3


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (None, "", "Error: Cannot read {path}: No such file or directory."),
        ("bad.csv", "name,age\nx,1\n", "Error: {path}: The header row has no column for:"),
        ("bad.json", "{}", "Error: {path}: Line 1: a JSON import must be one array"),
    ],
)
def test_unreadable_files_fail_with_one_line_and_exit_2(
    tmp_path: Path, redis_url: str, name: str | None, text: str, message: str
) -> None:
    path = write(tmp_path, name, text) if name else tmp_path / "missing.csv"
    result = cli("import", str(path), redis_url=redis_url)
    assert result.exit_code == 2
    assert result.stderr.startswith(message.format(path=path))
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args", [("import", "{file}"), ("export",), ("stats",), ("migrate-legacy", "--from", "{url}")]
)
def test_unreachable_redis_is_one_clear_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    path = write(tmp_path, "s.csv", GOOD)
    argv = [a.format(file=path, url=UNREACHABLE) for a in args]
    result = cli(*argv, redis_url=UNREACHABLE)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "cannot be reached" in result.stderr or "Is Redis running?" in result.stderr
    assert result.stderr.count("\n") == 1


def test_unreachable_redis_in_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD)
    command = [sys.executable, "-m", "student_registry", "import", str(path)]
    done = subprocess.run(
        [*command, "--redis-url", UNREACHABLE], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.startswith("Error: Redis is unavailable")
    assert "Traceback" not in done.stderr


def test_export_to_a_file_imports_back(tmp_path: Path, redis_url: str) -> None:
    cli("import", str(write(tmp_path, "s.csv", GOOD)), redis_url=redis_url)
    out = tmp_path / "out.csv"
    result = cli("export", "-o", str(out), redis_url=redis_url)
    assert result.exit_code == 0
    assert f"Exported 2 students to {out}" in result.stderr
    assert out.read_bytes().startswith(codecs.BOM_UTF8 + b"id,first_name")
    assert not (tmp_path / "out.csv.part").exists()
    with redis.Redis.from_url(redis_url) as client:
        client.flushall()
    assert cli("import", str(out), redis_url=redis_url).exit_code == 0
    assert count(redis_url) == 2


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_export_writes_a_format_to_stdout_for_a_course(
    tmp_path: Path, redis_url: str, fmt: str
) -> None:
    cli("import", str(write(tmp_path, "s.csv", GOOD)), redis_url=redis_url)
    result = cli("export", "--format", fmt, "--course", "3eA", redis_url=redis_url)
    assert result.exit_code == 0
    if fmt == "json":
        students = msgspec.json.decode(result.stdout)
    else:
        students = [msgspec.json.decode(line) for line in result.stdout.splitlines()]
    assert [s["id"] for s in students] == ["2"]


def test_export_searches_names_the_way_people_type_them(tmp_path: Path, redis_url: str) -> None:
    people = (
        "m1,Marie,Dupont,2009-04-17,3eA,\n"
        "m2,Marie,Durand,2009-05-17,3eA,\n"
        "p1,Paul,Dupont,2010-01-02,4eB,\n"
    )
    cli("import", str(write(tmp_path, "s.csv", HEADER + people)), redis_url=redis_url)
    for search, ids in (("Dupont Marie", ["m1"]), ("marie dup", ["m1"]), ("DUPONT", ["m1", "p1"])):
        result = cli("export", "--format", "ndjson", "--search", search, redis_url=redis_url)
        assert result.exit_code == 0, result.output
        found = [msgspec.json.decode(line)["id"] for line in result.stdout.splitlines()]
        assert sorted(found) == ids, search


def test_export_format_follows_the_output_name(tmp_path: Path, redis_url: str) -> None:
    cli("import", str(write(tmp_path, "s.csv", GOOD)), redis_url=redis_url)
    out = tmp_path / "all.ndjson"
    assert cli("export", "-o", str(out), redis_url=redis_url).exit_code == 0
    assert len(out.read_text().splitlines()) == 2


def test_migrate_legacy_twice_gives_the_same_result(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        fill_like_the_original_app(client, LEGACY)
    first = cli("migrate-legacy", "--from", redis_url, redis_url=redis_url)
    assert first.exit_code == 1  # three legacy students cannot be converted
    assert "Created 4, updated 0, skipped 0, failed 3, of 7 rows" in first.stdout
    assert "  key '20': birth_date cannot be read as a date: 'yesterday'" in first.stdout
    second = cli("migrate-legacy", "--from", redis_url, redis_url=redis_url)
    assert "Created 0, updated 0, skipped 4, failed 3, of 7 rows" in second.stdout
    assert count(redis_url) == 4


def test_migrate_legacy_dry_run_and_bad_source(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        fill_like_the_original_app(client, LEGACY[:2])
    result = cli("migrate-legacy", "--dry-run", "--from", redis_url, redis_url=redis_url)
    assert result.exit_code == 0
    assert "Created 2" in result.stdout
    assert count(redis_url) == 0
    result = cli("migrate-legacy", "--from", "localhost:6379", redis_url=redis_url)
    assert result.exit_code == 2
    assert "must be a Redis URL" in result.stderr


def test_stats_counts_per_course_and_total(tmp_path: Path, redis_url: str) -> None:
    cli(
        "import",
        str(write(tmp_path, "s.csv", GOOD + "3,Léa,B,2009-04-17,3eA,\n")),
        redis_url=redis_url,
    )
    result = cli("stats", redis_url=redis_url)
    assert result.exit_code == 0
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["│", "3eA", "│", "2", "│"] in lines
    assert ["│", "3eB", "│", "1", "│"] in lines
    assert ["│", "Total", "│", "3", "│"] in lines


@pytest.mark.parametrize("command", ["import", "export", "migrate-legacy", "stats"])
def test_every_command_has_help_with_examples(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "student-registry " + command in result.stdout
    assert "--redis-url" in result.stdout
