"""Redis key names. Every key the service writes is built here.

Members of the sorted-set indexes are *sort keys*: ``fold(last)\\0fold(first)\\0id``, all with
score 0, so ``ZRANGE ... BYLEX`` walks students in alphabetical order and a sort key doubles as
the pagination cursor. Names never contain NUL (validation forbids control characters).
"""

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
}


def student_key(student_id: str) -> str:
    """Hash holding one student's fields (STUDENT_FIELDS), its revision and maybe its sort key."""
    return f"{PREFIX}:student:{student_id}"


def student_key_prefix() -> str:
    """Prefix of every student hash; Lua scripts append an id to it."""
    return f"{PREFIX}:student:"


def order_index() -> str:
    """Sorted set of every student's sort key: the alphabetical list and last-name search."""
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
    """Hash course -> number of students: the course list and the statistics."""
    return f"{PREFIX}:courses"


def email_index() -> str:
    """Hash lower-cased email -> student id: keeps emails unique."""
    return f"{PREFIX}:idx:email"
