"""The domain's exceptions, raised by the store and the service, mapped to HTTP in one place.

RegistryError
├── StoreUnavailable        Redis cannot be reached or did not answer in time
│   └── OutcomeUnknown      a write ran, but no replica confirmed it in time: it may be lost
├── InvalidStudent          input breaks the student rules; carries every field's error
├── InvalidCursor           a pagination cursor that this service did not issue
│   └── StaleCursor         the student a page started from was removed or renamed since
├── InvalidSearch           a name search with more words than a search takes
├── InvalidImport           a bulk file that cannot be read: its header, encoding or structure
│   └── ImportTooLarge      a file (or the file in a zip) larger than an import takes
├── ExportOnlyOption        an import option only a SIECLE or ONDE export takes, with another file
├── IdempotencyKeyReused    an Idempotency-Key sent again with another request
├── StudentNotFound         no student with that id
├── Conflict
│   ├── StudentExists       the id is taken
│   ├── EmailTaken          another student has that email
│   ├── IneTaken            another student has that national student identifier (INE)
│   ├── PossibleDuplicate   students with the same names and birth date are registered
│   ├── StaleRevision       If-Match names a revision that is no longer current
│   └── UserExists          a user with that email exists
├── InvalidRollover       a rollover whose courses or students do not match the registry's
├── InvalidAccount          a user or token input breaks the rules (a weak password, ...)
├── UserNotFound            no user with that email
├── TokenNotFound           no token with that id (or not one of the caller's)
├── InvalidCredentials      sign-in refused: "Invalid email or password", whatever the cause
├── TooManyAttempts         sign-in throttled; carries the seconds to wait
├── NotAuthenticated        no valid session or token for a route that needs one
└── Forbidden               the signed-in user's role (or a read-only token) does not allow it
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid input field: where it is and what is wrong, in words a person reads."""

    path: str
    message: str


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""


class StoreUnavailable(RegistryError):
    """Redis cannot be reached or did not answer in time."""


class OutcomeUnknown(StoreUnavailable):
    """The primary ran a write, but no replica confirmed it in time.

    The write may be kept, or lost if the primary fails before a replica copies it: the client
    reads again, or sends the request again with its Idempotency-Key.
    """


class InvalidStudent(RegistryError):
    """Input that breaks the student rules, with one error per field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors


class InvalidCursor(RegistryError):
    """A pagination cursor that this service did not issue."""


class StaleCursor(InvalidCursor):
    """The student a page started from was removed or renamed since (or another list's)."""

    def __init__(self) -> None:
        super().__init__(
            "This page's starting point no longer exists: the student it started from was"
            " removed or renamed. Start again from the first page."
        )


class InvalidSearch(RegistryError):
    """A name search that cannot be run as it is; carries the error of its field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors


class InvalidImport(RegistryError):
    """A bulk file that cannot be read as a whole: its header, encoding or structure."""


class ImportTooLarge(InvalidImport):
    """A file, or the file a zip holds, larger than the most an import takes."""


class ExportOnlyOption(RegistryError):
    """An import option that only a SIECLE or ONDE export takes, asked with another file."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors


class IdempotencyKeyReused(RegistryError):
    """An Idempotency-Key already used for another request (another body, another route)."""

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used for a different request; use a new key for a new"
            " request."
        )


class StudentNotFound(RegistryError):
    """No student has this id."""

    def __init__(self, student_id: str) -> None:
        super().__init__(f"No student has the id {student_id!r}.")
        self.student_id = student_id


class Conflict(RegistryError):
    """The request conflicts with the stored data, which is left untouched."""


class StudentExists(Conflict):
    """The id is taken."""

    def __init__(self, student_id: str) -> None:
        super().__init__(f"A student with the id {student_id!r} is already registered.")
        self.student_id = student_id


class EmailTaken(Conflict):
    """Another student has this email."""

    def __init__(self, email: str) -> None:
        super().__init__(f"Another student already has the email {email!r}.")
        self.email = email


class IneTaken(Conflict):
    """Another student has this national student identifier (INE)."""

    def __init__(self, ine: str) -> None:
        super().__init__(
            f"Another student already has the INE (national student identifier) {ine!r}."
        )
        self.ine = ine


class PossibleDuplicate(Conflict):
    """Students with the same names (ignoring case and accents) and birth date are registered."""

    def __init__(self, student_ids: list[str]) -> None:
        super().__init__(
            "A student with the same first name, last name and date of birth is already"
            f" registered: {', '.join(student_ids)}. Register anyway with allow_duplicate=true."
        )
        self.student_ids = student_ids


class StaleRevision(Conflict):
    """If-Match names a revision that is no longer current."""

    def __init__(self, student_id: str) -> None:
        super().__init__(
            f"The student {student_id!r} changed since you read it; fetch it again and retry."
        )
        self.student_id = student_id


class UserExists(Conflict):
    """A user with this email exists."""

    def __init__(self, email: str) -> None:
        super().__init__(f"A user with the email {email!r} exists.")
        self.email = email


class OwnAdminRights(Conflict):
    """An admin tried to take their own admin role away, or to disable themselves."""

    def __init__(self) -> None:
        super().__init__(
            "You cannot take away your own admin role or disable yourself: another admin can."
        )


class RolloverInProgress(Conflict):
    """A rollover is moving the students to the next school year: writes wait for its end."""

    def __init__(self) -> None:
        super().__init__(
            "A rollover to the next school year is under way; try again in a few seconds."
        )


class YearClosed(Conflict):
    """The registry shows a school year students are no longer enrolled in."""

    def __init__(self, current: str, live: str) -> None:
        super().__init__(
            f"The current year is {current}, whose enrolments are history: students are"
            f" registered and changed in {live}. Make {live} the current year to change them."
        )
        self.current = current
        self.live = live


class UnknownYear(RegistryError):
    """A school year the registry has not held (a rollover opens the next one)."""

    def __init__(self, year: str, live: str) -> None:
        super().__init__(
            f"The registry holds no school year {year}: its years run up to {live}, and a"
            f" rollover from {live} opens the next one."
        )
        self.year = year


class InvalidRollover(RegistryError):
    """A rollover that cannot apply: courses without a mapping, unknown students, bad years."""

    def __init__(
        self,
        message: str,
        *,
        unmapped_courses: list[str] | None = None,
        unknown_students: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.unmapped_courses = unmapped_courses or []
        self.unknown_students = unknown_students or []


class InvalidAccount(RegistryError):
    """A user or token input that breaks the rules, with one error per field."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors


class UserNotFound(RegistryError):
    """No user has this email."""

    def __init__(self, email: str) -> None:
        super().__init__(f"No user has the email {email!r}.")
        self.email = email


class TokenNotFound(RegistryError):
    """No token has this id, or it belongs to someone else."""

    def __init__(self, token_id: str) -> None:
        super().__init__(f"No token has the id {token_id!r}.")
        self.token_id = token_id


class InvalidCredentials(RegistryError):
    """Sign-in refused. One message for every cause, so it tells an attacker nothing."""

    def __init__(self) -> None:
        super().__init__("Invalid email or password")


class TooManyAttempts(RegistryError):
    """Too many failed sign-ins: wait this many seconds before the next attempt."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many failed sign-ins. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


class NotAuthenticated(RegistryError):
    """The route needs a signed-in user or a valid token, and the request has neither."""


class Forbidden(RegistryError):
    """The user's role, or a read-only token, does not allow this."""
