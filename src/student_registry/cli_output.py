"""What the command line prints: progress while it works, then a summary a person reads."""

from __future__ import annotations

import os
import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from student_registry.domain.bulk import ID_TAKEN, ImportReport

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from student_registry.domain.models import CourseCount

PLAIN_EVERY_SECONDS = 2.0
# Parts of a line: plain text, or text with a rich style that only a terminal shows.
Part = str | tuple[str, str]


class ImportProgress:
    """A progress bar on a terminal; otherwise a plain line every few seconds, on stderr."""

    def __init__(self, *, total_bytes: int | None, label: str, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.total = total_bytes
        self.label = label
        self.read = 0
        self.rows = 0
        self.last_line = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        if self.stream.isatty():
            # rich takes a tenth of a second to import: only a terminal gets a progress bar.
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self.task = self.bar.add_task(label, total=total_bytes)

    def __enter__(self) -> ImportProgress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()

    def read_bytes(self, count: int) -> None:
        """Count bytes read from the input."""
        self.read += count
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=self.read)

    def update(self, report: ImportReport) -> None:
        """Show the rows done so far."""
        self.rows = report.created + report.updated + report.skipped + report.failed
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, description=f"{self.label}: {self.rows:,} rows")
        elif time.monotonic() - self.last_line >= PLAIN_EVERY_SECONDS:
            self.last_line = time.monotonic()
            share = f" ({self.read / self.total:.0%} of the input)" if self.total else ""
            print(f"{self.label}: {self.rows:,} rows done{share}", file=self.stream, flush=True)


def print_lines(lines: list[list[Part]], out: TextIO) -> None:
    """Lines with their styles on a terminal; as plain text into a pipe or a file."""
    if not (out.isatty() or os.environ.get("FORCE_COLOR")):
        out.write(
            "".join(
                "".join(p if isinstance(p, str) else p[0] for p in line) + "\n" for line in lines
            )
        )
        out.flush()
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False, soft_wrap=True)
    for line in lines:
        console.print(Text.assemble(*line))


def import_report_lines(
    report: ImportReport, *, elapsed: float, ignored: int | None = None
) -> list[list[Part]]:
    """The summary of an import, then each failed row with its line and what is wrong."""
    lines: list[list[Part]] = []
    if report.dry_run:
        lines.append(
            [("Dry run", "bold"), ": nothing was written; the counts say what an import would do."]
        )
    rate = f" ({report.rows / elapsed:,.0f} rows/s)" if elapsed > 0 and report.rows else ""
    lines.append(
        [
            f"Created {report.created:,}, updated {report.updated:,}, "
            + (f"unchanged {report.unchanged:,}, " if report.unchanged else "")
            + f"skipped {report.skipped:,}, "
            f"failed {report.failed:,}, of {report.rows:,} rows in {elapsed:.2f} s{rate}."
        ]
    )
    if report.withdrawn:
        lines.append([f"Withdrew {report.withdrawn:,} enrolled students absent from the export."])
    if ignored:
        lines.append([f"Ignored {ignored:,} hashes that are not students of the original app."])
    if report.unknown_columns:
        names = ", ".join(report.unknown_columns)
        lines.append([("Unknown columns, not imported", "yellow"), f": {names}"])
    if report.error:
        lines.append([("Reading stopped", "red"), f": {report.error}"])
    if report.aborted:
        lines.append(
            [("Nothing was written", "red"), ": with --atomic, any failed row stops them all."]
        )
    if not report.failures:
        return lines
    lines.append(["Failed rows:"])
    for failure in report.failures:
        where = f"line {failure.line}" if failure.line is not None else "key"
        if failure.id is not None:
            where += f", id {failure.id}" if failure.line is not None else f" {failure.id!r}"
        problems = "; ".join(f"{e.path} {e.message}" for e in failure.errors)
        lines.append([f"  {where}: {problems}"])
    if report.failed > len(report.failures):
        more = report.failed - len(report.failures)
        lines.append([f"  ... and {more:,} more (the first {len(report.failures):,} are listed)."])
    if any(e.message == ID_TAKEN for f in report.failures for e in f.errors):
        lines.append(["To keep or replace registered students, use --on-conflict skip or update."])
    return lines


def print_import_report(
    report: ImportReport, *, elapsed: float, out: TextIO, ignored: int | None = None
) -> None:
    """The summary of an import, then each failed row with its line and what is wrong."""
    print_lines(import_report_lines(report, elapsed=elapsed, ignored=ignored), out)


def print_stats(counts: list[CourseCount], *, out: Console) -> None:
    """Students per course, and the total."""
    from rich.table import Table

    table = Table("Course", "Students", show_footer=True)
    for count in counts:
        table.add_row(count.course, f"{count.students:,}")
    table.columns[0].footer = "Total"
    table.columns[1].footer = f"{sum(c.students for c in counts):,}"
    table.columns[1].justify = "right"
    out.print(table)
