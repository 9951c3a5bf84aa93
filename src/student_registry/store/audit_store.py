"""The audit trail in Redis: the arguments write scripts take to append to it, and its reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, cast

from redis.asyncio import Redis

from student_registry.store import keys
from student_registry.store.redis_store import (
    DAY_MS,
    Trace,
    _load_script,
    _translate_errors,
    history_keys,
    trail_args,
)

# Entries a filtered read of the trail looks at, at most, before it answers with what it found
# and where to go on: a page costs a bounded time however rare its matches are.
SCAN_BUDGET = 20_000
SCAN_CHUNK = 1_000


class Entry(NamedTuple):
    """A trail entry as stored: its id ('<ms>-<n>'), then AUDIT_FIELDS by their full names."""

    id: str
    fields: dict[str, str]


class Scan(NamedTuple):
    """Entries read newest first, and the id to go on before ('' when the trail is read)."""

    entries: list[Entry]
    resume: str


def _entry(entry_id: str, stored: dict[str, str]) -> Entry:
    return Entry(entry_id, {keys.AUDIT_FIELDS[k]: v for k, v in stored.items()})


def unpack_history(packed: str) -> list[str]:
    """The entry ids a packed history holds (audit.lua: pack_id), oldest first."""
    ids = []
    for word in packed.split():
        ms, _, seq = word.partition("-")
        ids.append(f"{int(ms, 36)}-{seq or 0}")
    return ids


def _id_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


class AuditTrail:
    """The trail's reads, and the entries that record no change (append.lua)."""

    def __init__(self, client: Redis, *, retention_ms: int = 365 * DAY_MS) -> None:
        self.client = client
        self.retention_ms = retention_ms
        self._append = client.register_script(_load_script("append.lua", "audit.lua"))

    async def append(
        self,
        action: str,
        target: str,
        trace: Trace,
        *,
        detail: str = "",
        students: Sequence[str] = (),
    ) -> str:
        """Append an entry (`action`: a code of AUDIT_ACTIONS), in these students' histories."""
        with _translate_errors():
            entry_id = await self._append(
                keys=[keys.audit_stream(), *(k for s in students for k in history_keys(s))],
                args=[action, target, *students, *trail_args(trace, self.retention_ms, detail)],
            )
        return str(entry_id)

    async def scan(
        self,
        *,
        before: str = "",
        since_ms: int = 0,
        wanted: int,
        match: dict[str, str],
        budget: int = SCAN_BUDGET,
    ) -> Scan:
        """Up to `wanted` entries whose fields equal `match`, newest first, from before an id
        on, back to since_ms; reads at most `budget` entries (then `resume` says where)."""
        found: list[Entry] = []
        start = f"({before}" if before else "+"
        end = str(since_ms) if since_ms else "-"
        read = 0
        while read < budget:
            with _translate_errors():
                chunk = cast(
                    list[tuple[str, dict[str, str]]],
                    await self.client.xrevrange(
                        keys.audit_stream(), start, end, count=min(SCAN_CHUNK, budget - read)
                    ),
                )
            read += len(chunk)
            exhausted = len(chunk) < min(SCAN_CHUNK, budget - read + len(chunk))
            for entry_id, stored in chunk:
                entry = _entry(entry_id, stored)
                if all(entry.fields.get(k) == v for k, v in match.items()):
                    found.append(entry)
                    if len(found) == wanted:
                        return Scan(found, entry_id)
            if exhausted or not chunk:
                return Scan(found, "")
            start = f"({chunk[-1][0]}"
        return Scan(found, start[1:])

    async def history(
        self, student_id: str, *, before: str = "", since_ms: int = 0, limit: int | None = None
    ) -> list[Entry]:
        """The entries about a student still in the trail, newest first (before an id), at
        most `limit`."""
        # Packed in a bucket, or in an index of the student's own (grown, or written before).
        with _translate_errors():
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.hget(keys.student_histories(student_id), student_id)
                pipe.zrevrangebyscore(keys.student_history(student_id), "+inf", since_ms or "-inf")
                packed, indexed = cast(tuple[str | None, list[str]], await pipe.execute())
        found = {*indexed, *(i for i in unpack_history(packed or "") if _id_key(i)[0] >= since_ms)}
        if before:
            bound = _id_key(before)
            found = {i for i in found if _id_key(i) < bound}
        return await self.read(sorted(found, key=_id_key, reverse=True)[:limit])

    async def read(self, ids: Sequence[str]) -> list[Entry]:
        """These entries, in this order, leaving out any trimmed since."""
        with _translate_errors():
            async with self.client.pipeline(transaction=False) as pipe:
                for entry_id in ids:
                    pipe.xrange(keys.audit_stream(), entry_id, entry_id)
                found: list[list[tuple[str, dict[str, str]]]] = await pipe.execute()
        return [_entry(*hit[0]) for hit in found if hit]
