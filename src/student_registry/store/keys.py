"""Redis key names. Every key the service writes is built here.

Members of the sorted-set indexes are *sort keys*: ``fold(last)\0fold(first)\0id``, all with
score 0, so ``ZRANGE ... BYLEX`` walks students in alphabetical order. Names never contain NUL
(validation forbids control characters). A name search reads the order index and the first-name
index as one index of ``name\0sort key`` entries, each student in it under both of its names:
any prefix is then two BYLEX ranges, merged (walk.lua).

Withdrawn students are in indexes of their own, twins of those of enrolled students (``sr:w:``):
each status is listed by walking its own indexes, and both by merging them. The script that
withdraws or reinstates a student moves its members from one set to the other.

Lua scripts receive every key they touch in KEYS, as Redis asks (Cluster and proxies route by
them), but for those no caller can know before the script has read what names them:
- the hashes of the students an index walk finds (walk.lua);
- the hashes of the students registered under a new student's folded names, whose birth date
  the duplicate check reads (lib.lua ``duplicates``: a range of the order index, so the check
  costs no memory of its own);
- the index of the course a student leaves when an update-mode import replaces it (import.lua);
- the indexes of a student's enrolments in other school years than the live one, named by its
  hash (y, h), which a change of its names or its deletion updates (lib.lua ``other_years``);
- the course indexes a rollover moves students between (rollover.lua), named by their hashes;
- the token hash a token id names in the token-ids hash (token_revoke.lua, and user_update.lua
  for each id in a user's token set), the owner's token set named in that hash
  (token_revoke.lua), a user's session keys named in their session set (user_update.lua), and
  the user hash a token's owner field names (token_auth.lua).
"""

import zlib

PREFIX = "sr"

# Fields of a student hash. One letter each: a registry holds millions of these hashes, and
# short names keep each one small enough for Redis's compact listpack encoding.
STUDENT_FIELDS = {
    "f": "first_name",
    "l": "last_name",
    "b": "birth_date",  # YYYYMMDD (an integer to Redis: smaller); YYYY-MM-DD is read too
    "c": "course",
    "e": "email",  # absent when the student has none
    "t": "created_at",  # microseconds since the Unix epoch, UTC
    "u": "updated_at",  # idem; absent until the first change (then it is created_at)
    # The ETag was a counter's value at the last write in hashes written before; it is now the
    # time of the last write (u, else t), and v goes at the next write.
    "v": "revision",
    # The member of the indexes, to remove it when names change; absent when the scripts can
    # derive it from the names (ASCII names: lower-cased last, first, id; see lib.lua).
    "k": "sort_key",
    # The registration fields French schools keep; each absent when not given.
    "x": "sex",  # F or M
    "i": "ine",  # the national student identifier, upper-cased
    "p": "birthplace",
    "g": "guardians",  # JSON, compact: see domain/models.py encode_guardians
    # Enrolment and withdrawal. An enrolled student has no w: the absence of a field means
    # enrolled, so the many enrolled students pay nothing for the status.
    "n": "entry_date",  # YYYYMMDD; absent when it is the day of t (UTC), as in older hashes
    "w": "exit_date",  # YYYYMMDD; present only while the student is withdrawn
    "r": "exit_reason",  # present only while the student is withdrawn
    # School years. The fields above are the student's newest enrolment (course, dates, status),
    # of the live year (years()) unless y names another; h lists the earlier ones.
    "y": "year",  # the school year of the newest enrolment; absent when it is the live year
    "h": "enrolment_history",  # JSON [[year, course, entry, exit, reason], ...], newest first
}


def student_key(student_id: str) -> str:
    """Hash holding one student's fields (STUDENT_FIELDS), its revision and maybe its sort key."""
    return f"{PREFIX}:student:{student_id}"


def student_key_prefix() -> str:
    """Prefix of every student hash; Lua scripts append an id to it."""
    return f"{PREFIX}:student:"


def order_index() -> str:
    """Sorted set of every enrolled student's sort key: the alphabetical list, and the students
    by last name for name search. (Withdrawn students are in withdrawn_order_index.)"""
    return f"{PREFIX}:idx:order"


def first_name_index() -> str:
    """Sorted set of ``fold(first)\\0sort_key``: first-name prefix search, grouped by name."""
    return f"{PREFIX}:idx:first"


def course_index(course: str) -> str:
    """Sorted set of the sort keys of one course's students."""
    return f"{course_index_prefix()}{course}"


def course_index_prefix() -> str:
    """Prefix of the per-course sorted sets; Lua scripts append a course to it."""
    return f"{PREFIX}:idx:course:"


