"""The student rules that a type alone cannot say, and the messages a person reads."""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any

from student_registry.domain.phones import normalize_phone
from student_registry.domain.text import compose
from student_registry.messages import N_

ID_PATTERN = r"^[A-Za-z0-9_-]+$"
# A pattern's `$` also matches before a final newline; an id must match in full.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# Any printable text: names keep every letter, apostrophe and hyphen as typed (in NFC).
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]+$"
TEXT_MAX = 100
# Characters, as typed: decomposed (NFD) text takes up to four code points for one character.
TEXT_INPUT_MAX = 4 * TEXT_MAX + 64
EMAIL_MAX = 254
# The HTML standard's definition of a valid email address, as browsers check it.
EMAIL_PATTERN = (
    r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"
)
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
# The national student identifier (INE): 10 digits and a letter, or 9 digits and 2 letters.
INE_PATTERN = r"^(?:[0-9]{10}[A-Za-z]|[0-9]{9}[A-Za-z]{2})$"
GUARDIANS_MAX = 4

TEXT_FIELDS = ("first_name", "last_name", "course")
# Texts a student may have, held to the same rules when present.
OPTIONAL_TEXT_FIELDS = ("exit_reason",)
# Names the API uses under /api/v1/students/ for something else than a student.
RESERVED_IDS = frozenset({"import"})

MESSAGES = {
    "id": N_("must be 1 to 64 characters, each a letter A-Z or a-z, a digit, '_' or '-'"),
    "first_name": N_("must be 1 to 100 characters, with no control characters"),
    "last_name": N_("must be 1 to 100 characters, with no control characters"),
    "course": N_("must be 1 to 100 characters, with no control characters"),
    "email": N_("must be a valid email address, like name@example.org"),
    "birth_date": N_("must be a date written YYYY-MM-DD"),
    "status": N_("must be enrolled or withdrawn"),
    "entry_date": N_("must be a date written YYYY-MM-DD"),
    "exit_date": N_("must be a date written YYYY-MM-DD"),
    "exit_reason": N_("must be 1 to 100 characters, with no control characters"),
    "sex": N_("must be F or M"),
    "ine": N_("must be 11 characters: 10 digits and a letter, or 9 digits and 2 letters"),
    "birthplace": N_("must be 1 to 100 characters, with no control characters"),
    "guardians": N_("must be a list of at most 4 guardians"),
    "name": N_("must be 1 to 100 characters, with no control characters"),
    "relationship": N_("must be one of mother, father, guardian, other"),
    "phone": N_("must be a phone number, like 06 12 34 56 78 or +44 20 7946 0958"),
    "parental_authority": N_("must be true or false"),
}
RESERVED_ID = N_("is reserved by the API (/api/v1/students/import); choose another")
REQUIRED = N_("is required")
UNKNOWN = N_("is not a field of a student")
FUTURE_BIRTH_DATE = N_("must not be in the future")
EARLY_BIRTH_DATE = N_("must not be before 1900-01-01")
INVISIBLE_CHARACTER = N_(
    "must not contain {character}: control, formatting and line-break characters are not allowed"
)
NOTHING_VISIBLE = N_("must contain a visible character: a letter, a digit or a sign")

# Controls, formatting (bidi overrides, zero-width spaces), surrogates, line and paragraph
# separators: invisible in a list of names, or able to reorder or break what follows them.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NON_JOINER, _JOINER = "\u200c", "\u200d"
_VIRAMA = 9  # the canonical combining class of the viramas of Indic scripts
# Letters that draw nothing: Hangul fillers; the blank Braille pattern.
_BLANK_LETTERS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"})
# Most names need no look at each character: Latin letters, marks, quotes and dashes, with no
# control or formatting character among them (U+00AD, the soft hyphen, is left out).
_UNUSUAL_CHARACTER = re.compile(r"[^ -~\u00a0-\u00ac\u00ae-\u036f\u1e00-\u1eff\u2010-\u2027]")
_NOTHING_SHOWN = re.compile(r"[\s\u0300-\u036f]*")


class _Today:
    """Today's date, read from the clock only when the day may have changed.

    A bulk import checks tens of thousands of birth dates a second; asking the clock for the
    date each time cost more than the check itself.
    """

    def __init__(self) -> None:
        self.day = date.min
        self.starts = self.ends = 0.0

    def __call__(self) -> date:
        now = time.time()
        if not self.starts <= now < self.ends:
            # The local day that holds `now`, and the instants it starts and ends at.
            day = datetime.fromtimestamp(now).date()
            start = datetime(day.year, day.month, day.day)
            self.day = day
            self.starts = start.timestamp()
            self.ends = (start + timedelta(days=1)).timestamp()
        return self.day


