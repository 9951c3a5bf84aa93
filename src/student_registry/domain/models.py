"""The student models, named by role, with their constraints on the fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from student_registry.domain import rules
from student_registry.domain.phones import PHONE_MAX, PHONE_PATTERN

# The document states the limit on the text as stored: 100 characters, which is what a client
# types. The model takes more code points, so that decomposed (NFD) input composes to 100.
# Its pattern leaves out the characters the rules refuse anywhere (controls, formatting, line
# breaks); the Unicode categories they are named by cannot be said in a pattern.
TEXT_SCHEMA = {
    "extra": {
        "max_length": rules.TEXT_MAX,
        "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f\\xad\\u0600-\\u0605\\u061c\\u06dd\\u070f"
        "\\u0890\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064"
        "\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]+$",
    }
}
StudentId = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern=rules.ID_PATTERN,
        description="The school's student number: 1-64 of A-Z a-z 0-9 _ -.",
        examples=["2024-0042"],
    ),
]
Name = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=rules.TEXT_INPUT_MAX,
        extra_json_schema=TEXT_SCHEMA,
        pattern=rules.TEXT_PATTERN,
        description=(
            "1-100 characters once trimmed, stored composed (NFC); any letters, apostrophes, "
            "hyphens, spaces; at least one visible character (a letter, a digit or a sign); no "
            "invisible, control or line-break characters."
        ),
        examples=["Éloïse"],
    ),
]
Course = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=rules.TEXT_INPUT_MAX,
        extra_json_schema=TEXT_SCHEMA,
        pattern=rules.TEXT_PATTERN,
        description=(
            "The class or course, 1-100 characters once trimmed, stored composed (NFC); "
            "at least one visible character; no invisible, control or line-break characters."
        ),
        examples=["3eB"],
    ),
]
Email = Annotated[
    str,
    Meta(
        max_length=rules.EMAIL_MAX,
        pattern=rules.EMAIL_PATTERN,
        description="Optional; unique among students, ignoring case.",
        examples=["eloise.durand@example.org"],
    ),
]
BirthDate = Annotated[
    date,
    Meta(description="YYYY-MM-DD, from 1900-01-01 up to today.", examples=["2009-04-17"]),
]
# Which students a list, a count or an export shows (the store's StatusFilter).
StatusFilter = Literal["enrolled", "withdrawn", "all"]
STATUS_FILTER = (
    "Which students: `enrolled` (the default), `withdrawn`, or `all` of them. Cursors belong"
    " to the status they were issued for."
)
Status = Annotated[
    Literal["enrolled", "withdrawn"],
    Meta(
        description="`enrolled`, or `withdrawn` (radié): a withdrawn student has an exit_date"
        " and an exit_reason, and is listed only when asked for (`status=withdrawn|all`)."
        " Changing it to `enrolled` reinstates the student and clears both (an exit_date or"
        " exit_reason sent along is not kept)."
    ),
]
EntryDate = Annotated[
    date,
    Meta(
        description="The date of enrolment, YYYY-MM-DD, from 1900-01-01 up to a year ahead;"
        " today (UTC) when absent at registration.",
        examples=["2024-09-02"],
    ),
]
ExitDate = Annotated[
    date,
    Meta(
        description="The date the student left, YYYY-MM-DD: required when withdrawn, and only"
        " then; not before entry_date, and not in the future (UTC): a withdrawal is recorded"
        " once it has happened.",
        examples=["2025-02-14"],
    ),
]
ExitReason = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=rules.TEXT_INPUT_MAX,
        extra_json_schema=TEXT_SCHEMA,
        pattern=rules.TEXT_PATTERN,
        description="Why the student left, 1-100 characters once trimmed: required when"
        " withdrawn, and only then.",
        examples=["Moved to Lyon"],
    ),
]
Sex = Annotated[
    Literal["F", "M"],
    Meta(description="Optional; F or M, as ONDE and SIECLE record it.", examples=["F"]),
]
Ine = Annotated[
    str,
    Meta(
        min_length=11,
        max_length=11,
        pattern=rules.INE_PATTERN,
        description=(
            "Optional; the national student identifier (INE): 10 digits and a letter, or 9"
            " digits and 2 letters; stored upper-cased, unique among students."
        ),
        examples=["1234567890A"],
    ),
]
Birthplace = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=rules.TEXT_INPUT_MAX,
        extra_json_schema=TEXT_SCHEMA,
        pattern=rules.TEXT_PATTERN,
        description="Optional; the town of birth, 1-100 characters once trimmed, as names.",
        examples=["Lyon"],
    ),
]
Relationship = Annotated[
    Literal["mother", "father", "guardian", "other"],
    Meta(description="What the guardian is to the student.", examples=["mother"]),
]
Phone = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=PHONE_MAX,
        pattern=PHONE_PATTERN,
        description=(
            "Optional; a French number (06 12 34 56 78, with spaces, dots or dashes) or an"
            " international one (+44 20 7946 0958, 8 to 15 digits); stored E.164"
            " (+33612345678)."
        ),
        examples=["+33612345678"],
    ),
]

GuardianEmail = Annotated[
    str,
    Meta(
        max_length=rules.EMAIL_MAX,
        pattern=rules.EMAIL_PATTERN,
        description="Optional; the guardian's email.",
        examples=["marie.durand@example.org"],
    ),
]


class Guardian(Struct, forbid_unknown_fields=True, kw_only=True):
    """A legal guardian (responsable légal) of a student."""

    name: Annotated[Name, Meta(description="The guardian's full name, 1-100 characters.")]
    relationship: Relationship
    parental_authority: Annotated[
        bool, Meta(description="Whether the guardian holds parental authority.")
    ]
    phone: Phone | None = None
    email: GuardianEmail | None = None

    def __post_init__(self) -> None:
        rules.normalize_guardian(self)


Guardians = Annotated[
    list[Guardian],
    Meta(
        max_length=rules.GUARDIANS_MAX,
        description=(
            f"Optional; up to {rules.GUARDIANS_MAX} legal guardians (responsables légaux). A"
            " PATCH replaces the whole list; null or [] removes them."
        ),
    ),
]


class StudentCreate(Struct, forbid_unknown_fields=True, kw_only=True):
    """A registration: every field but the id and the email is required."""

    first_name: Name
    last_name: Name
    birth_date: BirthDate
    course: Course
    id: StudentId | None = None
    email: Email | None = None
    status: Status = "enrolled"
    entry_date: EntryDate | None = None
    exit_date: ExitDate | None = None
    exit_reason: ExitReason | None = None
    sex: Sex | None = None
    ine: Ine | None = None
    birthplace: Birthplace | None = None
    guardians: Guardians | None = None

    def __post_init__(self) -> None:
        rules.normalize(self)
        rules.check_enrolment(self)


class StudentPatch(Struct, forbid_unknown_fields=True, kw_only=True):
    """A partial change: only the fields present change; null removes an optional field."""

    first_name: Name | UnsetType = UNSET
    last_name: Name | UnsetType = UNSET
    birth_date: BirthDate | UnsetType = UNSET
    course: Course | UnsetType = UNSET
    email: Email | UnsetType | None = UNSET
    status: Status | UnsetType = UNSET
    entry_date: EntryDate | UnsetType = UNSET
    exit_date: ExitDate | UnsetType | None = UNSET
    exit_reason: ExitReason | UnsetType | None = UNSET
    sex: Sex | UnsetType | None = UNSET
    ine: Ine | UnsetType | None = UNSET
    birthplace: Birthplace | UnsetType | None = UNSET
    # Replaced as a whole list; null or [] removes them all.
    guardians: Guardians | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        rules.normalize(self)
        rules.check_enrolment_dates(self)


class Enrolment(Struct, kw_only=True):
    """A student's enrolment in one school year: its class, and whether it left."""

    year: Annotated[str, Meta(description="The school year, like 2026-2027.")]
    course: str
    status: Literal["enrolled", "withdrawn"] = "enrolled"
    entry_date: date
    exit_date: date | None = None
    exit_reason: str | None = None


