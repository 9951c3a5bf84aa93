"""What the audit trail costs in Redis memory: bytes per entry, stream and histories apart.

Writes through the store's scripts as the service does (an actor's email, a request id each) in
four mixes of about 10,000 entries each:
- single: registrations, each student's only entry (the worst case for the histories);
- typical: each student registered, changed 3 times, their record read once, and 3 sign-ins
  around it (8 entries, 5 in the student's history);
- busy: a tenth as many students, each changed 9 times (10 entries: a history too long to
  pack, which gets an index of its own);
- sign-ins (no history).
For each, `INFO memory` used_memory is read before and after deleting the trail's keys: the
difference is what the trail holds. The bar: at most 150 bytes an entry.

    uv run python bench/audit_memory.py [--entries 10000] [--mixes single,...] [--redis-url URL]

With --redis-url, measures on that Redis (which it empties) instead of a new redis-server.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import redis

from harness import Processes, start_redis, table
from student_registry.domain.models import StudentCreate
from student_registry.domain.service import to_row
from student_registry.store import keys
from student_registry.store.accounts_store import AccountsStore
from student_registry.store.audit_store import AuditTrail
from student_registry.store.client import connect
from student_registry.store.redis_store import Expected, RedisStore, StudentRow, Trace

BAR = 150
ACTOR = "marie.dupont@school.example"


MIXES = ("single", "typical", "busy", "sign-ins")


def _trace() -> Trace:
    return Trace(actor=ACTOR, request_id=secrets.token_urlsafe(9))


def _student(n: int) -> StudentRow:
    student = StudentCreate(
        id=f"2026-{n:05d}",
        first_name="Éloïse",
        last_name="Durand",
        birth_date=datetime(2009, 4, 17).date(),
        course="3eB",
        email=f"eloise.{n}@school.example",
    )
    return to_row(student, f"2026-{n:05d}")


async def _register(store: RedisStore, row: StudentRow) -> None:
    await store.create(
        row,
        now=datetime.now(UTC),
        op=store.new_operation(),
        allow_duplicate=True,
        trace=_trace(),
        changed="flbce",
    )


async def _change(store: RedisStore, row: StudentRow) -> None:
    fields = await store.get(row.id)
    assert fields is not None
    await store.replace(
        row,
        now=datetime.now(UTC),
        expected=Expected(revision=fields["revision"], course=row.course),
        op=store.new_operation(),
        trace=_trace(),
        changed="c",
    )


async def _write(url: str, mix: str, entries: int) -> None:
    store = RedisStore(connect(url))
    accounts = AccountsStore(store.client)
    trail = AuditTrail(store.client)

    async def sign_in(n: int) -> None:
        await accounts.record_success(f"user{n % 50}@school.example", "192.0.2.23", trace=_trace())

    try:
        if mix == "single":
            for n in range(entries):
                await _register(store, _student(n))
        elif mix == "typical":
            for n in range(entries // 8):
                row = _student(n)
                await sign_in(n)
                await _register(store, row)
                for _ in range(3):
                    await _change(store, row)
                await sign_in(n)
                await trail.append("ra", row.id, _trace(), students=[row.id])
                await sign_in(n)
        elif mix == "busy":
            for n in range(entries // 10):
                row = _student(n)
                await _register(store, row)
                for _ in range(9):
                    await _change(store, row)
        else:
            for n in range(entries):
                await sign_in(n)
    finally:
        await store.close()


def measure(client: redis.Redis, url: str, mix: str, entries: int) -> list[str]:
    """One mix's row: entries, bytes an entry in all, in the stream, in the histories."""
    client.flushall()
    asyncio.run(_write(url, mix, entries))
    count = client.xlen(keys.audit_stream())
    histories = [
        *client.scan_iter(match=keys.student_history("*"), count=1000),
        *client.scan_iter(match=keys.student_histories("x").rsplit(":", 1)[0] + ":*", count=1000),
    ]
    used = int(client.info("memory")["used_memory"])
    if histories:
        client.delete(*histories)
    without_histories = int(client.info("memory")["used_memory"])
    client.delete(keys.audit_stream())
    without_trail = int(client.info("memory")["used_memory"])
    stream, history = without_histories - without_trail, used - without_histories
    per_entry = (used - without_trail) / count
    return [
        mix,
        f"{count:,}",
        f"{stream / count:.0f}",
        f"{history / count:.0f}",
        f"{per_entry:.0f}",
        "yes" if per_entry <= BAR else "no",
    ]


def _measure_all(url: str, client: redis.Redis, entries: int, mixes: list[str]) -> list[list[str]]:
    server = client.info("server")
    print(f"Redis {server['redis_version']}, {entries:,} entries a mix")
    return [measure(client, url, mix, entries) for mix in mixes]


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit 1 when a mix is over the bar."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=10_000, help="entries per mix (10,000)")
    parser.add_argument("--redis-url", help="a Redis to empty and measure on, not a new one")
    parser.add_argument(
        "--mixes", default=",".join(MIXES), help=f"which mixes, comma-separated ({','.join(MIXES)})"
    )
    args = parser.parse_args(argv)
    mixes = [m for m in args.mixes.split(",") if m]
    if unknown := set(mixes) - set(MIXES):
        parser.error(f"unknown mixes: {', '.join(sorted(unknown))}")
    if args.redis_url:
        client = redis.Redis.from_url(args.redis_url, decode_responses=True)
        rows = _measure_all(args.redis_url, client, args.entries, mixes)
        client.close()
    else:
        with tempfile.TemporaryDirectory() as tmp, Processes(Path(tmp)) as procs:
            url, client = start_redis(procs, Path(tmp) / "data")
            rows = _measure_all(url, client, args.entries, mixes)
            client.close()
    headers = ["mix", "entries", "B/entry stream", "B/entry histories", "B/entry all", f"<= {BAR}"]
    print(table(headers, rows))
    return 0 if all(row[-1] == "yes" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
