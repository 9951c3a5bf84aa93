"""Folding, sort keys, search words, cursors, generated ids: the pure parts of listing."""

from __future__ import annotations

import base64
import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from student_registry.domain.cursors import MAX_LENGTH, Cursor, CursorCodec
from student_registry.domain.service import GENERATED_ID_LENGTH, generate_id
from student_registry.domain.text import fold, make_sort_key, name_matches, search_words
from student_registry.errors import InvalidCursor, StaleCursor
from student_registry.store.redis_store import student_id_of

names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30)


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Éloïse", "eloise"), ("ÉLOÏSE", "eloise"), ("Straße", "strasse"), ("Ñúñez", "nunez")],
)
def test_fold_ignores_case_and_accents(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_gives_the_same_key_for_nfc_and_nfd() -> None:
    name = "Lefèvre Éloïse"
    assert fold(unicodedata.normalize("NFC", name)) == fold(unicodedata.normalize("NFD", name))


@given(names, st.sampled_from(["NFD", "NFKC", "NFKD"]))
def test_any_text_folds_alike_composed_or_decomposed(name: str, form: str) -> None:
    assert fold(unicodedata.normalize("NFC", name)) == fold(unicodedata.normalize(form, name))


def test_a_mark_that_folds_to_a_letter_folds_alike_in_every_spelling() -> None:
    # U+037A decomposes to a space and U+0345, which case folding turns into an iota.
    spellings = {fold(unicodedata.normalize(form, "\u037a")) for form in ("NFC", "NFKC", "NFKD")}
    assert spellings == {" \u03b9"}


def test_fold_keeps_letters_without_accents_apart() -> None:
    assert fold("王小明") == "王小明"
    assert fold("O'Brien-Smith") == "o'brien-smith"


def test_sort_key_orders_by_last_then_first_then_id() -> None:
    people = [
        ("Zola", "Émile", "1"),
        ("durand", "Léa", "2"),
        ("Durand", "lea", "1"),
        ("Éluard", "Paul", "0"),
    ]
    keys = [
        make_sort_key(last_name=last, first_name=first, student_id=i) for last, first, i in people
    ]
    assert [student_id_of(k) for k in sorted(keys)] == ["1", "2", "0", "1"]
    assert sorted(keys) == [keys[2], keys[1], keys[3], keys[0]]


@given(names, names, names, names)
def test_sort_key_order_is_the_order_of_folded_names(a: str, b: str, c: str, d: str) -> None:
    left = make_sort_key(last_name=a, first_name=b, student_id="x")
    right = make_sort_key(last_name=c, first_name=d, student_id="x")
    expected = (fold(a), fold(b)) < (fold(c), fold(d))
    assert (left.encode() < right.encode()) == expected


ids = st.text("abcXYZ019_-", min_size=1, max_size=64)
cursors = st.builds(
    Cursor,
    student_id=ids,
    backward=st.booleans(),
    inclusive=st.booleans(),
    at_first=st.booleans(),
    plan=st.integers(0, 6),
)
CODEC = CursorCodec(b"a secret key for the tests")


@given(cursors, names, names, st.text(max_size=30))
def test_cursor_round_trips_and_checks_against_its_student_and_list(
    cursor: Cursor, last: str, first: str, context: str
) -> None:
    sort_key = make_sort_key(last_name=last, first_name=first, student_id=cursor.student_id)
    text = CODEC.encode(cursor, sort_key=sort_key, context=context)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", text)
    assert len(text) <= MAX_LENGTH == 98
    signed = CODEC.decode(text)
    assert signed.cursor == cursor
    CODEC.verify(signed, sort_key=sort_key, context=context)


@given(cursors, names, names)
def test_a_cursor_holds_no_name_only_the_student_id(cursor: Cursor, last: str, first: str) -> None:
    sort_key = make_sort_key(last_name=last, first_name=first, student_id=cursor.student_id)
    raw = base64.urlsafe_b64decode(CODEC.encode(cursor, sort_key=sort_key, context="q") + "==")
    assert raw.endswith(cursor.student_id.encode())
    assert len(raw) == 9 + len(cursor.student_id.encode())
    for name in (fold(last), fold(first), last, first):
        if len(name.encode()) > 3:
            assert name.encode() not in raw[:9]


def test_a_cursor_whose_student_was_renamed_or_made_for_another_list_is_stale() -> None:
    cursor = Cursor("s1", plan=1)
    sort_key = make_sort_key(last_name="Durand", first_name="Léa", student_id="s1")
    signed = CODEC.decode(CODEC.encode(cursor, sort_key=sort_key, context="lea"))
    renamed = make_sort_key(last_name="Dupont", first_name="Léa", student_id="s1")
    with pytest.raises(StaleCursor):
        CODEC.verify(signed, sort_key=renamed, context="lea")
    with pytest.raises(StaleCursor):
        CODEC.verify(signed, sort_key=sort_key, context="le")
    with pytest.raises(StaleCursor):
        CursorCodec(b"another key").verify(signed, sort_key=sort_key, context="lea")


def test_a_cursor_changed_by_hand_is_refused() -> None:
    sort_key = make_sort_key(last_name="Durand", first_name="Léa", student_id="s1")
    raw = bytearray(
        base64.urlsafe_b64decode(CODEC.encode(Cursor("s1"), sort_key=sort_key, context="") + "==")
    )
    raw[1] |= 1  # backward
    forged = CODEC.decode(base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("="))
    with pytest.raises(StaleCursor):
        CODEC.verify(forged, sort_key=sort_key, context="")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "@@@",
        "abcd",
        "////",
        "wA",
        "A" * 99,
        base64.urlsafe_b64encode(b"\2" + b"\0" * 8 + b"s1").decode(),
    ],
)
def test_cursor_not_issued_by_the_service_is_refused(text: str) -> None:
    with pytest.raises(InvalidCursor):
        CODEC.decode(text)


@given(st.text(max_size=120))
def test_any_cursor_text_decodes_or_is_refused_cleanly(text: str) -> None:
    try:
        signed = CODEC.decode(text)
    except InvalidCursor:
        return
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", signed.cursor.student_id)


@pytest.mark.parametrize(
    ("query", "last", "first", "found"),
    [
        ("Dupont Marie", "Dupont", "Marie", True),
        ("marie dup", "Dupont", "Marie", True),
        ("Dupont", "Dupont", "Marie", True),
        ("dup mar", "Dupont", "Marie", True),
        ("MARIE  ÉLO", "Dupont", "Marie-Éloïse", False),
        ("marie-élo", "Dupont", "Marie-Éloïse", True),
        ("da silva", "Da Silva", "Ana", True),
        ("ana da s", "Da Silva", "Ana", True),
        ("silva", "Da Silva", "Ana", False),
        ("lea m", "Durand", "Lea Marie", True),
        ("lea m", "Martin", "Léa", True),
        ("marie dupont x", "Dupont", "Marie", False),
        ("", "Dupont", "Marie", True),
    ],
)
def test_every_word_starts_a_name_or_continues_the_word_before_it(
    query: str, last: str, first: str, found: bool
) -> None:
    assert name_matches(search_words(query), last=fold(last), first=fold(first)) is found


def test_generated_ids_are_short_url_safe_and_distinct() -> None:
    ids = {generate_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    for student_id in ids:
        assert len(student_id) == GENERATED_ID_LENGTH
        assert re.fullmatch(r"[0-9A-Z]+", student_id)
        assert not set(student_id) & set("ILOU")
