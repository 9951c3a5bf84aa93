"""Password rules (NIST SP 800-63B) and their Argon2id hashes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters

from student_registry.domain import passwords
from student_registry.domain.accounts import Actor, new_token, token_digest
from student_registry.errors import InvalidAccount


def test_the_common_password_list_has_at_least_3000_entries() -> None:
    assert len(passwords.common_passwords()) >= 3000


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("a" * 14, "at least 15 characters"),
        ("é" * 14, "at least 15 characters"),
        ("1q2w3e4r5t6y7u8i9o0p", "most common"),
        ("1Q2W3E4R5T6Y7U8I9O0P", "most common"),
        ("x" * 257, "at most 256"),
    ],
)
def test_a_password_is_refused_for_its_length_or_for_being_common(
    password: str, problem: str
) -> None:
    found = passwords.password_problem(password, min_length=15)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    "password",
    [
        "é" * 15,  # code points, not bytes
        "correct horse battery staple",
        "🙂" * 15,
        "a" * 64,
        "no Composition Rules at all here " * 2,
    ],
)
def test_long_uncommon_passwords_of_any_characters_are_accepted(password: str) -> None:
    assert passwords.password_problem(password, min_length=15) is None


def test_the_minimum_is_configurable() -> None:
    assert passwords.password_problem("zq8!kfw2", min_length=8) is None
    with pytest.raises(InvalidAccount):
        passwords.check_password("zq8!kfw2", min_length=9)


async def test_hashes_are_argon2id_with_at_least_owasps_parameters() -> None:
    stored = await passwords.hash_password("correct horse battery staple")
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2
    assert parameters.parallelism >= 1
    assert await passwords.verify_password("correct horse battery staple", stored) == (True, None)
    assert (await passwords.verify_password("wrong", stored))[0] is False


async def test_a_hash_made_with_other_parameters_is_replaced_at_sign_in() -> None:
    weak = PasswordHasher(memory_cost=8 * 1024, time_cost=1, parallelism=1).hash("pass phrase 123")
    valid, new_hash = await passwords.verify_password("pass phrase 123", weak)
    assert valid
    assert new_hash is not None
    assert extract_parameters(new_hash).memory_cost == 19 * 1024


def test_tokens_carry_the_scanner_prefix_and_32_random_bytes() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert token.startswith("srg_")
        assert len(token) == 4 + 43
        assert len(token_digest(token)) == 64


def test_a_read_only_token_never_writes_and_roles_are_ranked() -> None:
    viewer = Actor(email="v@x.org", role="viewer")
    admin_read_only = Actor(email="a@x.org", role="admin", token_id="t1", read_only=True)
    assert viewer.may("viewer", write=True)
    assert not viewer.may("staff", write=False)
    assert admin_read_only.may("admin", write=False)
    assert not admin_read_only.may("viewer", write=True)
    assert admin_read_only.name == "token:t1"
    assert viewer.name == "v@x.org"
