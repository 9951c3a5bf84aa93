"""The only code that talks to Redis: atomic writes through Lua, reads in one round trip."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any, Literal, NamedTuple, cast

import redis
from redis import exceptions as redis_errors
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from student_registry.errors import (
    EmailTaken,
    IdempotencyKeyReused,
    IneTaken,
    OutcomeUnknown,
    PossibleDuplicate,
    RolloverInProgress,
    StaleCursor,
    StaleRevision,
    StoreUnavailable,
    StudentExists,
    StudentNotFound,
    YearClosed,
)
from student_registry.metrics import REDIS_ERRORS
from student_registry.school_years import DEFAULT_START, YearStart, year_of
from student_registry.store import keys
from student_registry.store.client import (
    OPERATION_ID_BYTES,
    Operation,
    close,
    outcome_lifetime_ms,
)

ConflictMode = Literal["fail", "skip", "update"]
# Which students a list, a count or an export shows: enrolled ones (the default), or others.
StatusFilter = Literal["enrolled", "withdrawn", "all"]

# A student as the store reads it: full field names, times as datetimes.
Fields = dict[str, Any]

# What a client made without a socket timeout is taken to wait, to keep outcomes long enough.
DEFAULT_SOCKET_TIMEOUT = 60.0

_UNAVAILABLE = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    redis_errors.ReadOnlyError,
    # Redis over its maxmemory refuses writes until memory is freed or the limit raised.
    redis_errors.OutOfMemoryError,
    OSError,
)
# What a primary lost to a failover answers, or one just promoted: the whole write is sent
# again, to the primary the Sentinels name by then (a new connection asks them).
_FAILOVER = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.BusyLoadingError,
    redis_errors.ReadOnlyError,
    # A promoted replica's script cache is empty; the retry loads the script there.
    redis_errors.NoScriptError,
    OSError,
)
# How long a client's Idempotency-Key keeps its request's outcome.
IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000


class StudentRow(NamedTuple):
    """A student's values as the write scripts take them, all strings."""

    id: str
    first_name: str
    last_name: str
    birth_date: str
    course: str
    email: str
    email_norm: str
    sort_key: str
    # The registration fields French schools keep, '' when absent; guardians as stored (JSON).
    sex: str = ""
    ine: str = ""
    birthplace: str = ""
    guardians: str = ""
    # YYYY-MM-DD; '' keeps the stored entry date (a new student's: the day it is created).
    entry_date: str = ""
    exit_date: str = ""  # YYYY-MM-DD when withdrawn, '' when enrolled
    exit_reason: str = ""

    @property
    def withdrawn(self) -> bool:
        """Whether the row is of a withdrawn student."""
        return bool(self.exit_date)


class Expected(NamedTuple):
    """The student a change or a delete expects to find: at this revision, in this course,
    with this status (whose indexes it leaves)."""

    revision: str
    course: str
    withdrawn: bool = False


class Trace(NamedTuple):
    """Who makes a write, on which request: what its trail entry says besides the change."""

    actor: str
    request_id: str


# What a write's trail entry says when its caller names nobody (tests, tools).
NO_TRACE = Trace(actor="", request_id="")
DAY_MS = 86_400_000


# How many values trail_args gives (audit.lua's AUDIT_ARGS).
TRAIL_ARGS = 4


def trail_args(trace: Trace, retention_ms: int, changed: str = "") -> list[str]:
    """The last values of a write script's ARGV (audit.lua): actor, request id, the oldest
    time the trail keeps (ms), the names of the fields changed (or an entry's detail)."""
    keep_from = int(time.time() * 1000) - retention_ms
    return [trace.actor, trace.request_id, str(keep_from), changed]


class RolloverPlan(NamedTuple):
    """A rollover as the store applies it (rollover.lua): dates YYYY-MM-DD."""

    from_year: str
    to_year: str
    mapping: dict[str, str | None]  # every course of the from year: its next, None leaves
    repeat: list[str]  # the ids of students who stay in their course
    entry_date: str  # the to year's first day: the new enrolments' entry date
    exit_date: str  # the from year's last day: the leavers' exit date
    reason: str  # the leavers' exit reason


class RolloverRefused(Exception):
    """The store refused to start a rollover: `why` is not_live or busy, with its values."""

    def __init__(self, why: str, *values: str) -> None:
        super().__init__(why, *values)
        self.why = why
        self.values = values


class WalkStart(NamedTuple):
    """Where a walk starts: a position it gave before, or a student (at its first name?)."""

    position: str = ""
    student_id: str = ""
    at_first: bool = False


