"""What both benchmarks share: processes that always stop, a fresh Redis, wrk, tables, bars."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

import psutil
import redis

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WRK_SCRIPTS = BENCH / "wrk"
RESULTS = BENCH / "results"
BIN = Path(sys.executable).parent
# The Compose stack's Redis persistence: AOF fsynced every second, plus RDB snapshots.
REDIS_PERSISTENCE = ("--appendonly", "yes", "--appendfsync", "everysec")
REDIS_SAVE = "3600 1 300 100 60 10000"
CONNECTIONS = 50
WRK_THREADS = 2


class BenchError(RuntimeError):
    """A benchmark cannot go on; the message says why."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt, so cleanup runs as on Ctrl-C."""

    def interrupt(signum: int, _: FrameType | None) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


class Processes:
    """Processes a benchmark starts, each in its own session (away from Ctrl-C), all stopped."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self._running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for proc, _ in reversed(list(self._running)):
            self.stop(proc)

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> subprocess.Popen[bytes]:
        """Start a command in its own process group, its output going to `<logs>/<name>.log`."""
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
        )
        self._running.append((proc, log))
        return proc

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
        """Stop a process started here and its children: TERM, then KILL after `timeout`."""
        try:
            children = psutil.Process(proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # A parent stops its workers; any it left behind are killed, by their own ids.
        _, left = psutil.wait_procs(children, timeout=timeout)
        for child in left:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        psutil.wait_procs(left, timeout=5)
        for entry in list(self._running):
            if entry[0] is proc:
                entry[1].close()
                self._running.remove(entry)

    def running(self) -> list[subprocess.Popen[bytes]]:
        """The processes started here that have not been stopped."""
        return [proc for proc, _ in self._running]

    def log_tail(self, name: str, lines: int = 20) -> str:
        """The last lines a process wrote, to explain a failure."""
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until(check: Callable[[], bool], *, what: str, timeout: float = 30.0) -> None:
    """Poll `check` until it is true; BenchError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise BenchError(f"{what} was not ready after {timeout:.0f} s")


def http_ok(url: str) -> bool:
    """Whether a GET of this URL answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def wait_http(procs: Processes, proc: subprocess.Popen[bytes], name: str, url: str) -> None:
    """Wait until a server answers 200 at `url`; BenchError with its log if it died."""

    def ready() -> bool:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with {proc.returncode}:\n{procs.log_tail(name)}")
        return http_ok(url)

    wait_until(ready, what=name)


def compile_bytecode() -> None:
    """Compile the environment's modules and the project's ahead of the runs, as the container
    image does at build time: a process started for a measurement then reads them, never
    compiles them (PYTHONDONTWRITEBYTECODE would make every process compile them again)."""
    paths = [sysconfig.get_paths()["purelib"], str(ROOT / "src")]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *paths],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def start_redis(procs: Processes, data_dir: Path) -> tuple[str, redis.Redis]:
    """A new redis-server on a free loopback port, persisting like the Compose stack."""
    if shutil.which("redis-server") is None:
        raise BenchError("redis-server is not installed (Debian: apt-get install redis-server)")
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(data_dir)]
    argv += [*REDIS_PERSISTENCE, "--save", REDIS_SAVE, "--daemonize", "no"]
    proc = procs.start("redis", argv)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, decode_responses=True)

    def ready() -> bool:
        if proc.poll() is not None:
            raise BenchError(f"redis-server exited:\n{procs.log_tail('redis')}")
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    wait_until(ready, what="redis-server")
    return url, client


def flush(client: redis.Redis) -> None:
    """Empty Redis, rewrite its AOF and wait for its background saves.

    What one load wrote then never helps or slows the next: FLUSHALL also snapshots (which
    restarts the clock of the `save` rules) and the rewrite empties the append-only file, whose
    growth decides when Redis next rewrites it.
    """
    client.flushall()
    wait_for_saves(client)
    client.bgrewriteaof()
    wait_for_saves(client)


def wait_for_saves(client: redis.Redis, timeout: float = 300) -> None:
    """Wait until Redis has no snapshot or AOF rewrite running: their fork competes for CPU."""

    def idle() -> bool:
        info = client.info("persistence")
        return not (info["rdb_bgsave_in_progress"] or info["aof_rewrite_in_progress"])

    time.sleep(0.5)  # a save that a write just made due starts on Redis's next cron tick
    wait_until(idle, what="redis background save", timeout=timeout)


@dataclass(frozen=True)
class CpuUse:
    """Cores busy during a run: the measured servers, wrk, and every other process."""

    servers: float
    wrk: float
    others: float

    def as_dict(self) -> dict[str, float]:
        """The figures for the results file, in cores."""
        return {k: round(v, 2) for k, v in vars(self).items()}


def _busy_seconds() -> float:
    times = psutil.cpu_times()
    return float(times.user + times.nice + times.system + times.irq + times.softirq)


def _tree_seconds(procs: Processes) -> float:
    total = 0.0
    for proc in procs.running():
        try:
            family = [psutil.Process(proc.pid)]
            family += family[0].children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = member.cpu_times()
                total += times.user + times.system
    return total


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: throughput, latency percentiles in ms, and failed requests."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    cpu: CpuUse

    @property
    def rate(self) -> float:
        """Requests completed per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        """Requests that failed: socket errors, timeouts, and statuses other than 2xx and 3xx."""
        return sum(self.errors.values())


