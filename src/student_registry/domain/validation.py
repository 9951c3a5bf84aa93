"""Turning untrusted input into models, with every invalid field named at once."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

import msgspec

from student_registry.domain import rules
from student_registry.domain.models import Guardian, StudentCreate, StudentPatch
from student_registry.errors import FieldError, InvalidStudent

ModelT = TypeVar("ModelT", StudentCreate, StudentPatch)


def explain(raw: Any, model: type[StudentCreate] | type[StudentPatch]) -> list[FieldError]:
    """Every problem of a raw mapping against a model, one per field."""
    if not isinstance(raw, dict):
        return [FieldError(path="$", message="must be a JSON object with the student's fields")]
    fields = msgspec.structs.fields(model)
    known = {f.encode_name for f in fields}
    errors = [FieldError(path=str(key), message=rules.UNKNOWN) for key in raw if key not in known]
    for field in fields:
        if field.encode_name not in raw:
            if field.required:
                errors.append(FieldError(path=field.encode_name, message=rules.REQUIRED))
            continue
        if field.name == "guardians" and isinstance(raw[field.encode_name], list):
            errors += explain_guardians(raw[field.encode_name])
            continue
        try:
            value = msgspec.convert(raw[field.encode_name], field.type)
        except msgspec.ValidationError:
            errors.append(FieldError(path=field.encode_name, message=rules.MESSAGES[field.name]))
            continue
        if value is not None and (problem := rules.field_problem(field.name, value)):
            errors.append(FieldError(path=field.encode_name, message=problem))
    if not errors and model is StudentCreate:
        errors = enrolment_errors(raw)
    return errors


def enrolment_errors(raw: dict[str, Any]) -> list[FieldError]:
    """The problems of a registration's status and dates taken together, once each is valid."""
    values = msgspec.convert(
        {k: v for k, v in raw.items() if k in rules.ENROLMENT_FIELDS}, _Enrolment
    )
    problems = rules.enrolment_problems(
        status=values.status,
        entry_date=values.entry_date,
        exit_date=values.exit_date,
        exit_reason=values.exit_reason,
    )
    return [FieldError(path=name, message=message) for name, message in problems]


class _Enrolment(msgspec.Struct, kw_only=True):
    """A registration's status and dates, already checked one by one."""

    status: str = "enrolled"
    entry_date: date | None = None
    exit_date: date | None = None
    exit_reason: str | None = None


def explain_guardians(raw: list[Any]) -> list[FieldError]:
    """Every problem of a list of guardians, named by its place: ``guardians[1].phone``."""
    if len(raw) > rules.GUARDIANS_MAX:
        return [FieldError(path="guardians", message=rules.MESSAGES["guardians"])]
    errors = []
    for at, item in enumerate(raw):
        where = f"guardians[{at}]"
        if not isinstance(item, dict):
            errors.append(FieldError(path=where, message="must be an object"))
            continue
        fields = msgspec.structs.fields(Guardian)
        known = {f.encode_name for f in fields}
        errors += [
            FieldError(path=f"{where}.{key}", message="is not a field of a guardian")
            for key in item
            if key not in known
        ]
        for field in fields:
            path = f"{where}.{field.encode_name}"
            if field.encode_name not in item:
                if field.required:
                    errors.append(FieldError(path=path, message=rules.REQUIRED))
                continue
            try:
                value = msgspec.convert(item[field.encode_name], field.type)
            except msgspec.ValidationError:
                errors.append(FieldError(path=path, message=rules.MESSAGES[field.name]))
                continue
            if value is not None and (problem := rules.field_problem(field.name, value)):
                errors.append(FieldError(path=path, message=problem))
    return errors


def parse(raw: Any, model: type[ModelT]) -> ModelT:
    """Convert a raw mapping into a model, or raise InvalidStudent naming every bad field."""
    try:
        return msgspec.convert(raw, model)
    except msgspec.ValidationError as exc:
        errors = explain(raw, model) or [FieldError(path="$", message=str(exc))]
        raise InvalidStudent(errors) from None


def decode(body: bytes, model: type[ModelT]) -> ModelT:
    """Decode a JSON body into a model, or raise InvalidStudent naming every bad field."""
    try:
        return msgspec.json.decode(body, type=model)
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        raise _not_json(exc) from None
    # A typed decode stops at the first wrong value, before it can see malformed JSON after it.
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise _not_json(exc) from None
    return parse(raw, model)


def _not_json(exc: msgspec.DecodeError) -> InvalidStudent:
    return InvalidStudent([FieldError(path="$", message=f"is not valid JSON ({exc})")])
