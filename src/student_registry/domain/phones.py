"""Phone numbers as a school writes them down: French national or international, kept E.164.

`phonenumbers` knows every country's plan, but it is 3 MB installed (5 with its bytecode) and
the image has not that much room left under its size bar. A registry needs less: a French
number as people write it (``06 12 34 56 78``, with spaces, dots or dashes) or any number in
international form (``+44 20 7946 0958``, ``0044 ...``), checked for shape and length.
"""

from __future__ import annotations

import re

PHONE_MAX = 32
FRANCE = "33"
# A digit, maybe set apart from the one before by a space, a dot or a dash.
_D = "[ .-]?[0-9]"
# After + (or 00): a country code (no leading 0) and 8 to 15 digits in all; France's (33) has
# nine digits after it, the first not 0. Written out, not checked after, so that this pattern
# is the whole rule and the API's document can give it.
_AFTER_PLUS = (
    f"(?:3[ .-]?3[ .-]?[1-9](?:{_D}){{8}}|3[ .-]?[0-24-9](?:{_D}){{6,13}}|[124-9](?:{_D}){{7,14}})"
)
PHONE_PATTERN = (
    f"^(?:0[ .-]?[1-9](?:{_D}){{8}}"  # French national: 0 and nine digits
    f"|\\+{_AFTER_PLUS}"
    f"|0[ .-]?0[ .-]?{_AFTER_PLUS})$"
)
_PHONE = re.compile(PHONE_PATTERN.removeprefix("^").removesuffix("$"))
_SEPARATORS = re.compile(r"[ .-]")


def normalize_phone(text: str) -> str | None:
    """The E.164 form (``+33612345678``) of a French or international number, or None."""
    written = text.strip()
    if len(written) > PHONE_MAX or not _PHONE.fullmatch(written):
        return None
    digits = _SEPARATORS.sub("", written)
    if digits.startswith("+"):
        return digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return f"+{FRANCE}{digits[1:]}"


def display_phone(e164: str) -> str:
    """A stored number as a French reader writes it: ``06 12 34 56 78``; others as stored."""
    if e164.startswith(f"+{FRANCE}") and len(e164) == 12:
        national = "0" + e164[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return e164
