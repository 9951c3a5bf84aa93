"""The command line: a thin client of the same service layer as the API."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, Literal, TypeVar, cast

import typer

from student_registry.cli_accounts import tokens_app, users_app
from student_registry.cli_base import fail, load_settings, run
from student_registry.cli_years import rollover, years_app
from student_registry.settings import Settings

if TYPE_CHECKING:
    from rich.console import Console

    from student_registry.cli_output import ImportProgress
    from student_registry.domain.bulk import ImportReport
    from student_registry.store.redis_store import RedisStore

T = TypeVar("T")

app = typer.Typer(
    help="Student Registry: register a school's students in Redis.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(years_app, name="years")
app.command("rollover")(rollover)


@app.callback()
def root() -> None:
    """Student Registry: register a school's students in Redis."""


RedisUrl = Annotated[
    str | None,
    typer.Option("--redis-url", envvar="REDIS_URL", help="Redis to use.", show_envvar=True),
]


def _run_for_years(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine that reads a year the registry may not hold: that is one clear line."""
    from student_registry.errors import UnknownYear

    try:
        return run(coro_fn)
    except UnknownYear as exc:
        raise fail(str(exc)) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on \\[env: HOST].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on \\[env: PORT].")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes \\[env: WEB_CONCURRENCY; default: as CPUs and memory allow]."
        ),
    ] = None,
    reload: Annotated[
        bool | None,
        typer.Option(
            "--reload/--no-reload",
            help="For development: restart the workers when the code changes, read templates "
            "again when they change; needs the `reload` dependency group \\[env: DEV_RELOAD].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the production web server (granian).

    Prometheus metrics are on http://HOST:METRICS_PORT/metrics (default port 9000; 0 for none).

    Example: [bold]student-registry serve --host 0.0.0.0 --port 5000[/]
    """
    from granian import Granian
    from granian.constants import Interfaces

    settings = load_settings(host=host, port=port, workers=workers, dev_reload=reload)
    settings = settings.with_secret()
    # Workers are separate processes that read the environment; they must share one secret.
    os.environ["SECRET_KEY"] = settings.secret_key
    os.environ["DEV_RELOAD"] = "true" if settings.dev_reload else "false"
    if settings.metrics_port:
        _serve_metrics(settings)
    # Only now: the logs module reaches the metrics through the service, and prometheus_client
    # must find the metrics directory set when it is first imported (_serve_metrics).
    from student_registry.logs import logging_config

    Granian(
        target="student_registry.app:create_served_app",
        factory=True,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        interface=Interfaces.ASGI,
        log_dictconfig=logging_config(settings.log_level),
        respawn_failed_workers=True,
        backlog=2048,
        **_reload_options(settings.dev_reload),
    ).serve()


def _reload_options(enabled: bool) -> dict[str, Any]:
    """Granian's options to restart the workers on a code change, or none."""
    if not enabled:
        return {}
    package = Path(__file__).parent
    web = package / "web"
    return {
        "reload": True,
        "reload_paths": [package],
        # Templates are read again by Jinja and static files on each request: no restart.
        "reload_ignore_paths": [web / "templates", web / "static"],
        # A module that fails to import leaves the worker down until the next change fixes it.
        "reload_ignore_worker_failure": True,
    }


def _serve_metrics(settings: Settings) -> None:
    from student_registry.metrics_server import prepare_directory

    prepare_directory()  # before prometheus_client is imported, here or in a worker
    from student_registry.connection import open_blocking_client
    from student_registry.metrics_server import start_metrics_server
    from student_registry.store.redis_store import enrolled_count

    # Through the Sentinels when there are some, as the workers connect.
    client = open_blocking_client(settings)
    try:
        start_metrics_server(
            host=settings.host, port=settings.metrics_port, enrolled=lambda: enrolled_count(client)
        )
    except OSError as exc:
        # Serving matters more than being measured, as with Redis away: say it, and serve.
        typer.secho(
            f"Warning: no metrics: port {settings.metrics_port} cannot be used "
            f"({exc.strerror}). Set METRICS_PORT to a free port, or 0 for none.",
            err=True,
            fg=typer.colors.YELLOW,
        )


StatusOption = Annotated[
    Literal["enrolled", "withdrawn", "all"],
    typer.Option(help="Which students: enrolled (the default), withdrawn, or all."),
]
YearOption = Annotated[
    str | None,
    typer.Option(
        "--year",
        help="A school year the registry holds, like 2026-2027 (default: the current one;"
        " see `years list`).",
        show_default=False,
    ),
]
FormatOption = Annotated[
    Literal["csv", "ndjson", "json"] | None,
    typer.Option(
        "--format", "-f", help="csv, ndjson or json (default: from the file name or content)."
    ),
]
READ_CHUNK = 1024 * 1024
# An all-or-nothing import is one Redis call that may run for a second or more.
BULK_TIMEOUT = 60.0


def _open_store(redis_url: str | None, *, timeout: float | None = None) -> RedisStore:
    from student_registry.connection import open_store

    return open_store(load_settings(redis_url=redis_url), timeout=timeout)


def _read_chunks(stream: BinaryIO, first: bytes, progress: ImportProgress) -> Iterator[bytes]:
    chunk = first
    while chunk:
        progress.read_bytes(len(chunk))
        yield chunk
        chunk = stream.read(READ_CHUNK)


def _stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def _seekable(stream: BinaryIO, first: bytes) -> BinaryIO:
    """The stream itself if it can seek back to its start, else a copy (standard input)."""
    if stream.seekable():
        stream.seek(0)
        return stream
    copy = tempfile.SpooledTemporaryFile(max_size=READ_CHUNK * 16)  # noqa: SIM115  (returned)
    copy.write(first)
    shutil.copyfileobj(stream, copy)
    copy.seek(0)
    return cast(BinaryIO, copy)


async def _import_export(
    store: RedisStore,
    students: BinaryIO,
    guardians: Path | None,
    *,
    dry_run: bool,
    atomic: bool,
    allow_duplicates: bool,
    withdraw_missing: bool,
) -> ImportReport:
    """Read a SIECLE or ONDE export (and its guardians file) and import it in update mode."""
    from student_registry.domain.export_import import import_export, read_export

    with students, guardians.open("rb") if guardians else nullcontext() as guardians_file:
        read = await asyncio.to_thread(read_export, students, guardians=guardians_file)
    return await import_export(
        store,
        read,
        dry_run=dry_run,
        atomic=atomic,
        allow_duplicates=allow_duplicates,
        withdraw_missing=withdraw_missing,
    )


@app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(help="The file to import; - reads standard input.", show_default=False)
    ],
    fmt: FormatOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every row against the data; write nothing.")
    ] = False,
    on_conflict: Annotated[
        Literal["fail", "skip", "update"],
        typer.Option(
            help="A row whose id is registered: fails, is skipped, or updates it"
            " (a SIECLE or ONDE export always updates)."
        ),
    ] = "fail",
    atomic: Annotated[
        bool,
        typer.Option(
            "--atomic",
            help="All or nothing: any failed row writes none (at most 20,000 rows).",
        ),
    ] = False,
    allow_duplicates: Annotated[
        bool,
        typer.Option(
            "--allow-duplicates",
            help="Register rows with the names and date of birth of a registered student;"
            " by default they fail, naming that student.",
        ),
    ] = False,
    guardians: Annotated[
        Path | None,
        typer.Option(
            "--guardians",
            help="With a SIECLE or ONDE students export: its guardians file"
            " (ResponsablesAvecAdresses.xml or its zip, CSVExtraction Parents.csv).",
            show_default=False,
        ),
    ] = None,
    withdraw_missing: Annotated[
        bool,
        typer.Option(
            "--withdraw-missing",
            help="With a full SIECLE or ONDE export: withdraw the enrolled students it does not"
            " name (never deletes them).",
        ),
    ] = False,
    redis_url: RedisUrl = None,
) -> None:
    """Import students from a CSV, NDJSON or JSON file, or a SIECLE or ONDE export.

    CSV: UTF-8 (with or without BOM), comma or semicolon, and a header row naming the columns:
    [bold]id, first_name, last_name, birth_date, course, email[/], or names like
    [italic]Student ID, First name, Date of birth, Prénom, Classe[/]. Unknown columns are reported.
    Dates are YYYY-MM-DD, or day first as in France: DD/MM/YYYY.
    Optional columns: [bold]sex, ine, birthplace[/] and two guardians,
    [bold]guardian1_name, guardian1_relationship, guardian1_phone, guardian1_email,
    guardian1_parental_authority[/] (and guardian2_...), or [italic]Sexe, INE, Lieu de naissance,
    Responsable 1 nom, Responsable 1 lien, Responsable 1 téléphone, Responsable 1 courriel,
    Responsable 1 autorité parentale[/]; relationships mère, père, tuteur, autre; oui/non.
    JSON: an array of student objects; NDJSON: one object a line, with all their guardians.

    SIECLE ([italic]ElevesSansAdresses.xml[/] or its zip) and ONDE ([italic]CSVExtraction.csv[/])
    exports are told from their content, their guardians given with [bold]--guardians[/]. They
    always import in update mode: a student registered with the same INE, else the same id, is
    updated. New SIECLE students take their ELENOET as id; ONDE ones their INE (see README).
    A SIECLE DATE_SORTIE withdraws the student on that date; [bold]--withdraw-missing[/] withdraws,
    today, the enrolled students a full export does not name.

    Prints a summary and each failed row's line and problem. Exit code 0 when every row went
    in, 1 when a row failed or Redis is unreachable, 2 when the file cannot be read.

    Files of any size: IMPORT_MAX_BYTES limits only uploads through the API and the page.

    Examples:

      [bold]student-registry import students.csv[/]

      [bold]student-registry import --dry-run --on-conflict update rentree.csv[/]

      [bold]cat students.ndjson | student-registry import --format ndjson --atomic -[/]
    """
    from student_registry.cli_output import ImportProgress, print_import_report
    from student_registry.domain.bulk import import_students, read_rows
    from student_registry.domain.bulk_formats import guess_format
    from student_registry.domain.export_import import is_export
    from student_registry.errors import Conflict, InvalidImport

    try:
        stream = sys.stdin.buffer if str(file) == "-" else file.open("rb")
    except OSError as exc:
        raise fail(f"Cannot read {file}: {exc.strerror or exc}.", 2) from None
    store = _open_store(redis_url, timeout=BULK_TIMEOUT if atomic else None)
    started = time.perf_counter()

    async def work() -> ImportReport:
        try:
            await store.ping()
            first = stream.read(READ_CHUNK)
            if is_export(first) or guardians is not None or withdraw_missing:
                return await _import_export(
                    store,
                    _seekable(stream, first),
                    guardians,
                    dry_run=dry_run,
                    atomic=atomic,
                    allow_duplicates=allow_duplicates,
                    withdraw_missing=withdraw_missing,
                )
            piped = stream is sys.stdin.buffer
            size = None if piped else os.fstat(stream.fileno()).st_size
            label = "Importing" if piped else f"Importing {file.name}"
            with ImportProgress(total_bytes=size, label=label) as progress:
                chunks = _read_chunks(stream, first, progress)
                rows = read_rows(chunks, fmt or guess_format(file.name, first))
                return await import_students(
                    store,
                    rows,
                    on_conflict=on_conflict,
                    dry_run=dry_run,
                    atomic=atomic,
                    on_progress=progress.update,
                    allow_duplicates=allow_duplicates,
                )
        except InvalidImport as exc:
            raise fail(f"{file}: {exc}", 2) from None
        except OSError as exc:
            raise fail(f"Cannot read {file}: {exc.strerror or exc}.", 2) from None
        except Conflict as exc:
            # An earlier year shown, or a rollover under way: nothing was written.
            raise fail(str(exc)) from None
        finally:
            stream.close()
            await store.close()

    report = run(work)
    print_import_report(report, elapsed=time.perf_counter() - started, out=sys.stdout)
    if not report.succeeded or report.aborted:
        raise typer.Exit(1)