def course_counts() -> str:
    """Hash course -> number of enrolled students: the course list and the statistics."""
    return f"{PREFIX}:courses"


def withdrawn_order_index() -> str:
    """Sorted set of the sort keys of withdrawn students: order_index's twin. A student is in
    one of the two, moved by the script that withdraws or reinstates it, so that listing
    either status stays an index walk."""
    return f"{PREFIX}:w:idx:order"


def withdrawn_first_name_index() -> str:
    """Sorted set like first_name_index, of withdrawn students."""
    return f"{PREFIX}:w:idx:first"


def withdrawn_course_index(course: str) -> str:
    """Sorted set of the sort keys of one course's withdrawn students."""
    return f"{withdrawn_course_index_prefix()}{course}"


def withdrawn_course_index_prefix() -> str:
    """Prefix of the per-course sorted sets of withdrawn students."""
    return f"{PREFIX}:w:idx:course:"


def withdrawn_course_counts() -> str:
    """Hash course -> number of withdrawn students (course_counts counts the enrolled)."""
    return f"{PREFIX}:w:courses"


# School years. Every index above is of one school year: those of the base year (the year the
# store first knew) have the names above, those of another year the same names under
# ``sr:y:<year>:`` (year_key), so a year's lists, counts and searches stay index walks, and a
# rollover builds the next year's indexes beside the last one's, which stay as they were.
YEARS_FIELDS = {
    "base": "the year whose indexes have the names without a year",
    "live": "the newest year: where students are registered and changed",
    "current": "the year lists and students are shown in unless a request names another",
    "rolling": "JSON of the rollover under way, absent otherwise: writes wait for its end",
    "known:<year>": "1 for each year the registry has held",
    "rolled:<from>:<to>": "JSON of a finished rollover's counts: running it again answers them",
}


def years() -> str:
    """Hash of the registry's school years (YEARS_FIELDS). Every student write script
    declares it (lib.lua) and checks the live year and that no rollover is under way."""
    return f"{PREFIX}:years"


def year_key(key: str, year: str, base: str) -> str:
    """One school year's version of an index key: the key itself for the base year, else the
    key under ``sr:y:<year>:`` (lib.lua ``year_key`` builds the same names)."""
    if year == base:
        return key
    return f"{PREFIX}:y:{year}:{key.removeprefix(PREFIX + ':')}"


def email_index() -> str:
    """Hash lower-cased email -> student id: keeps emails unique."""
    return f"{PREFIX}:idx:email"


def ine_index() -> str:
    """Hash INE -> student id: keeps national student identifiers unique. Every write script
    declares it last of its KEYS (lib.lua)."""
    return f"{PREFIX}:idx:ine"


# Accounts. A user is addressed by the lower-cased email; the fields of a user's hash:
USER_FIELDS = {
    "e": "email",  # as typed at creation
    "r": "role",  # viewer, staff or admin
    "p": "password_hash",  # Argon2id, PHC string
    "d": "disabled",  # "1" when disabled, absent otherwise
    "t": "created_at",  # seconds since the Unix epoch
}


def user_key(email_norm: str) -> str:
    """Hash of one user's fields (USER_FIELDS)."""
    return f"{user_key_prefix()}{email_norm}"


def user_key_prefix() -> str:
    """Prefix of every user hash; Lua scripts append a lower-cased email to it."""
    return f"{PREFIX}:user:"


def users_index() -> str:
    """Set of every user's lower-cased email: the user list, and whether any user exists."""
    return f"{PREFIX}:users"


def user_tokens(email_norm: str) -> str:
    """Set of the ids of one user's tokens, to end them all at once."""
    return f"{user_tokens_prefix()}{email_norm}"


def user_tokens_prefix() -> str:
    """Prefix of the per-user token sets; Lua scripts append a lower-cased email."""
    return f"{PREFIX}:user-tokens:"


def user_sessions(email_norm: str) -> str:
    """Set of the ids of one user's page sessions, to end them all at once; expires with them."""
    return f"{PREFIX}:user-sessions:{email_norm}"


# Fields of a token's hash. The token itself is never stored, only its SHA-256.
TOKEN_FIELDS = {
    "i": "id",
    "o": "owner",  # the owner's lower-cased email
    "n": "name",
    "x": "expires_at",  # seconds since the epoch; the key also expires then
    "r": "read_only",  # "1" when read-only, absent otherwise
    "t": "created_at",  # seconds since the epoch
    "u": "last_used_at",  # seconds since the epoch, written at most once a minute
}


