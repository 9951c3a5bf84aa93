"""A guess at where a French class goes next year, to pre-fill a rollover's mapping.

Classes move up a level and keep the rest of their name (``6e B`` -> ``5e B``, ``CE1 A`` ->
``CE2 A``, ``2nde 3`` -> ``1re 3``); the last class of a school leaves it (``3e``, ``CM2``,
``Terminale``: None). A name it does not recognise, or a class of two levels (``CE1-CE2``), is
given back as it is, for the administrator to edit.
"""

from __future__ import annotations

import re

# Collège: 6e..3e, the level's digit with an optional "e"/"ème" marker, then the section
# ("6A", "6e B", "4e2", "6ème A"), or three digits ("601").
_COLLEGE = re.compile(
    r"(?P<level>[3-6])"
    r"(?:(?P<marker>ème|eme|è|e)(?P<rest>.*)|(?P<number>[0-9]{2})|(?P<section>[^0-9].*)?)",
    re.IGNORECASE | re.DOTALL,
)
# Maternelle and élémentaire, each level and the next; CM2 is the last class of an école.
_PRIMARY: dict[str, str | None] = {
    "TPS": "PS",
    "PS": "MS",
    "MS": "GS",
    "GS": "CP",
    "CP": "CE1",
    "CE1": "CE2",
    "CE2": "CM1",
    "CM1": "CM2",
    "CM2": None,
}
_PRIMARY_LEVEL = re.compile(
    r"(?<![A-Z0-9])(TPS|PS|MS|GS|CP|CE1|CE2|CM1|CM2)(?![A-Z0-9])", re.IGNORECASE
)
_PRIMARY_START = re.compile(
    r"(?P<level>TPS|PS|MS|GS|CP|CE1|CE2|CM1|CM2)(?P<rest>(?<=[12])(?![0-9]).*|(?![A-Z0-9]).*)",
    re.IGNORECASE | re.DOTALL,
)
# Lycée: seconde, première, terminale, written short or long.
_LYCEE = (
    (re.compile(r"(2nde|2de|2nd)(?![A-Z0-9])", re.IGNORECASE), "1re"),
    (re.compile(r"seconde(?![A-Z0-9])", re.IGNORECASE), "Première"),
    (re.compile(r"(1re|1ère|1ere|1er)(?![A-Z0-9])", re.IGNORECASE), "Tle"),
    (re.compile(r"(première|premiere)(?![A-Z0-9])", re.IGNORECASE), "Terminale"),
    (re.compile(r"(terminale|term|tle)(?![A-Z0-9])", re.IGNORECASE), None),
)


def guess_next_course(course: str) -> str | None:
    """The class a course's students go to next year; None when they leave the school."""
    name = course.strip()
    for pattern, following in _LYCEE:
        if found := pattern.match(name):
            return None if following is None else following + name[found.end() :]
    if found := _PRIMARY_START.match(name):
        level, rest = found["level"].upper(), found["rest"]
        if level not in _PRIMARY or _PRIMARY_LEVEL.search(rest):
            return course
        following = _PRIMARY[level]
        return None if following is None else following + rest
    if found := _COLLEGE.fullmatch(name):
        level = int(found["level"])
        if level == 3:
            return None
        tail = (found["marker"] or "") + (found["rest"] or "")
        return f"{level - 1}{tail}{found['number'] or ''}{found['section'] or ''}"
    return course
