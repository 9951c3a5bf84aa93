"""The load benchmark: the service against the original app and the HTTP ceiling, under wrk.

Starts a fresh redis-server persisting like the Compose stack, then one system at a time against
it, Redis emptied before each scenario: the service as the container runs it, the original app
rebuilt (bench/reference_app.py) on Flask's development server and under gunicorn with 2
workers, and a bare ASGI app on granian. wrk drives each scenario at 50 connections over
loopback. Prints one table and the bars of the performance issue, and writes them to
bench/results/latest.json.

    uv run python bench/run.py [--duration 20] [--systems service,hello]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from harness import (
    BENCH,
    BIN,
    CONNECTIONS,
    WRK_THREADS,
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
    wait_http,
    write_results,
    wrk,
)
from student_registry.domain.accounts import Accounts, TokenCreate, UserCreate
from student_registry.store import keys
from student_registry.store.accounts_store import AccountsStore
from student_registry.store.client import connect
from students import SEARCH_PREFIXES, students

SEEDED = 1000
SEED_PREFIX = "seed-"
WORKERS = os.cpu_count() or 1
SECRET_KEY = "bench-secret-key-not-for-production"
BENCH_EMAIL = "bench@example.org"
BENCH_PASSWORD = "bench pass phrase, not for production"
# Cores that other programs may keep busy before a measurement is flagged as disturbed.
BUSY_MACHINE = 0.1


@dataclass(frozen=True)
class Scenario:
    """One load: a wrk script and its arguments, given the run's unique prefix."""

    key: str
    label: str
    script: str
    args: Callable[[str], list[str]] = lambda _: []
    writes: bool = False


SCENARIOS = {
    s.key: s
    for s in (
        Scenario("register_json", "register (JSON API)", "register_json.lua", lambda r: [r], True),
        Scenario("register_form", "register (form)", "register_form.lua", lambda r: [r], True),
        Scenario("get", "get by id", "get.lua", lambda _: [SEED_PREFIX, str(SEEDED)]),
        Scenario("list", "list a page of 50", "list.lua"),
        Scenario("search", "prefix search", "search.lua", lambda _: [",".join(SEARCH_PREFIXES)]),
        Scenario("hello", "hello (ceiling)", "hello.lua"),
    )
}


@dataclass(frozen=True)
class System:
    """A server to measure: how to start it, where it is ready, what it is measured on."""

    key: str
    label: str
    command: Callable[[int], list[str]]
    env: Callable[[str], dict[str, str]]
    ready_path: str
    scenarios: tuple[str, ...]
    seeded: bool = False


SYSTEMS = {
    s.key: s
    for s in (
        System(
            "service",
            f"service (granian, {WORKERS} workers)",
            lambda port: [
                str(BIN / "student-registry"),
                *("serve", "--host", "127.0.0.1", "--port", str(port)),
            ],
            # The container's configuration: workers from the CPU count, INFO logs, metrics.
            lambda url: {
                "REDIS_URL": url,
                "LOG_LEVEL": "INFO",
                "SECRET_KEY": SECRET_KEY,
                "METRICS_PORT": str(free_port()),
            },
            "/healthz",
            ("get", "list", "search", "register_json", "register_form"),
            seeded=True,
        ),
        System(
            "flask",
            "reference (Flask dev server)",
            lambda port: [
                sys.executable,
                *("-m", "flask", "--app", str(BENCH / "reference_app.py"), "run"),
                *("--host", "127.0.0.1", "--port", str(port), "--with-threads"),
                *("--no-reload", "--no-debugger"),
            ],
            lambda url: {"REFERENCE_REDIS_URL": url},
            "/",
            ("register_form",),
        ),
        System(
            "gunicorn",
            "reference (gunicorn, 2 workers)",
            lambda port: [
                sys.executable,
                *("-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}"),
                *("--chdir", str(BENCH), "reference_app:app"),
            ],
            lambda url: {"REFERENCE_REDIS_URL": url},
            "/",
            ("register_form",),
        ),
        System(
            "hello",
            f"bare ASGI (granian, {WORKERS} workers)",
            lambda port: [
                sys.executable,
                *("-m", "granian", "--interface", "asgi", "--workers", str(WORKERS)),
                *("--host", "127.0.0.1", "--port", str(port), "--backlog", "2048"),
                *("--working-dir", str(BENCH), "hello_asgi:app"),
            ],
            lambda _: {},
            "/",
            ("hello",),
        ),
    )
}


