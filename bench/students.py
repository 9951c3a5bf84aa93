"""Generated students: the same ones on every run, cheap to make by the million."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

FIRST_NAMES = (
    "Adam", "Alice", "Amélie", "Anna", "Arthur", "Baptiste", "Camille", "Chloé", "Clara",
    "Éloïse", "Emma", "Ethan", "Gabriel", "Hugo", "Inès", "Jade", "Jules", "Léa", "Léo", "Lina",
    "Louis", "Lucas", "Manon", "Maël", "Mathis", "Marie", "Maxime", "Nathan", "Noah", "Rose",
    "Sarah", "Zoé", "Mohamed", "Yasmine", "Wei", "Sofia", "Lukas", "Aoife", "Björn", "Ngozi",
)  # fmt: skip
LAST_NAMES = (
    "Bernard", "Bonnet", "Dubois", "Durand", "Fontaine", "François", "Garnier", "Girard",
    "Lambert", "Laurent", "Lefèvre", "Leroy", "Martin", "Mercier", "Moreau", "Morel", "Müller",
    "Petit", "Richard", "Robert", "Roux", "Simon", "Thomas", "Vincent", "O'Brien", "Nguyen",
    "Benali", "Da Silva", "Dupont", "Fournier", "Gauthier", "Lemaire", "Marchand", "Perrin",
    "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Mathieu", "Chevalier",
)  # fmt: skip
COURSES = (
    "3eA", "3eB", "3eC", "2nde 1", "2nde 2", "2nde 3", "1re S1", "1re S2", "1re ES",
    "Terminale S1", "Terminale S2", "Terminale ES",
)  # fmt: skip
# Prefixes the search scenario asks for: each matches several first or last names.
SEARCH_PREFIXES = ("ma", "le", "du", "ro", "el", "be")
# A prefix that starts the first name of every student made by distinct_student (and of some
# others): as many distinct first names as there are such students, and a full page at 1,000.
DISTINCT_PREFIXES = ("ma",)
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
FIELDS = ("id", "first_name", "last_name", "birth_date", "course", "email")
_FIRST_BIRTH_DATE = date(2005, 1, 1)


def student(number: int, *, id_prefix: str = "S") -> dict[str, str]:
    """The student with this number: always the same names, course and date for it.

    One student in three has an email; the others have none (an empty CSV cell).
    """
    student_id = f"{id_prefix}{number:07d}"
    return {
        "id": student_id,
        "first_name": FIRST_NAMES[number * 7 % len(FIRST_NAMES)],
        "last_name": LAST_NAMES[number * 13 // 3 % len(LAST_NAMES)],
        "birth_date": (_FIRST_BIRTH_DATE + timedelta(days=number * 37 % 4000)).isoformat(),
        "course": COURSES[number % len(COURSES)],
        "email": f"{student_id.lower()}@school.example" if number % 3 == 0 else "",
    }


def distinct_student(number: int) -> dict[str, str]:
    """A student whose first name no other has: "Ma" and five letters spelling its number,
    the one that changes most often first."""
    letters, rest = [], number
    for _ in range(5):
        rest, letter = divmod(rest, len(_LETTERS))
        letters.append(_LETTERS[letter])
    return {**student(number, id_prefix="D"), "first_name": "Ma" + "".join(letters)}


def students(
    count: int, *, start: int = 1, id_prefix: str = "S", distinct: bool = False
) -> Iterator[dict[str, str]]:
    """Students numbered start, start + 1, ... start + count - 1 (with distinct first names)."""
    for number in range(start, start + count):
        yield distinct_student(number) if distinct else student(number, id_prefix=id_prefix)


def write_csv(
    path: Path, count: int, *, start: int = 1, id_prefix: str = "S", distinct: bool = False
) -> Path:
    """A UTF-8 CSV file with a header row and `count` students."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(students(count, start=start, id_prefix=id_prefix, distinct=distinct))
    return path
