"""Translations of the page's text. English is the source; a catalog can be added per language.

Templates mark text with ``_()`` (Jinja's i18n extension) and Python code with ``gettext``
below, so every string can be extracted with Babel into a catalog later. In a template, ``_()``
takes literal text only: its result is trusted markup (values given to ``.format`` or ``%`` are
escaped, the message itself is not). A message that arrives as data, such as a field error,
goes through the ``translate`` filter instead, whose plain text the template escapes.
"""

from __future__ import annotations

import gettext as _gettext
from pathlib import Path

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
