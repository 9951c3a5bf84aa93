"""How domain errors map to HTTP statuses, and how ETags are written and read."""

from __future__ import annotations

import pytest

from student_registry.api.problems import describe_domain_error
from student_registry.api.students import etag
from student_registry.domain.preconditions import exact_revision, parse_if_match
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
    ("header", "accepted", "refused"),
    [
        ('"7"', ["7"], ["8", ""]),
        (' "7" ', ["7"], ["8"]),
        ('"7", "8"', ["7", "8"], ["9"]),
        ('"7",,"8"', ["7", "8"], ["9"]),
        ('"a,b"', ["a,b"], ["a", "b"]),
        ("*", ["7", "anything"], []),
        ('W/"7"', [], ["7"]),
        ('W/"7", "8"', ["8"], ["7"]),
        ('""', [], ["", '""']),
        ("7", [], ["7"]),
        ('"7" "8"', [], ["7", "8"]),
        ('"7', [], ["7"]),
        ("", [], ["", "7"]),
        ('*, "7"', [], ["7"]),
    ],
)
def test_if_match_compares_strongly_as_rfc_9110_says(
    header: str, accepted: list[str], refused: list[str]
) -> None:
    precondition = parse_if_match(header)
    assert precondition is not None
    assert all(precondition.accepts(revision) for revision in accepted)
    assert not any(precondition.accepts(revision) for revision in refused)


def test_no_if_match_header_sets_no_precondition() -> None:
    assert parse_if_match(None) is None


def test_a_form_revision_matches_only_itself_and_an_empty_one_nothing() -> None:
    assert exact_revision("7").accepts("7")
    assert not exact_revision("7").accepts("8")
    assert not exact_revision("").accepts("")


def test_etag_is_the_quoted_revision_and_reads_back() -> None:
    assert etag("42") == '"42"'
    precondition = parse_if_match(etag("42"))
    assert precondition is not None
    assert precondition.accepts("42")
