"""The school-year commands: `years list`, `years set-current` and `rollover`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from student_registry.cli_base import fail, load_settings, run

if TYPE_CHECKING:
    from student_registry.domain.service import Registry
    from student_registry.domain.years import RolloverReport, YearsView

T = TypeVar("T")

years_app = typer.Typer(
    help="The school years: which one lists and counts show.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

RedisUrl = Annotated[
    str | None,
    typer.Option("--redis-url", envvar="REDIS_URL", help="Redis to use.", show_envvar=True),
]
Year = Annotated[str, typer.Argument(help="A school year, like 2026-2027.", show_default=False)]


def _with_registry(redis_url: str | None, work: Callable[[Registry], Awaitable[T]]) -> T:
    """Run work against the registry of this Redis; domain errors become one line and exit 1."""
    from student_registry.connection import open_store
    from student_registry.domain.service import Registry
    from student_registry.errors import InvalidRollover, RegistryError

    settings = load_settings(redis_url=redis_url)

    async def main() -> T:
        store = open_store(settings)
        try:
            return await work(Registry(store))
        finally:
            await store.close()

    try:
        return run(main)
    except InvalidRollover as exc:
        if not exc.unmapped_courses:
            raise fail(str(exc)) from None
        typer.secho("Courses without a mapping:", err=True, fg=typer.colors.RED)
        for course in exc.unmapped_courses:
            typer.echo(f"  {course}", err=True)
        raise fail(
            "add a line for each to the mapping (an empty `to` when the class leaves the"
            " school). Nothing was changed."
        ) from None
    except RegistryError as exc:
        raise fail(str(exc)) from None


def year_lines(view: YearsView) -> list[str]:
    """Every year, oldest first, the current and live ones marked."""
    lines = []
    for year in view.years:
        marks = [m for m, y in (("current", view.current), ("live", view.live)) if y == year]
        lines.append(
            f"{'*' if year == view.current else ' '} {year}"
            + (f"  ({', '.join(marks)})" if marks else "")
        )
    return lines


@years_app.command("list")
def list_years(redis_url: RedisUrl = None) -> None:
    """Every school year the registry holds, oldest first, marking the current and live ones.

    The current year (*) is the one lists and counts show; the live one is the year students
    are registered and changed in.

    Example: [bold]student-registry years list[/]
    """

    async def work(registry: Registry) -> YearsView:
        return await registry.years.view()

    for line in year_lines(_with_registry(redis_url, work)):
        typer.echo(line)


@years_app.command("set-current")
def set_current(year: Year, redis_url: RedisUrl = None) -> None:
    """Show another year the registry holds; a registry without students takes any year.

    While an earlier year is current its enrolments are history: students are registered and
    changed only once the live year is current again.

    Example: [bold]student-registry years set-current 2025-2026[/]
    """

    async def work(registry: Registry) -> YearsView:
        return await registry.years.set_current(year)

    view = _with_registry(redis_url, work)
    typer.echo(f"The current year is {view.current}.")
    if view.current != view.live:
        typer.echo(
            f"Students are registered and changed in {view.live}:"
            f" `student-registry years set-current {view.live}` to change them again."
        )


def report_lines(report: RolloverReport, *, from_year: str, to_year: str) -> list[str]:
    """What a rollover did or would do, for a person."""
    counts = (
        f"promoted {report.promoted:,}, repeating {report.repeating:,},"
        f" left the school {report.left:,}"
    )
    if report.dry_run:
        return [
            "Dry run: nothing was changed; the counts say what the rollover would do.",
            f"From {from_year} to {to_year}: {counts}.",
        ]
    return [
        f"Rolled over from {from_year} to {to_year}: {counts}.",
        f"{to_year} is now the current and live year.",
    ]


def rollover(
    from_year: Annotated[
        str, typer.Option("--from", help="The live year, like 2026-2027.", show_default=False)
    ],
    to_year: Annotated[
        str, typer.Option("--to", help="The next year, like 2027-2028.", show_default=False)
    ],
    mapping: Annotated[
        Path,
        typer.Option(
            "--mapping",
            help="CSV with the header from,to: each course and its next one; an empty to when"
            " the class leaves the school.",
            show_default=False,
        ),
    ],
    repeat: Annotated[
        list[str] | None,
        typer.Option(
            "--repeat", help="The id of a student who keeps their course (repeat the option)."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what it would do; change nothing.")
    ] = False,
    redis_url: RedisUrl = None,
) -> None:
    """Move every enrolled student of the live year to the next class, in the next year.

    The mapping file (UTF-8, comma or semicolon) names each course of the from year on a line:

      [bold]from,to[/]
      [bold]6A,5A[/]
      [bold]3eB,[/]          (an empty to: the class leaves the school)

    Every course with enrolled students needs a line; with any left out, the command names
    them, changes nothing and exits 1. Applying closes the leavers' enrolments on the last day
    of the from year and makes the to year current. Run again, it changes nothing; cut short,
    it completes.

    Examples:

      [bold]student-registry rollover --from 2026-2027 --to 2027-2028 --mapping map.csv --dry-run[/]

      [bold]student-registry rollover --from 2026-2027 --to 2027-2028 --mapping map.csv[/]
      [bold]--repeat 2024-0042 --repeat 2024-0107[/]
    """
    from student_registry.domain.mapping_file import read_mapping
    from student_registry.domain.years import RolloverRequest
    from student_registry.errors import InvalidRollover

    try:
        data = mapping.read_bytes()
    except OSError as exc:
        raise fail(f"Cannot read {mapping}: {exc.strerror or exc}.", 2) from None
    try:
        courses = read_mapping(data)
    except InvalidRollover as exc:
        raise fail(f"{mapping}: {exc}", 2) from None
    request = RolloverRequest(
        from_year=from_year,
        to_year=to_year,
        mapping=courses,
        repeat=repeat or [],
        dry_run=dry_run,
    )

    async def work(registry: Registry) -> RolloverReport:
        return await registry.years.rollover(request)

    report = _with_registry(redis_url, work)
    for line in report_lines(report, from_year=from_year, to_year=to_year):
        typer.echo(line)
