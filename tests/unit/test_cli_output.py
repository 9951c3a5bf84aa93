"""What the command line prints after an import, into a pipe and on a terminal."""

from __future__ import annotations

import io

import pytest

from student_registry.cli_output import print_import_report
from student_registry.domain.bulk import ID_TAKEN, ImportReport
from student_registry.domain.bulk_formats import RowFailure
from student_registry.errors import FieldError


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def report() -> ImportReport:
    failure = RowFailure(line=3, id="7", errors=[FieldError("id", ID_TAKEN)])
    return ImportReport(
        rows=2, created=1, failed=1, dry_run=True, unknown_columns=["[red]x"], failures=[failure]
    )


def test_a_pipe_gets_plain_lines_with_data_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    out = io.StringIO()
    print_import_report(report(), elapsed=0.5, out=out)
    assert out.getvalue().splitlines() == [
        "Dry run: nothing was written; the counts say what an import would do.",
        "Created 1, updated 0, skipped 0, failed 1, of 2 rows in 0.50 s (4 rows/s).",
        "Unknown columns, not imported: [red]x",
        "Failed rows:",
        "  line 3, id 7: id is already registered",
        "To keep or replace registered students, use --on-conflict skip or update.",
    ]


def test_a_terminal_gets_the_same_lines_with_styles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    out, plain = Terminal(), io.StringIO()
    print_import_report(report(), elapsed=0.5, out=out)
    print_import_report(report(), elapsed=0.5, out=plain)
    assert "\x1b[1mDry run\x1b[0m: nothing was written" in out.getvalue()
    assert "\x1b[33mUnknown columns, not imported\x1b[0m: [red]x\n" in out.getvalue()
    assert (
        out.getvalue().replace("\x1b[1m", "").replace("\x1b[33m", "").replace("\x1b[0m", "")
        == plain.getvalue()
    )
