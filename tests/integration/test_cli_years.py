"""The school-year commands: years list and set-current, rollover from a mapping file, --year."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner, Result

from student_registry.cli import app
from student_registry.school_years import YearStart, next_year, year_of

HEADER = "id,first_name,last_name,birth_date,course,email\n"
STUDENTS = HEADER + (
    "1,Léa,Durand,2014-04-17,6A,\n"
    "2,Zoé,Martin,2014-01-02,6A,\n"
    "3,Hugo,Petit,2014-05-06,6A,\n"
    "4,Inès,Roux,2011-03-04,3eB,\n"
)
MAPPING = "from,to\n6A,5A\n3eB,\n"


def cli(*args: str, redis_url: str) -> Result:
    return CliRunner().invoke(app, [*args, "--redis-url", redis_url])


def this_year() -> str:
    return year_of(date.today(), YearStart.parse("09-01"))


def write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + text.encode())
    return path


def stats_rows(redis_url: str, *extra: str) -> dict[str, str]:
    result = cli("stats", *extra, redis_url=redis_url)
    assert result.exit_code == 0, result.output
    cells = [line.split() for line in result.stdout.splitlines()]
    return {row[1]: row[3] for row in cells if len(row) == 5 and row[0] == "│"}


@pytest.fixture
def students(tmp_path: Path, redis_url: str) -> None:
    result = cli("import", str(write(tmp_path, "s.csv", STUDENTS)), redis_url=redis_url)
    assert result.exit_code == 0, result.output


def rollover(tmp_path: Path, redis_url: str, mapping: str, *extra: str) -> Result:
    path = write(tmp_path, "mapping.csv", mapping)
    year = this_year()
    return cli(
        "rollover",
        "--from",
        year,
        "--to",
        next_year(year),
        "--mapping",
        str(path),
        *extra,
        redis_url=redis_url,
    )


def test_years_list_on_a_fresh_store_shows_todays_year_current_and_live(redis_url: str) -> None:
    result = cli("years", "list", redis_url=redis_url)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"* {this_year()}  (current, live)\n"


@pytest.mark.usefixtures("students")
def test_rollover_promotes_keeps_repeaters_and_lets_a_class_leave(
    tmp_path: Path, redis_url: str
) -> None:
    year, nxt = this_year(), next_year(this_year())
    result = rollover(tmp_path, redis_url, MAPPING, "--repeat", "3")
    assert result.exit_code == 0, result.output
    assert (
        f"Rolled over from {year} to {nxt}: promoted 2, repeating 1, left the school 1."
        in result.stdout
    )
    listed = cli("years", "list", redis_url=redis_url)
    assert listed.stdout == f"  {year}\n* {nxt}  (current, live)\n"
    # The leavers' enrolments of the old year are closed: they count among its withdrawn.
    assert stats_rows(redis_url, "--year", year) == {"6A": "3", "Total": "3"}
    assert stats_rows(redis_url, "--year", year, "--status", "withdrawn") == {
        "3eB": "1",
        "Total": "1",
    }
    assert stats_rows(redis_url) == {"5A": "2", "6A": "1", "Total": "3"}
    exported = cli(
        "export", "--format", "ndjson", "--status", "all", "--year", year, redis_url=redis_url
    )
    assert exported.exit_code == 0, exported.output
    courses = {
        s["id"]: (s["course"], s["status"])
        for s in map(msgspec.json.decode, exported.stdout.splitlines())
    }
    assert courses == {
        "1": ("6A", "enrolled"),
        "2": ("6A", "enrolled"),
        "3": ("6A", "enrolled"),
        "4": ("3eB", "withdrawn"),
    }


@pytest.mark.usefixtures("students")
def test_rollover_dry_run_counts_and_changes_nothing(tmp_path: Path, redis_url: str) -> None:
    result = rollover(tmp_path, redis_url, MAPPING, "--dry-run", "--repeat", "3")
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was changed" in result.stdout
    assert "promoted 2, repeating 1, left the school 1." in result.stdout
    assert cli("years", "list", redis_url=redis_url).stdout == f"* {this_year()}  (current, live)\n"
    assert stats_rows(redis_url) == {"3eB": "1", "6A": "3", "Total": "4"}


@pytest.mark.usefixtures("students")
def test_unmapped_courses_are_named_and_nothing_changes(tmp_path: Path, redis_url: str) -> None:
    result = rollover(tmp_path, redis_url, "from,to\n5C,4C\n")
    assert result.exit_code == 1
    assert "Courses without a mapping:\n  3eB\n  6A\n" in result.stderr
    assert "Nothing was changed." in result.stderr
    assert "Traceback" not in result.output
    assert stats_rows(redis_url) == {"3eB": "1", "6A": "3", "Total": "4"}


@pytest.mark.usefixtures("students")
def test_a_semicolon_mapping_with_a_bom_is_read(tmp_path: Path, redis_url: str) -> None:
    path = write(tmp_path, "m.csv", "From;To\r\n6A;5A\r\n3eB;\r\n", bom=True)
    year = this_year()
    args = ("--from", year, "--to", next_year(year), "--mapping", str(path), "--dry-run")
    result = cli("rollover", *args, redis_url=redis_url)
    assert result.exit_code == 0, result.output
    assert "promoted 3, repeating 0, left the school 1." in result.stdout


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ("from,to\n6A,5A\n6A,4A\n", "Line 3: '6A' is mapped already, on line 2."),
        ("from,to\n6A,5A\n\n3eB,x,y\n", "Line 4: a row has two cells"),
        ("from,to\n,5A\n", "Line 2: the from course is empty."),
        ("course,next\n6A,5A\n", "Line 1: the mapping's first line must be the header from,to"),
        ("", "The mapping is empty"),
    ],
)
def test_a_bad_mapping_file_names_its_line_and_exits_2(
    tmp_path: Path, redis_url: str, mapping: str, message: str
) -> None:
    result = rollover(tmp_path, redis_url, mapping)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {tmp_path / 'mapping.csv'}: {message}")
    assert "Traceback" not in result.output


def test_set_current_on_an_empty_registry_takes_any_year(redis_url: str) -> None:
    result = cli("years", "set-current", "2030-2031", redis_url=redis_url)
    assert result.exit_code == 0, result.output
    assert result.stdout == "The current year is 2030-2031.\n"
    assert "* 2030-2031  (current, live)" in cli("years", "list", redis_url=redis_url).stdout


@pytest.mark.usefixtures("students")
def test_an_unknown_year_is_one_line_and_exit_1(redis_url: str) -> None:
    for args in (("years", "set-current", "1990-1991"), ("stats", "--year", "1990-1991")):
        result = cli(*args, redis_url=redis_url)
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: The registry holds no school year 1990-1991")
        assert result.stderr.count("\n") == 1


@pytest.mark.usefixtures("students")
def test_export_of_an_unknown_year_writes_no_file(tmp_path: Path, redis_url: str) -> None:
    out = tmp_path / "old.csv"
    result = cli("export", "--year", "1990-1991", "-o", str(out), redis_url=redis_url)
    assert result.exit_code == 1
    assert "holds no school year 1990-1991" in result.stderr
    assert not out.exists()
    assert not (tmp_path / "old.csv.part").exists()


@pytest.mark.parametrize("command", [("years", "list"), ("years", "set-current"), ("rollover",)])
def test_year_commands_have_help_with_examples(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "student-registry " + " ".join(command) in result.stdout
    assert "--redis-url" in result.stdout


@pytest.mark.usefixtures("students")
def test_imports_and_withdrawals_wait_while_an_earlier_year_is_shown(
    tmp_path: Path, redis_url: str
) -> None:
    assert rollover(tmp_path, redis_url, MAPPING).exit_code == 0
    assert cli("years", "set-current", this_year(), redis_url=redis_url).exit_code == 0
    more = write(tmp_path, "more.csv", HEADER + "z9,Zoé,Zola,2012-03-04,6A,\n")
    result = cli("import", str(more), redis_url=redis_url)
    assert result.exit_code == 1, result.output
    assert "Error: The current year is" in result.stderr
    assert "Traceback" not in result.output
    result = cli("withdraw", "1", "--date", "2026-11-02", "--reason", "Moved", redis_url=redis_url)
    assert result.exit_code == 1, result.output
    assert "Error: The current year is" in result.stderr
