"""Phone numbers as a school writes them down: French national or international, kept E.164.

`phonenumbers` knows every country's plan, but it is 3 MB installed (5 with its bytecode) and
the image has not that much room left under its size bar. A registry needs less: a French
number as people write it (``06 12 34 56 78``, with spaces, dots or dashes) or any number in
international form (``+44 20 7946 0958``, ``0044 ...``), checked for shape and length.
"""

from __future__ import annotations

import re

PHONE_MAX = 32
# Digits in groups, each group set apart by one space, dot or dash; '+' or '00' may start it.
_WRITTEN = re.compile(r"(\+|00)?[0-9]+(?:[ .-][0-9]+)*")
# A French national number: 0 then the nine digits of the subscriber (no 00: that is a prefix).
_FRENCH = re.compile(r"0([1-9][0-9]{8})")
# E.164: a country code (no leading 0) and at most 15 digits in all; 8 at least, as the
# shortest national numbers in use are 7 digits behind a one-digit code.
_INTERNATIONAL = re.compile(r"[1-9][0-9]{7,14}")
FRANCE = "33"


def normalize_phone(text: str) -> str | None:
    """The E.164 form (``+33612345678``) of a French or international number, or None."""
    written = text.strip()
    if len(written) > PHONE_MAX or not _WRITTEN.fullmatch(written):
        return None
    digits = re.sub(r"[ .-]", "", written)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif french := _FRENCH.fullmatch(digits):
        return f"+{FRANCE}{french.group(1)}"
    else:
        return None
    if not _INTERNATIONAL.fullmatch(digits):
        return None
    # France's own numbers have nine digits after its code, the first not a 0.
    if digits.startswith(FRANCE) and not _FRENCH.fullmatch("0" + digits[2:]):
        return None
    return f"+{digits}"


def display_phone(e164: str) -> str:
    """A stored number as a French reader writes it: ``06 12 34 56 78``; others as stored."""
    if e164.startswith(f"+{FRANCE}") and len(e164) == 12:
        national = "0" + e164[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return e164
