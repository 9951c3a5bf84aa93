"""The student rules, checked on the models without any I/O."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
import pytest

from student_registry.domain import rules
from student_registry.domain.models import StudentCreate, StudentPatch
from student_registry.domain.validation import decode, explain, parse
from student_registry.errors import FieldError, InvalidStudent
from tests.builders import student_body


def create(**overrides: Any) -> StudentCreate:
    return decode(msgspec.json.encode(student_body(**overrides)), StudentCreate)


def errors_of(body: Any, model: type[StudentCreate] | type[StudentPatch] = StudentCreate) -> dict:
    with pytest.raises(InvalidStudent) as caught:
        decode(msgspec.json.encode(body), model)
    return {e.path: e.message for e in caught.value.errors}


@pytest.mark.parametrize("student_id", ["a", "2024-0042", "A_b-9", "x" * 64])
def test_id_of_allowed_characters_up_to_64_is_accepted(student_id: str) -> None:
    assert create(id=student_id).id == student_id


@pytest.mark.parametrize(
    "student_id", ["", "x" * 65, "a b", "é", "a/b", "a.b", "a\nb", "abc\n", "\nabc", 42]
)
def test_id_outside_the_pattern_is_rejected(student_id: object) -> None:
    assert errors_of(student_body(id=student_id)) == {"id": rules.MESSAGES["id"]}


def test_id_may_be_absent_or_null() -> None:
    assert create().id is None
    assert create(id=None).id is None


def test_names_and_course_are_trimmed() -> None:
    student = create(first_name="  Éloïse  ", last_name="\u00a0Durand ", course=" 3eB  ")
    assert (student.first_name, student.last_name, student.course) == ("Éloïse", "Durand", "3eB")


@pytest.mark.parametrize(
    "name",
    [
        "Éloïse",
        "Ñúñez",
        "王小明",
        "O'Brien",
        "Jean-Pierre",
        "Anne Marie",
        "D\u2019Alembert",
        "Ægir",
    ],
)
def test_unicode_names_are_kept_exactly(name: str) -> None:
    student = create(first_name=name, last_name=name)
    assert student.first_name == name
    assert student.last_name == name


@pytest.mark.parametrize("form", ["NFC", "NFD"])
@pytest.mark.parametrize("field", ["first_name", "last_name", "course"])
def test_text_is_stored_composed_whatever_form_it_comes_in(form: str, field: str) -> None:
    text = unicodedata.normalize(form, "Éloïse Lefèvre, 2nde Été")
    assert getattr(create(**{field: text}), field) == unicodedata.normalize("NFC", text)


def test_nfc_and_nfd_spellings_of_a_course_are_one_course() -> None:
    composed = create(course=unicodedata.normalize("NFC", "2nde Été")).course
    decomposed = create(course=unicodedata.normalize("NFD", "2nde Été")).course
    assert composed == decomposed == "2nde \u00c9t\u00e9"


def test_a_decomposed_text_counts_its_characters_composed() -> None:
    text = unicodedata.normalize("NFD", "é" * 100)
    assert len(text) == 200
    assert create(last_name=text).last_name == "é" * 100
    assert errors_of(student_body(last_name=text + "\u0301"))  # 101 characters


def test_a_patch_composes_its_texts_too() -> None:
    patch = decode(
        msgspec.json.encode({"course": unicodedata.normalize("NFD", "Été")}), StudentPatch
    )
    assert patch.course == "Été"


INVISIBLE = [
    "\u200b",  # zero-width space
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u061c",  # Arabic letter mark
    "\u00ad",  # soft hyphen
    "\ufeff",  # zero-width no-break space (a BOM)
    "\u0085",  # next line, a C1 control
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u200d",  # zero-width joiner, here not between letters
]


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", ["first_name", "last_name", "course"])
@pytest.mark.parametrize("where", ["{c}Léa", "L{c}éa", "Léa {c}", "Léa{c}"])
def test_control_formatting_and_line_break_characters_are_refused_by_name(
    character: str, field: str, where: str
) -> None:
    value = where.format(c=character)
    expected = rules.INVISIBLE_CHARACTER.format(character=rules.describe_character(character))
    assert errors_of(student_body(**{field: value})) == {field: expected}
    assert errors_of({field: value}, StudentPatch) == {field: expected}


def test_the_message_names_the_character_and_the_rule() -> None:
    assert errors_of(student_body(last_name="Durand\u202e")) == {
        "last_name": "must not contain U+202E (RIGHT-TO-LEFT OVERRIDE): control, formatting "
        "and line-break characters are not allowed"
    }
    assert "U+0085:" in errors_of(student_body(course="3e\u0085B"))["course"]


@pytest.mark.parametrize("character", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_a_text_of_nothing_but_an_invisible_character_is_refused(character: str) -> None:
    assert "last_name" in errors_of(student_body(last_name=character))
    assert "last_name" in errors_of(student_body(last_name=character * 3))


@pytest.mark.parametrize(
    "text",
    ["\u3164", "\u115f\u1160", "\u2800 \u2800", "\u0301", "\u0301\u0327"],
    ids=["hangul-filler", "hangul-choseong-jungseong", "braille-blank", "accent", "accents"],
)
@pytest.mark.parametrize("field", ["first_name", "last_name", "course"])
def test_a_text_with_no_visible_character_is_refused(text: str, field: str) -> None:
    assert errors_of(student_body(**{field: text})) == {field: rules.NOTHING_VISIBLE}


@pytest.mark.parametrize(
    "text",
    [
        "\u0639\u0644\u06cc\u200c\u0631\u0636\u0627",  # Persian: a non-joiner inside a name
        "\u0915\u094d\u200d\u0937",  # Devanagari: a joiner between a virama and a letter
        "\U0001f469\u200d\U0001f4bb club",  # an emoji sequence in a course
        "Zoë \u2800x",  # a blank Braille cell beside a letter still shows the letter
    ],
)
def test_joiners_between_letters_marks_or_symbols_are_kept(text: str) -> None:
    assert create(course=text, first_name=text).course == unicodedata.normalize("NFC", text)


@pytest.mark.parametrize("field", ["first_name", "last_name", "course"])
def test_text_of_100_characters_is_accepted_once_trimmed(field: str) -> None:
    value = "é" * 100
    assert getattr(create(**{field: f"  {value}  "}), field) == value


@pytest.mark.parametrize("field", ["first_name", "last_name", "course"])
@pytest.mark.parametrize("value", ["", "   ", "x" * 101, "a\x00b", "a\tb", "a\x7fb", 3, None])
def test_text_out_of_bounds_or_with_control_characters_is_rejected(
    field: str, value: object
) -> None:
    assert errors_of(student_body(**{field: value})) == {field: rules.MESSAGES[field]}


@pytest.mark.parametrize("field", ["first_name", "last_name", "birth_date", "course"])
def test_each_required_field_is_required(field: str) -> None:
    body = student_body()
    del body[field]
    assert errors_of(body) == {field: rules.REQUIRED}


@pytest.mark.parametrize("value", ["1900-01-01", "2009-04-17", date.today().isoformat()])
def test_birth_date_from_1900_to_today_is_accepted(value: str) -> None:
    assert create(birth_date=value).birth_date == date.fromisoformat(value)


@pytest.mark.parametrize(
    "value",
    ["17/04/2009", "2009-4-17", "20090417", "2009-02-30", "2009-04-17T00:00:00", "", 2009],
)
def test_birth_date_not_written_yyyy_mm_dd_is_rejected(value: object) -> None:
    assert errors_of(student_body(birth_date=value)) == {"birth_date": rules.MESSAGES["birth_date"]}


def test_birth_date_in_the_future_is_rejected() -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert errors_of(student_body(birth_date=tomorrow)) == {"birth_date": rules.FUTURE_BIRTH_DATE}


def test_today_follows_the_clock_across_midnight_both_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    midnight = datetime(2031, 3, 9).timestamp()
    today = rules._Today()
    for now, expected in [
        (midnight - 0.5, date(2031, 3, 8)),
        (midnight, date(2031, 3, 9)),
        (midnight + 86399.5, date(2031, 3, 9)),
        (midnight + 86400, date(2031, 3, 10)),
        (midnight - 3600, date(2031, 3, 8)),
    ]:
        monkeypatch.setattr(rules.time, "time", lambda now=now: now)
        assert today() == expected == date.fromtimestamp(now)


def test_birth_date_before_1900_is_rejected() -> None:
    assert errors_of(student_body(birth_date="1899-12-31")) == {
        "birth_date": rules.EARLY_BIRTH_DATE
    }


@pytest.mark.parametrize(
    "email",
    [
        "a@b.org",
        "Eloise.Durand+3eB@Example.ORG",
        "x@localhost",
        "o'brien@école.fr".replace("é", "e"),
    ],
)
def test_valid_email_is_kept_as_given(email: str) -> None:
    assert create(email=email).email == email


@pytest.mark.parametrize(
    "email", ["", "plain", "a@", "@b.org", "a b@c.org", "a@b..org", "a@-b.org", "é@b.org", 7]
)
def test_invalid_email_is_rejected(email: object) -> None:
    assert errors_of(student_body(email=email)) == {"email": rules.MESSAGES["email"]}


def test_email_may_be_null() -> None:
    assert create(email=None).email is None


def test_unknown_fields_are_rejected_by_name() -> None:
    assert errors_of(student_body(age=15, Email="a@b.org")) == {
        "age": rules.UNKNOWN,
        "Email": rules.UNKNOWN,
    }


def test_every_invalid_field_is_listed_at_once() -> None:
    body = {
        "id": "a b",
        "first_name": "",
        "last_name": "x" * 101,
        "birth_date": "2999-01-01",
        "course": 3,
        "email": "nope",
        "nickname": "x",
    }
    assert errors_of(body) == {
        "id": rules.MESSAGES["id"],
        "first_name": rules.MESSAGES["first_name"],
        "last_name": rules.MESSAGES["last_name"],
        "birth_date": rules.FUTURE_BIRTH_DATE,
        "course": rules.MESSAGES["course"],
        "email": rules.MESSAGES["email"],
        "nickname": rules.UNKNOWN,
    }


@pytest.mark.parametrize("body", [[], "student", 3, None])
def test_body_that_is_not_an_object_is_one_error_at_the_root(body: object) -> None:
    assert errors_of(body) == {"$": "must be a JSON object with the student's fields"}


def test_malformed_json_is_one_error_at_the_root() -> None:
    with pytest.raises(InvalidStudent) as caught:
        decode(b'{"first_name": ', StudentCreate)
    assert [e.path for e in caught.value.errors] == ["$"]


def test_patch_with_no_fields_changes_nothing() -> None:
    patch = decode(b"{}", StudentPatch)
    assert all(getattr(patch, f) is msgspec.UNSET for f in patch.__struct_fields__)


def test_patch_fields_follow_the_same_rules() -> None:
    assert errors_of({"first_name": " ", "birth_date": "1800-01-01"}, StudentPatch) == {
        "first_name": rules.MESSAGES["first_name"],
        "birth_date": rules.EARLY_BIRTH_DATE,
    }


def test_patch_trims_names() -> None:
    assert decode(b'{"last_name": "  Zola "}', StudentPatch).last_name == "Zola"


def test_patch_cannot_change_the_id() -> None:
    assert errors_of({"id": "other"}, StudentPatch) == {"id": rules.UNKNOWN}


def test_patch_with_null_email_removes_it() -> None:
    assert decode(b'{"email": null}', StudentPatch).email is None


def test_parse_takes_an_already_decoded_mapping() -> None:
    student = parse(student_body(first_name=" Léa "), StudentCreate)
    assert student.first_name == "Léa"
    with pytest.raises(InvalidStudent) as caught:
        parse(student_body(course=""), StudentCreate)
    assert caught.value.errors == [FieldError(path="course", message=rules.MESSAGES["course"])]


def test_explain_finds_nothing_wrong_with_a_valid_body() -> None:
    assert explain(student_body(id="x1", email="a@b.org"), StudentCreate) == []


def test_invalid_student_message_names_each_field() -> None:
    error = InvalidStudent([FieldError("id", "bad"), FieldError("email", "worse")])
    assert str(error) == "id: bad; email: worse"
