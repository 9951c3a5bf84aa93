"""Every key a Lua script touches is declared in its KEYS, but for the exceptions store/ gives.

Redis's MONITOR shows each script call with its KEYS, then every command the script runs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.service import Registry, to_row
from student_registry.domain.validation import parse
from student_registry.domain.years import RolloverRequest
from student_registry.school_years import next_year
from student_registry.store import keys
from student_registry.store.accounts_store import AccountsStore, Throttle
from student_registry.store.redis_store import RedisStore, StudentRow
from tests.builders import student_body

_QUOTED = re.compile(rb'"((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|.)", re.DOTALL)
_NAMED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"a": b"\a", b"b": b"\b"}
END = "end-of-monitor"


def _unescape(text: bytes) -> str:
    """An argument as MONITOR quotes it (sdscatrepr), back as it was."""

    def one(match: re.Match[bytes]) -> bytes:
        escaped = match.group(1)
        if escaped.startswith(b"x") and len(escaped) == 3:
            return bytes([int(escaped[1:], 16)])
        return _NAMED.get(escaped, escaped)

    return _ESCAPE.sub(one, text).decode(errors="replace")


@dataclass
class Call:
    """One script call: its phase (the test's last ECHO), its KEYS, and the commands it ran."""

    phase: str
    declared: list[str]
    commands: list[list[str]] = field(default_factory=list)


@contextmanager
def monitored(redis_url: str) -> Iterator[list[Call]]:
    """Script calls seen by MONITOR while the block runs (filled when it ends)."""
    client = redis.Redis.from_url(redis_url)
    connection = client.connection_pool.get_connection()
    connection.send_command("MONITOR")
    assert connection.read_response() == b"OK"
    lines: list[bytes] = []

    def read() -> None:
        while True:
            line = connection.read_response()
            assert isinstance(line, bytes)
            lines.append(line)
            if END.encode() in line:
                return

    reader = threading.Thread(target=read)
    reader.start()
    calls: list[Call] = []
    try:
        yield calls
    finally:
        client.echo(END)
        reader.join(timeout=10)
        connection.disconnect()
        client.close()
    phase = ""
    for line in lines:
        source = line.split(b"]", 1)[0].split(b" ", 2)[-1]
        args = [_unescape(arg) for arg in _QUOTED.findall(line)]
        name = args[0].upper()
        if source == b"lua":
            calls[-1].commands.append([name, *args[1:]])
        elif name == "ECHO":
            phase = args[1]
        elif name in {"EVALSHA", "EVAL"}:
            calls.append(Call(phase=phase, declared=args[3 : 3 + int(args[2])]))


# What store/ says a script cannot declare, by phase: (command, prefix of the key).
STUDENT = keys.student_key_prefix()
COURSE = keys.course_index_prefix()
WITHDRAWN_COURSE = keys.withdrawn_course_index_prefix()
YEAR_PREFIX = f"{keys.PREFIX}:y:"
UNDECLARED = {
    # create.lua, import.lua: the hashes of the students a new one may duplicate.
    "create": {("HGET", STUDENT)},
    "import": {("HGET", STUDENT)},
    # import.lua: the course an update-mode import moves a student out of (of either status).
    "import-update": {("ZREM", COURSE), ("ZREM", WITHDRAWN_COURSE), ("HGET", STUDENT)},
    # walk.lua: the hashes of the students an index walk finds.
    "list": {("HGETALL", STUDENT)},
    "search": {("HGETALL", STUDENT)},
    # rollover.lua: the hashes of the students it moves, and their courses' indexes.
    "rollover": {
        ("HMGET", STUDENT),
        ("HSET", STUDENT),
        ("ZADD", YEAR_PREFIX),
        ("ZREM", COURSE),
        ("ZADD", WITHDRAWN_COURSE),
    },
    # lib.lua other_years: the indexes of a student's enrolments in earlier years, which a
    # change of its names or its deletion updates.
    "earlier-years": {
        ("ZREM", keys.PREFIX + ":idx:"),
        ("ZADD", keys.PREFIX + ":idx:"),
        ("ZREM", keys.PREFIX + ":w:idx:"),
        ("ZADD", keys.PREFIX + ":w:idx:"),
        ("HINCRBY", keys.PREFIX + ":courses"),
        ("HDEL", keys.PREFIX + ":courses"),
        ("HINCRBY", keys.PREFIX + ":w:courses"),
        ("HDEL", keys.PREFIX + ":w:courses"),
    },
    # Accounts: keys named by what the script reads (a token's digest or owner, set members).
    "accounts": {
        ("HMGET", keys.user_key_prefix()),
        ("HGET", keys.token_key_prefix()),
        ("DEL", keys.token_key_prefix()),
        ("SREM", keys.user_tokens_prefix()),
        ("DEL", keys.session_key_prefix()),
    },
}


async def use_accounts(accounts: AccountsStore) -> None:
    """Run every accounts script once: users, tokens, sessions, sign-in throttling."""
    owner = "ada@example.org"
    await accounts.create_user(
        email=owner, email_norm=owner, role="staff", password_hash="x", created=1
    )
    for token_id in ("t1", "t2"):
        await accounts.create_token(
            token_id=token_id,
            digest=f"digest-{token_id}",
            owner=owner,
            name=token_id,
            expires=2**40,
            read_only=False,
            created=1,
        )
    assert await accounts.authenticate_token("digest-t1", now=2, touch_every=1) is not None
    await accounts.revoke_token("t1", owner=owner)
    await accounts.add_session(owner, "s1", ttl_seconds=60)
    await accounts.update_user(owner, {"role": "viewer"}, end_access=True)
    policy = Throttle(3, 100, 1000, 10, 60_000)
    await accounts.throttle_wait(owner, "127.0.0.1", now_ms=1, policy=policy)
    await accounts.record_failure(owner, "127.0.0.1", now_ms=1, policy=policy)


async def test_every_key_a_script_touches_is_declared_or_a_documented_exception(
    registry: Registry, store: RedisStore, redis_url: str
) -> None:
    now = datetime.now(UTC)

    def rows(*bodies: dict[str, str]) -> list[StudentRow]:
        return [to_row(parse(b, StudentCreate), b["id"]) for b in bodies]

    with monitored(redis_url) as calls:
        await store.client.echo("create")
        await registry.register_student(
            parse(student_body(id="s1", email="a@x.org", ine="1234567890A"), StudentCreate)
        )
        # Same names, another birth date: the duplicate check reads s1's.
        await registry.register_student(
            parse(
                student_body(id="s2", course="4e", birth_date="2010-01-02", ine="2234567890A"),
                StudentCreate,
            )
        )
        await store.client.echo("replace")
        await registry.update_student("s1", StudentPatch(course="5e", last_name="Zola"))
        await store.client.echo("withdrawal")
        left = StudentPatch(status="withdrawn", exit_date=now.date(), exit_reason="Moved")
        await registry.update_student("s1", left)
        await registry.update_student("s1", StudentPatch(status="enrolled"))
        await registry.update_student("s1", left)
        await store.client.echo("import")
        batch = rows(
            student_body(id="s3", course="6e", birth_date="2008-01-02", ine="3234567890A"),
            student_body(id="s4", course="5e", birth_date="2007-01-02"),
        )
        await store.import_rows(batch, now=now, on_conflict="fail", atomic=True)
        await store.import_rows(batch, now=now, on_conflict="skip", atomic=False)
        await store.client.echo("import-update")
        moved = rows(
            student_body(id="s3", course="3e", birth_date="2008-01-02", ine="4234567890A"),
            student_body(id="s5", course="3e", birth_date="2006-01-02"),
            # s4 leaves, s1 comes back (out of the withdrawn students' 5e).
            student_body(
                id="s4",
                course="5e",
                birth_date="2007-01-02",
                status="withdrawn",
                entry_date="2024-09-02",
                exit_date="2025-02-14",
                exit_reason="Moved",
            ),
            student_body(id="s1", last_name="Zola", course="4e"),
        )
        await store.import_rows(moved, now=now, on_conflict="update", atomic=False)
        await store.client.echo("delete")
        await registry.delete_student("s2")
        await registry.delete_student("s4")
        await store.client.echo("list")
        page = await registry.list_students(limit=1)
        await registry.list_students(limit=1, cursor=page.next_cursor)
        await registry.list_students(limit=10, course="3e")
        page = await registry.list_students(limit=1, status="all")
        await registry.list_students(limit=1, cursor=page.next_cursor, status="all")
        await registry.list_students(limit=10, course="5e", status="withdrawn")
        await store.client.echo("search")
        page = await registry.list_students(limit=1, q="dur")
        await registry.list_students(limit=1, q="dur", cursor=page.next_cursor)
        await registry.list_students(limit=10, q="zol éloïse", course="5e")
        await registry.list_students(limit=10, q="dur", status="all")
        await registry.list_students(limit=10, q="zol", course="4e", status="withdrawn")
        await store.client.echo("accounts")
        await use_accounts(AccountsStore(store.client))
        await store.client.echo("rollover")
        live = (await store.years()).live
        following = next_year(live)
        mapping: dict[str, str | None] = {"3e": None, "4e": "3e", "5e": "4e", "6e": "5e"}
        await registry.years.rollover(
            RolloverRequest(from_year=live, to_year=following, mapping=mapping)
        )
        await store.client.echo("earlier-years")
        await registry.update_student("s3", StudentPatch(last_name="Martin"))
        await registry.update_student("s1", StudentPatch(first_name="Ada"))
        await registry.delete_student("s3")
        await registry.delete_student("s1")

    assert {call.phase for call in calls} == {
        "create",
        "replace",
        "withdrawal",
        "import",
        "import-update",
        "delete",
        "list",
        "search",
        "accounts",
        "rollover",
        "earlier-years",
    }
    assert sum(len(call.commands) for call in calls if call.phase == "accounts") >= 20
    for call in calls:
        allowed = UNDECLARED.get(call.phase, set())
        for command in call.commands:
            name, key = command[0], command[1]
            if key in call.declared:
                continue
            assert any(name == c and key.startswith(p) for c, p in allowed), (call.phase, command)
