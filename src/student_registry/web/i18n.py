"""Translations of the page's text. English is the source; a catalog can be added per language.

Templates mark text with ``_()`` (Jinja's i18n extension) and Python code with ``gettext``
below, so every string can be extracted with Babel into a catalog later. In a template, ``_()``
takes literal text only: its result is trusted markup (values given to ``.format`` or ``%`` are
escaped, the message itself is not). A message that arrives as data, such as a field error,
goes through the ``translate`` filter instead, whose plain text the template escapes.
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date, datetime
from pathlib import Path

from student_registry.domain.dates import DateProblem

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "student_registry"

translations: _gettext.NullTranslations = _gettext.translation(
    DOMAIN, localedir=LOCALE_DIR, languages=["en"], fallback=True
)


def gettext(message: str) -> str:
    """The message in the page's language."""
    return translations.gettext(message)


FIELD_LABELS = {
    "id": "Student ID",
    "first_name": "First name",
    "last_name": "Last name",
    "birth_date": "Date of birth",
    "course": "Course",
    "email": "Email",
}


def format_date(value: date) -> str:
    """A date as the page's language writes it; every page shows and asks dates this way."""
    # A catalog gives each language its own: French pages write 17/04/2009 ("%d/%m/%Y").
    return value.strftime(gettext("%Y-%m-%d"))


def format_datetime(value: datetime) -> str:
    """A date and time (UTC) as the page's language writes it."""
    return value.strftime(gettext("%Y-%m-%d %H:%M"))


def date_example() -> str:
    """The example date that field hints give, in the page's format."""
    return format_date(date(2009, 4, 17))


def explain_date(problem: DateProblem) -> str:
    """What is wrong with a typed date, in the page's language (month names too)."""
    values = {name: gettext(value) for name, value in problem.values.items()}
    return gettext(problem.message).format(**values)
