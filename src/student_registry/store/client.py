"""The Redis client: how it connects, how it retries, and what that means for writes."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple, TypeVar, cast

import hiredis
import redis
from redis.asyncio import Connection, Redis
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelManagedConnection
from redis.backoff import ExponentialBackoff
from redis.sentinel import Sentinel as BlockingSentinel
from redis.typing import EncodableT

from student_registry.metrics import REDIS_RETRIES

T = TypeVar("T")

RETRIES = 2
BACKOFF_CAP = 0.2
CONNECT_TIMEOUT_CAP = 2.0
# 96 random bits: no two operations share a record.
OPERATION_ID_BYTES = 12


class Operation(NamedTuple):
    """A write as Redis may run it more than once: where its outcome is recorded, how long.

    redis-py sends a command again when its reply did not come in time, though the first may
    have run. A write script that finds its operation's record answers the outcome recorded
    there instead of writing again. A retried command reuses its operation; a new call of the
    service makes a new one. An outcome to keep longer under a client's own key (an
    idempotency key, say) is an Operation with that key and lifetime.
    """

    key: str
    ttl_ms: int


def retry_window(*, socket_timeout: float, connect_timeout: float) -> float:
    """The longest redis-py may keep sending one command again, in seconds (see connect).

    Each of the 1 + RETRIES attempts may open a connection (connect_timeout), wait for the
    replies to its handshake (socket_timeout), then to the command (socket_timeout); the
    backoff waits at most BACKOFF_CAP between two.
    """
    attempt = connect_timeout + 2 * socket_timeout
    return (1 + RETRIES) * attempt + RETRIES * BACKOFF_CAP


def outcome_lifetime_ms(*, socket_timeout: float, connect_timeout: float) -> int:
    """How long an operation's outcome is kept: long enough for any retry of it to find it.

    Every attempt is sent within the retry window that starts when the first is, and runs, if
    it ever does, when Redis serves it, which can be after the window only if Redis stalls then
    (a retry sent as the window ends and served just before its reply would time out), hence one
    more socket timeout. With the defaults (5 s, 2 s to connect) that is 42 s; a record is about
    a hundred bytes, so even a thousand writes a second keep only a few megabytes of them.
    """
    window = retry_window(socket_timeout=socket_timeout, connect_timeout=connect_timeout)
    return math.ceil(window + socket_timeout) * 1000


def _packed(args: tuple[EncodableT, ...]) -> list[bytes] | None:
    """The command in the Redis protocol as one buffer packed by hiredis; None when it cannot."""
    if isinstance(args[0], str) and " " in args[0]:
        return None  # "CONFIG GET": redis-py splits the words
    try:
        return [hiredis.pack_command(cast(Any, args))]
    except TypeError:
        return None


class PackedConnection(Connection):
    """A TCP connection that packs commands in C with hiredis, as redis-py's sync client does.

    The asyncio client packs them in Python, argument by argument: for a batch of 2,000
    students (16,000 arguments) that took longer than Redis takes to run the batch.
    """

    def pack_command(self, *args: EncodableT) -> list[bytes]:
        """The command in the Redis protocol, as one buffer."""
        return _packed(args) or super().pack_command(*args)


class PackedSentinelConnection(SentinelManagedConnection):
    """A connection to the primary the Sentinels name, packing commands as PackedConnection.

    Each new connection asks the Sentinels where the primary is; one that finds itself on a
    replica (after a promotion) fails with ConnectionError and is dropped.
    """

    def pack_command(self, *args: EncodableT) -> list[bytes]:
        """The command in the Redis protocol, as one buffer."""
        return _packed(args) or super().pack_command(*args)


class CountedRetry(Retry):
    """redis-py's retry, counting each command it sends again (the redis_retries metric)."""

    async def call_with_retry(
        self,
        do: Callable[[], Awaitable[T]],
        fail: Callable[..., Any],
        is_retryable: Callable[[Exception], bool] | None = None,
        with_failure_count: bool = False,
    ) -> T:
        """Run `do`, again on the errors retried; count the failures that are retried."""

        # Called on failures only: a command that succeeds costs nothing more.
        async def counted(error: Exception, failures: int) -> None:
            if self._retries < 0 or failures <= self._retries:
                REDIS_RETRIES.inc()
            await (fail(error, failures) if with_failure_count else fail(error))

        return await super().call_with_retry(do, counted, is_retryable, True)


def _options(*, timeout: float, password: str | None) -> dict[str, Any]:
    """The connection options both clients share."""
    return {
        "decode_responses": True,
        "password": password,
        # No CLIENT SETINFO at each connection: a round trip, and a command the service's
        # Redis user is not given.
        "driver_info": None,
        "socket_connect_timeout": min(timeout, CONNECT_TIMEOUT_CAP),
        "socket_timeout": timeout,
    }


def _through_sentinels(url: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options with the URL's database and credentials, and how to reach the Sentinels:
    logged in as the same user, with the same password, as to Redis."""
    given = parse_url(url)
    options.update((name, given[name]) for name in ("db", "username", "password") if name in given)
    return {
        "username": options.get("username"),
        "password": options["password"],
        "driver_info": None,
        "socket_timeout": options["socket_connect_timeout"],
        "socket_connect_timeout": options["socket_connect_timeout"],
    }


def connect(
    url: str,
    *,
    timeout: float = 5.0,
    password: str | None = None,
    sentinels: Sequence[tuple[str, int]] = (),
    master: str = "",
) -> Redis:
    """A client that fails fast while Redis is away and reconnects by itself when it is back.

    `password` is used when the URL has none (a user name may be in the URL).

    It sends a command again when its reply does not come (RETRIES times): reads are safe to
    repeat, and every write script is made safe to (see Operation). With `sentinels`, it
    connects to the primary they name `master`, and asks them again on each new connection;
    the URL then gives only the database and the credentials, which log in to the Sentinels
    too.
    """
    options = _options(timeout=timeout, password=password)
    # A connection Redis dropped fails its next command, which the retry runs again on a new
    # one: no health check (a PING, and a clock read on every command) is needed.
    options["retry"] = CountedRetry(ExponentialBackoff(cap=BACKOFF_CAP, base=0.02), retries=RETRIES)
    if not sentinels:
        # The URL picks its own connection class for unix:// and rediss://.
        return Redis.from_url(url, connection_class=PackedConnection, **options)
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(sentinels), sentinel_kwargs=_through_sentinels(url, options)
    )
    client: Redis = sentinel.master_for(
        master, connection_class=PackedSentinelConnection, **options
    )
    return client


def connect_blocking(
    url: str,
    *,
    timeout: float = 5.0,
    password: str | None = None,
    sentinels: Sequence[tuple[str, int]] = (),
    master: str = "",
) -> redis.Redis:
    """A synchronous client, for a thread that is not on an event loop (the metrics server),
    connecting as `connect` does."""
    options = _options(timeout=timeout, password=password)
    if not sentinels:
        return redis.Redis.from_url(url, **options)
    sentinel = BlockingSentinel(  # type: ignore[no-untyped-call]
        list(sentinels), sentinel_kwargs=_through_sentinels(url, options)
    )
    client: redis.Redis = sentinel.master_for(master, **options)  # type: ignore[no-untyped-call]
    return client


async def close(client: Redis) -> None:
    """Close a client's connections, and those it keeps to the Sentinels."""
    await client.aclose()
    manager = getattr(client.connection_pool, "sentinel_manager", None)
    if isinstance(manager, Sentinel):
        for sentinel in manager.sentinels:
            await sentinel.aclose()
