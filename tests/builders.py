"""Valid student bodies for tests, with any field overridden."""

from __future__ import annotations

from typing import Any

API = "/api/v1/students"
# For tests that register one person many times on purpose (the bodies below, by default, all
# describe the same student) and are about something else than the duplicate check.
DUPLICATES_ALLOWED = {"allow_duplicate": "true"}
IMPORT_DUPLICATES_ALLOWED = {"allow_duplicates": "true"}


def student_body(**overrides: Any) -> dict[str, Any]:
    """A valid registration body, with these fields changed or added."""
    body: dict[str, Any] = {
        "first_name": "Éloïse",
        "last_name": "Durand",
        "birth_date": "2009-04-17",
        "course": "3eB",
    }
    body.update(overrides)
    return body
