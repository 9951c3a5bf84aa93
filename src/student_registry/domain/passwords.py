"""Passwords: the NIST SP 800-63B rules they must meet, and their Argon2id hashes.

The list of common passwords is Django's (django/contrib/auth/common-passwords.txt.gz, BSD-3-Clause,
Copyright (c) Django Software Foundation): 20,000 passwords, lower-cased, compiled by Royce Williams
(https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce).
"""

from __future__ import annotations

import asyncio
import gzip
from functools import cache
from importlib import resources

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from student_registry.errors import FieldError, InvalidAccount
from student_registry.messages import N_

# OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane. A stored hash made with other
# parameters is replaced at the next sign-in.
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1
# Longer than NIST's 64 so that passphrases fit; bounded so a huge body cannot cost a hash.
PASSWORD_MAX_LENGTH = 256
PASSWORD_TOO_SHORT = N_("must be at least {n} characters long")
PASSWORD_TOO_LONG = N_("must be at most {n} characters long")
COMMON_PASSWORD = N_("is one of the most common passwords; choose another")


@cache
def hasher() -> PasswordHash:
    """The Argon2id hasher with this service's parameters."""
    return PasswordHash(
        (
            Argon2Hasher(
                memory_cost=ARGON2_MEMORY_KIB,
                time_cost=ARGON2_TIME_COST,
                parallelism=ARGON2_PARALLELISM,
            ),
        )
    )


@cache
def common_passwords() -> frozenset[str]:
    """The common passwords, lower-cased."""
    data = resources.files("student_registry.domain") / "data" / "common-passwords.txt.gz"
    return frozenset(gzip.decompress(data.read_bytes()).decode().split())


def password_problem(password: str, *, min_length: int) -> str | None:
    """Why a new password is refused, or None. Lengths count code points; no other rules."""
    if len(password) < min_length:
        return PASSWORD_TOO_SHORT.format(n=min_length)
    if len(password) > PASSWORD_MAX_LENGTH:
        return PASSWORD_TOO_LONG.format(n=PASSWORD_MAX_LENGTH)
    if password.strip().lower() in common_passwords():
        return COMMON_PASSWORD
    return None


def check_password(password: str, *, min_length: int) -> None:
    """Raise InvalidAccount when a new password breaks the rules."""
    if problem := password_problem(password, min_length=min_length):
        raise InvalidAccount([FieldError(path="password", message=problem)])


async def hash_password(password: str) -> str:
    """The Argon2id hash of a password, computed off the event loop."""
    return await asyncio.to_thread(hasher().hash, password)


async def verify_password(password: str, stored_hash: str) -> tuple[bool, str | None]:
    """Whether the password matches, and a new hash when the parameters changed (off the loop)."""
    return await asyncio.to_thread(hasher().verify_and_update, password, stored_hash)


@cache
def dummy_hash() -> str:
    """A hash to verify against when the email is unknown: failures take the same time."""
    return hasher().hash("not the password of anyone: a constant-time stand-in")
