"""Load driven through the load balancer from threads, every answer recorded."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import httpx

# How long a client keeps sending a registration whose outcome it does not know yet.
GIVE_UP_AFTER = 60.0


@dataclass
class Registrations:
    """Registrations sent with unique ids and Idempotency-Keys, and what came of each."""

    acknowledged: dict[str, float] = field(default_factory=dict)  # id -> when the 201 came
    unknown: set[str] = field(default_factory=set)  # no 201 before giving up
    statuses: Counter[int] = field(default_factory=Counter)  # every answer, by status
    no_answer: int = 0  # requests that got no HTTP answer at all
    bad_503: int = 0  # 503s without Retry-After
    sent_at: dict[str, float] = field(default_factory=dict)  # id -> when it was first sent
    timeline: list[tuple[float, str]] = field(default_factory=list)  # (when, answer)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def around(self, start: float, end: float) -> str:
        """The answers from `start` to `end`, counted by second since `start`."""
        with self.lock:
            seconds: dict[int, Counter[str]] = {}
            for when, answer in self.timeline:
                if start <= when <= end:
                    seconds.setdefault(int(when - start), Counter())[answer] += 1
        return "\n".join(f"  +{s}s {dict(c)}" for s, c in sorted(seconds.items()))

    def first_ack_after(self, moment: float) -> float | None:
        """When the first registration sent after `moment` was acknowledged."""
        with self.lock:
            times = [ack for sid, ack in self.acknowledged.items() if self.sent_at[sid] >= moment]
        return min(times) if times else None


def register_until_known(http: httpx.Client, record: Registrations, prefix: str) -> None:
    """Send one registration, again with its key after a 503 or no answer, until a 201."""
    student_id = f"{prefix}-{uuid.uuid4().hex[:12]}"
    body = {
        "id": student_id,
        "first_name": "Ana",
        "last_name": "Failover",
        "birth_date": "2010-01-02",
        "course": "HA",
    }
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    started = time.monotonic()
    with record.lock:
        record.sent_at[student_id] = started
    while time.monotonic() - started < GIVE_UP_AFTER:
        try:
            # Namesakes on purpose: every student here has the same names.
            answer = http.post("/api/v1/students?allow_duplicate=true", json=body, headers=headers)
        except httpx.TransportError as exc:
            with record.lock:
                record.no_answer += 1
                record.timeline.append((time.monotonic(), type(exc).__name__))
            time.sleep(0.2)
            continue
        with record.lock:
            record.statuses[answer.status_code] += 1
            slug = answer.headers.get("content-type", "").endswith("problem+json")
            kind = answer.json()["type"].rsplit("/", 1)[-1] if slug else ""
            record.timeline.append((time.monotonic(), f"{answer.status_code} {kind}".strip()))
            if answer.status_code == 503 and "Retry-After" not in answer.headers:
                record.bad_503 += 1
        if answer.status_code == 201:
            with record.lock:
                record.acknowledged[student_id] = time.monotonic()
            return
        if answer.status_code != 503:
            break
        time.sleep(0.2)
    with record.lock:
        record.unknown.add(student_id)


@dataclass
class Reads:
    """GETs sent through the load balancer, by outcome and time."""

    results: list[tuple[float, bool]] = field(default_factory=list)  # (when, succeeded)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failure_rate(self, start: float, end: float) -> tuple[int, int]:
        """Failed and total reads sent between two moments."""
        with self.lock:
            window = [ok for when, ok in self.results if start <= when <= end]
        return window.count(False), len(window)


def read_once(http: httpx.Client, reads: Reads, path: str) -> None:
    """One GET; a success is a 200."""
    when = time.monotonic()
    try:
        ok = http.get(path).status_code == 200
    except httpx.TransportError:
        ok = False
    with reads.lock:
        reads.results.append((when, ok))


class Loop(threading.Thread):
    """Calls a function over and over until stopped."""

    def __init__(self, work: object) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.stopping = threading.Event()

    def run(self) -> None:
        """Work until stopped."""
        while not self.stopping.is_set():
            assert callable(self.work)
            self.work()

    def stop(self) -> None:
        """Stop after the current call."""
        self.stopping.set()
        self.join(timeout=GIVE_UP_AFTER + 30)


def throughput(client_factory: object, path: str, *, threads: int, seconds: float) -> float:
    """GETs per second `threads` clients get through in `seconds`."""
    done = Counter[str]()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work() -> None:
        assert callable(client_factory)
        with client_factory() as http:
            while time.monotonic() < deadline:
                if http.get(path).status_code == 200:
                    with lock:
                        done["ok"] += 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return done["ok"] / seconds