def token_key(digest: str) -> str:
    """Hash of one API token (TOKEN_FIELDS), under the hex SHA-256 of the token."""
    return f"{token_key_prefix()}{digest}"


def token_key_prefix() -> str:
    """Prefix of every token hash; Lua scripts append a digest to it."""
    return f"{PREFIX}:token:"


def token_ids() -> str:
    """Hash token id -> digest: revoke or list a token by its id (the secret is not kept)."""
    return f"{PREFIX}:token-ids"


def session_namespace() -> str:
    """Namespace of the page sessions in Litestar's Redis store: strings ``<ns>:<session id>``."""
    return f"{PREFIX}:session"


def session_key_prefix() -> str:
    """Prefix of every session's key, as Litestar's Redis store builds it."""
    return f"{session_namespace()}:"


def account_failures(email_norm: str) -> str:
    """Hash of one account's consecutive failed sign-ins: f count, w retry-not-before (ms)."""
    return f"{PREFIX}:throttle:account:{email_norm}"


def address_failures(address: str) -> str:
    """Counter of the failed sign-ins from one client address in the current window."""
    return f"{PREFIX}:throttle:address:{address}"


def operation_record(operation_id: str) -> str:
    """String: the outcome of one write, for a retry of it to answer; expires (Operation)."""
    return f"{PREFIX}:op:{operation_id}"


def idempotency_record(name: str) -> str:
    """String: the outcome of the request a client's Idempotency-Key names (an Operation's
    record, kept 24 h). `name` hashes the key with its owner, so keys of two users never meet."""
    return f"{PREFIX}:idem:{name}"


def idempotency_fingerprint(name: str) -> str:
    """String: a hash of the first request sent with that Idempotency-Key, kept 24 h: the same
    key with another request is refused."""
    return f"{PREFIX}:idem:{name}:request"


# The audit trail: one stream entry per event, whose id gives its time. Every entry has these
# fields, in this order: the entries of a stream node that share their first entry's field
# names store none of them, so an entry costs little more than its values. Never a value of a
# student or a user: only who, what, on what, and the names of the fields changed.
AUDIT_FIELDS = {
    "a": "actor",  # an email, token:<id>, or cli:<os user>
    "o": "action",  # a code of AUDIT_ACTIONS
    "g": "target",  # a student id, a user's lower-cased email, a token id, an import's ids
    "f": "fields",  # the one-letter names (STUDENT_FIELDS, USER_FIELDS) of the fields changed;
    # an import's counts ('c3u1'); an export's course; a sign-in's client address
    "r": "request_id",  # the id of the request's access log line, or of the CLI run
}
AUDIT_ACTIONS = {
    "sc": "student.create",
    "su": "student.update",
    "sd": "student.delete",
    "sw": "student.withdraw",  # a change that withdraws the student
    "sr": "student.reinstate",  # a change that makes a withdrawn student enrolled again
    "si": "student.import",
    "se": "student.export",
    "ra": "record.access",
    "ls": "login.success",
    "lf": "login.failure",
    "uc": "user.create",
    "uu": "user.update",
    "tc": "token.create",
    "tr": "token.revoke",
    "yr": "year.rollover",  # the target is "<from>:<to>", the detail its counts
    "yc": "year.current",  # the target is the year made current
}


def audit_stream() -> str:
    """Stream of the audit trail (AUDIT_FIELDS), trimmed to the retention as it grows."""
    return f"{PREFIX}:audit"


# A student's history is a few ids, and a key of its own would cost more than them (some 150
# bytes): most students' histories are packed into the fields of shared hashes, in this many
# buckets. Each bucket stays a compact listpack up to 512 fields (hash-max-listpack-entries),
# some 400,000 students written in the retention; past it, a bucket costs about 50 bytes more a
# student. Changing it loses the packed histories: a new count needs new key names.
AUDIT_HISTORY_BUCKETS = 1024


def student_histories(student_id: str) -> str:
    """Hash student id -> the ids of the trail entries about them, packed (audit.lua), for the
    students of one bucket (a stable hash of the id); field '' is the time of its last sweep.
    Swept of the ids past the retention daily, and expires a day after its newest entry would
    leave the trail."""
    bucket = zlib.crc32(student_id.encode()) % AUDIT_HISTORY_BUCKETS
    return f"{PREFIX}:audit:students:{bucket}"


def student_history(student_id: str) -> str:
    """Sorted set of the ids of the trail entries about one student, scored by their time in
    ms: the history of a student whose packed one grew too long, or that was written before
    the buckets. Trimmed with the trail, and expires when its newest entry would be trimmed."""
    return f"{PREFIX}:audit:student:{student_id}"
