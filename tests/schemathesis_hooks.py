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
    OPTIONAL_TEXT_FIELDS,
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
    for field in (*TEXT_FIELDS, *OPTIONAL_TEXT_FIELDS, "birthplace"):
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


# A student's status and its dates go together: a withdrawn student has an exit date and a
# reason, no earlier than it entered; an enrolled one has neither. JSON Schema describes each
# field alone, so the document says it in words (and the server answers 422 naming the fields);
# generated bodies whose fields are each valid are made to fit, the withdrawn ones entering no
# later than they leave. A body with a field invalid on its own is left as it is: it is one the
# server must refuse.
@schemathesis.hook
def map_body(ctx: object, body: object) -> object:
    """Make a student body's status, exit date and reason fit together."""
    if not isinstance(body, dict) or not {"status", "exit_date", "exit_reason"} & body.keys():
        return body
    status, left, entered = body.get("status"), body.get("exit_date"), body.get("entry_date")
    reason = body.get("exit_reason")
    if not (
        status in (None, "enrolled", "withdrawn")
        and all(_is_date_or_none(value) for value in (left, entered))
        and (
            reason is None or (isinstance(reason, str) and not clean_text("exit_reason", reason)[1])
        )
    ):
        return body
    if status != "withdrawn":
        return {k: v for k, v in body.items() if k not in ("exit_date", "exit_reason")}
    left = left or date.today().isoformat()
    return {
        **body,
        "exit_date": left,
        "exit_reason": reason or "Moved",
        "entry_date": entered if entered and entered <= left else left,
    }


def _is_date_or_none(value: object) -> bool:
    if value is None:
        return True
    if not isinstance(value, str) or len(value) != len("2009-04-17"):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