@dataclass
class Measurement:
    """A scenario's figures on one system, with how many registrations Redis holds after it."""

    system: str
    scenario: str
    result: WrkResult
    stored: int | None = None
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The measurement for the results file."""
        r = self.result
        return {
            "system": self.system,
            "scenario": self.scenario,
            "requests": r.requests,
            "seconds": round(r.seconds, 2),
            "requests_per_s": round(r.rate, 1),
            "p50_ms": r.p50_ms,
            "p90_ms": r.p90_ms,
            "p99_ms": r.p99_ms,
            "max_ms": r.max_ms,
            "errors": r.errors,
            "cpu_cores": r.cpu.as_dict(),
            "stored": self.stored,
            "notes": self.notes,
        }


def sign_in(base_url: str, redis_url: str) -> dict[str, str]:
    """A staff user of the emptied Redis, its API token and a signed-in page session.

    The scenarios run authenticated, as clients do: wrk's scripts read the token and the
    session cookie from BENCH_TOKEN and BENCH_COOKIE (bench/wrk/common.lua).
    """

    async def create() -> str:
        client = connect(redis_url)
        try:
            accounts = Accounts(AccountsStore(client))
            await accounts.create_user(
                UserCreate(email=BENCH_EMAIL, password=BENCH_PASSWORD, role="staff")
            )
            return (await accounts.create_token(BENCH_EMAIL, TokenCreate(name="bench"))).token
        finally:
            await client.aclose()

    token = asyncio.run(create())
    with httpx.Client(base_url=base_url, timeout=10) as client:
        page = client.get("/login")
        found = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        if found is None:
            raise BenchError(f"no sign-in form at /login: {page.status_code}")
        form = {"email": BENCH_EMAIL, "password": BENCH_PASSWORD, "_csrf_token": found.group(1)}
        signed_in = client.post("/login", data=form)
        session = signed_in.cookies.get("sr_session")
        if signed_in.status_code != 303 or not session:
            raise BenchError(f"signing in failed: {signed_in.status_code} {signed_in.text}")
    os.environ["BENCH_TOKEN"] = token
    os.environ["BENCH_COOKIE"] = f"sr_session={session}"
    return {"Authorization": f"Bearer {token}", "Cookie": f"sr_session={session}"}


def no_credentials() -> dict[str, str]:
    """No token or cookie for wrk's scripts (a system without accounts)."""
    os.environ.pop("BENCH_TOKEN", None)
    os.environ.pop("BENCH_COOKIE", None)
    return {}


def seed(base_url: str, headers: dict[str, str]) -> None:
    """Register the students that get, list and search read, through the API."""
    with httpx.Client(base_url=base_url, timeout=10, headers=headers) as client:
        for student in students(SEEDED, id_prefix=SEED_PREFIX):
            body = {key: value for key, value in student.items() if value}
            response = client.post("/api/v1/students", json=body)
            if response.status_code != 201:
                raise BenchError(f"seeding failed: {response.status_code} {response.text}")


def serves_form(base_url: str, headers: dict[str, str]) -> bool:
    """Whether a server registers through the original app's form at /handle_data."""
    form = {
        "Id": f"probe-{uuid.uuid4().hex[:8]}",
        "First name": "Ada",
        "Last name": "Lovelace",
        "Date of Birth": "2008-12-10",
        "Course": "3eB",
    }
    response = httpx.post(f"{base_url}/handle_data", data=form, timeout=10, headers=headers)
    return response.status_code < 400


def count_students(system: System, client: redis.Redis) -> int:
    """How many students a system has stored."""
    if system.key == "service":
        return int(client.zcard(keys.order_index()))
    return int(client.dbsize())


def measure_system(
    system: System,
    procs: Processes,
    redis_url: str,
    client: redis.Redis,
    *,
    duration: float,
    warmup: float,
) -> list[Measurement]:
    """Start one system, run its scenarios, stop it.

    Every scenario, on every system, starts from the same Redis: emptied, its AOF rewritten, no
    background save running, and the seeded students registered again for the systems that
    read them. So no load pays for the persistence work that an earlier one's writes made due.
    """
    # Also before the start: the reference's readiness probe (GET /) lists every stored key.
    flush(client)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    print(f"\n== {system.label}", flush=True)
    proc = procs.start(system.key, system.command(port), env=system.env(redis_url))
    measurements: list[Measurement] = []
    try:
        wait_http(procs, proc, system.key, base_url + system.ready_path)
        for key in system.scenarios:
            scenario = SCENARIOS[key]
            flush(client)
            # Users, tokens and sessions live in the emptied Redis too: sign in again.
            headers = sign_in(base_url, redis_url) if system.key == "service" else no_credentials()
            if key == "register_form" and not serves_form(base_url, headers):
                print(f"   {scenario.label}: /handle_data not served, skipped", flush=True)
                continue
            if system.seeded:
                seed(base_url, headers)
            if warmup:
                wrk(
                    scenario.script,
                    base_url,
                    duration=warmup,
                    procs=procs,
                    args=scenario.args(run_prefix()),
                )
            before = count_students(system, client)
            result = wrk(
                scenario.script,
                base_url,
                duration=duration,
                procs=procs,
                args=scenario.args(run_prefix()),
            )
            measurement = Measurement(system.key, key, result)
            if scenario.writes:
                measurement.stored = count_students(system, client) - before
                # Requests still in flight when wrk stops may be stored without being counted.
                if measurement.stored < result.requests - result.failed:
                    measurement.notes.append("fewer students stored than registrations answered")
            if result.failed:
                measurement.notes.append(f"failed requests: {result.errors}")
            if result.cpu.others > BUSY_MACHINE:
                measurement.notes.append(
                    f"other programs kept {result.cpu.others:.2f} cores busy: figures understated"
                )
            print(
                f"   {scenario.label}: {result.rate:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms"
                + (f"  [{'; '.join(measurement.notes)}]" if measurement.notes else ""),
                flush=True,
            )
            measurements.append(measurement)
    finally:
        procs.stop(proc)
    return measurements