class Student(Struct, kw_only=True):
    """A registered student, as the API shows it: its course, status and dates are those of
    its enrolment in the year asked (the current one), `enrolments` lists every one."""

    id: str
    first_name: str
    last_name: str
    birth_date: date
    course: str
    email: str | None = None
    sex: Literal["F", "M"] | None = None
    ine: str | None = None
    birthplace: str | None = None
    guardians: list[Guardian] | None = None
    created_at: datetime
    updated_at: datetime
    status: Literal["enrolled", "withdrawn"] = "enrolled"
    entry_date: date
    exit_date: date | None = None
    exit_reason: str | None = None
    year: Annotated[
        str | None,
        Meta(
            description="The school year of the enrolment shown: the one asked, else the latest"
            " before it (a student who left), else the first after it."
        ),
    ] = None
    enrolments: Annotated[
        list[Enrolment], Meta(description="Every enrolment of the student, newest first.")
    ] = msgspec.field(default_factory=list)


class StoredStudent(Struct, kw_only=True):
    """A student with its revision, as the store returns it."""

    student: Student
    revision: str


class StudentPage(Struct, kw_only=True):
    """One page of a listing; pass ``next_cursor`` (``previous_cursor``) back for the next one."""

    items: list[Student]
    next_cursor: Annotated[
        str | None,
        Meta(description="The cursor of the next page; null on the last one."),
    ]
    previous_cursor: Annotated[
        str | None,
        Meta(description="The cursor of the page before; null on the first one."),
    ] = None
    total: Annotated[
        int,
        Meta(
            description="The number of matches when total_exact is true; for a name search over"
            " many students, at most this many (counting exactly would read every match)."
        ),
    ]
    total_exact: Annotated[bool, Meta(description="Whether total counts the matches exactly.")] = (
        True
    )


