"""What the command line prints: progress while it works, then a summary a person reads."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from student_registry.domain.bulk import ID_TAKEN, ImportReport
from student_registry.domain.models import CourseCount

PLAIN_EVERY_SECONDS = 2.0


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


def print_import_report(
    report: ImportReport, *, elapsed: float, out: Console, ignored: int | None = None
) -> None:
    """The summary of an import, then each failed row with its line and what is wrong."""
    if report.dry_run:
        out.print("[bold]Dry run[/]: nothing was written; the counts say what an import would do.")
    rate = f" ({report.rows / elapsed:,.0f} rows/s)" if elapsed > 0 and report.rows else ""
    out.print(
        f"Created {report.created:,}, updated {report.updated:,}, skipped {report.skipped:,}, "
        f"failed {report.failed:,}, of {report.rows:,} rows in {elapsed:.2f} s{rate}."
    )
    if ignored:
        out.print(f"Ignored {ignored:,} hashes that are not students of the original app.")
    if report.unknown_columns:
        names = ", ".join(report.unknown_columns)
        out.print(f"[yellow]Unknown columns, not imported[/]: {names}", highlight=False)
    if report.error:
        out.print(f"[red]Reading stopped[/]: {report.error}", highlight=False)
    if report.aborted:
        out.print("[red]Nothing was written[/]: with --atomic, any failed row stops them all.")
    if not report.failures:
        return
    out.print("Failed rows:")
    for failure in report.failures:
        where = f"line {failure.line}" if failure.line is not None else "key"
        if failure.id is not None:
            where += f", id {failure.id}" if failure.line is not None else f" {failure.id!r}"
        problems = "; ".join(f"{e.path} {e.message}" for e in failure.errors)
        out.print(f"  {where}: {problems}", highlight=False, markup=False)
    if report.failed > len(report.failures):
        more = report.failed - len(report.failures)
        out.print(f"  ... and {more:,} more (the first {len(report.failures):,} are listed).")
    if any(e.message == ID_TAKEN for f in report.failures for e in f.errors):
        out.print("To keep or replace registered students, use --on-conflict skip or update.")


def print_stats(counts: list[CourseCount], *, out: Console) -> None:
    """Students per course, and the total."""
    table = Table("Course", "Students", show_footer=True)
    for count in counts:
        table.add_row(count.course, f"{count.students:,}")
    table.columns[0].footer = "Total"
    table.columns[1].footer = f"{sum(c.students for c in counts):,}"
    table.columns[1].justify = "right"
    out.print(table)