@app.command()
def export(
    fmt: FormatOption = None,
    course: Annotated[str | None, typer.Option(help="Only the students of this course.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: standard output)."),
    ] = None,
    status: StatusOption = "enrolled",
    search: Annotated[
        str,
        typer.Option(
            "--search",
            "-q",
            help="Only the students whose first or last name starts with every word, in any"
            " order, ignoring case and accents ('Dupont Marie', 'marie dup').",
        ),
    ] = "",
    year: YearOption = None,
    redis_url: RedisUrl = None,
) -> None:
    """Export enrolled students (--status for others) in alphabetical order, streamed:
    constant memory for any number.

    CSV is UTF-8 with a BOM and a header row, so spreadsheets open it as is; it imports back
    unchanged. A cell that a spreadsheet would run as a formula (=, +, -, @) gets a leading '.

    Examples:

      [bold]student-registry export -o students.csv[/]

      [bold]student-registry export --format ndjson --course 3eB > 3eB.ndjson[/]

      [bold]student-registry export --status withdrawn -o withdrawn.csv[/]

      [bold]student-registry export --search "dupont marie"[/]

      [bold]student-registry export --year 2025-2026 -o last-year.csv[/]
    """
    from student_registry.domain.bulk import export_students
    from student_registry.domain.bulk_formats import guess_format
    from student_registry.domain.service import Registry

    chosen = fmt or (guess_format(output.name, b"") if output else "csv")
    partial = output.with_name(output.name + ".part") if output else None
    store = _open_store(redis_url)
    started = time.perf_counter()
    count = [0]

    def counted(total: int) -> None:
        count[0] = total

    async def work() -> None:
        try:
            await store.ping()
            registry = Registry(store)
            # Before any file is opened or the export audited: an unknown year is one line.
            await registry.years.check_known(year)
            sink = partial.open("wb") if partial else sys.stdout.buffer
            try:
                chunks = export_students(
                    registry,
                    chosen,
                    course=course,
                    q=search,
                    on_progress=counted,
                    status=status,
                    year=year,
                )
                async for chunk in chunks:
                    sink.write(chunk)
                sink.flush()
            finally:
                if partial:
                    sink.close()
        except BrokenPipeError:
            # The reader stopped (`| head`): nothing is wrong; keep Python from flushing into it.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as exc:
            raise fail(f"Cannot write {output or 'the output'}: {exc.strerror or exc}.") from None
        finally:
            await store.close()

    try:
        _run_for_years(work)
    except BaseException:
        if partial:
            partial.unlink(missing_ok=True)
        raise
    if output and partial:
        partial.replace(output)
    elapsed = time.perf_counter() - started
    where = f" to {output}" if output else ""
    typer.echo(f"Exported {count[0]:,} students{where} in {elapsed:.2f} s.", err=True)


