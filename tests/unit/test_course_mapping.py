"""The guess at each class's next-year class that pre-fills the rollover page."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from student_registry.domain.course_mapping import guess_next_course


@pytest.mark.parametrize(
    ("course", "expected"),
    [
        # Collège: the level goes down by one, the section stays as written.
        ("6A", "5A"),
        ("6e B", "5e B"),
        ("5eA", "4eA"),
        ("4e2", "3e2"),
        ("6ème A", "5ème A"),
        ("6", "5"),
        ("601", "501"),
        ("3e", None),
        ("3eB", None),
        ("3e Prépa-métiers", None),
        ("301", None),
        # Maternelle and élémentaire.
        ("TPS", "PS"),
        ("PS", "MS"),
        ("MS", "GS"),
        ("GS", "CP"),
        ("CP", "CE1"),
        ("CP B", "CE1 B"),
        ("CE1", "CE2"),
        ("CE1A", "CE2A"),
        ("CE2", "CM1"),
        ("CM1", "CM2"),
        ("cm1 b", "CM2 b"),
        ("CM2", None),
        ("CM2 Dupont", None),
        # Lycée.
        ("2nde A", "1re A"),
        ("2de 3", "1re 3"),
        ("Seconde 1", "Première 1"),
        ("1re A", "Tle A"),
        ("1ère STMG", "Tle STMG"),
        ("Première B", "Terminale B"),
        ("Terminale S", None),
        ("Tle 2", None),
        # Unknown names and classes of two levels are the administrator's to edit.
        ("CE1-CE2", "CE1-CE2"),
        ("CM1/CM2", "CM1/CM2"),
        ("62", "62"),
        ("CPA", "CPA"),
        ("Ulis", "Ulis"),
        ("Math", "Math"),
        ("  ", "  "),
    ],
)
def test_a_class_moves_up_a_level_and_the_last_one_leaves(
    course: str, expected: str | None
) -> None:
    assert guess_next_course(course) == expected


def test_surrounding_spaces_are_not_kept_in_a_guess() -> None:
    assert guess_next_course(" 6e B ") == "5e B"


@given(st.text(min_size=1))
def test_any_course_name_gets_a_guess_without_error(course: str) -> None:
    guess = guess_next_course(course)
    assert guess is None or (isinstance(guess, str) and guess != "")
