"""Users, API tokens, page-session bookkeeping and sign-in throttling in Redis.

Every write that touches more than one key is one Lua script: a user's change and the end of
their sessions and tokens happen together or not at all.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from student_registry.errors import TokenNotFound, UserExists, UserNotFound
from student_registry.store import keys
from student_registry.store.client import OPERATION_ID_BYTES, outcome_lifetime_ms
from student_registry.store.redis_store import (
    DAY_MS,
    DEFAULT_SOCKET_TIMEOUT,
    NO_TRACE,
    Trace,
    _load_script,
    _translate_errors,
    trail_args,
)

# A user or a token as the store reads it: full field names, values as stored (strings).
Record = dict[str, str]


class TokenOwner(NamedTuple):
    """Who a valid token acts for, as the token's check reads it in one round trip."""

    token_id: str
    email: str
    role: str
    read_only: bool


class Throttle(NamedTuple):
    """How failed sign-ins slow down the next ones."""

    free_failures: int  # consecutive failures of an account before any delay
    first_delay_ms: int
    longest_delay_ms: int
    address_budget: int  # failures from one address per window
    address_window_ms: int


def _named(stored: dict[str, str], names: dict[str, str]) -> Record:
    return {names[field]: value for field, value in stored.items() if field in names}


class AccountsStore:
    """The accounts' keys (keys.py, from USER_FIELDS on) over a Redis client."""

    def __init__(self, client: Redis, *, audit_retention_days: int = 365) -> None:
        self.client = client
        self.retention_ms = audit_retention_days * DAY_MS
        # A change to a user records its outcome, as a student's does (RedisStore).
        options = client.connection_pool.connection_kwargs
        socket_timeout = options.get("socket_timeout") or DEFAULT_SOCKET_TIMEOUT
        self.outcome_lifetime_ms = outcome_lifetime_ms(
            socket_timeout=socket_timeout,
            connect_timeout=options.get("socket_connect_timeout") or socket_timeout,
        )

        def audited(name: str) -> AsyncScript:
            return client.register_script(_load_script(name, "audit.lua"))

        self._user_create = audited("user_create.lua")
        self._user_update = audited("user_update.lua")
        self._token_create = audited("token_create.lua")
        self._token_revoke = audited("token_revoke.lua")
        self._token_auth = client.register_script(_load_script("token_auth.lua"))
        self._throttle_check = client.register_script(_load_script("throttle_check.lua"))
        self._throttle_fail = audited("throttle_fail.lua")
        self._login_success = audited("login_success.lua")

    def _trail(self, trace: Trace, changed: str = "") -> list[str]:
        return trail_args(trace, self.retention_ms, changed)

    async def create_user(
        self,
        *,
        email: str,
        email_norm: str,
        role: str,
        password_hash: str,
        created: int,
        trace: Trace = NO_TRACE,
        only_first: bool = False,
    ) -> bool:
        """Store a new user; False when only_first and a user exists already."""
        with _translate_errors():
            result = await self._user_create(
                keys=[keys.user_key(email_norm), keys.users_index(), keys.audit_stream()],
                args=[
                    email,
                    email_norm,
                    role,
                    password_hash,
                    created,
                    "1" if only_first else "0",
                    *self._trail(trace, "r"),
                ],
            )
        if result == "exists":
            raise UserExists(email)
        return bool(result == "ok")

    async def get_user(self, email_norm: str) -> Record | None:
        """One user's fields, or None."""
        with _translate_errors():
            stored = cast(dict[str, str], await self.client.hgetall(keys.user_key(email_norm)))
        return _named(stored, keys.USER_FIELDS) if stored else None

    async def list_users(self) -> list[Record]:
        """Every user, ordered by lower-cased email."""
        with _translate_errors():
            emails = sorted(cast(set[str], await self.client.smembers(keys.users_index())))
            async with self.client.pipeline(transaction=False) as pipe:
                for email_norm in emails:
                    pipe.hgetall(keys.user_key(email_norm))
                found: list[dict[str, str]] = await pipe.execute()
        return [_named(stored, keys.USER_FIELDS) for stored in found if stored]

    async def count_users(self) -> int:
        """Number of users."""
        with _translate_errors():
            return int(await self.client.scard(keys.users_index()))

    async def update_user(
        self, email_norm: str, changes: dict[str, str], *, end_access: bool, trace: Trace = NO_TRACE
    ) -> None:
        """Set fields of a user ('' deletes one); end_access ends their sessions and tokens."""
        fields = {name: field for field, name in keys.USER_FIELDS.items()}
        args: list[Any] = [
            keys.token_key_prefix(),
            keys.session_key_prefix(),
            "1" if end_access else "0",
            self.outcome_lifetime_ms,
        ]
        for name, value in changes.items():
            args += (fields[name], value)
        args += (email_norm, *self._trail(trace, "".join(fields[name] for name in changes)))
        with _translate_errors():
            result = await self._user_update(
                keys=[
                    keys.user_key(email_norm),
                    keys.user_tokens(email_norm),
                    keys.user_sessions(email_norm),
                    keys.token_ids(),
                    keys.audit_stream(),
                    keys.operation_record(secrets.token_urlsafe(OPERATION_ID_BYTES)),
                ],
                args=args,
            )
        if result == "not_found":
            raise UserNotFound(email_norm)

    async def add_session(self, email_norm: str, session_id: str, *, ttl_seconds: int) -> None:
        """Remember a page session of a user, so that a change to the user can end it."""
        key = keys.user_sessions(email_norm)
        with _translate_errors():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.sadd(key, session_id)
                pipe.expire(key, ttl_seconds)
                await pipe.execute()

    async def create_token(
        self,
        *,
        token_id: str,
        digest: str,
        owner: str,
        name: str,
        expires: int,
        read_only: bool,
        created: int,
        trace: Trace = NO_TRACE,
    ) -> None:
        """Store a token's digest and details; UserNotFound for a missing or disabled owner."""
        with _translate_errors():
            result = await self._token_create(
                keys=[
                    keys.token_key(digest),
                    keys.token_ids(),
                    keys.user_tokens(owner),
                    keys.user_key(owner),
                    keys.audit_stream(),
                ],
                args=[
                    token_id,
                    digest,
                    owner,
                    name,
                    expires,
                    "1" if read_only else "",
                    created,
                    *self._trail(trace),
                ],
            )
        if result == "no_user":
            raise UserNotFound(owner)

    async def revoke_token(
        self, token_id: str, *, trace: Trace = NO_TRACE, owner: str = ""
    ) -> None:
        """Delete a token by id; only if it is `owner`'s when one is given."""
        with _translate_errors():
            result = await self._token_revoke(
                keys=[keys.token_ids(), keys.audit_stream()],
                args=[
                    token_id,
                    keys.token_key_prefix(),
                    keys.user_tokens_prefix(),
                    owner,
                    *self._trail(trace),
                ],
            )
        if result == "not_found":
            raise TokenNotFound(token_id)

    async def list_tokens(self, owner: str | None) -> list[Record]:
        """The tokens of one user (None: everyone's), without secrets; drops expired ids."""
        with _translate_errors():
            if owner is None:
                pairs = cast(dict[str, str], await self.client.hgetall(keys.token_ids()))
            else:
                ids = sorted(cast(set[str], await self.client.smembers(keys.user_tokens(owner))))
                digests = await self.client.hmget(keys.token_ids(), ids) if ids else []
                pairs = {i: str(d) for i, d in zip(ids, digests, strict=True) if d}
            async with self.client.pipeline(transaction=False) as pipe:
                for digest in pairs.values():
                    pipe.hgetall(keys.token_key(digest))
                found: list[dict[str, str]] = await pipe.execute()
            gone = [i for i, stored in zip(pairs, found, strict=True) if not stored]
            if gone:
                await self._forget_tokens(gone, owner)
        return [_named(stored, keys.TOKEN_FIELDS) for stored in found if stored]

    async def _forget_tokens(self, token_ids: Sequence[str], owner: str | None) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.hdel(keys.token_ids(), *token_ids)
            if owner is not None:
                pipe.srem(keys.user_tokens(owner), *token_ids)
            await pipe.execute()

    async def authenticate_token(
        self, digest: str, *, now: int, touch_every: int
    ) -> TokenOwner | None:
        """The owner of a valid token (not expired, owner enabled), in one round trip."""
        with _translate_errors():
            found = await self._token_auth(
                keys=[keys.token_key(digest)],
                args=[now, keys.user_key_prefix(), touch_every],
            )
        if not found:
            return None
        token_id, email, role, read_only = found
        return TokenOwner(token_id, email, role, read_only == "1")

    async def throttle_wait(
        self, email_norm: str, address: str, *, now_ms: int, policy: Throttle
    ) -> int:
        """Milliseconds a sign-in for this account from this address must still wait."""
        with _translate_errors():
            wait = await self._throttle_check(
                keys=[keys.account_failures(email_norm), keys.address_failures(address)],
                args=[now_ms, policy.address_budget],
            )
        return int(wait)

    async def record_failure(
        self,
        email_norm: str,
        address: str,
        *,
        now_ms: int,
        policy: Throttle,
        trace: Trace = NO_TRACE,
    ) -> int:
        """Count a failed sign-in, and trail it; the delay (ms) it now imposes on the account."""
        with _translate_errors():
            delay = await self._throttle_fail(
                keys=[
                    keys.account_failures(email_norm),
                    keys.address_failures(address),
                    keys.audit_stream(),
                ],
                args=[
                    now_ms,
                    policy.free_failures,
                    policy.first_delay_ms,
                    policy.longest_delay_ms,
                    policy.address_window_ms,
                    email_norm,
                    *self._trail(trace, address),
                ],
            )
        return int(delay)

    async def record_success(
        self, email_norm: str, address: str, *, trace: Trace = NO_TRACE
    ) -> None:
        """Forget an account's failed sign-ins, and trail its sign-in from this address."""
        with _translate_errors():
            await self._login_success(
                keys=[keys.account_failures(email_norm), keys.audit_stream()],
                args=[email_norm, *self._trail(trace, address)],
            )
