"""What JSON Schema cannot say about this API, taught to Schemathesis's generator."""

from __future__ import annotations

from datetime import date

import schemathesis
from hypothesis import strategies as st

from student_registry.domain.rules import EARLIEST_BIRTH_DATE

# The only dates the API takes are birth dates, from 1900-01-01 up to today. JSON Schema bounds
# numbers and lengths but not dates, so the document says it in words (and the server answers
# 422 outside it); without this, most generated dates would fall outside and test nothing else.
schemathesis.openapi.format(
    "date", st.dates(min_value=EARLIEST_BIRTH_DATE, max_value=date.today()).map(date.isoformat)
)
