"""How domain errors map to HTTP statuses, and how ETags are written and read."""

from __future__ import annotations

import pytest

from student_registry.api.problems import describe_domain_error
from student_registry.api.students import etag, parse_if_match
from student_registry.errors import (
    EmailTaken,
    FieldError,
    InvalidCursor,
    InvalidStudent,
    RegistryError,
    StaleRevision,
    StoreUnavailable,
    StudentExists,
    StudentNotFound,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (StoreUnavailable("down"), 503),
        (InvalidStudent([FieldError("id", "bad")]), 422),
        (InvalidCursor("bad"), 400),
        (StudentNotFound("s1"), 404),
        (StudentExists("s1"), 409),
        (EmailTaken("a@b.org"), 409),
        (StaleRevision("s1"), 412),
    ],
)
def test_each_domain_error_has_its_status(error: RegistryError, status: int) -> None:
    assert describe_domain_error(error)[0] == status


def test_an_unmapped_domain_error_is_an_internal_error() -> None:
    class Surprise(RegistryError):
        pass

    assert describe_domain_error(Surprise())[0] == 500


def test_stale_revision_is_412_although_it_is_a_conflict() -> None:
    status, _, slug = describe_domain_error(StaleRevision("s1"))
    assert (status, slug) == (412, "stale-revision")


@pytest.mark.parametrize(
    ("header", "revision"),
    [(None, None), ("*", None), (' "7" ', "7"), ('W/"7"', "7"), ("7", "7")],
)
def test_if_match_names_a_revision_or_none(header: str | None, revision: str | None) -> None:
    assert parse_if_match(header) == revision


def test_etag_is_the_quoted_revision_and_reads_back() -> None:
    assert etag("42") == '"42"'
    assert parse_if_match(etag("42")) == "42"