@app.command("migrate-legacy")
def migrate_legacy(
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="The original app's Redis, e.g. redis://old-host:6379/0.",
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; write nothing.")
    ] = False,
    from_password_file: Annotated[
        Path | None,
        typer.Option(
            "--from-password-file",
            help="A file holding the password of --from's user (kept off the command line).",
        ),
    ] = None,
    redis_url: RedisUrl = None,
) -> None:
    """Copy the original app's students (one hash per student) into the registry.

    Reads every hash with SCAN, leaving out the registry's own keys, so both may share a
    database. Dates the original form let through (17/04/2009, 17-04-2009, 2009/04/17,
    17 April 2009) are converted; anything it cannot read is reported with its key. Students
    already registered are kept as they are: running it twice gives the same result.

    Examples:

      [bold]student-registry migrate-legacy --from redis://old-host:6379/0 --dry-run[/]

      [bold]student-registry migrate-legacy --from redis://localhost:6379/0[/]
    """
    from student_registry.cli_output import ImportProgress, print_import_report
    from student_registry.domain.legacy import migrate_legacy as migrate
    from student_registry.errors import StoreUnavailable
    from student_registry.store.client import connect
    from student_registry.store.redis_store import RedisStore, scan_foreign_hashes

    if not source.startswith(("redis://", "rediss://", "unix://")):
        raise fail("--from must be a Redis URL: redis://, rediss:// or unix://.", 2)
    try:
        from_password = (
            from_password_file.read_text(encoding="utf-8").splitlines()[0]
            if from_password_file
            else None
        )
    except (OSError, IndexError):
        raise fail(f"Cannot read a password from {from_password_file}.", 2) from None
    store = _open_store(redis_url)
    legacy = RedisStore(connect(source, password=from_password))
    started = time.perf_counter()

    async def work() -> tuple[ImportReport, int]:
        try:
            try:
                await legacy.ping()
            except StoreUnavailable as exc:
                raise fail(
                    f"The original app's Redis ({source}) cannot be reached: {exc}."
                ) from None
            await store.ping()
            with ImportProgress(total_bytes=None, label="Migrating") as progress:
                return await migrate(
                    store,
                    scan_foreign_hashes(legacy.client),
                    dry_run=dry_run,
                    on_progress=progress.update,
                )
        finally:
            await legacy.close()
            await store.close()

    report, ignored = run(work)
    elapsed = time.perf_counter() - started
    print_import_report(report, elapsed=elapsed, out=sys.stdout, ignored=ignored)
    if not report.succeeded:
        raise typer.Exit(1)