class CourseCount(Struct, kw_only=True):
    """How many students one course has."""

    course: str
    students: int


# Guardians are stored as one JSON field, each as an array in this order with its trailing
# defaults left out, and the relationship as a letter: two guardians then take about 100 bytes.
class _StoredGuardian(Struct, array_like=True, omit_defaults=True):
    name: str
    relationship: str
    parental_authority: int
    phone: str | None = None
    email: str | None = None


_RELATIONSHIP_LETTERS = {"mother": "m", "father": "f", "guardian": "g", "other": "o"}
_RELATIONSHIPS = {letter: name for name, letter in _RELATIONSHIP_LETTERS.items()}
_GUARDIANS_ENCODER = msgspec.json.Encoder()
_GUARDIANS_DECODER = msgspec.json.Decoder(list[_StoredGuardian])


def encode_guardians(guardians: list[Guardian] | None) -> str:
    """Guardians as the store keeps them: compact JSON, '' for none."""
    if not guardians:
        return ""
    return _GUARDIANS_ENCODER.encode(
        [
            _StoredGuardian(
                name=g.name,
                relationship=_RELATIONSHIP_LETTERS[g.relationship],
                parental_authority=int(g.parental_authority),
                phone=g.phone,
                email=g.email,
            )
            for g in guardians
        ]
    ).decode()


def decode_guardians(stored: str) -> list[Guardian]:
    """Guardians from the store's form (encode_guardians)."""
    return [
        msgspec.convert(
            {
                "name": g.name,
                "relationship": _RELATIONSHIPS[g.relationship],
                "parental_authority": bool(g.parental_authority),
                "phone": g.phone,
                "email": g.email,
            },
            Guardian,
        )
        for g in _GUARDIANS_DECODER.decode(stored)
    ]


def student_from_hash(fields: dict[str, Any]) -> StoredStudent:
    """Build a stored student from its Redis hash."""
    if "guardians" in fields:
        fields = {**fields, "guardians": decode_guardians(fields["guardians"])}
    return StoredStudent(
        student=msgspec.convert(fields, Student, strict=False),
        revision=str(fields["revision"]),
    )
