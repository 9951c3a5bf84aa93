"""Users, tokens and signed-in sessions for tests, written straight into the test Redis.

The password hash is computed once per run: creating a user this way costs two Redis calls,
not an Argon2 hash, so every test can start signed in.
"""

from __future__ import annotations

import time
from functools import cache
from typing import NamedTuple

import msgspec

from student_registry.domain.accounts import Accounts, Role, TokenCreate
from student_registry.domain.passwords import hasher
from student_registry.store.accounts_store import AccountsStore
from student_registry.store.client import connect
from student_registry.store.session_store import SessionStore

PASSWORD = "correct horse battery staple"
ADMIN_EMAIL = "admin@example.org"
SESSION_COOKIE = "sr_session"


class Credentials(NamedTuple):
    """A user's ways in: an API token and a page session id."""

    email: str
    role: Role
    token: str
    session_id: str


@cache
def password_hash() -> str:
    """The hash of PASSWORD, made once."""
    return hasher().hash(PASSWORD)


async def sign_up(
    redis_url: str,
    email: str,
    role: Role,
    *,
    read_only: bool = False,
    with_user: bool = True,
    signed_in: float | None = None,
) -> Credentials:
    """Create a user with PASSWORD (unless with_user is False), a token and a session
    (signed in now, or at `signed_in`)."""
    client = connect(redis_url, timeout=2.0)
    try:
        store = AccountsStore(client)
        if with_user:
            await store.create_user(
                email=email,
                email_norm=email.lower(),
                role=role,
                password_hash=password_hash(),
                created=int(time.time()),
            )
        accounts = Accounts(store)
        token = await accounts.create_token(email, TokenCreate(name="tests", read_only=read_only))
        user = await accounts.get_user(email)
        session_id = await accounts.open_session(user, ttl_seconds=8 * 3600)
        when = int(time.time() if signed_in is None else signed_in)
        data = {"email": user.email, "role": user.role, "signed_in": when}
        await SessionStore(client).set(session_id, msgspec.json.encode(data), expires_in=1800)
        return Credentials(email, role, token.token, session_id)
    finally:
        await client.aclose()
