"""Folding, sort keys, cursors and generated ids: the pure parts of listing and registering."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from student_registry.domain.service import (
    GENERATED_ID_LENGTH,
    decode_cursor,
    encode_cursor,
    generate_id,
    student_id_of,
)
from student_registry.domain.text import fold, make_sort_key
from student_registry.errors import InvalidCursor

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


@given(names, names, st.text("abcXYZ019_-", min_size=1, max_size=64))
def test_cursor_round_trips_any_sort_key(last: str, first: str, student_id: str) -> None:
    sort_key = make_sort_key(last_name=last, first_name=first, student_id=student_id)
    cursor = encode_cursor(sort_key)
    assert re.fullmatch(r"[A-Za-z0-9_-]*", cursor)
    assert decode_cursor(cursor) == sort_key
    assert student_id_of(decode_cursor(cursor)) == student_id


@pytest.mark.parametrize("cursor", ["@@@", "abcd", "////", encode_cursor("no separators"), "wA"])
def test_cursor_not_issued_by_the_service_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


@given(st.text(max_size=40))
def test_any_cursor_text_decodes_or_is_refused_cleanly(cursor: str) -> None:
    try:
        sort_key = decode_cursor(cursor)
    except InvalidCursor:
        return
    assert sort_key.count("\0") == 2


def test_generated_ids_are_short_url_safe_and_distinct() -> None:
    ids = {generate_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    for student_id in ids:
        assert len(student_id) == GENERATED_ID_LENGTH
        assert re.fullmatch(r"[0-9A-Z]+", student_id)
        assert not set(student_id) & set("ILOU")
