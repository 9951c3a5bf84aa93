"""The scale benchmark: bulk import and export through the CLI, memory, and reads at 1,000,000.

On a fresh redis-server persisting like the Compose stack, with generated students (CSV files in
a temporary folder):
1. 1,000 students imported, and a tenth as many with first names no two share; the service (as
   the container runs it) measured under wrk: list a page of 50, prefix search, and a search
   whose prefix matches all those distinct first names, p99.
2. Redis emptied; 100,000 students imported by `student-registry import` (students/s, peak RSS),
   Redis memory per student (`INFO memory` used_memory delta), then exported by
   `student-registry export --format csv` (students/s, peak RSS).
3. 900,000 more imported (1,000,000 in all), exported again (peak RSS), a tenth as many with
   distinct first names added, and list and both searches measured again: their p99 should
   not grow with the number of students, nor with the number of names a prefix matches (q=ma
   starts 100,000 distinct first names then).
4. Redis emptied; 100,000 students imported again and rolled over to the next school year by
   `student-registry rollover` (three courses in four move up, the last ones leave): seconds,
   peak RSS (the rollover moves a batch of students at a time, in Redis).
Prints the figures and the bars, and writes them to bench/results/scale.json.

    uv run python bench/scale.py [--duration 10] [--students 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from harness import (
    BENCH,
    BIN,
    CONNECTIONS,
    Bar,
    BenchError,
    Processes,
    WrkResult,
    bars_table,
    compile_bytecode,
    describe_machine,
    flush,
    free_port,
    machine,
    ratio,
    start_redis,
    stop_on_signals,
    table,
    wait_for_saves,
    wait_http,
    write_results,
    wrk,
)
from student_registry.domain.accounts import Accounts, TokenCreate, UserCreate
from student_registry.store.accounts_store import AccountsStore
from student_registry.store.client import connect
from students import COURSES, DISTINCT_PREFIXES, SEARCH_PREFIXES, write_csv

SMALL = 1_000
BULK = 100_000
# Reads are measured with one student in DISTINCT_SHARE more, each with a first name of its own
# (added after memory is measured, which stays that of the usual students).
DISTINCT_SHARE = 10
SECRET_KEY = "bench-secret-key-not-for-production"
BENCH_EMAIL = "bench@example.org"
BENCH_PASSWORD = "bench pass phrase, not for production"


@dataclass(frozen=True)
class Command:
    """One CLI run: how long it took and the most memory it held."""

    seconds: float
    peak_rss_mb: float
    output: str


def run_cli(args: list[str], *, redis_url: str, log: Path, timeout: float = 600) -> Command:
    """Run `student-registry ARGS`; its wall time and peak RSS, from the kernel's accounting."""
    argv = [str(BIN / "student-registry"), *args, "--redis-url", redis_url]
    with log.open("wb") as out:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        try:
            # wait4 gives the resource usage of this child alone: ru_maxrss is its peak, in KiB.
            _, status, usage = _wait4(proc, timeout)
        finally:
            if proc.returncode is None and proc.poll() is None:
                proc.kill()
                proc.wait()
        seconds = time.monotonic() - start
    output = log.read_text(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        tail = "\n".join(output.splitlines()[-15:])
        raise BenchError(f"student-registry {' '.join(args)} exited with {code}:\n{tail}")
    return Command(seconds=seconds, peak_rss_mb=usage.ru_maxrss / 1024, output=output)


def _wait4(proc: subprocess.Popen[bytes], timeout: float) -> tuple[int, int, Any]:
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return pid, status, usage
        if time.monotonic() > deadline:
            raise BenchError(f"{proc.args} took more than {timeout:.0f} s")
        time.sleep(0.02)


def used_memory(client: redis.Redis) -> int:
    """Bytes Redis holds for data and its own structures (`INFO memory` used_memory)."""
    return int(client.info("memory")["used_memory"])


def count(client: redis.Redis) -> int:
    """Students enrolled in the registry's current year, from its alphabetical index."""
    from student_registry.store import keys

    base, current = client.hmget(keys.years(), "base", "current")
    return int(client.zcard(keys.year_key(keys.order_index(), current or "", base or "")))


def rollover(students: int, redis_url: str, workdir: Path) -> tuple[Command, str]:
    """Roll the registry's students over to the next year with the CLI; its run and output."""
    from student_registry.school_years import next_year

    years = run_cli(["years", "list"], redis_url=redis_url, log=workdir / "years.log")
    live = re.search(r"(\d{4}-\d{4}) +\((?:current, )?live\)", years.output)
    if live is None:
        raise BenchError(f"no live year in:\n{years.output}")
    mapping = workdir / "mapping.csv"
    # Terminale classes leave; the others move to a course of their own in the next year.
    rows = [f"{c},{'' if c.startswith('Terminale') else 'next ' + c}" for c in COURSES]
    mapping.write_text("from,to\n" + "\n".join(rows) + "\n", encoding="utf-8")
    done = run_cli(
        ["rollover", "--from", live[1], "--to", next_year(live[1]), "--mapping", str(mapping)],
        redis_url=redis_url,
        log=workdir / "rollover.log",
    )
    print(
        f"   rollover of {students:,}: {done.seconds:.1f} s, peak RSS {done.peak_rss_mb:.0f} MB"
        f"\n   {done.output.strip().splitlines()[0]}",
        flush=True,
    )
    return done, done.output


def api_token(redis_url: str) -> str:
    """The API token of a staff user made in this Redis: the API answers only with one.

    wrk's scripts send it from BENCH_TOKEN (bench/wrk/common.lua).
    """

    async def create() -> str:
        client = connect(redis_url)
        try:
            accounts = Accounts(AccountsStore(client))
            user = UserCreate(email=BENCH_EMAIL, password=BENCH_PASSWORD, role="staff")
            await accounts.create_user(user)
            return (await accounts.create_token(BENCH_EMAIL, TokenCreate(name="bench"))).token
        finally:
            await client.aclose()

    return asyncio.run(create())


def script_us(client: redis.Redis) -> float:
    """Microseconds Redis spent in a script call, on average, since its statistics were reset.

    Redis runs one script at a time: this is how long each page held it, whatever the load
    of the machine did to the latencies wrk measures.
    """
    stats = client.info("commandstats").get("cmdstat_evalsha", {})
    return float(stats.get("usec_per_call", 0.0))


def measure_reads(
    procs: Processes,
    client: redis.Redis,
    redis_url: str,
    *,
    duration: float,
    label: str,
    redis_us: dict[str, float],
) -> dict[str, WrkResult]:
    """Start the service, measure list and searches under wrk, stop it.

    Fills redis_us with the Redis time of each scenario's script calls.
    """
    wait_for_saves(client)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    argv = [str(BIN / "student-registry"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = {
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "INFO",
        "SECRET_KEY": SECRET_KEY,
        "METRICS_PORT": str(free_port()),
    }
    os.environ["BENCH_TOKEN"] = api_token(redis_url)
    proc = procs.start(f"service-{label}", argv, env=env)
    results: dict[str, WrkResult] = {}
    try:
        wait_http(procs, proc, f"service-{label}", base_url + "/healthz")
        for scenario, script, args in (
            ("list", "list.lua", []),
            ("search", "search.lua", [",".join(SEARCH_PREFIXES)]),
            ("search-distinct", "search.lua", [",".join(DISTINCT_PREFIXES)]),
        ):
            wrk(script, base_url, duration=min(3.0, duration / 4), procs=procs, args=args)
            client.config_resetstat()
            result = wrk(script, base_url, duration=duration, procs=procs, args=args)
            results[scenario] = result
            redis_us[scenario] = script_us(client)
            print(
                f"   {scenario} at {label}: {result.rate:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, Redis {redis_us[scenario]:.0f} us a script call, "
                f"other programs {result.cpu.others:.2f} cores",
                flush=True,
            )
            if result.failed:
                raise BenchError(f"{scenario} at {label}: failed requests {result.errors}")
    finally:
        procs.stop(proc)
    return results


def import_file(path: Path, students: int, redis_url: str, logs: Path) -> Command:
    """Import a CSV file through the CLI, and say how it went."""
    # The generated files draw from a few dozen names: thousands of namesakes born the same
    # day, which the duplicate check would refuse (and read at length). No school has those.
    done = run_cli(
        ["import", "--allow-duplicates", str(path)],
        redis_url=redis_url,
        log=logs / f"import-{path.stem}.log",
    )
    own = reported_rate(done.output)
    print(
        f"   import of {students:,}: {done.seconds:.1f} s, {students / done.seconds:,.0f} "
        f"students/s from start to exit ({own or '?'} rows/s by its own count), "
        f"peak RSS {done.peak_rss_mb:.0f} MB",
        flush=True,
    )
    return done


def reported_rate(output: str) -> str | None:
    """The rows/s the import command reports, which leaves out its start-up."""
    found = re.search(r"\(([\d,.]+) rows/s\)", output)
    return found.group(1) if found else None


def export_all(students: int, redis_url: str, workdir: Path) -> Command:
    """Export every student as CSV through the CLI, and check the file has them all."""
    path = workdir / f"export-{students}.csv"
    done = run_cli(
        ["export", "--format", "csv", "-o", str(path)],
        redis_url=redis_url,
        log=workdir / f"export-{students}.log",
    )
    with path.open("rb") as file:
        lines = sum(1 for _ in file)
    # A quoted field may hold a line break; generated students have none: header + one a line.
    if lines != students + 1:
        raise BenchError(f"the export of {students:,} students has {lines - 1:,} rows")
    print(
        f"   export of {students:,}: {done.seconds:.1f} s, {students / done.seconds:,.0f} "
        f"students/s, peak RSS {done.peak_rss_mb:.0f} MB",
        flush=True,
    )
    path.unlink()
    return done


def figures_table(figures: dict[str, Any]) -> str:
    """The bulk and memory figures, one row each."""
    rows = []
    for key in ("import_100k", "export_100k", "import_rest", "export_all", "rollover_100k"):
        f = figures[key]
        rows.append(
            [
                f["what"],
                f"{f['students']:,}",
                f"{f['seconds']:.1f}",
                f"{f['students_per_s']:,.0f}",
                f"{f['peak_rss_mb']:.0f}",
            ]
        )
    return table(["operation", "students", "seconds", "students/s", "peak RSS MB"], rows)


def reads_table(
    reads: dict[int, dict[str, WrkResult]], redis_us: dict[int, dict[str, float]]
) -> str:
    """List and searches at each size."""
    rows = [
        [
            scenario,
            f"{size:,}",
            f"{r.rate:,.0f}",
            f"{r.p50_ms:.2f}",
            f"{r.p99_ms:.2f}",
            f"{redis_us[size][scenario]:.0f}",
            f"{r.cpu.others:.2f}",
        ]
        for size, results in reads.items()
        for scenario, r in results.items()
    ]
    headers = ["scenario", "students", "req/s", "p50 ms", "p99 ms", "Redis us/call", "other cores"]
    return table(headers, rows)


def command_figures(what: str, students: int, done: Command) -> dict[str, Any]:
    """A bulk command's figures for the results: the rate is from start to exit."""
    figures = {
        "what": what,
        "students": students,
        "seconds": round(done.seconds, 2),
        "students_per_s": round(students / done.seconds, 1),
        "peak_rss_mb": round(done.peak_rss_mb, 1),
    }
    if what.startswith("import"):
        figures["rows_per_s_reported"] = reported_rate(done.output)
    return figures


def rollover_only() -> int:
    """Stage 4 alone: 100,000 students imported, then rolled over; exit 0 within the bar."""
    with tempfile.TemporaryDirectory(prefix="sr-scale-") as tmp, Processes(Path(tmp)) as procs:
        workdir = Path(tmp)
        try:
            redis_url, client = start_redis(procs, workdir / "redis")
            import_file(write_csv(workdir / "bulk.csv", BULK), BULK, redis_url, workdir)
            before = used_memory(client)
            done, _ = rollover(BULK, redis_url, workdir)
            grown = (used_memory(client) - before) / BULK
            print(f"   Redis memory: {grown:.0f} bytes more a student (both years kept)")
        except BenchError as exc:
            print(f"\nError: {exc}", file=sys.stderr)
            return 2
    return 0 if done.seconds <= 10 else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=float, default=10, help="seconds of load per read scenario (default 10)"
    )
    parser.add_argument(
        "--students",
        type=int,
        default=1_000_000,
        help="students in the large registry (default 1,000,000; at least 100,000)",
    )
    parser.add_argument("--output", default="scale", help="results file name in bench/results")
    parser.add_argument(
        "--rollover-only",
        action="store_true",
        help="only stage 4: import 100,000 students and roll them over (prints, writes nothing)",
    )
    args = parser.parse_args(argv)
    if args.students < BULK:
        parser.error(f"--students must be at least {BULK:,}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the scale benchmark; exit 0 when every bar holds, 1 when one fails, 2 on an error."""
    args = parse_args(argv)
    stop_on_signals()
    info = machine()
    print(f"Machine: {describe_machine(info)}")
    compile_bytecode()
    started = time.monotonic()
    large = args.students
    figures: dict[str, Any] = {}
    reads: dict[int, dict[str, WrkResult]] = {}
    redis_us: dict[int, dict[str, float]] = {SMALL: {}, args.students: {}}
    if args.rollover_only:
        return rollover_only()
    with tempfile.TemporaryDirectory(prefix="sr-scale-") as tmp, Processes(Path(tmp)) as procs:
        workdir = Path(tmp)
        try:
            redis_url, client = start_redis(procs, workdir / "redis")
            print("\n== generating students", flush=True)
            small_csv = write_csv(workdir / "small.csv", SMALL)
            bulk_csv = write_csv(workdir / "bulk.csv", BULK)
            rest_csv = write_csv(workdir / "rest.csv", large - BULK, start=BULK + 1)
            small_distinct = write_csv(
                workdir / "small-distinct.csv", SMALL // DISTINCT_SHARE, distinct=True
            )
            large_distinct = write_csv(
                workdir / "large-distinct.csv", large // DISTINCT_SHARE, distinct=True
            )

            print(f"\n== {SMALL:,} students", flush=True)
            import_file(small_csv, SMALL, redis_url, workdir)
            import_file(small_distinct, SMALL // DISTINCT_SHARE, redis_url, workdir)
            reads[SMALL] = measure_reads(
                procs,
                client,
                redis_url,
                duration=args.duration,
                label="1k",
                redis_us=redis_us[SMALL],
            )

            print(f"\n== {BULK:,} students, imported and exported", flush=True)
            flush(client)
            empty = used_memory(client)
            done = import_file(bulk_csv, BULK, redis_url, workdir)
            figures["import_100k"] = command_figures("import (CSV, CLI)", BULK, done)
            if count(client) != BULK:
                raise BenchError(f"{count(client):,} students after importing {BULK:,}")
            figures["memory_100k"] = (used_memory(client) - empty) / BULK
            print(f"   Redis memory: {figures['memory_100k']:.0f} bytes a student", flush=True)
            wait_for_saves(client)
            done = export_all(BULK, redis_url, workdir)
            figures["export_100k"] = command_figures("export (CSV, CLI)", BULK, done)

            print(f"\n== {large:,} students", flush=True)
            done = import_file(rest_csv, large - BULK, redis_url, workdir)
            figures["import_rest"] = command_figures(
                f"import (CSV, CLI) into {BULK:,}", large - BULK, done
            )
            if count(client) != large:
                raise BenchError(f"{count(client):,} students after importing {large:,}")
            figures["memory_all"] = (used_memory(client) - empty) / large
            print(f"   Redis memory: {figures['memory_all']:.0f} bytes a student", flush=True)
            wait_for_saves(client)
            done = export_all(large, redis_url, workdir)
            figures["export_all"] = command_figures("export (CSV, CLI)", large, done)
            import_file(large_distinct, large // DISTINCT_SHARE, redis_url, workdir)
            reads[large] = measure_reads(
                procs,
                client,
                redis_url,
                duration=args.duration,
                label="large",
                redis_us=redis_us[large],
            )

            print(f"\n== {BULK:,} students rolled over to the next school year", flush=True)
            flush(client)
            import_file(bulk_csv, BULK, redis_url, workdir)
            before = used_memory(client)
            done, _ = rollover(BULK, redis_url, workdir)
            figures["rollover_100k"] = command_figures("rollover (CLI)", BULK, done)
            figures["rollover_memory"] = (used_memory(client) - before) / BULK
            print(f"   Redis memory: {figures['rollover_memory']:.0f} bytes more a student")
        except BenchError as exc:
            print(f"\nError: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\nInterrupted: stopping everything started.", file=sys.stderr)
            return 130

    checked = [
        Bar(
            f"{what} p99 at {large:,} students vs at {SMALL:,}",
            ratio(reads[large][scenario].p99_ms, reads[SMALL][scenario].p99_ms),
            1.5,
            at_least=False,
            unit="x",
        )
        # The search scenario's prefixes (shared with bench/run.py) do not all fill a page at
        # 1,000 students: its ratio compares pages of different sizes, and is not held to a bar.
        for scenario, what in (
            ("list", "list page"),
            ("search-distinct", "search of many distinct first names"),
        )
    ] + [
        Bar(
            f"CLI import of {BULK:,} students",
            figures["import_100k"]["students_per_s"],
            50_000,
            at_least=True,
            unit="students/s",
        ),
        Bar(
            f"export of {large:,} students: peak RSS",
            figures["export_all"]["peak_rss_mb"],
            200,
            at_least=False,
            unit="MB",
        ),
        Bar(
            "Redis memory per student",
            figures["memory_all"],
            600,
            at_least=False,
            unit="bytes",
        ),
        Bar(
            f"rollover of {BULK:,} students to the next school year, seconds",
            figures["rollover_100k"]["seconds"],
            10,
            at_least=False,
            unit="s",
        ),
    ]
    print("\n" + figures_table(figures))
    print(
        f"\nRedis memory per student: {figures['memory_100k']:.0f} bytes at {BULK:,}, "
        f"{figures['memory_all']:.0f} bytes at {large:,}"
    )
    print("\n" + reads_table(reads, redis_us))
    print("\n" + bars_table(checked))
    path = write_results(
        args.output,
        {
            "benchmark": "scale",
            "machine": info,
            "load": {"tool": "wrk", "connections": CONNECTIONS, "duration_s": args.duration},
            "bulk": figures,
            "reads": {
                str(size): {
                    scenario: {
                        "requests_per_s": round(r.rate, 1),
                        "p50_ms": r.p50_ms,
                        "p99_ms": r.p99_ms,
                        "redis_us_per_script_call": round(redis_us[size][scenario], 1),
                        "cpu_cores": r.cpu.as_dict(),
                    }
                    for scenario, r in results.items()
                }
                for size, results in reads.items()
            },
            "bars": [bar.as_dict() for bar in checked],
            "elapsed_s": round(time.monotonic() - started, 1),
        },
    )
    print(f"\nWritten to {path.relative_to(BENCH.parent)} in {time.monotonic() - started:.0f} s")
    return 0 if all(bar.passed for bar in checked) else 1


if __name__ == "__main__":
    sys.exit(main())