@app.command()
def stats(
    status: StatusOption = "enrolled", year: YearOption = None, redis_url: RedisUrl = None
) -> None:
    """Enrolled students (--status for others) per course, and the total, in the current
    school year (--year for another).

    Examples:

      [bold]student-registry stats --redis-url redis://localhost:6379/0[/]

      [bold]student-registry stats --year 2025-2026[/]
    """
    from student_registry.cli_output import print_stats
    from student_registry.domain.models import CourseCount
    from student_registry.domain.service import Registry

    store = _open_store(redis_url)

    async def work() -> list[CourseCount]:
        try:
            return await Registry(store).course_stats(status=status, year=year)
        finally:
            await store.close()

    print_stats(_run_for_years(work), out=_stdout())


@app.command()
def withdraw(
    student_id: Annotated[str, typer.Argument(help="The student's id.")],
    exit_date: Annotated[
        str, typer.Option("--date", help="The day the student left: YYYY-MM-DD or DD/MM/YYYY.")
    ],
    reason: Annotated[str, typer.Option(help="Why the student left.")],
    redis_url: RedisUrl = None,
) -> None:
    """Withdraw a student (radiation): they leave the lists, their record and history stay.

    Example: [bold]student-registry withdraw 2024-0042 --date 14/02/2025 --reason "Moved"[/]
    """
    from student_registry.domain.bulk_formats import to_iso_date

    day = to_iso_date(exit_date) or exit_date
    _change_status(
        student_id,
        {"status": "withdrawn", "exit_date": day, "exit_reason": reason},
        redis_url=redis_url,
        done="Withdrew",
    )