class Walk(NamedTuple):
    """One stretch of a walk (walk.lua), in the order it walked."""

    anchor_sort_key: str  # the sort key of the student it started from, '' for none
    plan: int  # 0: one index in order; i > 0: a search along the names word i may start
    total: int  # the matches: exact for a list, at most this many for a search
    resume: str  # where it stopped on its budget, to go on from; '' when it did not
    exhausted: bool  # it read every member in its way: no match is left
    entries: list[tuple[str, Fields]]  # each student collected, with its position


SCRIPTS = resources.files("student_registry.store") / "scripts"
# The budget of one call of walk.lua: about as many index members as it may read. A member
# that a search filters out costs a few microseconds: this keeps a call near a millisecond.
WALK_BUDGET = 500


def _load_script(name: str, *shared: str) -> str:
    return "\n".join((SCRIPTS / part).read_text() for part in (*shared, name))


@contextmanager
def _translate_errors() -> Iterator[None]:
    try:
        yield
    except _UNAVAILABLE as exc:
        REDIS_ERRORS.labels(type(exc).__name__).inc()
        raise StoreUnavailable(f"Redis is unavailable: {exc}") from exc


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> str:
    """A time as the store keeps it: microseconds since the epoch."""
    delta = moment - EPOCH
    return str((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


def from_micros(value: str) -> datetime:
    """A stored time as a UTC datetime."""
    return EPOCH + timedelta(microseconds=int(value))


def _stored(row: StudentRow) -> StudentRow:
    """A row with its values as the hash keeps them: the birth date as YYYYMMDD.

    Redis keeps a field of digits in a listpack as an integer: 6 bytes instead of 12. So are
    the entry and exit dates.
    """
    return row._replace(
        birth_date=row.birth_date.replace("-", ""),
        entry_date=row.entry_date.replace("-", ""),
        exit_date=row.exit_date.replace("-", ""),
    )


def _duplicates_arg(allowed: bool) -> str:
    """What the write scripts take to refuse possible duplicates: where student hashes are."""
    return "" if allowed else keys.student_key_prefix()


def _names_of(row: StudentRow) -> str:
    """A row's sort key without its id: ``fold(last)\0fold(first)\0``."""
    return row.sort_key[: len(row.sort_key) - len(row.id)]


def derived_sort_key(student_id: str, first_name: str, last_name: str) -> str:
    """The sort key the Lua scripts derive from stored names (lib.lua): ASCII letters
    lower-cased, nothing else changed. A hash without k is indexed under it."""
    return f"{_ascii_lower(last_name)}\0{_ascii_lower(first_name)}\0{student_id}"


def _ascii_lower(text: str) -> str:
    return text.encode().lower().decode()


class Years(NamedTuple):
    """The registry's school years as the years hash holds them (keys.YEARS_FIELDS)."""

    base: str
    live: str
    current: str
    known: tuple[str, ...]
    rolling: str = ""  # JSON of the rollover under way, '' when none

    def key(self, key: str, year: str | None = None) -> str:
        """An index key of a year (the live one by default)."""
        return keys.year_key(key, year or self.live, self.base)


# How long a worker trusts the years it read: a rollover or a new current year reaches every
# worker within this many seconds (the writes check the live year themselves: lib.lua).
YEARS_CACHE_SECONDS = 1.0


def _iso_date(stored: str) -> str:
    """A stored date (YYYYMMDD, or YYYY-MM-DD) as YYYY-MM-DD."""
    return stored if "-" in stored else f"{stored[:4]}-{stored[4:6]}-{stored[6:]}"


def _student(student_id: str, stored: dict[str, str], years: Years, year: str = "") -> Fields:
    """A student's fields, its course, status and dates those of its enrolment in `year` (the
    current year by default; see _pick_enrolment)."""
    fields: Fields = {keys.STUDENT_FIELDS[name]: value for name, value in stored.items()}
    if "k" not in stored:
        fields["sort_key"] = derived_sort_key(student_id, stored["f"], stored["l"])
    # The revision: the time of the last write (u, else t), or v in hashes written before.
    fields.setdefault("revision", stored.get("u") or stored["t"])
    fields["birth_date"] = _iso_date(fields["birth_date"])
    created_at = fields["created_at"] = from_micros(fields["created_at"])
    _read_enrolment(fields, created_at)
    _pick_enrolment(fields, years, year or years.current)
    # Absent until the first change.
    updated = fields.get("updated_at")
    fields["updated_at"] = from_micros(updated) if updated else created_at
    fields["id"] = student_id
    return fields


def _read_enrolment(fields: Fields, created_at: datetime) -> None:
    """The status and dates of a hash: without n, the student entered the day it was created
    (UTC); without w it is enrolled, as every hash written before withdrawals existed."""
    entered = fields.get("entry_date")
    fields["entry_date"] = _iso_date(entered) if entered else created_at.date().isoformat()
    left = fields.get("exit_date")
    if left:
        fields["exit_date"] = _iso_date(left)
        fields["status"] = "withdrawn"


def _pick_enrolment(fields: Fields, years: Years, year: str) -> None:
    """Set `enrolments` (every enrolment, newest first) and the course, status and dates of
    the one of `year`: else of the latest year before it, else of the first after it."""
    newest = {
        "year": fields.pop("year", None) or years.live,
        "course": fields["course"],
        "status": fields.get("status", "enrolled"),
        "entry_date": fields["entry_date"],
        "exit_date": fields.get("exit_date"),
        "exit_reason": fields.get("exit_reason"),
    }
    enrolments = [newest]
    history = fields.pop("enrolment_history", None)
    for y, course, entered, left, reason in json.loads(history) if history else ():
        enrolments.append(
            {
                "year": y,
                "course": course,
                "status": "withdrawn" if left else "enrolled",
                "entry_date": _iso_date(entered),
                "exit_date": _iso_date(left) if left else None,
                "exit_reason": reason or None,
            }
        )
    before = [e for e in enrolments if e["year"] <= year]
    shown = before[0] if before else enrolments[-1]
    for name in ("course", "status", "entry_date", "exit_date", "exit_reason"):
        fields[name] = shown[name]
    fields["year"] = shown["year"]
    fields["enrolments"] = enrolments


def _pairs(flat: Sequence[str]) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def student_id_of(sort_key: str) -> str:
    """The id at the end of a sort key."""
    return sort_key.rsplit("\0", 1)[1]


def history_keys(student_id: str) -> list[str]:
    """The two keys of a student's history a script declares (audit.lua: about)."""
    return [keys.student_histories(student_id), keys.student_history(student_id)]


def _trail_keys(student_id: str) -> list[str]:
    """What a write script about one student declares last: the trail, the student's history."""
    return [keys.audit_stream(), *history_keys(student_id)]


def _index_keys(op: Operation, years: Years) -> list[str]:
    """The keys every write script declares first (lib.lua): the live year's indexes."""
    return [
        years.key(keys.order_index()),
        years.key(keys.first_name_index()),
        years.key(keys.course_counts()),
        keys.email_index(),
        op.key,
    ]


def _status_keys(years: Years) -> list[str]:
    """The keys every write script declares last but one (lib.lua): the years, then the live
    year's withdrawn students' indexes."""
    return [
        keys.years(),
        years.key(keys.withdrawn_order_index()),
        years.key(keys.withdrawn_first_name_index()),
        years.key(keys.withdrawn_course_counts()),
    ]


def course_index_of(course: str, *, withdrawn: bool, years: Years, year: str = "") -> str:
    """The index of a course's enrolled or withdrawn students in a year (the live one)."""
    key = keys.withdrawn_course_index(course) if withdrawn else keys.course_index(course)
    return years.key(key, year)


def _import_keys(rows: Sequence[StudentRow], op: Operation, years: Years) -> list[str]:
    """What import.lua declares: the rows' hashes, then their courses' indexes (of the rows'
    status), each once."""
    courses = dict.fromkeys((row.withdrawn, row.course) for row in rows)
    return [
        *_index_keys(op, years),
        *(keys.student_key(row.id) for row in rows),
        *(course_index_of(c, withdrawn=withdrawn, years=years) for withdrawn, c in courses),
        keys.audit_stream(),
        *(key for row in rows for key in history_keys(row.id)),
        *_status_keys(years),
        keys.ine_index(),
    ]


def enrolled_count(client: redis.Redis) -> int:
    """Students enrolled in the current year, as the sum of its course counts: two reads,
    never a scan."""
    base, current = cast(list[str | None], client.hmget(keys.years(), "base", "current"))
    counts_key = keys.year_key(keys.course_counts(), current or "", base or "")
    counts = cast(list[str], client.hvals(counts_key))
    return sum(int(n) for n in counts)


class Durability(NamedTuple):
    """What a write waits for before it is answered, and how long it is tried through a failover.

    `min_replicas` replicas must confirm it (WAIT) within `replica_timeout` seconds, else its
    outcome is unknown; a write that fails as the primary changes is sent again, whole, for up
    to `failover_timeout` seconds.
    """

    min_replicas: int = 0
    replica_timeout: float = 1.0
    failover_timeout: float = 0.0


class RedisStore:
    """Students in Redis: one hash each, sorted-set indexes, every multi-key write atomic."""

    def __init__(
        self,
        client: Redis,
        durability: Durability | None = None,
        *,
        audit_retention_days: int = 365,
        year_start: YearStart | None = None,
    ) -> None:
        self.client = client
        self.year_start = year_start or YearStart.parse(DEFAULT_START)
        self._years: Years | None = None
        self._years_read = 0.0
        self.durability = durability or Durability()
        self.retention_ms = audit_retention_days * DAY_MS
        options = client.connection_pool.connection_kwargs
        socket_timeout = options.get("socket_timeout") or DEFAULT_SOCKET_TIMEOUT
        # WAIT's answer must come before the client stops waiting for it.
        self.wait_ms = math.ceil(min(self.durability.replica_timeout, socket_timeout / 2) * 1000)
        # A write sent again through a failover must still find its first run's outcome.
        self.outcome_lifetime_ms = outcome_lifetime_ms(
            socket_timeout=socket_timeout,
            connect_timeout=options.get("socket_connect_timeout") or socket_timeout,
        ) + math.ceil(self.durability.failover_timeout * 1000)
        writes = ("sort_key.lua", "lib.lua", "audit.lua")
        self._create = self._script("create.lua", *writes)
        self._replace = self._script("replace.lua", *writes)
        self._delete = self._script("delete.lua", *writes)
        self._import = self._script("import.lua", *writes)
        self._walk = self._script("walk.lua", "sort_key.lua")
        self._check_import = self._script("check_import.lua")
        self._rollover = self._script("rollover.lua", "sort_key.lua", "lib.lua", "audit.lua")

    def _script(self, name: str, *shared: str) -> AsyncScript:
        return self.client.register_script(_load_script(name, *shared))

    async def close(self) -> None:
        """Close every connection."""
        await close(self.client)

    def new_operation(self) -> Operation:
        """A write operation of its own, whose outcome a retry of it will find."""
        key = keys.operation_record(secrets.token_urlsafe(OPERATION_ID_BYTES))
        return Operation(key=key, ttl_ms=self.outcome_lifetime_ms)

    async def claim_idempotency_key(self, owner: str, key: str, request: bytes) -> Operation:
        """The operation a client's Idempotency-Key names, kept 24 h, for this request only.

        The first request under a key fixes its fingerprint; the same key with another request
        raises IdempotencyKeyReused. The operation's record is what a retry answers.
        """
        name = hashlib.sha256(f"{owner}\0{key}".encode()).hexdigest()
        fingerprint = hashlib.sha256(request).hexdigest()
        with _translate_errors():
            found = await self.client.set(
                keys.idempotency_fingerprint(name),
                fingerprint,
                nx=True,
                get=True,
                px=IDEMPOTENCY_TTL_MS,
            )
        if found is not None and found != fingerprint:
            raise IdempotencyKeyReused()
        return Operation(key=keys.idempotency_record(name), ttl_ms=IDEMPOTENCY_TTL_MS)

    async def _write(self, script: AsyncScript, *, keys: list[str], args: Sequence[Any]) -> Any:
        """Run a write script until it runs on a primary, and wait for its replicas.

        Raises StoreUnavailable when no primary took it before the failover timeout, and
        OutcomeUnknown when it ran but too few replicas confirmed it.
        """
        try:
            return await self._through_failover(
                lambda: self._write_once(script, keys=keys, args=args)
            )
        except redis_errors.OutOfMemoryError as exc:
            raise StoreUnavailable(f"Redis is unavailable: {exc}") from exc

    async def _through_failover(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run a call again while the primary changes, up to the failover timeout. Raises
        StoreUnavailable when no primary answered by then."""
        deadline = time.monotonic() + self.durability.failover_timeout
        attempt = 0
        while True:
            try:
                return await call()
            except _FAILOVER as exc:
                attempt += 1
                pause = min(0.5, 0.02 * 2**attempt)
                if time.monotonic() + pause >= deadline:
                    raise StoreUnavailable(f"Redis is unavailable: {exc}") from exc
                await asyncio.sleep(pause)

    async def _write_once(
        self, script: AsyncScript, *, keys: list[str], args: Sequence[Any]
    ) -> Any:
        wanted = self.durability.min_replicas
        if not wanted:
            return await script(keys=keys, args=args)
        # WAIT counts the replicas that have the writes of its own connection: it must follow
        # the script on the same one, which a pipeline keeps (Lua cannot call WAIT).
        async with self.client.pipeline(transaction=False) as pipe:
            await script(keys=keys, args=args, client=pipe)
            pipe.execute_command("WAIT", wanted, self.wait_ms)
            result, confirmed = await pipe.execute()
        if confirmed < wanted:
            raise OutcomeUnknown(
                f"{confirmed} of {wanted} replicas confirmed the write in time: its outcome is"
                " unknown."
            )
        return result

    def today_year(self) -> str:
        """The school year of today (UTC)."""
        return year_of(datetime.now(UTC).date(), self.year_start)

    async def years(self, *, fresh: bool = False) -> Years:
        """The registry's school years, read at most once a second (YEARS_CACHE_SECONDS) unless
        `fresh`. A store that has none yet is in today's year, which its first write keeps."""
        if not fresh and self._years and time.monotonic() - self._years_read < YEARS_CACHE_SECONDS:
            return self._years
        try:
            with _translate_errors():
                stored = cast(
                    dict[str, str],
                    await self._through_failover(lambda: self.client.hgetall(keys.years())),
                )
        except StoreUnavailable:
            # Through a failover, the years read last serve: a write checks them (lib.lua).
            if self._years is None:
                raise
            return self._years
        today = self.today_year()
        live = stored.get("live", today)
        known = sorted({live, *(f[6:] for f in stored if f.startswith("known:"))})
        self._years = Years(
            base=stored.get("base", live),
            live=live,
            current=stored.get("current", live),
            known=tuple(known),
            rolling=stored.get("rolling", ""),
        )
        self._years_read = time.monotonic()
        return self._years

    async def _yearly_write(
        self, script: AsyncScript, request: Callable[[Years], tuple[list[str], list[Any]]]
    ) -> Any:
        """Run a write script with the keys of the live year, read again when a rollover moved
        it; the script's arguments end with that year (lib.lua), then `request`'s trail's.
        Raises RolloverInProgress while a rollover runs, YearClosed while an earlier year is
        the current one (but for a deletion)."""
        years = await self.years()
        for _ in range(3):
            script_keys, args = request(years)
            result = await self._write(
                script,
                keys=script_keys,
                args=[*args[:-TRAIL_ARGS], years.live, *args[-TRAIL_ARGS:]],
            )
            if result[0] == "rolling":
                raise RolloverInProgress()
            if result[0] == "closed":
                years = await self.years(fresh=True)
                raise YearClosed(years.current, years.live)
            if result[0] != "moved":
                return result
            years = await self.years(fresh=True)
        raise RolloverInProgress()

    async def set_years(self, **fields: str) -> None:
        """Write fields of the years hash (an admin moving the current year)."""
        with _translate_errors():
            await self.client.hset(keys.years(), items=[v for pair in fields.items() for v in pair])
        await self.years(fresh=True)

    async def rollover(
        self, plan: RolloverPlan, *, trace: Trace = NO_TRACE, batch: int = 1000
    ) -> dict[str, int]:
        """Apply a rollover a batch of students at a time (rollover.lua), or complete one cut
        short; answer its counts (promoted, repeating, left), those of its first run when it
        ended before. Raises RolloverRefused."""
        years = await self.years(fresh=True)
        year_keys = [
            keys.order_index(),
            keys.first_name_index(),
            keys.course_counts(),
            keys.withdrawn_order_index(),
            keys.withdrawn_first_name_index(),
            keys.withdrawn_course_counts(),
        ]
        script_keys = [
            keys.years(),
            keys.audit_stream(),
            *(years.key(key, plan.from_year) for key in year_keys),
            *(years.key(key, plan.to_year) for key in year_keys[:3]),
        ]
        state = {
            "mapping": plan.mapping,
            "repeat": plan.repeat,
            "entry": plan.entry_date.replace("-", ""),
            "exit": plan.exit_date.replace("-", ""),
            "reason": plan.reason,
        }
        trail = trail_args(trace, self.retention_ms)
        started = await self._write(
            self._rollover,
            keys=script_keys,
            args=["start", plan.from_year, plan.to_year, json.dumps(state), *trail],
        )
        if started[0] in ("not_live", "busy"):
            raise RolloverRefused(started[0], *started[1:])
        result = started
        prefixes = [
            years.key(keys.course_index_prefix(), plan.from_year),
            years.key(keys.withdrawn_course_index_prefix(), plan.from_year),
            years.key(keys.course_index_prefix(), plan.to_year),
        ]
        while result[0] != "done":
            result = await self._write(
                self._rollover,
                keys=script_keys,
                args=[
                    "step",
                    batch,
                    to_micros(datetime.now(UTC)),
                    keys.student_key_prefix(),
                    *prefixes,
                    *trail,
                ],
            )
        await self.years(fresh=True)
        return cast(dict[str, int], json.loads(result[1]))

    async def ping(self) -> None:
        """Raise StoreUnavailable unless Redis answers."""
        with _translate_errors():
            await self.client.ping()

    async def create(
        self,
        row: StudentRow,
        *,
        now: datetime,
        op: Operation,
        allow_duplicate: bool = False,
        trace: Trace = NO_TRACE,
        changed: str = "",
    ) -> tuple[str, str]:
        """Write a new student and its trail entry atomically; return its revision and id.

        Unless `allow_duplicate`, raises PossibleDuplicate when students with the same folded
        names and birth date are registered: checked in the same atomic step as the write.
        The revision and id are those of the operation's first run: a retry under a client's
        Idempotency-Key may carry another generated id and time than the first.
        """
        result = await self._yearly_write(
            self._create,
            lambda years: (
                [
                    *_index_keys(op, years),
                    keys.student_key(row.id),
                    course_index_of(row.course, withdrawn=row.withdrawn, years=years),
                    *_trail_keys(row.id),
                    *_status_keys(years),
                    keys.ine_index(),
                ],
                [
                    op.ttl_ms,
                    to_micros(now),
                    *_stored(row),
                    _duplicates_arg(allow_duplicate),
                    *trail_args(trace, self.retention_ms, changed),
                ],
            ),
        )
        if result[0] == "exists":
            raise StudentExists(row.id)
        if result[0] == "email_taken":
            raise EmailTaken(row.email)
        if result[0] == "ine_taken":
            raise IneTaken(row.ine)
        if result[0] == "duplicate":
            raise PossibleDuplicate([str(i) for i in result[1:]])
        # Outcomes recorded before they named the id are the row's own.
        return str(result[1]), str(result[3]) if len(result) > 3 else row.id

    async def replace(
        self,
        row: StudentRow,
        *,
        now: datetime,
        expected: Expected,
        op: Operation,
        trace: Trace = NO_TRACE,
        changed: str = "",
    ) -> tuple[str, datetime]:
        """Replace a student's fields if it is still as expected (its revision and course).

        Returns the new revision and updated_at: `now`, or just after the last write when the
        clock has not moved past it.
        """
        result = await self._yearly_write(
            self._replace,
            lambda years: (
                [
                    *_index_keys(op, years),
                    keys.student_key(row.id),
                    course_index_of(row.course, withdrawn=row.withdrawn, years=years),
                    course_index_of(expected.course, withdrawn=expected.withdrawn, years=years),
                    *_trail_keys(row.id),
                    *_status_keys(years),
                    keys.ine_index(),
                ],
                [
                    op.ttl_ms,
                    to_micros(now),
                    expected.revision,
                    expected.course,
                    *_stored(row),
                    *trail_args(trace, self.retention_ms, changed),
                ],
            ),
        )
        status = result[0]
        if status == "not_found":
            raise StudentNotFound(row.id)
        if status == "stale":
            raise StaleRevision(row.id)
        if status == "email_taken":
            raise EmailTaken(row.email)
        if status == "ine_taken":
            raise IneTaken(row.ine)
        return str(result[1]), from_micros(result[1])

    async def delete(
        self, student_id: str, *, expected: Expected, op: Operation, trace: Trace = NO_TRACE
    ) -> None:
        """Delete a student and its index entries if it is still as expected."""
        result = await self._yearly_write(
            self._delete,
            lambda years: (
                [
                    *_index_keys(op, years),
                    keys.student_key(student_id),
                    course_index_of(expected.course, withdrawn=expected.withdrawn, years=years),
                    *_trail_keys(student_id),
                    *_status_keys(years),
                    keys.ine_index(),
                ],
                [
                    op.ttl_ms,
                    student_id,
                    expected.revision,
                    expected.course,
                    *trail_args(trace, self.retention_ms),
                ],
            ),
        )
        if result[0] == "not_found":
            raise StudentNotFound(student_id)
        if result[0] == "stale":
            raise StaleRevision(student_id)

    async def import_rows(
        self,
        rows: Sequence[StudentRow],
        *,
        now: datetime,
        on_conflict: ConflictMode,
        atomic: bool,
        trace: Trace = NO_TRACE,
        op: Operation | None = None,
        allow_duplicates: bool = False,
    ) -> tuple[bool, list[str]]:
        """Write many rows in one atomic step each (all in one with atomic); statuses per row.

        A row with the folded names and birth date of a registered student, or of a row before
        it, is refused as ``duplicate`` unless `allow_duplicates`. The batch is one operation
        (`op`, a new one by default): run again, it answers the statuses of its first run.
        """
        batch_op = op or self.new_operation()

        def request(years: Years) -> tuple[list[str], list[Any]]:
            args: list[Any] = [
                batch_op.ttl_ms,
                years.key(keys.course_index_prefix()),
                to_micros(now),
                on_conflict,
                "1" if atomic else "0",
                _duplicates_arg(allow_duplicates),
                years.key(keys.withdrawn_course_index_prefix()),
            ]
            for row in rows:
                args.extend(_stored(row))
            args += trail_args(trace, self.retention_ms)
            return _import_keys(rows, batch_op, years), args

        outcome, statuses = await self._yearly_write(self._import, request)
        return outcome == "ok", list(statuses)

    async def check_rows(self, rows: Sequence[tuple[str, str]]) -> list[tuple[bool, str]]:
        """For each (id, email_norm): whether the id is taken, and who has the email ('' none)."""
        args = [keys.student_key_prefix()]
        for student_id, email_norm in rows:
            args += (student_id, email_norm)
        with _translate_errors():
            flat = await self._check_import(keys=[keys.email_index()], args=args)
        return [(flat[i] == 1, flat[i + 1]) for i in range(0, len(flat), 2)]

    async def ine_owners(self, ines: Sequence[str]) -> list[str]:
        """For each INE, the id of the student who has it, '' for none (or for an empty INE)."""
        wanted = [ine for ine in ines if ine]
        if not wanted:
            return ["" for _ in ines]
        with _translate_errors():
            found = cast(list[str | None], await self.client.hmget(keys.ine_index(), wanted))
        owners = iter(found)
        return [(next(owners) or "") if ine else "" for ine in ines]

    async def find_duplicates(self, rows: Sequence[StudentRow]) -> list[list[str]]:
        """For each row, the other students registered under its folded names and birth date.

        Read in two round trips, for reports: the writes check the same atomically.
        """
        years = await self.years()
        orders = (years.key(keys.order_index()), years.key(keys.withdrawn_order_index()))
        with _translate_errors():
            async with self.client.pipeline(transaction=False) as pipe:
                for row in rows:
                    names = _names_of(row)
                    # Ids are ASCII letters, digits, _ and -: all sort before DEL.
                    for order in orders:
                        pipe.zrange(order, f"[{names}", f"({names}\x7f", bylex=True)
                named: list[list[str]] = await pipe.execute()
            ids = [
                [m[len(_names_of(row)) :] for m in [*enrolled, *withdrawn]]
                for row, enrolled, withdrawn in zip(rows, named[::2], named[1::2], strict=True)
            ]
            async with self.client.pipeline(transaction=False) as pipe:
                for found in ids:
                    for student_id in found:
                        pipe.hget(keys.student_key(student_id), "b")
                born: list[str | None] = list(await pipe.execute())
        duplicates = []
        for row, found in zip(rows, ids, strict=True):
            dates, born = born[: len(found)], born[len(found) :]
            wanted = _stored(row).birth_date
            duplicates.append(
                [
                    i
                    for i, b in zip(found, dates, strict=True)
                    if i != row.id and b is not None and b.replace("-", "") == wanted
                ]
            )
        return duplicates

    async def get(self, student_id: str, *, year: str = "") -> Fields | None:
        """One student's fields as of a year (the current one), or None."""
        years = await self.years()
        with _translate_errors():
            stored = cast(dict[str, str], await self.client.hgetall(keys.student_key(student_id)))
        return _student(student_id, stored, years, year) if stored else None

    async def get_many(self, student_ids: Sequence[str], *, year: str = "") -> list[Fields]:
        """The hashes of these students, in this order, leaving out any that are gone."""
        years = await self.years()
        with _translate_errors():
            async with self.client.pipeline(transaction=False) as pipe:
                for student_id in student_ids:
                    pipe.hgetall(keys.student_key(student_id))
                found: list[dict[str, str]] = await pipe.execute()
        return [
            _student(student_id, stored, years, year)
            for student_id, stored in zip(student_ids, found, strict=True)
            if stored
        ]

    async def walk(
        self,
        *,
        course: str | None,
        status: StatusFilter = "enrolled",
        words: Sequence[str] = (),
        plan: int = 0,
        wanted: int,
        backward: bool = False,
        inclusive: bool = False,
        start: WalkStart | None = None,
        budget: int = WALK_BUDGET,
        year: str = "",
    ) -> Walk:
        """Up to `wanted` students of a year (the current one) from a start on, in order (see
        walk.lua).

        Raises StaleCursor when the student it starts from no longer exists.
        """
        years = await self.years()
        year = year or years.current
        walk_keys: list[str] = []
        if status != "withdrawn":
            walk_keys += [keys.order_index(), keys.first_name_index()]
            if course is not None:
                walk_keys.append(keys.course_index(course))
        if status != "enrolled":
            walk_keys += [keys.withdrawn_order_index(), keys.withdrawn_first_name_index()]
            if course is not None:
                walk_keys.append(keys.withdrawn_course_index(course))
        walk_keys = [years.key(key, year) for key in walk_keys]
        if start is not None and start.student_id:
            walk_keys.append(keys.student_key(start.student_id))
            how, value = "id", start.student_id
        elif start is not None:
            how, value = "at", start.position
        else:
            how, value = "", ""
        args = [
            keys.student_key_prefix(),
            wanted,
            budget,
            plan,
            "b" if backward else "f",
            "1" if inclusive else "0",
            how,
            value,
            "f" if start is not None and start.at_first else "l",
            "1" if course is not None else "0",
            "1" if status == "all" else "0",
            *words,
        ]
        with _translate_errors():
            raw = await self._walk(keys=walk_keys, args=args)
        if raw[0] == "gone":
            raise StaleCursor()
        plan = int(raw[2])
        entries = []
        for i in range(6, len(raw), 2):
            if raw[i + 1]:
                sort_key = raw[i].split("\0", 1)[1] if plan else raw[i]
                student = _student(student_id_of(sort_key), _pairs(raw[i + 1]), years, year)
                entries.append((raw[i], student))
        return Walk(
            anchor_sort_key=raw[1],
            plan=plan,
            total=int(raw[3]),
            resume=raw[4],
            exhausted=raw[5] == 1,
            entries=entries,
        )

    async def iter_all(
        self,
        *,
        course: str | None,
        status: StatusFilter = "enrolled",
        batch: int = 1000,
        year: str = "",
    ) -> AsyncIterator[Fields]:
        """Every student of a status in a year (the current one) in order, read a batch at a
        time: constant memory."""
        year = year or (await self.years()).current
        start: WalkStart | None = None
        while True:
            # Every member a list reads is one of its students: the budget is the batch (two
            # when both statuses' indexes are read side by side).
            walk = await self.walk(
                course=course,
                status=status,
                wanted=batch,
                start=start,
                budget=2 * batch,
                year=year,
            )
            for _, fields in walk.entries:
                yield fields
            if walk.exhausted or not walk.entries:
                return
            start = WalkStart(position=walk.entries[-1][0])

    async def course_counts(
        self, status: StatusFilter = "enrolled", *, year: str = ""
    ) -> dict[str, int]:
        """Number of students of a status per course in a year (the current one)."""
        years = await self.years()
        names = {
            "enrolled": [keys.course_counts()],
            "withdrawn": [keys.withdrawn_course_counts()],
            "all": [keys.course_counts(), keys.withdrawn_course_counts()],
        }[status]
        totals: dict[str, int] = {}
        with _translate_errors():
            for name in names:
                counts = cast(
                    Fields, await self.client.hgetall(years.key(name, year or years.current))
                )
                for course, n in counts.items():
                    totals[course] = totals.get(course, 0) + int(n)
        return totals

    async def count(self, *, year: str = "") -> int:
        """Number of students enrolled in a year (the current one)."""
        years = await self.years()
        with _translate_errors():
            total: int = await self.client.zcard(
                years.key(keys.order_index(), year or years.current)
            )
        return total


def scan_hashes(client: Redis, *, match: str = "*") -> AsyncIterator[tuple[str, Any]]:
    """Every hash in a database with its fields, found with SCAN (never KEYS)."""

    async def walk() -> AsyncIterator[tuple[str, Any]]:
        with _translate_errors():
            async for key in client.scan_iter(match=match, count=1000, _type="HASH"):
                yield key, await client.hgetall(key)

    return walk()


async def scan_foreign_hashes(
    client: Redis, *, batch: int = 500
) -> AsyncIterator[list[tuple[str, dict[str, str]]]]:
    """Every hash in a database that is not one of ours, with its fields, a batch at a time.

    Found with SCAN (never KEYS); their fields are read with one pipelined round trip a batch.
    """
    ours = f"{keys.PREFIX}:"
    with _translate_errors():
        found: list[str] = []
        async for key in client.scan_iter(count=batch, _type="HASH"):
            if not key.startswith(ours):
                found.append(key)
            if len(found) == batch:
                yield await _read_hashes(client, found)
                found = []
        if found:
            yield await _read_hashes(client, found)


async def _read_hashes(client: Redis, found: list[str]) -> list[tuple[str, dict[str, str]]]:
    async with client.pipeline(transaction=False) as pipe:
        for key in found:
            pipe.hgetall(key)
        fields: list[dict[str, str]] = await pipe.execute()
    return [(key, value) for key, value in zip(found, fields, strict=True) if value]