today = _Today()


def clean_text(name: str, value: str) -> tuple[str, str | None]:
    """A name or course as stored, and what is wrong with it or None.

    Stored text is composed (NFC), so that one spelling is one text whatever the keyboard
    sent, and trimmed. Characters that show nothing or can reorder what follows are refused
    wherever they are, at the ends too.
    """
    text = compose(value).strip()
    if not 1 <= len(text) <= TEXT_MAX:
        return text, MESSAGES[name]
    if value.isascii():
        return text, None  # the type refuses ASCII controls; anything else left shows
    if not _UNUSUAL_CHARACTER.search(value):
        # Trimmed, it starts with a character that shows, unless with a combining mark.
        nothing_shown = "\u0300" <= text[0] <= "\u036f" and _NOTHING_SHOWN.fullmatch(text)
        return text, NOTHING_VISIBLE if nothing_shown else None
    return text, _unusual_text_problem(value)


def _unusual_text_problem(value: str) -> str | None:
    """What is wrong with a text, looking at each character: the first hidden one, if any."""
    shown = False
    for at, character in enumerate(value):
        category = unicodedata.category(character)
        if category in _INVISIBLE_CATEGORIES:
            if not (0 < at < len(value) - 1 and _shapes(value[at - 1], character, value[at + 1])):
                return INVISIBLE_CHARACTER.format(character=describe_character(character))
        elif category[0] in "LNPS" and character not in _BLANK_LETTERS:
            shown = True
    return None if shown else NOTHING_VISIBLE


def _shapes(before: str, character: str, after: str) -> bool:
    """Whether a (non-)joiner shapes the characters it sits between, as the scripts that need
    one use it: after a virama (Indic scripts), between Arabic letters (Persian writes a
    non-joiner inside words), inside an emoji sequence."""
    if character not in (_NON_JOINER, _JOINER):
        return False
    if unicodedata.combining(before) == _VIRAMA:
        return True
    if character == _NON_JOINER:
        arabic = unicodedata.bidirectional(after) == "AL"
        return arabic and unicodedata.bidirectional(before) in ("AL", "NSM")
    emoji_before = unicodedata.category(before) in ("So", "Sk") or before == "\ufe0f"
    return emoji_before and unicodedata.category(after) == "So"


def is_valid_id(value: str) -> bool:
    """Whether a text is a student id that can be registered."""
    return bool(_ID.fullmatch(value)) and value not in RESERVED_IDS


def describe_character(character: str) -> str:
    """A character by its code point and name: ``U+202E (RIGHT-TO-LEFT OVERRIDE)``."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X}" + (f" ({name})" if name else "")


def field_problem(name: str, value: Any) -> str | None:
    """What is wrong with a field's value once its type is right, or None."""
    if name == "id" and isinstance(value, str):
        if not _ID.fullmatch(value):
            return MESSAGES["id"]
        if value in RESERVED_IDS:
            return RESERVED_ID
    if name in (*TEXT_FIELDS, *OPTIONAL_TEXT_FIELDS) and isinstance(value, str):
        return clean_text(name, value)[1]
    if name in ("birthplace", "name") and isinstance(value, str):
        return clean_text(name, value)[1]
    if name == "phone" and isinstance(value, str) and normalize_phone(value) is None:
        return MESSAGES["phone"]
    if name == "birth_date" and isinstance(value, date):
        if value > today():
            return FUTURE_BIRTH_DATE
        if value < EARLIEST_BIRTH_DATE:
            return EARLY_BIRTH_DATE
    if name in ENROLMENT_DATES and isinstance(value, date):
        return enrolment_date_problem(name, value)
    return None


def normalize(model: Any) -> None:
    """Compose and trim the texts of a model in place, then check what its types cannot."""
    student_id = getattr(model, "id", None)
    if isinstance(student_id, str) and (problem := field_problem("id", student_id)):
        raise ValueError(f"id {problem}")
    for name in (*TEXT_FIELDS, *OPTIONAL_TEXT_FIELDS):
        value = getattr(model, name)
        if isinstance(value, str):
            value, problem = clean_text(name, value)
            setattr(model, name, value)
            if problem:
                raise ValueError(f"{name} {problem}")
    if isinstance(model.email, str):
        model.email = model.email.strip() or None
    birth_date = model.birth_date
    if isinstance(birth_date, date) and (problem := field_problem("birth_date", birth_date)):
        raise ValueError(f"birth_date {problem}")
    normalize_registration_fields(model)


