"""Write N generated students as a CSV file that `student-registry import` takes.

    uv run python bench/gen_students.py 100000 students.csv [--semicolon] [--french-dates]

Names carry accents and apostrophes, one student in three has an email, every id is unique;
the same N always gives the same file.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import date, timedelta
from pathlib import Path

FIRST = ["Éloïse", "Lucas", "Zoé", "Mathis", "Léa", "Noah", "Chloé", "Jules", "Inès", "Maël"]
LAST = ["Durand", "Martin", "Lefèvre", "O'Brien", "Nguyen", "Da Silva", "Müller", "Benali"]
COURSES = ["3eA", "3eB", "3eC", "2nde 1", "2nde 2", "1re S1", "Terminale ES"]


def main() -> None:
    """Parse the arguments and write the file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--semicolon", action="store_true", help="; as spreadsheets in France")
    parser.add_argument("--french-dates", action="store_true", help="DD/MM/YYYY dates")
    args = parser.parse_args()
    rng = random.Random(args.count)
    start = date(2005, 1, 1)
    with args.output.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, delimiter=";" if args.semicolon else ",")
        writer.writerow(["id", "first_name", "last_name", "birth_date", "course", "email"])
        for number in range(args.count):
            born = start + timedelta(days=rng.randrange(4000))
            writer.writerow(
                [
                    f"S{number:07d}",
                    rng.choice(FIRST),
                    rng.choice(LAST),
                    born.strftime("%d/%m/%Y") if args.french_dates else born.isoformat(),
                    rng.choice(COURSES),
                    f"student{number}@example.org" if number % 3 == 0 else "",
                ]
            )


if __name__ == "__main__":
    main()
