"""Translations of the pages: English (the source) and French, chosen for each request.

The language of a request lives in a context variable, set as the request starts (see
``web/languages.py``): concurrent requests each read their own, and nothing global is switched.
Templates mark text with ``_()`` (Jinja's i18n extension, newstyle) and Python code with
``gettext`` below; ``scripts/translations`` extracts them with Babel into the catalogues of
``web/locale``. In a template, ``_()`` takes literal text only: its result is trusted markup
(values given to ``.format`` are escaped, the message itself is not). A message that arrives as
data, such as a field error, goes through the ``translate`` filter instead, whose plain text the
template escapes.
"""

from __future__ import annotations

import gettext as _gettext
import re
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

from student_registry.domain import bulk, export_import, rules
from student_registry.domain.dates import DateProblem
from student_registry.domain.french_exports import files, onde, records, safe_xml, siecle
from student_registry.domain.listing import SEARCH_WORDS_PROBLEM
from student_registry.domain.passwords import PASSWORD_TOO_LONG, PASSWORD_TOO_SHORT
from student_registry.domain.rules import GUARDIANS_MAX
from student_registry.messages import N_

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "student_registry"
# Each language by its own name, as the switch offers it.
LANGUAGES = {"en": "English", "fr": "Français"}
DEFAULT_LANGUAGE = "en"

_language: ContextVar[str] = ContextVar("page_language", default=DEFAULT_LANGUAGE)


@cache
def catalog(language: str) -> _gettext.NullTranslations:
    """A language's compiled catalogue; English, the source, needs none."""
    if language == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])


def use_language(language: str) -> None:
    """Show the rest of this request (its task) in this language."""
    _language.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    """The language of the request being answered."""
    return _language.get()


def gettext(message: str) -> str:
    """The message in the page's language."""
    return catalog(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message in the page's language, as the language counts ``n``."""
    return catalog(_language.get()).ngettext(singular, plural, n)


FIELD_LABELS = {
    "id": N_("Student ID"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "birth_date": N_("Date of birth"),
    "course": N_("Course"),
    "email": N_("Email"),
    "status": N_("Status"),
    "entry_date": N_("Date of entry"),
    "exit_date": N_("Date of leaving"),
    "exit_reason": N_("Reason for leaving"),
    "sex": N_("Sex"),
    "ine": N_("INE (national student number)"),
    "birthplace": N_("Place of birth"),
    "guardians": N_("Guardians"),
}
GUARDIAN_LABELS = {
    "name": N_("Name"),
    "relationship": N_("Relationship"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "parental_authority": N_("Holds parental authority"),
}
RELATIONSHIP_LABELS = {
    "mother": N_("Mother"),
    "father": N_("Father"),
    "guardian": N_("Legal guardian"),
    "other": N_("Other"),
}
# The roles as the Users page names them (the form sends the role itself).
ROLE_NAMES = (N_("viewer"), N_("staff"), N_("admin"))
# Fields of other forms that error messages name.
ERROR_LABELS = {**FIELD_LABELS, "password": N_("Password"), "q": N_("Search"), "$": N_("The row")}

# Messages the domain writes with values in them: read back into the message and its values,
# so that a page can show the translated message with the same values.
_TEMPLATES = (
    rules.INVISIBLE_CHARACTER,
    bulk.DUPLICATE,
    SEARCH_WORDS_PROBLEM,
    PASSWORD_TOO_SHORT,
    PASSWORD_TOO_LONG,
    # The administration's exports, as their readers word what they cannot read.
    records.NOT_A_DATE,
    siecle.SEX_CODE,
    siecle.SAME_ELEVE_ID,
    siecle.NO_PERSON,
    onde.LINE_TOO_LONG,
    onde.LINE_UNREADABLE,
    *onde.MISSING_COLUMNS.values(),
    onde.NOT_A_SEX,
    onde.CHILD,
    # Without a class first: the others would read "no class" as a class.
    onde.SEVERAL_STUDENTS_NO_CLASS,
    onde.NO_STUDENT_NO_CLASS,
    onde.SEVERAL_STUDENTS,
    onde.NO_STUDENT,
    safe_xml.HAS_DTD,
    safe_xml.WRONG_ROOT,
    safe_xml.TOO_DEEP,
    safe_xml.TOO_LONG,
    safe_xml.NOT_XML,
    safe_xml.UNKNOWN_ENCODING,
    files.NOT_STUDENTS,
    files.NOT_GUARDIANS,
    files.FILE_TOO_LARGE,
    files.ENTRY_TOO_LARGE,
    files.ENTRY_UNREADABLE,
    files.ENTRY_UNOPENABLE,
    files.ZIP_UNREADABLE,
    files.NOT_ONE_FILE,
    files.ZIP_IN_ZIP,
    export_import.WITHDRAW_MISSING_NEEDS_EXPORT,
    export_import.IN_GUARDIANS_FILE,
)
# Values that are messages themselves (a kind of file, a failure's path), translated in turn.
_MESSAGE_VALUES = frozenset({"description", "path"})


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    text = "".join(
        re.escape(part) if at % 2 == 0 else f"(?P<{part}>.+?)" for at, part in enumerate(parts)
    )
    return re.compile(text)


_PATTERNS = [(_pattern(template), template) for template in _TEMPLATES]


def translate(message: str) -> str:
    """A message that arrives as data (a field error), in the page's language."""
    translated = gettext(message)
    if translated is not message or _language.get() == DEFAULT_LANGUAGE:
        return translated
    for pattern, template in _PATTERNS:
        if match := pattern.fullmatch(message):
            values = {
                name: translate(value) if name in _MESSAGE_VALUES else value
                for name, value in match.groupdict().items()
            }
            return gettext(template).format(**values)
    return translated


def relationship_options() -> list[tuple[str, str]]:
    """The relationships a guardian may have, with their names in the page's language."""
    return [(value, gettext(label)) for value, label in RELATIONSHIP_LABELS.items()]


def form_labels() -> dict[str, str]:
    """The labels of a student form's inputs, guardians' rows too ("Guardian 2: Phone")."""
    labels = dict(FIELD_LABELS)
    for row in range(GUARDIANS_MAX):
        for name, label in GUARDIAN_LABELS.items():
            labels[f"guardian-{row}-{name}"] = gettext("Guardian {n}: {field}").format(
                n=row + 1, field=gettext(label)
            )
    return labels


def format_date(value: date) -> str:
    """A date as the page's language writes it; every page shows and asks dates this way."""
    # TRANSLATORS: how a date is written (strftime): French pages write 17/04/2009.
    return value.strftime(gettext("%Y-%m-%d"))


def format_datetime(value: datetime) -> str:
    """A date and time (UTC) as the page's language writes it."""
    # TRANSLATORS: how a date and time are written (strftime).
    return value.strftime(gettext("%Y-%m-%d %H:%M"))


def format_timestamp(value: datetime) -> str:
    """A date and time to the second (UTC), as the page's language writes it."""
    # TRANSLATORS: how a date and time to the second are written (strftime).
    return value.strftime(gettext("%Y-%m-%d %H:%M:%S"))


def date_example() -> str:
    """The example date that field hints give, in the page's format."""
    return format_date(date(2009, 4, 17))


def explain_date(problem: DateProblem) -> str:
    """What is wrong with a typed date, in the page's language (month names too)."""
    values = {name: gettext(value) for name, value in problem.values.items()}
    return gettext(problem.message).format(**values)