@app.command()
def reinstate(
    student_id: Annotated[str, typer.Argument(help="The student's id.")],
    redis_url: RedisUrl = None,
) -> None:
    """Enrol a withdrawn student again; their exit date and reason are cleared."""
    _change_status(student_id, {"status": "enrolled"}, redis_url=redis_url, done="Reinstated")


def _change_status(
    student_id: str, change: dict[str, str], *, redis_url: str | None, done: str
) -> None:
    """Apply a change of status through the service, or exit 1 saying what is wrong."""
    from student_registry.domain.models import StudentPatch
    from student_registry.domain.service import Registry
    from student_registry.domain.validation import parse
    from student_registry.errors import Conflict, InvalidStudent, StudentNotFound

    store = _open_store(redis_url)

    async def work() -> None:
        try:
            await Registry(store).update_student(student_id, parse(change, StudentPatch))
        finally:
            await store.close()

    try:
        run(work)
    except InvalidStudent as exc:
        raise fail("; ".join(f"{e.path} {e.message}" for e in exc.errors)) from None
    except StudentNotFound:
        raise fail(f"No student has the id {student_id!r}.") from None
    except Conflict as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{done} {student_id}.")


@app.command()
def audit(
    student: Annotated[str | None, typer.Option(help="Only about this student id.")] = None,
    actor: Annotated[
        str | None, typer.Option(help="Only by this actor: an email, token:<id>, cli:<user>.")
    ] = None,
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="From this day on (UTC).")
    ] = None,
    output_format: Annotated[
        Literal["table", "ndjson"], typer.Option("--format", help="table or ndjson.")
    ] = "table",
    limit: Annotated[int, typer.Option(min=1, help="At most this many entries.")] = 50,
    redis_url: RedisUrl = None,
) -> None:
    """The audit trail, newest first: who changed, exported or read what, and when.

    Examples:
      [bold]student-registry audit --student 2024-0042[/]
      [bold]student-registry audit --actor ada@example.org --since 2026-01-01 --format ndjson[/]
    """
    import msgspec

    from student_registry.domain.audit import MAX_PAGE, AuditEntry
    from student_registry.domain.service import Registry

    store = _open_store(redis_url)

    async def work() -> list[AuditEntry]:
        found: list[AuditEntry] = []
        cursor: str | None = None
        try:
            while len(found) < limit:
                page = await Registry(store).audit.page(
                    student=student,
                    actor=actor,
                    since=since.date() if since else None,
                    cursor=cursor,
                    limit=min(MAX_PAGE, limit - len(found)),
                )
                found += page.items
                cursor = page.next_cursor
                if cursor is None:
                    break
        finally:
            await store.close()
        return found

    for entry in run(work):
        if output_format == "ndjson":
            typer.echo(msgspec.json.encode(entry).decode())
        else:
            what = ",".join(entry.fields) or entry.detail or ""
            if entry.counts:
                what = " ".join(f"{name}={n}" for name, n in sorted(entry.counts.items()))
            when = entry.time.strftime("%Y-%m-%d %H:%M:%S")
            typer.echo(
                "\t".join((when, entry.actor, entry.action, entry.target, what, entry.request_id))
            )


def main() -> None:
    """Entry point of the `student-registry` command."""
    app()
