"""Properties of validation over generated input: valid students survive, junk is refused."""

from __future__ import annotations

import re
import string
import unicodedata
from datetime import date
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from student_registry.domain import rules
from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.validation import decode
from student_registry.errors import InvalidStudent

FIELDS = ["id", "first_name", "last_name", "birth_date", "course", "email"]
# Controls, formatting characters, surrogates, line and paragraph separators.
INVISIBLE_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")
printable = st.characters(blacklist_categories=INVISIBLE_CATEGORIES)
# Letters, digits, punctuation and symbols, but not those that draw nothing.
visible = st.characters(whitelist_categories=("L", "N", "P", "S")).filter(
    lambda c: c not in "\u115f\u1160\u3164\uffa0\u2800"
)
# (A surrogate cannot be sent in JSON at all.)
invisible = st.characters(whitelist_categories=("Cc", "Cf", "Zl", "Zp"))
padding = st.text(" \u00a0\u3000", max_size=3)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@st.composite
def padded_text(draw: st.DrawFn) -> str:
    """1-100 printable characters (composed) once trimmed, one visible, spaces around them."""
    text = draw(st.text(printable, max_size=99))
    at = draw(st.integers(0, len(text)))
    core = text[:at] + draw(visible) + text[at:]
    return draw(padding) + core + draw(padding)


def trimmed(text: str) -> str:
    return nfc(text).strip()


def acceptable(text: str) -> bool:
    """Whether a text is as long as a registration takes: 1-100 characters, composed, trimmed."""
    return 1 <= len(trimmed(text)) <= rules.TEXT_MAX


student_ids = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=64)
alphanumeric = string.ascii_letters + string.digits
labels = st.builds(
    lambda head, hyphen, tail: head + hyphen + tail,
    st.text(alphanumeric, min_size=1, max_size=8),
    st.sampled_from(["", "-"]),
    st.text(alphanumeric, min_size=1, max_size=8),
)
emails = st.builds(
    lambda local, domain: f"{local}@{'.'.join(domain)}",
    st.text(string.ascii_letters + string.digits + ".!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=40),
    st.lists(labels, min_size=1, max_size=4),
)
birth_dates = st.dates(min_value=rules.EARLIEST_BIRTH_DATE, max_value=date.today())
valid_bodies = st.fixed_dictionaries(
    {
        "first_name": padded_text().filter(acceptable),
        "last_name": padded_text().filter(acceptable),
        "birth_date": birth_dates.map(date.isoformat),
        "course": padded_text().filter(acceptable),
    },
    optional={"id": st.none() | student_ids, "email": st.none() | emails},
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
junk_bodies = (
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=8)
    | json_values
)


@given(valid_bodies)
def test_valid_student_round_trips_with_only_its_texts_composed_and_trimmed(
    body: dict[str, Any],
) -> None:
    student = decode(msgspec.json.encode(body), StudentCreate)
    assert student.first_name == trimmed(body["first_name"])
    assert student.last_name == trimmed(body["last_name"])
    assert student.course == trimmed(body["course"])
    assert student.birth_date.isoformat() == body["birth_date"]
    assert student.id == body.get("id")
    assert student.email == body.get("email")


@given(valid_bodies)
def test_decomposed_spellings_give_the_same_student_as_composed_ones(body: dict[str, Any]) -> None:
    decomposed = {f: unicodedata.normalize("NFD", body[f]) for f in rules.TEXT_FIELDS}
    student = decode(msgspec.json.encode(body | decomposed), StudentCreate)
    assert student == decode(msgspec.json.encode(body), StudentCreate)


@given(valid_bodies, st.sampled_from(rules.TEXT_FIELDS), invisible, st.integers(0, 200))
def test_an_invisible_character_anywhere_in_a_text_is_refused_naming_its_field(
    body: dict[str, Any], field: str, character: str, at: int
) -> None:
    text = body[field]
    at %= len(text) + 1
    if character in "\u200c\u200d":
        return  # a joiner may belong between some letters; unit tests cover where
    result = decode_or_errors(
        msgspec.json.encode(body | {field: text[:at] + character + text[at:]}), StudentCreate
    )
    assert isinstance(result, list)
    assert [error.path for error in result] == [field]


def decode_or_errors(raw: bytes, model: type[StudentCreate] | type[StudentPatch]) -> Any:
    """The model decoded from raw, or the list of field errors it was refused with."""
    try:
        return decode(raw, model)
    except InvalidStudent as exc:
        return exc.errors


def assert_refused_or_valid(body: Any, model: type[StudentCreate] | type[StudentPatch]) -> None:
    result = decode_or_errors(msgspec.json.encode(body), model)
    if isinstance(result, list):
        assert result
        known = set(model.__struct_fields__)
        for error in result:
            assert error.path == "$" or (isinstance(body, dict) and error.path in {*body, *known})
            assert error.message
        return
    for name in rules.TEXT_FIELDS:
        value = getattr(result, name)
        if isinstance(value, str):
            assert 1 <= len(value) <= rules.TEXT_MAX
            assert value == value.strip() == nfc(value)
            assert any(unicodedata.category(c)[0] in "LNPS" for c in value)
            assert all(
                unicodedata.category(c) not in INVISIBLE_CATEGORIES or c in "\u200c\u200d"
                for c in value
            )
    birth_date = getattr(result, "birth_date", msgspec.UNSET)
    if isinstance(birth_date, date):
        assert rules.EARLIEST_BIRTH_DATE <= birth_date <= date.today()
    student_id = getattr(result, "id", None)
    assert student_id is None or re.fullmatch(r"[A-Za-z0-9_-]{1,64}", student_id)


@given(junk_bodies)
def test_junk_registration_is_refused_with_field_errors_never_a_crash(body: Any) -> None:
    assert_refused_or_valid(body, StudentCreate)


@given(junk_bodies)
def test_junk_patch_is_refused_with_field_errors_never_a_crash(body: Any) -> None:
    assert_refused_or_valid(body, StudentPatch)


@given(valid_bodies, st.sampled_from(FIELDS), json_values)
def test_one_bad_field_in_a_valid_body_is_named(
    body: dict[str, Any], field: str, value: Any
) -> None:
    assert_refused_or_valid({**body, field: value}, StudentCreate)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_with_field_errors_never_a_crash(raw: bytes) -> None:
    result = decode_or_errors(raw, StudentCreate)
    assert isinstance(result, StudentCreate) or result


# Latin text, and text of marks and spaces that would show nothing but for a letter or two.
latin_texts = st.text(st.characters(max_codepoint=0x2030, blacklist_categories=("Cs",))) | st.text(
    st.sampled_from(" \u00a0\u0300\u0301\u036f\u00ad\u0085\u2028e"), max_size=6
)


@given(latin_texts)
def test_the_shortcut_for_latin_text_judges_as_the_full_check_does(text: str) -> None:
    cleaned, problem = rules.clean_text("course", text)
    if not 1 <= len(cleaned) <= rules.TEXT_MAX:
        assert problem == rules.MESSAGES["course"]
    elif not text.isascii():
        assert problem == rules._unusual_text_problem(text)
