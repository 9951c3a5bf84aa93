"""What the audit trail adds to a registration: the service with and without it, side by side.

Starts a fresh redis-server as bench/run.py does, and two copies of the service on it: the
service as it is, and the same code whose write scripts leave the trail out (a copy of src/ in
a temporary directory, where audit.lua's `audit` is redefined to write nothing; the service
itself has no such switch). Then runs bench/run.py's "register (JSON API)" load on each in
turn, in ABBA order round after round so that a drift of the machine's load falls on both,
Redis emptied before each. Prints each round's requests/s, the server CPU (the service's
processes and Redis) a registration took, which other programs on the machine disturb less, and
the time Redis spent in a registration's script (INFO commandstats, EVALSHA usec_per_call);
then the ratios with their spread.
The bar: the trail costs at most 10 % of the registrations a second.

    uv run python bench/audit_overhead.py [--rounds 2] [--duration 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import redis

from harness import (
    ROOT,
    BenchError,
    Processes,
    compile_bytecode,
    describe_machine,
    flush,
    free_port,
    machine,
    start_redis,
    stop_on_signals,
    table,
    wait_http,
    wrk,
)
from run import SYSTEMS, run_prefix, sign_in

BAR = 0.10
TRAIL, BARE = "trail", "no trail"
SCENARIO = "register_json.lua"
# Appended to the copy's audit.lua: a later local of the same name hides the trail's writes
# from every script that follows it (the write scripts are audit.lua's text, then their own).
NO_TRAIL = "\n-- The benchmark's copy without the trail.\nlocal function audit() return '0-0' end\n"


def copy_without_trail(into: Path) -> Path:
    """A copy of src/ whose write scripts leave the trail out; returns its src directory."""
    src = into / "src"
    shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
    audit = src / "student_registry" / "store" / "scripts" / "audit.lua"
    audit.write_text(audit.read_text() + NO_TRAIL)
    return src


def script_usec(client: redis.Redis) -> float:
    """Microseconds Redis spent per EVALSHA since the last CONFIG RESETSTAT."""
    stats = client.info("commandstats").get("cmdstat_evalsha", {})
    return float(stats.get("usec_per_call", 0.0))


def redis_cpu_seconds(client: redis.Redis) -> float:
    """The CPU Redis's main thread has used since it started."""
    cpu = client.info("cpu")
    return float(cpu["used_cpu_user_main_thread"]) + float(cpu["used_cpu_sys_main_thread"])


class Load(NamedTuple):
    """One load's figures: requests/s; per request, the CPU of the servers (the service and
    Redis) and of Redis alone, in µs; Redis's time per script call in µs."""

    rate: float
    cpu_us: float
    redis_cpu_us: float
    script_us: float


def measure(
    procs: Processes, client: redis.Redis, redis_url: str, base_url: str, *, duration: float
) -> Load:
    """One load on a server, from an emptied Redis."""
    flush(client)
    sign_in(base_url, redis_url)
    wrk(SCENARIO, base_url, duration=min(2.0, duration / 2), procs=procs, args=[run_prefix()])
    client.config_resetstat()
    redis_cpu = redis_cpu_seconds(client)
    result = wrk(SCENARIO, base_url, duration=duration, procs=procs, args=[run_prefix()])
    redis_cpu = redis_cpu_seconds(client) - redis_cpu
    if result.failed:
        raise BenchError(f"failed requests: {result.errors}")
    cpu_us = result.cpu.servers * result.seconds / result.requests * 1e6
    return Load(result.rate, cpu_us, redis_cpu / result.requests * 1e6, script_usec(client))


def start_services(procs: Processes, redis_url: str, tmp: Path) -> dict[str, str]:
    """The service with the trail and the copy without it, running: their base URLs."""
    service = SYSTEMS["service"]
    urls = {}
    for name, extra in ((TRAIL, {}), (BARE, {"PYTHONPATH": str(copy_without_trail(tmp))})):
        port = free_port()
        urls[name] = f"http://127.0.0.1:{port}"
        log = name.replace(" ", "-")
        proc = procs.start(log, service.command(port), env={**service.env(redis_url), **extra})
        wait_http(procs, proc, log, urls[name] + service.ready_path)
    return urls


def _spread(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{statistics.median(values):.3f} (median of {len(values)}, {low:.3f}-{high:.3f})"


def main(argv: list[str] | None = None) -> int:
    """Print the rounds and the ratios; exit 1 when the trail costs more than the bar."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds (default 2)")
    parser.add_argument("--duration", type=float, default=5, help="seconds a load (default 5)")
    args = parser.parse_args(argv)
    stop_on_signals()
    print(f"Machine: {describe_machine(machine())}")
    compile_bytecode()
    rows: list[list[str]] = []
    rates: list[float] = []
    costs: list[float] = []
    with tempfile.TemporaryDirectory(prefix="sr-audit-") as tmp, Processes(Path(tmp)) as procs:
        try:
            redis_url, client = start_redis(procs, Path(tmp) / "redis")
            print(f"Redis {client.info('server')['redis_version']}")
            urls = start_services(procs, redis_url, Path(tmp))
            for n in range(args.rounds):
                order = (TRAIL, BARE) if n % 2 == 0 else (BARE, TRAIL)
                loads: dict[str, list[Load]] = {TRAIL: [], BARE: []}
                for name in (*order, *order[::-1]):
                    load = measure(procs, client, redis_url, urls[name], duration=args.duration)
                    loads[name].append(load)
                    print(
                        f"   round {n + 1}, {name}: {load.rate:,.0f} req/s; a request: "
                        f"{load.cpu_us:,.0f} µs of server CPU, {load.redis_cpu_us:.0f} of Redis's; "
                        f"{load.script_us:.0f} µs a script",
                        flush=True,
                    )
                mean = {
                    name: Load(*(statistics.fmean(column) for column in zip(*runs, strict=True)))
                    for name, runs in loads.items()
                }
                rates.append(mean[TRAIL].rate / mean[BARE].rate)
                costs.append(mean[BARE].cpu_us / mean[TRAIL].cpu_us)
                rows.append(
                    [
                        str(n + 1),
                        f"{mean[BARE].rate:,.0f}",
                        f"{mean[TRAIL].rate:,.0f}",
                        f"{rates[-1]:.3f}",
                        f"{mean[BARE].cpu_us:,.0f}",
                        f"{mean[TRAIL].cpu_us:,.0f}",
                        f"{costs[-1]:.3f}",
                        f"{mean[BARE].redis_cpu_us:.0f}",
                        f"{mean[TRAIL].redis_cpu_us:.0f}",
                    ]
                )
        except BenchError as exc:
            print(f"\nError: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("\nInterrupted: stopping everything started.", file=sys.stderr)
            return 130
    headers = ["round", "req/s without", "req/s with", "ratio", "CPU µs/req without"]
    headers += ["CPU µs/req with", "ratio", "Redis CPU µs/req without", "with"]
    print("\n" + table(headers, rows))
    print(f"\nRegistrations a second with the trail / without: {_spread(rates)}")
    print(f"Server CPU a registration without the trail / with: {_spread(costs)}")
    print(f"The bar: at least {1 - BAR:.2f}.")
    return 0 if statistics.median(rates) >= 1 - BAR else 1


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"{time.monotonic() - started:.0f} s")
    sys.exit(code)