def run_prefix() -> str:
    """A prefix no earlier run used, for the ids a run registers."""
    return f"r{time.time_ns() % 10**12:x}{uuid.uuid4().hex[:4]}"


def find(measurements: list[Measurement], system: str, scenario: str) -> WrkResult | None:
    """The result of a scenario on a system, if it was run."""
    for m in measurements:
        if m.system == system and m.scenario == scenario:
            return m.result
    return None


def bars(measurements: list[Measurement]) -> list[Bar]:
    """The load bars of the performance issue, from one run's figures."""
    register = find(measurements, "service", "register_json")
    flask = find(measurements, "flask", "register_form")
    gunicorn = find(measurements, "gunicorn", "register_form")
    get = find(measurements, "service", "get")
    hello = find(measurements, "hello", "hello")

    def rate(result: WrkResult | None) -> float | None:
        return result.rate if result else None

    return [
        Bar(
            "register via API vs the reference on Flask's dev server",
            ratio(rate(register), rate(flask)),
            8,
            at_least=True,
            unit="x",
        ),
        Bar(
            "register vs the reference under gunicorn, 2 workers",
            ratio(rate(register), rate(gunicorn)),
            2.5,
            at_least=True,
            unit="x",
        ),
        Bar(
            "get by id vs the bare ASGI ceiling",
            ratio(rate(get), rate(hello)),
            0.25,
            at_least=True,
            unit="%",
        ),
        Bar(
            f"register p99 at {CONNECTIONS} connections",
            register.p99_ms if register else None,
            50,
            at_least=False,
            unit="ms",
        ),
    ]


def results_table(measurements: list[Measurement]) -> str:
    """One row per scenario and system, with the cores the servers (Redis included) and other
    programs used meanwhile."""
    rows = [
        [
            SCENARIOS[m.scenario].label,
            SYSTEMS[m.system].label,
            f"{m.result.rate:,.0f}",
            f"{m.result.p50_ms:.2f}",
            f"{m.result.p99_ms:.2f}",
            f"{m.result.failed:,}",
            f"{m.result.cpu.servers:.2f}",
            f"{m.result.cpu.others:.2f}",
        ]
        for m in measurements
    ]
    headers = ["scenario", "system", "req/s", "p50 ms", "p99 ms", "errors"]
    return table([*headers, "server cores", "other cores"], rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=float, default=20, help="seconds of load per scenario (default 20)"
    )
    parser.add_argument(
        "--warmup", type=float, default=None, help="seconds of load before each (default 3)"
    )
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated subset of {','.join(SYSTEMS)} (default all)",
    )
    parser.add_argument(
        "--output", default="latest", help="results file name in bench/results (default latest)"
    )
    args = parser.parse_args(argv)
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if unknown := set(args.systems) - set(SYSTEMS):
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    if args.warmup is None:
        args.warmup = min(3.0, args.duration / 4)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 0 when every bar holds, 1 when one fails, 2 on an error."""
    args = parse_args(argv)
    stop_on_signals()
    info = machine()
    print(f"Machine: {describe_machine(info)}")
    compile_bytecode()
    print(f"Load: wrk, {CONNECTIONS} connections, {WRK_THREADS} threads, {args.duration:g} s each")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sr-bench-") as tmp, Processes(Path(tmp)) as procs:
        try:
            redis_url, client = start_redis(procs, Path(tmp) / "redis")
            measurements: list[Measurement] = []
            for key in args.systems:
                measurements += measure_system(
                    SYSTEMS[key],
                    procs,
                    redis_url,
                    client,
                    duration=args.duration,
                    warmup=args.warmup,
                )
        except BenchError as exc:
            print(f"\nError: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\nInterrupted: stopping everything started.", file=sys.stderr)
            return 130
    checked = bars(measurements)
    print("\n" + results_table(measurements))
    print("\n" + bars_table(checked))
    path = write_results(
        args.output,
        {
            "benchmark": "load",
            "machine": info,
            "load": {
                "tool": "wrk",
                "connections": CONNECTIONS,
                "threads": WRK_THREADS,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "seeded_students": SEEDED,
            },
            "measurements": [m.as_dict() for m in measurements],
            "bars": [bar.as_dict() for bar in checked],
            "elapsed_s": round(time.monotonic() - started, 1),
        },
    )
    print(f"\nWritten to {path.relative_to(BENCH.parent)} in {time.monotonic() - started:.0f} s")
    return 0 if all(bar.passed for bar in checked) else 1


if __name__ == "__main__":
    sys.exit(main())