def normalize_registration_fields(model: Any) -> None:
    """Store the INE upper-cased and the birthplace as names are (composed, trimmed)."""
    if isinstance(model.ine, str):
        model.ine = model.ine.upper()
    if isinstance(model.birthplace, str):
        model.birthplace, problem = clean_text("birthplace", model.birthplace)
        if problem:
            raise ValueError(f"birthplace {problem}")


def normalize_guardian(guardian: Any) -> None:
    """Compose and trim a guardian's name, store the phone E.164 and the email trimmed."""
    guardian.name, problem = clean_text("name", guardian.name)
    if problem:
        raise ValueError(f"name {problem}")
    if isinstance(guardian.phone, str):
        phone = normalize_phone(guardian.phone)
        if phone is None:
            raise ValueError(f"phone {MESSAGES['phone']}")
        guardian.phone = phone
    if isinstance(guardian.email, str):
        guardian.email = guardian.email.strip() or None


# Enrolment and withdrawal (radiation). Days are UTC days: the settings name no time zone.
ENROLMENT_DATES = ("entry_date", "exit_date")
ENROLMENT_FIELDS = ("status", "entry_date", "exit_date", "exit_reason")
# A school registers pupils for the next school year months ahead, never years.
ENTRY_AHEAD = timedelta(days=366)
FUTURE_EXIT_DATE = N_("must not be in the future: record a withdrawal once it has happened")
FAR_ENTRY_DATE = N_("must not be more than a year ahead")
EARLY_DATE = N_("must not be before 1900-01-01")
WITHDRAWAL_REQUIRES = N_("is required when the student is withdrawn")
ENROLLED_HAS_NO = N_("must be empty unless the student is withdrawn")
EXIT_BEFORE_ENTRY = N_("must not be before the entry date ({entry})")


def utc_today() -> date:
    """Today's date in UTC: the day a registration without an entry date enters on."""
    return datetime.now(UTC).date()


def enrolment_date_problem(name: str, value: date) -> str | None:
    """What is wrong with an entry or exit date on its own, or None."""
    if value < EARLIEST_BIRTH_DATE:
        return EARLY_DATE
    if name == "exit_date" and value > utc_today():
        return FUTURE_EXIT_DATE
    if name == "entry_date" and value > utc_today() + ENTRY_AHEAD:
        return FAR_ENTRY_DATE
    return None


def enrolment_problems(
    *, status: str, entry_date: date | None, exit_date: date | None, exit_reason: str | None
) -> list[tuple[str, str]]:
    """What is wrong with a student's status and its dates taken together: (field, message).

    A withdrawn student has an exit date and a reason, an enrolled one neither; a student
    leaves no earlier than it entered (today, when it has no entry date yet)."""
    problems = []
    withdrawn = status == "withdrawn"
    for name, value in (("exit_date", exit_date), ("exit_reason", exit_reason)):
        if withdrawn and value is None:
            problems.append((name, WITHDRAWAL_REQUIRES))
        elif not withdrawn and value is not None:
            problems.append((name, ENROLLED_HAS_NO))
    entered = entry_date or utc_today()
    if exit_date is not None and exit_date < entered:
        problems.append(("exit_date", EXIT_BEFORE_ENTRY.format(entry=entered.isoformat())))
    return problems


def check_enrolment(model: Any) -> None:
    """Raise ValueError naming the first problem of a model's status and its dates."""
    problems = enrolment_problems(
        status=model.status,
        entry_date=model.entry_date,
        exit_date=model.exit_date,
        exit_reason=model.exit_reason,
    )
    for name, problem in problems:
        raise ValueError(f"{name} {problem}")
    check_enrolment_dates(model)


def check_enrolment_dates(model: Any) -> None:
    """Raise ValueError naming the first entry or exit date of a model that is out of bounds."""
    for name in ENROLMENT_DATES:
        value = getattr(model, name)
        if isinstance(value, date) and (problem := enrolment_date_problem(name, value)):
            raise ValueError(f"{name} {problem}")