def wrk(
    script: str,
    url: str,
    *,
    duration: float,
    procs: Processes,
    args: Sequence[str] = (),
    timeout_s: int = 5,
) -> WrkResult:
    """Run one wrk scenario (a script in bench/wrk) at 50 connections and 2 threads.

    It also measures the CPU that the processes in `procs`, wrk and all others used meanwhile:
    load from other programs on the machine makes the figures worse, so it is reported.
    """
    if not url.startswith("http://127.0.0.1:"):
        raise BenchError(f"load goes to 127.0.0.1 only, not {url}")
    argv = ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(duration))}s"]
    argv += [f"--timeout={timeout_s}s", "-s", str(WRK_SCRIPTS / script), url, "--", *args]
    busy, servers = _busy_seconds(), _tree_seconds(procs)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=duration + 60, check=False, cwd=ROOT
    )
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    servers = (_tree_seconds(procs) - servers) / elapsed
    load = (_busy_seconds() - busy) / elapsed
    wrk_cpu = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) / elapsed
    cpu = CpuUse(servers=servers, wrk=wrk_cpu, others=max(0.0, load - servers - wrk_cpu))
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk {script} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    raw: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
    latency = raw["latency_us"]
    return WrkResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        errors={k: v for k, v in raw["errors"].items() if v},
        cpu=cpu,
    )


@dataclass(frozen=True)
class Bar:
    """One bar of the performance issue and the figure measured against it."""

    name: str
    value: float | None
    limit: float
    at_least: bool
    unit: str

    @property
    def passed(self) -> bool:
        """Whether the figure was measured and holds the bar."""
        if self.value is None:
            return False
        return self.value >= self.limit if self.at_least else self.value <= self.limit

    def show(self, value: float | None) -> str:
        """A figure in this bar's unit."""
        if value is None:
            return "not measured"
        if self.unit == "%":
            return f"{value * 100:.1f} %"
        if self.unit == "x":
            return f"{value:.2f}x"
        return f"{value:,.1f} {self.unit}" if value < 100 else f"{value:,.0f} {self.unit}"

    def as_dict(self) -> dict[str, Any]:
        """The bar for the results file."""
        return {
            "name": self.name,
            "value": self.value,
            "bar": f"{'>=' if self.at_least else '<='} {self.show(self.limit)}",
            "unit": self.unit,
            "pass": self.passed,
        }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, columns padded so it reads in a terminal too."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (
            str(cell).rjust(width) if i and _numeric(str(cell)) else str(cell).ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _numeric(cell: str) -> bool:
    return bool(cell) and (cell[0].isdigit() or cell[0] in "-.")


def bars_table(bars: Sequence[Bar]) -> str:
    """The bars, each with its figure and PASS or FAIL."""
    rows = [
        [bar.name, bar.show(bar.value), bar.as_dict()["bar"], "PASS" if bar.passed else "FAIL"]
        for bar in bars
    ]
    return table(["bar", "measured", "needed", "result"], rows)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    with Path("/proc/cpuinfo").open() as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    redis_version = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=False
    ).stdout.split()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    packages = ("student-registry", "granian", "litestar", "msgspec", "redis", "hiredis", "flask")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "redis_server": next((w[2:] for w in redis_version if w.startswith("v=")), "unknown"),
        "wrk": (wrk_version.stdout or wrk_version.stderr).split(" [")[0].removeprefix("wrk "),
        "packages": {name: _version(name) for name in (*packages, "gunicorn")},
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def describe_machine(info: dict[str, Any]) -> str:
    """One line naming the machine."""
    return (
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, Linux "
        f"{info['kernel']}, Python {info['python']}, redis-server {info['redis_server']}, "
        f"wrk {info['wrk']}"
    )


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Write results as JSON to bench/results/<name>.json."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
