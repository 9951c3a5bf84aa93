"""The rules of the registration fields: INE forms, phone numbers, guardians and their storage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any, Literal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from student_registry.domain.bulk_formats import encode_students, parser_for
from student_registry.domain.models import (
    Guardian,
    Student,
    StudentCreate,
    StudentPatch,
    decode_guardians,
    encode_guardians,
)
from student_registry.domain.phones import PHONE_MAX, PHONE_PATTERN, display_phone, normalize_phone
from student_registry.domain.validation import parse
from student_registry.errors import InvalidStudent
from tests.builders import student_body


def errors_of(body: dict[str, Any], model: Any = StudentCreate) -> dict[str, str]:
    with pytest.raises(InvalidStudent) as caught:
        parse(body, model)
    return {e.path: e.message for e in caught.value.errors}


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("1234567890A", "1234567890A"),
        ("1234567890a", "1234567890A"),
        ("123456789ab", "123456789AB"),
    ],
)
def test_both_ine_forms_are_taken_and_stored_upper_cased(written: str, stored: str) -> None:
    assert parse(student_body(ine=written), StudentCreate).ine == stored


@pytest.mark.parametrize(
    "ine",
    [
        "12345678901",
        "1234567890",
        "1234567890AB",
        "12345678ABC",
        "A234567890B",
        "1234567890É",
        " 1234567890A",
        "1234567890A\n",
        "\uff11234567890A",  # a fullwidth digit one
    ],
)
def test_other_ine_forms_are_refused(ine: str) -> None:
    assert "ine" in errors_of(student_body(ine=ine))


@given(
    st.one_of(
        st.tuples(
            st.text("0123456789", min_size=10, max_size=10),
            st.text("abcXYZ", min_size=1, max_size=1),
        ),
        st.tuples(
            st.text("0123456789", min_size=9, max_size=9), st.text("abcXYZ", min_size=2, max_size=2)
        ),
    )
)
def test_every_ine_of_either_form_is_taken(parts: tuple[str, str]) -> None:
    ine = "".join(parts)
    assert parse(student_body(ine=ine), StudentCreate).ine == ine.upper()


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("06-12-34-56-78", "+33612345678"),
        ("0612345678", "+33612345678"),
        (" 01 23 45 67 89 ", "+33123456789"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 202-555-0143", "+12025550143"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_french_and_international_numbers_are_stored_e164(written: str, e164: str) -> None:
    assert normalize_phone(written) == e164


@pytest.mark.parametrize(
    "written",
    [
        "",
        "12 34 56 78",  # too short for France, and no country code
        "6 12 34 56 78",  # a French number without its 0
        "00 12 34 56",  # 00 is the international prefix: too short then
        "06 12 34 56 789",  # one digit too many
        "+33 06 12 34 56 78",  # the 0 is dropped after +33
        "+33 6 12 34 56",  # France has nine digits after its code
        "+0 123 456 789",  # no country code starts with 0
        "+1234567",  # under 8 digits
        "+1234567890123456",  # over 15 digits
        "06  12 34 56 78",  # two separators
        "06-12-34-56-78-",
        "+33 (0)6 12 34 56 78",
        "06 12 34 56 7a",
        "++33612345678",
        "+",
    ],
)
def test_numbers_of_no_known_form_are_refused(written: str) -> None:
    assert normalize_phone(written) is None


@given(st.text(max_size=40))
def test_a_normalised_number_is_always_e164_and_stable(text: str) -> None:
    e164 = normalize_phone(text)
    if e164 is not None:
        assert e164.startswith("+")
        assert e164[1:].isdigit()
        assert e164[1] != "0"
        assert 8 <= len(e164) - 1 <= 15
        assert normalize_phone(e164) == e164


@given(st.text("0123456789", min_size=9, max_size=9).filter(lambda d: d[0] != "0"))
def test_every_french_number_reads_back_as_written(subscriber: str) -> None:
    national = "0" + subscriber
    e164 = normalize_phone(national)
    assert e164 == "+33" + subscriber
    assert display_phone(e164).replace(" ", "") == national


GUARDIAN = {"name": " Anne ", "relationship": "mother", "parental_authority": True}


def test_a_guardian_is_normalised_like_the_student_names() -> None:
    student = parse(
        student_body(guardians=[{**GUARDIAN, "phone": "06 12 34 56 78", "email": "a@b.fr"}]),
        StudentCreate,
    )
    assert student.guardians == [
        Guardian(
            name="Anne",
            relationship="mother",
            parental_authority=True,
            phone="+33612345678",
            email="a@b.fr",
        )
    ]


def test_guardian_errors_name_their_path() -> None:
    body = student_body(
        guardians=[GUARDIAN, {**GUARDIAN, "phone": "12", "email": "nope", "relationship": "aunt"}]
    )
    assert errors_of(body).keys() == {
        "guardians[1].phone",
        "guardians[1].email",
        "guardians[1].relationship",
    }
    assert errors_of({"guardians": [GUARDIAN] * 5}, StudentPatch) == {
        "guardians": "must be a list of at most 4 guardians"
    }
    assert errors_of({"guardians": ["Anne"]}, StudentPatch) == {"guardians[0]": "must be an object"}


def test_sex_and_birthplace_follow_their_rules() -> None:
    assert errors_of(student_body(sex="f", birthplace="\u202e")).keys() == {"sex", "birthplace"}
    student = parse(student_body(sex="M", birthplace=" Saint-\u0301Etienne "), StudentCreate)
    assert (student.sex, student.birthplace) == ("M", "Saint-\u0301Etienne")
    assert parse({"birthplace": None, "sex": None}, StudentPatch).birthplace is None


guardians_strategy = st.lists(
    st.builds(
        Guardian,
        name=st.text("abcdé' -", min_size=1, max_size=20).filter(lambda t: t.strip(" -'")),
        relationship=st.sampled_from(["mother", "father", "guardian", "other"]),
        parental_authority=st.booleans(),
        phone=st.none() | st.just("+33612345678"),
        email=st.none() | st.just("x@example.org"),
    ),
    max_size=4,
)


@given(guardians_strategy)
def test_guardians_are_stored_compactly_and_read_back_equal(guardians: list[Guardian]) -> None:
    stored = encode_guardians(guardians)
    if not guardians:
        assert stored == ""
        return
    assert decode_guardians(stored) == guardians
    assert "relationship" not in stored  # arrays, not objects
    assert msgspec.json.decode(stored)[0][1] in "mfgo"


def _csv_of(students: list[Student]) -> bytes:
    async def source() -> AsyncIterator[Student]:
        for s in students:
            yield s

    async def encode() -> bytes:
        return b"".join([chunk async for chunk in encode_students(source(), "csv")])

    return asyncio.run(encode())


tricky_text = st.text("ab é'\",;=+-@\n", min_size=1, max_size=12).filter(
    lambda t: t.strip() and not t.strip().startswith(("'", "\n")) and "\n" not in t.strip()
)
csv_guardians = st.lists(
    st.builds(
        Guardian,
        name=tricky_text.map(str.strip),
        relationship=st.sampled_from(["mother", "father", "guardian", "other"]),
        parental_authority=st.booleans(),
        phone=st.none() | st.sampled_from(["+33612345678", "+442079460958"]),
        email=st.none() | st.just("x@example.org"),
    ),
    max_size=2,
)


@given(
    guardians=csv_guardians,
    sex=st.none() | st.sampled_from(["F", "M"]),
    birthplace=st.none() | tricky_text.map(str.strip),
)
def test_a_csv_export_of_any_registration_fields_reads_back_the_same(
    guardians: list[Guardian], sex: Literal["F", "M"] | None, birthplace: str | None
) -> None:
    now = datetime.now(UTC)
    student = Student(
        id="s1",
        first_name="Léa",
        last_name="Martin",
        birth_date=date(2009, 4, 17),
        course="3eB",
        sex=sex,
        ine="1234567890A",
        birthplace=birthplace,
        guardians=guardians or None,
        created_at=now,
        updated_at=now,
        entry_date=now.date(),
    )
    parser = parser_for("csv")
    chunk = parser.feed(_csv_of([student]), final=True)
    assert chunk.failures == []
    [read] = chunk.students
    assert (read.sex, read.ine, read.birthplace) == (sex, "1234567890A", birthplace)
    assert (read.guardians or []) == guardians


@given(st.from_regex(PHONE_PATTERN).filter(lambda t: "\n" not in t and len(t) <= PHONE_MAX))
def test_every_number_the_documented_pattern_allows_is_taken(written: str) -> None:
    # The API's document gives this pattern: a number it allows is never refused.
    assert normalize_phone(written) is not None
