"""What JSON Schema cannot say about this API, taught to Schemathesis's generator."""

from __future__ import annotations

import uuid
from datetime import date

import schemathesis
from hypothesis import strategies as st

from student_registry.domain.phones import normalize_phone
from student_registry.domain.rules import (
    EARLIEST_BIRTH_DATE,
    NOTHING_VISIBLE,
    TEXT_FIELDS,
    clean_text,
)

# The only dates the API takes are birth dates, from 1900-01-01 up to today. JSON Schema bounds
# numbers and lengths but not dates, so the document says it in words (and the server answers
# 422 outside it); without this, most generated dates would fall outside and test nothing else.
schemathesis.openapi.format(
    "date", st.dates(min_value=EARLIEST_BIRTH_DATE, max_value=date.today()).map(date.isoformat)
)


# Names and courses must show something: a letter, a digit or a sign. What shows is known by the
# Unicode database, which a pattern cannot consult, so the document says it in words (and the
# server answers 422 with the reason); generated text with nothing visible in it is left out.
@schemathesis.hook
def filter_body(ctx: object, body: object) -> bool:
    """Keep a student body unless one of its texts shows nothing, or a guardian's phone is of
    no form the service reads."""
    if not isinstance(body, dict):
        return True
    for field in (*TEXT_FIELDS, "birthplace"):
        value = body.get(field)
        if isinstance(value, str) and clean_text(field, value)[1] == NOTHING_VISIBLE:
            return False
    guardians = body.get("guardians")
    return not isinstance(guardians, list) or all(_readable(g) for g in guardians)


# A guardian's phone: the document gives its shape (digits in groups, + or 00 first) and says in
# words what else a number needs (its length, France's nine digits); the server answers 422
# with the reason.
def _readable(guardian: object) -> bool:
    if not isinstance(guardian, dict):
        return True
    name, phone = guardian.get("name"), guardian.get("phone")
    if isinstance(name, str) and clean_text("name", name)[1] == NOTHING_VISIBLE:
        return False
    return not isinstance(phone, str) or normalize_phone(phone) is not None


# An Idempotency-Key names one request: the same key with another body is refused with 422
# (draft-ietf-httpapi-idempotency-key-header), a rule about state that no schema can say. Each
# generated request gets a key of its own.
@schemathesis.hook
def map_headers(ctx: object, headers: dict[str, str] | None) -> dict[str, str] | None:
    """Give every generated request that carries an Idempotency-Key a fresh one."""
    for name in list(headers or ()):
        if name.lower() == "idempotency-key":
            headers[name] = uuid.uuid4().hex  # type: ignore[index]
    return headers
